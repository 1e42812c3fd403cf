// SPDX-License-Identifier: Apache-2.0
#include "replica/table_writer.hpp"

#include <sqlite3.h>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <SQLiteCpp/Transaction.h>

#include "common/errors.hpp"
#include "common/sql_text.hpp"

namespace tsync {
namespace {

// Runs a prepared statement once and resets it, also when it fails, so the
// next record can bind it again; returns the rows it changed.
int exec_once(SQLite::Statement& stmt) {
  try {
    const int changes = stmt.exec();
    stmt.reset();
    return changes;
  } catch (...) {
    stmt.tryReset();
    throw;
  }
}

// Binds a row's values into a statement's parameters.
struct StatementSink {
  SQLite::Statement& stmt;
  void null(int index) { stmt.bind(index); }
  void integer(int index, std::int64_t n) { stmt.bind(index, n); }
  void real(int index, double d) { stmt.bind(index, d); }
  void text(int index, const std::string& text) { stmt.bindNoCopy(index, text); }
  void unbound(int index) { stmt.bind(index); }  // a column the record does not carry
};

// Packs a row's values as StatementSink would bind them, and notes its key's.
struct PackSink {
  struct KeyValue {
    StagedRows::Kind kind = StagedRows::Kind::Null;
    std::int64_t n = 0;
    std::string_view text;
  };
  StagedRows::Builder& row;
  const std::vector<int>& key_part;
  std::vector<KeyValue>& keys;

  void key(int index, StagedRows::Kind kind, std::int64_t n, std::string_view text) {
    const auto column = static_cast<std::size_t>(index - 1);
    if (column < key_part.size() && key_part[column] >= 0)
      keys[static_cast<std::size_t>(key_part[column])] = KeyValue{kind, n, text};
  }
  void null(int index) {
    row.null(static_cast<std::size_t>(index - 1));
    key(index, StagedRows::Kind::Null, 0, {});
  }
  void integer(int index, std::int64_t n) {
    row.integer(static_cast<std::size_t>(index - 1), n);
    key(index, StagedRows::Kind::Integer, n, {});
  }
  void real(int index, double d) {
    row.real(static_cast<std::size_t>(index - 1), d);
    key(index, StagedRows::Kind::Real, 0, {});
  }
  void text(int index, const std::string& text) {
    row.text(static_cast<std::size_t>(index - 1), text);
    key(index, StagedRows::Kind::Text, 0, text);
  }
  void unbound(int) {}  // NULL when the row is bound for the apply
};

}  // namespace

TableWriter::TableWriter(SQLite::Database& db, TableSpec spec)
    : db_(db),
      spec_(std::move(spec)),
      schema_(db_, spec_),
      pass_(seen_path_of(db_.getFilename(), spec_.table)),
      staging_(db_) {
  SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement exists(db_, "SELECT count(*) FROM pragma_table_info(?1)");
  exists.bind(1, spec_.table);
  exists.executeStep();
  if (exists.getColumn(0).getInt() == 0) schema_.create_table();
  load();
  transaction.commit();
}

void TableWriter::load() {
  slots_.clear();
  pass_.forget_statement();
  remove_.reset();
  schema_.load();
  prepare();
}

void TableWriter::reload() {
  upsert_.reset();
  load();
}

void TableWriter::prepare() {
  upsert_ = std::make_unique<SQLite::Statement>(
      db_, fill_template(sql::upsert_row, schema_.upsert_template()));
  stamps_.assign(schema_.columns().size(), 0);
  scratch_.resize(schema_.columns().size());
  key_part_.assign(schema_.columns().size(), -1);
  for (std::size_t i = 0; i < spec_.primary_key.size(); ++i)
    key_part_[schema_.column_index(spec_.primary_key[i])] = static_cast<int>(i);
}

template <class Sink>
void TableWriter::bind(Sink& sink, int index, std::size_t column, const FieldValue& value,
                       const Record& record, bool is_cursor) {
  const ColumnType type = schema_.columns()[column].type;
  const bool as_text = type == ColumnType::String || type == ColumnType::Decimal;
  switch (value.kind) {
    case ValueKind::Null:
      sink.null(index);
      return;
    case ValueKind::Bool:
      if (as_text)
        sink.text(index, value.text);
      else
        sink.integer(index, value.text == "true" ? 1 : 0);
      return;
    case ValueKind::String:
      if (type == ColumnType::UtcDatetime) {
        const auto instant =
            is_cursor ? std::optional<Instant>(record.cursor) : parse_timestamp(value.text);
        if (instant) {
          std::string& text = scratch_[column];
          text.resize(kNormalisedWidth);
          format_utc(*instant, text.data());
          sink.text(index, text);
          return;
        }
      }
      sink.text(index, value.text);
      return;
    case ValueKind::Integer: {
      std::int64_t n = 0;
      const char* end = value.text.data() + value.text.size();
      const auto parsed = std::from_chars(value.text.data(), end, n);
      if (!as_text && parsed.ec == std::errc() && parsed.ptr == end) {
        sink.integer(index, n);
        return;
      }
      sink.text(index, value.text);  // beyond 64 bits: its digits
      return;
    }
    case ValueKind::Real: {
      if (!as_text) {
        const double d = std::strtod(value.text.c_str(), nullptr);
        if (std::isfinite(d)) {
          sink.real(index, d);
          return;
        }
      }
      sink.text(index, value.text);
      return;
    }
    case ValueKind::Json:
      sink.text(index, value.text);
      return;
  }
}

void TableWriter::bind(SQLite::Statement& stmt, int index, std::size_t column,
                       const FieldValue& value, const Record& record, bool is_cursor) {
  StatementSink sink{stmt};
  bind(sink, index, column, value, record, is_cursor);
}

void TableWriter::resolve(const Record& record) {
  // Which column holds each field: usually the same as for the last record.
  if (slots_.size() < record.size) slots_.resize(record.size);
  bool added = false;
  for (std::size_t i = 0; i < record.size; ++i) {
    const FieldValue& f = record.fields[i];
    Slot& slot = slots_[i];
    if (!slot.valid || slot.field != f.name) {
      slot.column = schema_.column_of(f.name, added);
      slot.field.assign(f.name);
      slot.valid = true;
    }
  }
  if (added) {
    prepare();
    for (Slot& slot : slots_)
      if (slot.valid) slot.column = schema_.column_index(slot.field);
  }
}

template <class Sink>
void TableWriter::bind_row(Sink& sink, const Record& record, const std::string& deleted_at) {
  ++stamp_;
  bool has_extra = false;
  for (std::size_t i = 0; i < record.size; ++i) {
    const FieldValue& f = record.fields[i];
    const std::size_t column = slots_[i].column;
    if (column == kOverflow) {
      if (!has_extra) {
        extra_.Clear();
        extra_writer_.Reset(extra_);
        extra_writer_.StartObject();
        has_extra = true;
      }
      extra_writer_.Key(f.name.data(), static_cast<rapidjson::SizeType>(f.name.size()));
      const auto n = static_cast<rapidjson::SizeType>(f.text.size());
      switch (f.kind) {
        case ValueKind::Null:
          extra_writer_.Null();
          break;
        case ValueKind::Bool:
          extra_writer_.Bool(f.text == "true");
          break;
        case ValueKind::String:
          extra_writer_.String(f.text.data(), n);
          break;
        case ValueKind::Integer:
        case ValueKind::Real:
          extra_writer_.RawValue(f.text.data(), n, rapidjson::kNumberType);
          break;
        case ValueKind::Json:
          extra_writer_.RawValue(f.text.data(), n, rapidjson::kObjectType);
          break;
      }
      continue;
    }
    bind(sink, static_cast<int>(column + 1), column, f, record, i == record.cursor_index);
    stamps_[column] = stamp_;
  }
  if (has_extra) {
    extra_writer_.EndObject();
    extra_text_.assign(extra_.GetString(), extra_.GetSize());
    sink.text(static_cast<int>(schema_.extra_column() + 1), extra_text_);  // as TEXT
    stamps_[schema_.extra_column()] = stamp_;
  }
  if (record.tombstone) {
    sink.text(static_cast<int>(schema_.deleted_column() + 1), deleted_at);
    stamps_[schema_.deleted_column()] = stamp_;
  }
  for (std::size_t c = 0; c < schema_.columns().size(); ++c)
    if (stamps_[c] != stamp_) sink.unbound(static_cast<int>(c + 1));
}

TableWriter::Outcome TableWriter::upsert(const Record& record, const std::string& deleted_at) {
  resolve(record);
  if (record.tombstone) ensure_deleted_column();
  StatementSink sink{*upsert_};
  bind_row(sink, record, deleted_at);

  sqlite3* handle = db_.getHandle();
  sqlite3_set_last_insert_rowid(handle, 0);
  const int changes = exec_once(*upsert_);
  // An insert sets the new row's rowid (>= 1); the DO UPDATE branch leaves it at 0.
  const Outcome outcome = changes == 0                             ? Outcome::Unchanged
                          : sqlite3_last_insert_rowid(handle) != 0 ? Outcome::Inserted
                                                                   : Outcome::Updated;
  if (pass_.active()) mark_seen(record);
  return outcome;
}

void TableWriter::ensure_deleted_column() {
  if (schema_.deleted_column() != kOverflow) return;
  schema_.add_deleted_column();
  prepare();
}

std::vector<std::pair<std::string, PassCounts>> TableWriter::count_pass_by_partition(
    const std::vector<std::string>& identity) {
  std::vector<std::string> columns;
  for (const std::string& field : identity) {
    const auto column = schema_.find_column(field);
    if (!column || *column == kOverflow) return {};
    columns.push_back("t." + quote_identifier(schema_.columns()[*column].name));
  }
  return pass_.count_by_partition(db_, schema_, joined(columns, ", "));
}

std::int64_t TableWriter::delete_partition_rows(const std::vector<std::string>& identity,
                                                const std::string& identity_json,
                                                const std::string& deleted_at,
                                                const std::string& stream, std::int64_t run_id) {
  std::vector<std::string> columns;
  for (const std::string& field : identity) {
    const auto column = schema_.find_column(field);
    if (!column || *column == kOverflow) return 0;  // no row of the table ever had it
    columns.push_back(quote_identifier(schema_.columns()[*column].name));
  }
  const std::string match = "json_array(" + joined(columns, ", ") + ") = ?1";
  if (!spec_.hard_delete) {
    ensure_deleted_column();
    SQLite::Statement mark(db_, fill_template(sql::soft_delete_partition_rows,
                                              {{"table", schema_.quoted_table()}, {"match", match}}));
    mark.bind(1, identity_json);
    mark.bind(2, deleted_at);
    return mark.exec();
  }
  SQLite::Statement log(db_, fill_template(sql::log_partition_rows,
                                           {{"table", schema_.quoted_table()},
                                            {"key", schema_.key_columns()},
                                            {"match", match}}));
  log.bind(1, identity_json);
  log.bind(2, stream);
  log.bind(3, deleted_at);
  log.bind(4, run_id);
  log.exec();
  SQLite::Statement remove(db_, fill_template(sql::hard_delete_partition_rows,
                                              {{"table", schema_.quoted_table()}, {"match", match}}));
  remove.bind(1, identity_json);
  return remove.exec();
}

void TableWriter::mark_seen(const Record& record) {
  SQLite::Statement& mark = pass_.mark_statement(schema_);
  for (std::size_t i = 0; i < spec_.primary_key.size(); ++i) {
    const std::string& field = spec_.primary_key[i];
    bind(mark, static_cast<int>(i + 1), schema_.column_index(field), *record.find(field), record,
         false);
  }
  exec_once(mark);
  pass_.marked();
}

std::optional<std::string> TableWriter::remove(const Record& record) {
  resolve(record);
  if (!remove_)
    remove_ = std::make_unique<SQLite::Statement>(
        db_, fill_template(
                 sql::hard_delete_row,
                 {{"table", schema_.quoted_table()},
                  {"key", schema_.key_columns()},
                  {"key_params", schema_.key_params()},
                  {"cursor", quote_identifier(schema_.columns()[schema_.cursor_column()].name)},
                  {"cursor_param", "?" + std::to_string(spec_.primary_key.size() + 1)}}));
  const int keys = static_cast<int>(spec_.primary_key.size());
  for (int i = 0; i < keys; ++i) {
    const std::string& field = spec_.primary_key[static_cast<std::size_t>(i)];
    bind(*remove_, i + 1, schema_.column_index(field), *record.find(field), record, false);
  }
  bind(*remove_, keys + 1, schema_.cursor_column(), record.fields[record.cursor_index], record,
       true);
  std::optional<std::string> removed;
  try {
    while (remove_->executeStep()) removed = remove_->getColumn(0).getString();
    remove_->reset();
  } catch (...) {
    remove_->tryReset();
    throw;
  }
  if (pass_.active()) mark_seen(record);
  return removed;
}

std::int64_t TableWriter::delete_unseen(const std::string& deleted_at, const std::string& stream,
                                        std::int64_t run_id) {
  if (!spec_.hard_delete) ensure_deleted_column();
  return pass_.delete_unseen(db_, schema_, spec_, deleted_at, stream, run_id);
}

bool TableWriter::stages_without_writing(const Record& record) const {
  if (pass_.active()) return false;
  if (record.tombstone && schema_.deleted_column() == kOverflow) return false;
  for (std::size_t i = 0; i < record.size; ++i)
    if (!schema_.find_column(record.fields[i].name)) return false;
  return true;
}

bool TableWriter::stage(const Record& record, const std::string& deleted_at) {
  resolve(record);
  if (record.tombstone) ensure_deleted_column();
  StagedRows::Builder& packing = staging_.packing();
  packing.clear();
  const std::vector<TableSchema::KeyAffinity>& key_affinity = schema_.key_affinity();
  std::vector<PackSink::KeyValue> keys(key_affinity.size());
  PackSink sink{packing, key_part_, keys};
  bind_row(sink, record, deleted_at);
  // The key as the table will hold it, so that keys SQLite takes for equal
  // are equal here too: an integer in a TEXT column becomes its digits. A REAL,
  // or a text that a numeric column may turn into a number, is not sorted here.
  char digits[24];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const PackSink::KeyValue& key = keys[i];
    if (key.kind == StagedRows::Kind::Integer) {
      if (key_affinity[i] == TableSchema::KeyAffinity::Text) {
        const auto end = std::to_chars(digits, digits + sizeof digits, key.n).ptr;
        packing.key_text(std::string_view(digits, static_cast<std::size_t>(end - digits)));
      } else {
        packing.key_integer(key.n);
      }
    } else if (key.kind == StagedRows::Kind::Text &&
               key_affinity[i] != TableSchema::KeyAffinity::Numeric) {
      packing.key_text(key.text);
    } else {
      return false;
    }
  }
  staging_.add(record.tombstone);
  if (pass_.active()) mark_seen(record);
  return true;
}

}  // namespace tsync
