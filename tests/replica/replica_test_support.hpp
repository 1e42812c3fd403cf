// SPDX-License-Identifier: Apache-2.0
// What the replica layer's tests share: reading a replica's file back as the
// sqlite3 shell would, and values to write into it.
#pragma once

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sys/stat.h>

#include "replica/replica.hpp"
#include "support/support.hpp"

namespace {

using Row = std::array<std::optional<std::string>, tsync::test::UserRecord::kColumns>;

inline tsync::Cursor cursor_at(std::string_view text) {
  return tsync::Cursor{std::string(text), tsync::test::instant_of(text)};
}

// A second connection to the file, as the sqlite3 shell would open it.
inline SQLite::Database open_reader(const std::string& path) {
  return SQLite::Database(path, SQLite::OPEN_READONLY);
}

inline std::int64_t count(SQLite::Database& db, const std::string& sql) {
  return db.execAndGet(sql).getInt64();
}

inline std::optional<std::string> column_bytes(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  const char* text = column.getText();
  return std::string(text, static_cast<std::size_t>(column.getBytes()));
}

// The stored row of `id`, every column byte-exact (NULL as nullopt).
inline std::optional<Row> stored_user(SQLite::Database& db, const std::string& id) {
  SQLite::Statement query(db,
                          "SELECT id, name, email, address, company, job, updatedAt, createdAt "
                          "FROM user WHERE id = ?1");
  query.bind(1, id);
  if (!query.executeStep()) return std::nullopt;
  Row row;
  for (std::size_t i = 0; i < tsync::test::UserRecord::kColumns; ++i)
    row[i] = column_bytes(query.getColumn(static_cast<int>(i)));
  return row;
}

inline std::optional<std::string> stored_name(SQLite::Database& db, const std::string& id) {
  const auto row = stored_user(db, id);
  REQUIRE(row.has_value());
  return (*row)[tsync::test::UserRecord::kName];
}

inline Row expected_row(const tsync::test::UserRecord& record) {
  Row row;
  for (std::size_t i = 0; i < tsync::test::UserRecord::kColumns; ++i)
    if (!record.fields[i].null) row[i] = record.fields[i].text;
  return row;
}

inline std::optional<std::string> saved_cursor_text(SQLite::Database& db,
                                                    const std::string& stream) {
  SQLite::Statement query(db, "SELECT last_timestamp FROM _state WHERE stream = ?1");
  query.bind(1, stream);
  if (!query.executeStep()) return std::nullopt;
  return column_bytes(query.getColumn(0));
}

inline unsigned file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// 100 KB holding every byte value, NUL included, in a non-repeating order.
inline std::string big_value(char seed) {
  std::string value(100 * 1024, '\0');
  unsigned x = static_cast<unsigned char>(seed) + 1u;
  for (auto& c : value) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 16);
  }
  return value;
}

inline tsync::TableSpec spec_of(
    std::string table, std::vector<std::pair<std::string, tsync::ColumnType>> columns = {}) {
  tsync::TableSpec spec;
  spec.table = std::move(table);
  spec.columns = std::move(columns);
  return spec;
}

// typeof() and the text of one column of one row.
inline std::pair<std::string, std::string> value_of(SQLite::Database& db, const std::string& table,
                                                    const std::string& column,
                                                    const std::string& id) {
  SQLite::Statement q(db, "SELECT typeof(\"" + column + "\"), CAST(\"" + column +
                              "\" AS TEXT) FROM \"" + table + "\" WHERE id = ?1");
  q.bind(1, id);
  REQUIRE(q.executeStep());
  return {q.getColumn(0).getString(), q.getColumn(1).getString()};
}

}  // namespace
