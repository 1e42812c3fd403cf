// SPDX-License-Identifier: Apache-2.0
#include "replica/partitions.hpp"

#include <sqlite3.h>

#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "common/sql_text.hpp"
#include "replica/columns.hpp"
#include "replica/replica_file.hpp"

namespace tsync {
namespace {

// FNV-1a, 64 bits, over each argument's type and bytes.
void row_version(sqlite3_context* context, int argc, sqlite3_value** argv) {
  std::uint64_t hash = 14695981039346656037ULL;
  auto mix = [&](const unsigned char* bytes, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      hash ^= bytes[i];
      hash *= 1099511628211ULL;
    }
  };
  for (int i = 0; i < argc; ++i) {
    const unsigned char type = static_cast<unsigned char>(sqlite3_value_type(argv[i]));
    mix(&type, 1);
    if (type == SQLITE_NULL) continue;
    const unsigned char* text =
        type == SQLITE_BLOB ? static_cast<const unsigned char*>(sqlite3_value_blob(argv[i]))
                            : sqlite3_value_text(argv[i]);
    const auto n = static_cast<std::size_t>(sqlite3_value_bytes(argv[i]));
    const std::uint64_t length = n;
    mix(reinterpret_cast<const unsigned char*>(&length), sizeof length);
    if (text) mix(text, n);
  }
  char hex[17];
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    hex[i] = kDigits[hash & 0xf];
    hash >>= 4;
  }
  hex[16] = '\0';
  sqlite3_result_text(context, hex, 16, SQLITE_TRANSIENT);
}

// `text` as an SQL string literal.
std::string quote_string(const std::string& text) {
  std::string q = "'";
  for (const char c : text) {
    if (c == '\'') q += '\'';
    q += c;
  }
  return q + "'";
}

// A JSON path for json_extract: the keys quoted, "$.\"a\".\"b\"".
std::string json_path(const std::vector<std::string>& keys, std::size_t from) {
  std::string path = "$";
  for (std::size_t i = from; i < keys.size(); ++i) {
    path += ".\"";
    for (const char c : keys[i]) {
      if (c == '"' || c == '\\') path += '\\';
      path += c;
    }
    path += '"';
  }
  return path;
}

std::vector<std::string> split_dots(const std::string& field) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = field.find('.', start);
    parts.push_back(field.substr(start, dot == std::string::npos ? dot : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

FieldValue value_of(SQLite::Column column) {
  FieldValue v;
  switch (column.getType()) {
    case SQLITE_INTEGER:
      v.kind = ValueKind::Integer;
      v.text = column.getString();
      break;
    case SQLITE_FLOAT:
      v.kind = ValueKind::Real;
      v.text = column.getString();
      break;
    case SQLITE_NULL:
      v.kind = ValueKind::Null;
      break;
    default:
      v.kind = ValueKind::String;
      v.text = column.getString();
  }
  return v;
}

}  // namespace

void register_row_version(sqlite3* db) {
  sqlite3_create_function(db, "tsync_row_version", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                          nullptr, &row_version, nullptr, nullptr);
}

std::unordered_map<std::string, SavedPartition> saved_partitions(Replica& replica,
                                                                 const std::string& stream) {
  std::unordered_map<std::string, SavedPartition> out;
  try {
    SQLite::Statement query(replica.db(), sql_string(sql::load_partitions));
    query.bind(1, stream);
    while (query.executeStep()) {
      SavedPartition p;
      if (!query.getColumn(1).isNull()) p.cursor = query.getColumn(1).getString();
      if (!query.getColumn(2).isNull()) p.parent_version = query.getColumn(2).getString();
      out.emplace(query.getColumn(0).getString(), std::move(p));
    }
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(replica.path(), e));
  }
  return out;
}

bool for_each_parent_row(Replica& replica, const std::string& table,
                         const std::vector<std::string>& key_fields,
                         const std::vector<std::string>& fields, const std::string& child,
                         const std::function<void(const ParentRow&)>& each) {
  try {
    SQLite::Database& db = replica.db();
    SQLite::Statement exists(db, "SELECT count(*) FROM pragma_table_info(?1)");
    exists.bind(1, table);
    exists.executeStep();
    if (exists.getColumn(0).getInt() == 0) return false;
    // Which column holds each field of the table (_columns).
    std::unordered_map<std::string, std::string> column_of;
    std::vector<std::string> all;
    bool has_deleted = false;
    {
      SQLite::Statement columns(db, sql_string(sql::load_columns));
      columns.bind(1, table);
      while (columns.executeStep())
        column_of[columns.getColumn(0).getString()] = columns.getColumn(1).getString();
      SQLite::Statement info(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
      info.bind(1, table);
      while (info.executeStep()) {
        const std::string name = info.getColumn(0).getString();
        if (name == kDeletedColumn) {
          has_deleted = true;
          continue;
        }
        all.push_back(quote_identifier(name));
      }
    }
    const bool empty =
        db.execAndGet("SELECT count(*) FROM (SELECT 1 FROM " + quote_identifier(table) +
                      " LIMIT 1)")
            .getInt() == 0;
    // A parent field as SQL: its column, or a path into a JSON column.
    auto expression = [&](const std::string& field) -> std::string {
      if (auto it = column_of.find(field); it != column_of.end())
        return it->second == kExtraColumn
                   ? "json_extract(" + quote_identifier(kExtraColumn) + ", " +
                         quote_string(json_path({field}, 0)) + ")"
                   : quote_identifier(it->second);
      const std::vector<std::string> parts = split_dots(field);
      if (auto it = column_of.find(parts.front()); parts.size() > 1 && it != column_of.end()) {
        if (it->second == kExtraColumn)
          return "json_extract(" + quote_identifier(kExtraColumn) + ", " +
                 quote_string(json_path(parts, 0)) + ")";
        return "json_extract(" + quote_identifier(it->second) + ", " +
               quote_string(json_path(parts, 1)) + ")";
      }
      if (empty) return "NULL";
      throw ConfigError("stream \"" + child + "\": the parent's table " + table +
                        " has no field " + field +
                        " (a placeholder or include_parent names it; the fields it has are "
                        "the columns listed in _columns for " +
                        table + ")");
    };
    std::vector<std::string> key, values;
    for (const std::string& f : key_fields) key.push_back(expression(f));
    for (const std::string& f : fields) values.push_back(expression(f));
    if (values.empty()) values.push_back("NULL");
    SQLite::Statement rows(
        db, fill_template(sql::parent_rows,
                          {{"key", joined(key, ", ")},
                           {"values", joined(values, ", ")},
                           {"all", joined(all, ", ")},
                           {"table", quote_identifier(table)},
                           {"live", has_deleted ? "_tsync_deleted_at IS NULL" : "TRUE"}}));
    ParentRow row;
    row.values.resize(fields.size());
    while (rows.executeStep()) {
      row.key = rows.getColumn(0).getString();
      for (std::size_t i = 0; i < fields.size(); ++i)
        row.values[i] = value_of(rows.getColumn(static_cast<int>(i + 1)));
      row.version = rows.getColumn(static_cast<int>(std::max<std::size_t>(fields.size(), 1) + 1))
                        .getString();
      each(row);
    }
    return true;
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(replica.path(), e));
  }
}

std::optional<PartitionSummary> partition_summary(Replica& replica, const std::string& stream) {
  try {
    SQLite::Database& db = replica.db();
    if (db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = '_partition'").getInt() ==
        0)
      return std::nullopt;
    SQLite::Statement query(db, sql_string(sql::partition_status));
    query.bind(1, stream);
    query.executeStep();
    PartitionSummary s;
    s.partitions = query.getColumn(0).getInt64();
    if (s.partitions == 0) return std::nullopt;
    if (!query.getColumn(1).isNull()) s.oldest_cursor = query.getColumn(1).getString();
    s.failed = query.getColumn(2).getInt64();
    s.not_found = query.getColumn(3).getInt64();
    return s;
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(replica.path(), e));
  }
}

std::int64_t reset_partitions(Replica& replica, const std::string& stream) {
  try {
    SQLite::Statement forget(replica.db(), sql_string(sql::reset_partitions));
    forget.bind(1, stream);
    return forget.exec();
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(replica.path(), e));
  }
}

}  // namespace tsync
