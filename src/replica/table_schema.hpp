// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/record.hpp"
#include "replica/columns.hpp"

namespace tsync {

// What a stream's table must hold: its name, its primary key, its cursor field
// and the columns the configuration declares (name and type, in order).
struct TableSpec {
  std::string table;
  std::vector<std::string> primary_key{"id"};
  std::string cursor_field = "updatedAt";
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::vector<std::pair<std::string, ColumnType>> columns;
  // A deleted record's row is removed ("on_delete": "hard") rather than marked
  // in _tsync_deleted_at.
  bool hard_delete = false;
};

// The type a table stores `field` with: the declared one, else for the cursor
// field UTC_DATETIME (iso8601) or LONG (epoch formats), else Any.
ColumnType column_type_of(const TableSpec& spec, std::string_view field);

// A stream table's columns: which column holds which field, with what type,
// in the table's order. create_table() makes the table, load() reads it (and
// adds the declared columns and cursor it lacks), column_of() adds a column for
// a field seen for the first time (ALTER TABLE ... ADD COLUMN, in the caller's
// transaction), recording in _columns which column holds it. Past SQLite's
// column limit, further fields go into one JSON object column, _tsync_extra.
// Also makes the SQL whose column list depends on the table.
class TableSchema {
 public:
  // The column of a field kept in _tsync_extra, or of a column not there.
  static constexpr std::size_t kOverflow = static_cast<std::size_t>(-1);
  struct Column {
    std::string name;
    ColumnType type = ColumnType::Any;
  };
  // How SQLite's affinity treats a key column's values.
  enum class KeyAffinity { None, Text, Numeric };

  // `spec` must outlive the schema.
  TableSchema(SQLite::Database& db, const TableSpec& spec);

  void create_table();
  // Reads the columns. Throws Error when the table's primary key is not the spec's.
  void load();
  // The column that holds `field` (kOverflow: in _tsync_extra); a new field
  // gets one, and `added` is set.
  std::size_t column_of(const std::string& field, bool& added) {
    if (const auto it = by_field_.find(field); it != by_field_.end()) return it->second;
    add_column(field, column_type_of(spec_, field));
    added = true;
    return by_field_.at(field);
  }
  // Adds the _tsync_deleted_at column (the caller checks that it is missing).
  void add_deleted_column();

  const std::vector<Column>& columns() const { return columns_; }
  // The column of a field the table holds.
  std::size_t column_index(const std::string& field) const { return by_field_.at(field); }
  // The column of `field` (kOverflow: in _tsync_extra), or nothing when the
  // table has never held it.
  std::optional<std::size_t> find_column(const std::string& field) const {
    const auto it = by_field_.find(field);
    return it == by_field_.end() ? std::nullopt : std::optional<std::size_t>(it->second);
  }
  std::size_t extra_column() const { return extra_column_; }
  std::size_t deleted_column() const { return deleted_column_; }
  std::size_t cursor_column() const { return cursor_column_; }
  // The key columns' affinities, in the key's order.
  const std::vector<KeyAffinity>& key_affinity() const { return key_affinity_; }
  const std::string& quoted_table() const { return quoted_table_; }

  // The values of upsert_row.sql's placeholders for the table's columns now.
  std::vector<std::pair<std::string_view, std::string>> upsert_template() const;
  std::string key_columns() const;  // the quoted primary-key columns, comma-separated
  std::string key_params() const;   // ?1, ?2, ... one per primary-key column
  // s.<key column> = t.<key column> AND ...
  std::string key_match() const;
  // About how many rows the table holds, without scanning it.
  std::int64_t estimated_rows() const;

 private:
  void add_column(const std::string& field, ColumnType type);
  // Records in _columns that `column` holds `field`, declared as `type`.
  void remember_column(const std::string& field, const std::string& column, ColumnType type);

  SQLite::Database& db_;
  const TableSpec& spec_;
  std::string quoted_table_;
  std::size_t max_columns_ = 0;
  std::vector<Column> columns_;
  std::unordered_map<std::string, std::size_t> by_field_;  // column index or kOverflow
  std::size_t extra_column_ = kOverflow;
  std::size_t deleted_column_ = kOverflow;
  std::size_t cursor_column_ = 0;
  std::vector<KeyAffinity> key_affinity_;
};

}  // namespace tsync
