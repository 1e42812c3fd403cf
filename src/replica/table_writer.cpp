// SPDX-License-Identifier: Apache-2.0
#include "replica/table_writer.hpp"

#include <malloc.h>
#include <sqlite3.h>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include <SQLiteCpp/Transaction.h>

#include "common/errors.hpp"
#include "common/sql_text.hpp"

namespace tsync {

// The staged rows as a virtual table, for apply_stage.sql: a scan of it hands
// over the rows of the merge (StagedRows::next_row) in key order, each value as
// it was bound. Made in the TEMP schema for one apply and dropped after it.
struct TableWriter::StageScan {
  StagedRows* rows = nullptr;
  std::string declaration;  // CREATE TABLE x(...): the stream table's columns
  std::size_t columns = 0;
  std::exception_ptr failure;  // from reading the runs back: rethrown as it was
  std::string module;          // the module's name on the connection
};

namespace {

// Columns kept free below SQLite's limit for tsync's own bookkeeping columns.
constexpr std::size_t kReservedColumns = 8;

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

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
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

std::string seen_path_of(const std::string& replica_path, const std::string& table) {
  // Table names ignore case, as SQLite's do; the file's name keeps letters,
  // digits, '-' and '_' of the name and adds a hash of the whole lower-cased
  // name, so that two tables never share a file.
  std::string lower, shown;
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const char ch : table) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    lower.push_back(c);
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    if (shown.size() < 48)
      shown.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
  }
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "-%08llx", static_cast<unsigned long long>(hash & 0xffffffffULL));
  return replica_path + "-tsync-seen-" + shown + suffix;
}

ColumnType column_type_of(const TableSpec& spec, std::string_view field) {
  for (const auto& [name, type] : spec.columns)
    if (name == field) return type;
  if (field == spec.cursor_field)
    return spec.cursor_format == CursorFormat::Iso8601 ? ColumnType::UtcDatetime : ColumnType::Long;
  return ColumnType::Any;
}

TableWriter::TableWriter(SQLite::Database& db, TableSpec spec)
    : db_(db),
      spec_(std::move(spec)),
      quoted_table_(quote_identifier(spec_.table)),
      seen_path_(seen_path_of(db_.getFilename(), spec_.table)) {
  const int limit = sqlite3_limit(db_.getHandle(), SQLITE_LIMIT_COLUMN, -1);
  max_columns_ = static_cast<std::size_t>(limit) > kReservedColumns + 16
                     ? static_cast<std::size_t>(limit) - kReservedColumns
                     : static_cast<std::size_t>(limit);
  SQLite::Transaction transaction(db_, SQLite::TransactionBehavior::IMMEDIATE);
  SQLite::Statement exists(db_, "SELECT count(*) FROM pragma_table_info(?1)");
  exists.bind(1, spec_.table);
  exists.executeStep();
  if (exists.getColumn(0).getInt() == 0) create_table();
  load();
  transaction.commit();
}

TableWriter::~TableWriter() {
  // The module reads scan_, which goes with this writer: it goes first.
  if (scan_) sqlite3_create_module_v2(db_.getHandle(), scan_->module.c_str(), nullptr, nullptr,
                                      nullptr);
  if (!cache_shared_) return;
  try {
    db_.exec("PRAGMA main.cache_size = " + std::to_string(cache_before_));
  } catch (...) {
    // Only the speed of what the connection does next depends on it.
  }
}

void TableWriter::remember_column(const std::string& field, const std::string& column,
                                  ColumnType type) {
  SQLite::Statement remember(db_, std::string(sql::record_column));
  remember.bind(1, spec_.table);
  remember.bind(2, field);
  remember.bind(3, column);
  if (type == ColumnType::Any)
    remember.bind(4);
  else
    remember.bind(4, std::string(column_type_name(type)));
  remember.exec();
}

void TableWriter::create_table() {
  // The key's columns first, then the declared columns, then the cursor.
  std::vector<std::string> fields = spec_.primary_key;
  auto add = [&](const std::string& field) {
    for (const std::string& f : fields)
      if (f == field) return;
    fields.push_back(field);
  };
  for (const auto& column : spec_.columns) add(column.first);
  add(spec_.cursor_field);

  std::vector<std::string> names, definitions, key;
  auto taken = [&](std::string_view candidate) {
    for (const std::string& n : names)
      if (same_column_name(n, candidate)) return true;
    return false;
  };
  for (const std::string& field : fields) {
    std::string name = column_name_for(field, taken);
    const ColumnType type = column_type_of(spec_, field);
    const bool is_key = std::find(spec_.primary_key.begin(), spec_.primary_key.end(), field) !=
                        spec_.primary_key.end();
    std::string definition = quote_identifier(name);
    if (!sql_type(type).empty()) definition += " " + std::string(sql_type(type));
    if (is_key || field == spec_.cursor_field) definition += " NOT NULL";
    definitions.push_back(std::move(definition));
    if (is_key) key.push_back(quote_identifier(name));
    remember_column(field, name, type);
    names.push_back(std::move(name));
  }
  const std::string cursor_column = names[std::size_t(
      std::find(fields.begin(), fields.end(), spec_.cursor_field) - fields.begin())];
  db_.exec(fill_template(sql::create_table,
                         {{"table", quoted_table_},
                          {"columns", joined(definitions, ",\n  ")},
                          {"key", joined(key, ", ")},
                          {"index", quote_identifier(spec_.table + "_" + cursor_column)},
                          {"cursor", quote_identifier(cursor_column)}}));
}

void TableWriter::load() {
  columns_.clear();
  by_field_.clear();
  slots_.clear();
  extra_column_ = kOverflow;
  deleted_column_ = kOverflow;
  mark_seen_.reset();
  remove_.reset();

  std::vector<std::string> table_columns;
  std::vector<std::pair<int, std::string>> key_columns;
  std::unordered_map<std::string, KeyAffinity> key_affinity_of;
  {
    SQLite::Statement info(db_,
                           "SELECT name, pk, upper(type) FROM pragma_table_info(?1) ORDER BY cid");
    info.bind(1, spec_.table);
    while (info.executeStep()) {
      table_columns.push_back(info.getColumn(0).getString());
      if (const int pk = info.getColumn(1).getInt(); pk > 0) {
        key_columns.emplace_back(pk, table_columns.back());
        // SQLite's rules for a column's affinity from its declared type.
        const std::string type = info.getColumn(2).getString();
        auto has = [&](const char* part) { return type.find(part) != std::string::npos; };
        key_affinity_of[table_columns.back()] =
            has("INT")                                       ? KeyAffinity::Numeric
            : has("CHAR") || has("CLOB") || has("TEXT")      ? KeyAffinity::Text
            : type.empty() || has("BLOB")                    ? KeyAffinity::None
                                                             : KeyAffinity::Numeric;
      }
    }
  }
  std::unordered_map<std::string, std::string> column_of_field;
  // The type a column was made with, for a field the configuration no longer declares.
  std::unordered_map<std::string, ColumnType> recorded_type;
  {
    SQLite::Statement fields(db_, std::string(sql::load_columns));
    fields.bind(1, spec_.table);
    while (fields.executeStep()) {
      const std::string field = fields.getColumn(0).getString();
      column_of_field[field] = fields.getColumn(1).getString();
      if (const auto type = column_type_from_name(fields.getColumn(2).getString()))
        recorded_type[field] = *type;
    }
  }
  auto type_of = [&](const std::string& field) {
    const ColumnType type = column_type_of(spec_, field);
    const auto it = recorded_type.find(field);
    return type == ColumnType::Any && it != recorded_type.end() ? it->second : type;
  };
  // A column that _columns does not name (a replica made before _columns) holds
  // the field of its own name.
  std::unordered_map<std::string, std::string> field_of_column;
  for (const auto& [field, column] : column_of_field) field_of_column[column] = field;
  for (const std::string& column : table_columns) {
    if (column == kExtraColumn || column == kDeletedColumn || field_of_column.count(column) > 0)
      continue;
    column_of_field[column] = column;
    field_of_column[column] = column;
    remember_column(column, column, column_type_of(spec_, column));
  }

  // The key must be the one the stream names, in its order.
  std::sort(key_columns.begin(), key_columns.end());
  std::vector<std::string> have, want;
  for (const auto& kc : key_columns) have.push_back(field_of_column[kc.second]);
  for (const std::string& field : spec_.primary_key) want.push_back(field);
  if (have != want)
    throw Error("table " + spec_.table + " has the primary key (" + joined(have, ", ") +
                ") but the stream's primary_key is (" + joined(want, ", ") +
                "); name another table for the stream, or drop this one to sync it afresh");

  for (const std::string& column : table_columns) {
    if (column == kExtraColumn) {
      extra_column_ = columns_.size();
      columns_.push_back({column, ColumnType::Json});
      continue;
    }
    if (column == kDeletedColumn) {
      deleted_column_ = columns_.size();
      columns_.push_back({column, ColumnType::String});
      continue;
    }
    const std::string& field = field_of_column[column];
    by_field_[field] = columns_.size();
    columns_.push_back({column, type_of(field)});
  }
  for (const auto& [field, column] : column_of_field)
    if (column == kExtraColumn) by_field_[field] = kOverflow;

  // Declared columns and the cursor that the table lacks (the configuration
  // grew, or the stream's cursor changed).
  bool added = false;
  if (by_field_.count(spec_.cursor_field) == 0) column_of(spec_.cursor_field, added);
  for (const auto& column : spec_.columns)
    if (by_field_.count(column.first) == 0) column_of(column.first, added);
  cursor_column_ = by_field_.at(spec_.cursor_field);
  key_affinity_.clear();
  for (const auto& kc : key_columns) key_affinity_.push_back(key_affinity_of[kc.second]);
  prepare();
}

void TableWriter::reload() {
  upsert_.reset();
  load();
}

void TableWriter::add_column(const std::string& field, ColumnType type) {
  if (columns_.size() + 1 >= max_columns_) {
    // Past the limit: the field is kept in the JSON object of _tsync_extra.
    if (extra_column_ == kOverflow) {
      db_.exec(fill_template(
          sql::add_column, {{"table", quoted_table_}, {"column", quote_identifier(kExtraColumn)}}));
      extra_column_ = columns_.size();
      columns_.push_back({std::string(kExtraColumn), ColumnType::Json});
    }
    remember_column(field, std::string(kExtraColumn), ColumnType::Any);
    by_field_[field] = kOverflow;
    return;
  }
  auto taken = [&](std::string_view candidate) {
    for (const Column& c : columns_)
      if (same_column_name(c.name, candidate)) return true;
    return false;
  };
  std::string name = column_name_for(field, taken);
  std::string definition = quote_identifier(name);
  if (!sql_type(type).empty()) definition += " " + std::string(sql_type(type));
  db_.exec(fill_template(sql::add_column, {{"table", quoted_table_}, {"column", definition}}));
  remember_column(field, name, type);
  by_field_[field] = columns_.size();
  columns_.push_back({std::move(name), type});
}

std::size_t TableWriter::column_of(const std::string& field, bool& added) {
  if (const auto it = by_field_.find(field); it != by_field_.end()) return it->second;
  add_column(field, column_type_of(spec_, field));
  added = true;
  return by_field_.at(field);
}

std::vector<std::pair<std::string_view, std::string>> TableWriter::upsert_template() const {
  std::vector<std::string> names, values, excluded, current, assignments, key;
  // A deleted row keeps the time it was first marked while tombstones of it
  // come again; a live record makes it live.
  const std::string deleted_value =
      deleted_column_ == kOverflow ? std::string()
                                   : "(CASE WHEN excluded." + quote_identifier(kDeletedColumn) +
                                         " IS NULL THEN NULL ELSE coalesce(" + quoted_table_ + "." +
                                         quote_identifier(kDeletedColumn) + ", excluded." +
                                         quote_identifier(kDeletedColumn) + ") END)";
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const std::string q = quote_identifier(columns_[i].name);
    names.push_back(q);
    values.push_back("?" + std::to_string(i + 1));
    excluded.push_back(i == deleted_column_ ? deleted_value : "excluded." + q);
    current.push_back(quoted_table_ + "." + q);
  }
  for (const std::string& field : spec_.primary_key)
    key.push_back(quote_identifier(columns_[by_field_.at(field)].name));
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const std::string q = quote_identifier(columns_[i].name);
    if (std::find(key.begin(), key.end(), q) == key.end())
      assignments.push_back(q + " = " + (i == deleted_column_ ? deleted_value : "excluded." + q));
  }
  return {{"table", quoted_table_},
          {"columns", joined(names, ", ")},
          {"values", joined(values, ", ")},
          {"key", joined(key, ", ")},
          {"assignments", joined(assignments, ",\n  ")},
          {"cursor", quote_identifier(columns_[cursor_column_].name)},
          {"excluded", joined(excluded, ", ")},
          {"current", joined(current, ", ")}};
}

void TableWriter::prepare() {
  upsert_ =
      std::make_unique<SQLite::Statement>(db_, fill_template(sql::upsert_row, upsert_template()));
  stamps_.assign(columns_.size(), 0);
  scratch_.resize(columns_.size());
  key_part_.assign(columns_.size(), -1);
  for (std::size_t i = 0; i < spec_.primary_key.size(); ++i)
    key_part_[by_field_.at(spec_.primary_key[i])] = static_cast<int>(i);
}

template <class Sink>
void TableWriter::bind(Sink& sink, int index, std::size_t column, const FieldValue& value,
                       const Record& record, bool is_cursor) {
  const ColumnType type = columns_[column].type;
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
      slot.column = column_of(f.name, added);
      slot.field.assign(f.name);
      slot.valid = true;
    }
  }
  if (added) {
    prepare();
    for (Slot& slot : slots_)
      if (slot.valid) slot.column = by_field_.at(slot.field);
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
    sink.text(static_cast<int>(extra_column_ + 1), extra_text_);  // as TEXT
    stamps_[extra_column_] = stamp_;
  }
  if (record.tombstone) {
    sink.text(static_cast<int>(deleted_column_ + 1), deleted_at);
    stamps_[deleted_column_] = stamp_;
  }
  for (std::size_t c = 0; c < columns_.size(); ++c)
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
  if (in_pass_) mark_seen(record);
  return outcome;
}

void TableWriter::ensure_deleted_column() {
  if (deleted_column_ != kOverflow) return;
  db_.exec(fill_template(
      sql::add_column,
      {{"table", quoted_table_}, {"column", quote_identifier(kDeletedColumn) + " TEXT"}}));
  deleted_column_ = columns_.size();
  columns_.push_back({std::string(kDeletedColumn), ColumnType::String});
  prepare();
}

namespace {
constexpr const char* kSeen = "tsync_pass.seen";
}  // namespace

std::string TableWriter::key_columns() const {
  std::vector<std::string> key;
  for (const std::string& field : spec_.primary_key)
    key.push_back(quote_identifier(columns_[by_field_.at(field)].name));
  return joined(key, ", ");
}

std::string TableWriter::key_params() const {
  std::vector<std::string> params;
  for (std::size_t i = 1; i <= spec_.primary_key.size(); ++i)
    params.push_back("?" + std::to_string(i));
  return joined(params, ", ");
}

std::string TableWriter::key_match() const {
  std::string match;
  for (const std::string& field : spec_.primary_key) {
    const std::string q = quote_identifier(columns_[by_field_.at(field)].name);
    match += (match.empty() ? "" : " AND ") + std::string("s.") + q + " = t." + q;
  }
  return match;
}

void TableWriter::mark_seen(const Record& record) {
  if (!mark_seen_)
    mark_seen_ = std::make_unique<SQLite::Statement>(
        *seen_db_, fill_template(sql::mark_seen, {{"seen", std::string("seen")},
                                                  {"key", key_columns()},
                                                  {"values", key_params()}}));
  for (std::size_t i = 0; i < spec_.primary_key.size(); ++i) {
    const std::string& field = spec_.primary_key[i];
    bind(*mark_seen_, static_cast<int>(i + 1), by_field_.at(field), *record.find(field), record,
         false);
  }
  exec_once(*mark_seen_);
  // Committed now and then, so that its journal-less file stays small in memory.
  if (++seen_uncommitted_ >= 100000) {
    seen_db_->exec("COMMIT; BEGIN");
    seen_uncommitted_ = 0;
  }
}

std::optional<std::string> TableWriter::remove(const Record& record) {
  resolve(record);
  if (!remove_)
    remove_ = std::make_unique<SQLite::Statement>(
        db_, fill_template(sql::hard_delete_row,
                           {{"table", quoted_table_},
                            {"key", key_columns()},
                            {"key_params", key_params()},
                            {"cursor", quote_identifier(columns_[cursor_column_].name)},
                            {"cursor_param", "?" + std::to_string(spec_.primary_key.size() + 1)}}));
  const int keys = static_cast<int>(spec_.primary_key.size());
  for (int i = 0; i < keys; ++i) {
    const std::string& field = spec_.primary_key[static_cast<std::size_t>(i)];
    bind(*remove_, i + 1, by_field_.at(field), *record.find(field), record, false);
  }
  bind(*remove_, keys + 1, cursor_column_, record.fields[record.cursor_index], record, true);
  std::optional<std::string> removed;
  try {
    while (remove_->executeStep()) removed = remove_->getColumn(0).getString();
    remove_->reset();
  } catch (...) {
    remove_->tryReset();
    throw;
  }
  if (in_pass_) mark_seen(record);
  return removed;
}

void TableWriter::begin_pass() {
  end_pass();  // a file left by a killed pass
  std::vector<std::string> definitions, key;
  for (const std::string& field : spec_.primary_key) {
    const Column& column = columns_[by_field_.at(field)];
    std::string definition = quote_identifier(column.name);
    if (!sql_type(column.type).empty()) definition += " " + std::string(sql_type(column.type));
    definitions.push_back(std::move(definition));
    key.push_back(quote_identifier(column.name));
  }
  seen_db_ = std::make_unique<SQLite::Database>(
      seen_path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
  // Nothing here needs to survive a crash: a pass that did not complete is
  // started over, and its file replaced.
  seen_db_->exec(
      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;"
      "PRAGMA cache_size = -4096");
  seen_db_->exec(fill_template(sql::create_seen, {{"seen", std::string("seen")},
                                                  {"columns", joined(definitions, ",\n  ")},
                                                  {"key", joined(key, ", ")}}));
  seen_db_->exec("BEGIN");
  seen_uncommitted_ = 0;
  mark_seen_.reset();
  in_pass_ = true;
}

void TableWriter::attach_pass() {
  mark_seen_.reset();
  if (seen_db_) {
    seen_db_->exec(
        fill_template(sql::index_seen, {{"seen", std::string("seen")}, {"key", key_columns()}}));
    seen_db_->exec("COMMIT");
    seen_db_.reset();
  }
  SQLite::Statement attach(db_, std::string(sql::attach_seen));
  attach.bind(1, seen_path_);
  attach.exec();
  attached_ = true;
}

PassCounts TableWriter::count_pass() {
  SQLite::Statement q(db_,
                      fill_template(sql::count_unseen,
                                    {{"table", quoted_table_},
                                     {"seen", std::string(kSeen)},
                                     {"live", deleted_column_ == kOverflow
                                                  ? std::string("TRUE")
                                                  : quote_identifier(kDeletedColumn) + " IS NULL"},
                                     {"match", key_match()}}));
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()};
}

std::int64_t TableWriter::delete_unseen(const std::string& deleted_at, const std::string& stream,
                                        std::int64_t run_id) {
  if (spec_.hard_delete) {
    std::vector<std::string> key_values;
    for (const std::string& field : spec_.primary_key)
      key_values.push_back("t." + quote_identifier(columns_[by_field_.at(field)].name));
    SQLite::Statement log(
        db_, fill_template(sql::log_unseen, {{"table", quoted_table_},
                                             {"seen", std::string(kSeen)},
                                             {"match", key_match()},
                                             {"key_values", joined(key_values, ", ")}}));
    log.bind(1, stream);
    log.bind(2, deleted_at);
    log.bind(3, run_id);
    log.exec();
    return db_.exec(fill_template(
        sql::delete_unseen,
        {{"table", quoted_table_}, {"seen", std::string(kSeen)}, {"match", key_match()}}));
  }
  ensure_deleted_column();
  SQLite::Statement mark(db_, fill_template(sql::soft_delete_unseen, {{"table", quoted_table_},
                                                                      {"seen", std::string(kSeen)},
                                                                      {"match", key_match()}}));
  mark.bind(1, deleted_at);
  return mark.exec();
}

void TableWriter::end_pass() {
  in_pass_ = false;
  mark_seen_.reset();
  seen_db_.reset();  // an open transaction there is dropped with the file
  if (attached_) {
    attached_ = false;
    db_.exec(std::string(sql::detach_seen));
  }
  for (const char* suffix : {"", "-journal", "-wal", "-shm"})
    std::remove((seen_path_ + suffix).c_str());
}

// ---- Staging: large transactions applied in key order ----


namespace {

// Staged rows fewer than this are applied with the table's indexes in place:
// updating them row by row costs less than building them again.
constexpr std::int64_t kRebuildIndexesRows = 50000;

// tsync_count(kind): counts one row of `kind` (0 to 3) and returns 1 (apply_stage.sql).
void count_rows_of_kind(sqlite3_context* context, int, sqlite3_value** argv) {
  auto* counts = static_cast<std::int64_t*>(sqlite3_user_data(context));
  const int kind = sqlite3_value_int(argv[0]);
  if (kind >= 0 && kind < 4) ++counts[kind];
  sqlite3_result_int(context, 1);
}

struct StageValue {
  StagedRows::Kind kind = StagedRows::Kind::Null;
  std::int64_t n = 0;
  double d = 0;
  std::string_view text;
};

struct StageVtab {
  sqlite3_vtab base{};
  TableWriter::StageScan* scan = nullptr;
};

struct StageCursor {
  sqlite3_vtab_cursor base{};
  const StagedRows::Row* row = nullptr;
  std::vector<StageValue> values;  // the current row's, by column
  std::vector<std::size_t> set;    // columns the current row set
  sqlite3_int64 rowid = 0;
};

int stage_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  auto* scan = static_cast<TableWriter::StageScan*>(aux);
  if (const int rc = sqlite3_declare_vtab(db, scan->declaration.c_str()); rc != SQLITE_OK) return rc;
  auto* table = new StageVtab;
  table->scan = scan;
  *out = &table->base;
  return SQLITE_OK;
}

int stage_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const auto* table = reinterpret_cast<StageVtab*>(vtab);
  info->estimatedRows = table->scan->rows ? table->scan->rows->rows() : 0;
  info->estimatedCost = static_cast<double>(info->estimatedRows) + 1;
  return SQLITE_OK;
}

int stage_disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<StageVtab*>(vtab);
  return SQLITE_OK;
}

int stage_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* cursor = new StageCursor;
  cursor->values.resize(reinterpret_cast<StageVtab*>(vtab)->scan->columns);
  *out = &cursor->base;
  return SQLITE_OK;
}

int stage_close(sqlite3_vtab_cursor* base) {
  delete reinterpret_cast<StageCursor*>(base);
  return SQLITE_OK;
}

// Moves to the merge's next row and spreads its values over the columns.
int stage_step(sqlite3_vtab_cursor* base, bool first) {
  auto* cursor = reinterpret_cast<StageCursor*>(base);
  TableWriter::StageScan* scan = reinterpret_cast<StageVtab*>(base->pVtab)->scan;
  for (const std::size_t column : cursor->set) cursor->values[column] = StageValue{};
  cursor->set.clear();
  try {
    if (first) scan->rows->begin_merge();
    cursor->row = scan->rows->next_row();
  } catch (...) {
    scan->failure = std::current_exception();
    cursor->row = nullptr;
    return SQLITE_ERROR;
  }
  if (!cursor->row) return SQLITE_OK;
  ++cursor->rowid;
  cursor->row->each_value([&](std::size_t column, StagedRows::Kind kind, std::int64_t n,
                              double d, std::string_view text) {
    if (column >= cursor->values.size()) return;  // never: columns are only added
    cursor->values[column] = StageValue{kind, n, d, text};
    cursor->set.push_back(column);
  });
  return SQLITE_OK;
}

int stage_filter(sqlite3_vtab_cursor* base, int, const char*, int, sqlite3_value**) {
  return stage_step(base, true);
}

int stage_next(sqlite3_vtab_cursor* base) { return stage_step(base, false); }

int stage_eof(sqlite3_vtab_cursor* base) {
  return reinterpret_cast<StageCursor*>(base)->row == nullptr;
}

int stage_column(sqlite3_vtab_cursor* base, sqlite3_context* context, int column) {
  const auto* cursor = reinterpret_cast<StageCursor*>(base);
  const StageValue& value = cursor->values[static_cast<std::size_t>(column)];
  switch (value.kind) {
    case StagedRows::Kind::Null:
      sqlite3_result_null(context);
      break;
    case StagedRows::Kind::Integer:
      sqlite3_result_int64(context, value.n);
      break;
    case StagedRows::Kind::Real:
      sqlite3_result_double(context, value.d);
      break;
    case StagedRows::Kind::Text:
      // Copied: the merge's buffers move on with the next row.
      sqlite3_result_text(context, value.text.data(), static_cast<int>(value.text.size()),
                          SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

int stage_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = reinterpret_cast<StageCursor*>(base)->rowid;
  return SQLITE_OK;
}

const sqlite3_module* stage_module() {
  static const sqlite3_module module = [] {
    sqlite3_module m{};
    m.iVersion = 1;
    m.xCreate = stage_connect;
    m.xConnect = stage_connect;
    m.xBestIndex = stage_best_index;
    m.xDisconnect = stage_disconnect;
    m.xDestroy = stage_disconnect;
    m.xOpen = stage_open;
    m.xClose = stage_close;
    m.xFilter = stage_filter;
    m.xNext = stage_next;
    m.xEof = stage_eof;
    m.xColumn = stage_column;
    m.xRowid = stage_rowid;
    return m;
  }();
  return &module;
}

}  // namespace

bool TableWriter::stage(const Record& record, const std::string& deleted_at) {
  resolve(record);
  if (record.tombstone) ensure_deleted_column();
  packing_.clear();
  std::vector<PackSink::KeyValue> keys(key_affinity_.size());
  PackSink sink{packing_, key_part_, keys};
  bind_row(sink, record, deleted_at);
  // The key as the table will hold it, so that keys SQLite takes for equal
  // are equal here too: an integer in a TEXT column becomes its digits. A REAL,
  // or a text that a numeric column may turn into a number, is not sorted here.
  char digits[24];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const PackSink::KeyValue& key = keys[i];
    if (key.kind == StagedRows::Kind::Integer) {
      if (key_affinity_[i] == KeyAffinity::Text) {
        const auto end = std::to_chars(digits, digits + sizeof digits, key.n).ptr;
        packing_.key_text(std::string_view(digits, static_cast<std::size_t>(end - digits)));
      } else {
        packing_.key_integer(key.n);
      }
    } else if (key.kind == StagedRows::Kind::Text && key_affinity_[i] != KeyAffinity::Numeric) {
      packing_.key_text(key.text);
    } else {
      return false;
    }
  }
  if (!staged_) {
    std::size_t memory = stage_memory_;
    if (memory == 0) {
      // A quarter of the page cache's size, as SQLite's own sorts took.
      const std::int64_t cache = db_.execAndGet("PRAGMA main.cache_size").getInt64();
      const std::int64_t page = db_.execAndGet("PRAGMA main.page_size").getInt64();
      const std::int64_t bytes = cache < 0 ? -cache * 1024 : cache * page;
      memory = static_cast<std::size_t>(std::clamp<std::int64_t>(bytes / 4, 256 << 10, 1LL << 30));
    }
    staged_ = std::make_unique<StagedRows>(memory, db_.getFilename());
  }
  staged_->add(packing_, record.tombstone);
  if (record.tombstone) ++staged_tombstones_;
  if (in_pass_) mark_seen(record);
  return true;
}

StageCounts TableWriter::apply_stage() {
  StageCounts out;
  if (staged_rows() == 0) return out;
  const std::int64_t staged = staged_rows();

  if (!cache_shared_) {
    // From the first apply on (before it drops an index, which reads every page
    // of it), the writer's page cache keeps a quarter of its size: a sorted
    // apply reads each page about once and needs no large cache, and the staged
    // rows take a quarter of their own. The destructor gives the cache its size back.
    cache_before_ = db_.execAndGet("PRAGMA main.cache_size").getInt64();
    const std::int64_t cache_kib = std::max<std::int64_t>(2048, std::abs(cache_before_) / 4);
    db_.exec("PRAGMA main.cache_size = -" + std::to_string(cache_kib));
    malloc_trim(0);  // the pages the cache gave up go back to the system
    cache_shared_ = true;
  }
  // Many rows against the table: its plain indexes are built again after
  // rather than updated in an order that is random to them.
  std::vector<std::string> rebuild;
  if (staged >= kRebuildIndexesRows && staged * 2 >= estimated_rows()) {
    SQLite::Statement list(db_, std::string(sql::table_indexes));
    list.bind(1, spec_.table);
    std::vector<std::string> names;
    while (list.executeStep()) {
      names.push_back(list.getColumn(0).getString());
      rebuild.push_back(list.getColumn(1).getString());
    }
    for (const std::string& name : names) db_.exec("DROP INDEX " + quote_identifier(name));
  }

  // The module, once per writer: its name is this writer's on the connection.
  if (!scan_) {
    static std::atomic<unsigned> writers{0};
    scan_ = std::make_unique<StageScan>();
    scan_->module = "tsync_staged_" + std::to_string(++writers);
    if (const int rc = sqlite3_create_module_v2(db_.getHandle(), scan_->module.c_str(),
                                                stage_module(), scan_.get(), nullptr);
        rc != SQLITE_OK)
      throw SQLite::Exception(db_.getHandle(), rc);
  }
  std::vector<std::string> names;
  for (const Column& c : columns_) names.push_back(quote_identifier(c.name));
  scan_->rows = staged_.get();
  scan_->columns = columns_.size();
  scan_->declaration = "CREATE TABLE x(" + joined(names, ", ") + ")";
  scan_->failure = nullptr;
  const std::string stage = "temp." + quote_identifier(scan_->module);

  std::int64_t* counts = apply_counts_;
  std::fill(counts, counts + 4, 0);
  if (sqlite3_create_function_v2(db_.getHandle(), "tsync_count", 1, SQLITE_UTF8, counts,
                                 count_rows_of_kind, nullptr, nullptr, nullptr) != SQLITE_OK)
    throw SQLite::Exception(db_.getHandle());
  auto values = upsert_template();
  const std::string deleted =
      deleted_column_ == kOverflow
          ? std::string("0")
          : "(excluded." + quote_identifier(kDeletedColumn) + " IS NOT NULL)";
  values.emplace_back("stage", stage);
  values.emplace_back("conflict_kind", deleted);
  values.emplace_back("update_kind", "2 + " + deleted);
  db_.exec("CREATE VIRTUAL TABLE " + stage + " USING " + quote_identifier(scan_->module));
  try {
    db_.exec(fill_template(sql::apply_stage, values));
  } catch (...) {
    try {
      db_.exec("DROP TABLE IF EXISTS " + stage);
    } catch (...) {
      // The rollback that follows removes it with the transaction.
    }
    if (scan_->failure) std::rethrow_exception(scan_->failure);  // the runs' own error
    throw;
  }
  db_.exec("DROP TABLE " + stage);
  // The temporary file's space goes back before the index builds take theirs,
  // and the staged rows' memory too when there are builds: they sort the whole
  // table, a transaction large enough to call for them comes about once each
  // time the table doubles, and the two peaks would add up (at 10M users, with
  // the memory kept through the builds, a full pass peaked at 97.7 MiB; given
  // back, 87.3 MiB).
  if (rebuild.empty())
    staged_->clear();
  else
    staged_->release();
  for (const std::string& index : rebuild) db_.exec(index);

  const std::int64_t staged_live = staged - staged_tombstones_;
  const std::int64_t conflicts_live = counts[0], conflicts_tombstones = counts[1];
  const std::int64_t updated_live = counts[2], updated_tombstones = counts[3];
  out.inserted = staged_live - conflicts_live;
  out.updated = updated_live;
  out.deleted = (staged_tombstones_ - conflicts_tombstones) + updated_tombstones;
  out.unchanged = (conflicts_live - updated_live) + (conflicts_tombstones - updated_tombstones);
  staged_tombstones_ = 0;
  return out;
}

void TableWriter::discard_stage() {
  if (staged_) staged_->clear();
  staged_tombstones_ = 0;
}
std::int64_t TableWriter::estimated_rows() {
  return db_.execAndGet(fill_template(sql::count_rows, {{"table", quoted_table_}})).getInt64();
}

}  // namespace tsync
