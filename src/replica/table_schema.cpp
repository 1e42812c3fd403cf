// SPDX-License-Identifier: Apache-2.0
#include "replica/table_schema.hpp"

#include <sqlite3.h>
#include <algorithm>

#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "common/sql_text.hpp"

namespace tsync {
namespace {

// Columns kept free below SQLite's limit for tsync's own bookkeeping columns.
constexpr std::size_t kReservedColumns = 8;

}  // namespace

ColumnType column_type_of(const TableSpec& spec, std::string_view field) {
  for (const auto& [name, type] : spec.columns)
    if (name == field) return type;
  if (field == spec.cursor_field)
    return spec.cursor_format == CursorFormat::Iso8601 ? ColumnType::UtcDatetime : ColumnType::Long;
  return ColumnType::Any;
}

TableSchema::TableSchema(SQLite::Database& db, const TableSpec& spec)
    : db_(db), spec_(spec), quoted_table_(quote_identifier(spec_.table)) {
  const int limit = sqlite3_limit(db_.getHandle(), SQLITE_LIMIT_COLUMN, -1);
  max_columns_ = static_cast<std::size_t>(limit) > kReservedColumns + 16
                     ? static_cast<std::size_t>(limit) - kReservedColumns
                     : static_cast<std::size_t>(limit);
}

void TableSchema::remember_column(const std::string& field, const std::string& column,
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

void TableSchema::create_table() {
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
    // tsync's own cursor column of a change feed keeps its reserved name.
    std::string name = field == kReadAtColumn && field == spec_.cursor_field
                           ? field
                           : column_name_for(field, taken);
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

void TableSchema::load() {
  columns_.clear();
  by_field_.clear();
  extra_column_ = kOverflow;
  deleted_column_ = kOverflow;

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
            has("INT")                                  ? KeyAffinity::Numeric
            : has("CHAR") || has("CLOB") || has("TEXT") ? KeyAffinity::Text
            : type.empty() || has("BLOB")               ? KeyAffinity::None
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
}

void TableSchema::add_column(const std::string& field, ColumnType type) {
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

std::vector<std::pair<std::string_view, std::string>> TableSchema::upsert_template() const {
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

void TableSchema::add_deleted_column() {
  db_.exec(fill_template(
      sql::add_column,
      {{"table", quoted_table_}, {"column", quote_identifier(kDeletedColumn) + " TEXT"}}));
  deleted_column_ = columns_.size();
  columns_.push_back({std::string(kDeletedColumn), ColumnType::String});
}

std::string TableSchema::key_columns() const {
  std::vector<std::string> key;
  for (const std::string& field : spec_.primary_key)
    key.push_back(quote_identifier(columns_[by_field_.at(field)].name));
  return joined(key, ", ");
}

std::string TableSchema::key_params() const {
  std::vector<std::string> params;
  for (std::size_t i = 1; i <= spec_.primary_key.size(); ++i)
    params.push_back("?" + std::to_string(i));
  return joined(params, ", ");
}

std::string TableSchema::key_match() const {
  std::string match;
  for (const std::string& field : spec_.primary_key) {
    const std::string q = quote_identifier(columns_[by_field_.at(field)].name);
    match += (match.empty() ? "" : " AND ") + std::string("s.") + q + " = t." + q;
  }
  return match;
}

std::int64_t TableSchema::estimated_rows() const {
  return db_.execAndGet(fill_template(sql::count_rows, {{"table", quoted_table_}})).getInt64();
}

}  // namespace tsync
