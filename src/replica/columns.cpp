// SPDX-License-Identifier: Apache-2.0
#include "replica/columns.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace tsync {
namespace {

struct TypeInfo {
  ColumnType type;
  std::string_view name;
  std::string_view sql;
};

constexpr std::array<TypeInfo, 14> kTypes{{
    {ColumnType::Any, "", ""},
    {ColumnType::String, "STRING", "TEXT"},
    {ColumnType::UtcDatetime, "UTC_DATETIME", "TEXT"},
    {ColumnType::NaiveDatetime, "NAIVE_DATETIME", "TEXT"},
    {ColumnType::NaiveDate, "NAIVE_DATE", "TEXT"},
    {ColumnType::Boolean, "BOOLEAN", "INTEGER"},
    {ColumnType::Short, "SHORT", "INTEGER"},
    {ColumnType::Int, "INT", "INTEGER"},
    {ColumnType::Long, "LONG", "INTEGER"},
    {ColumnType::Float, "FLOAT", "REAL"},
    {ColumnType::Double, "DOUBLE", "REAL"},
    // Exact digits: SQLite's NUMERIC affinity would round them to a double.
    {ColumnType::Decimal, "DECIMAL", "TEXT"},
    {ColumnType::Json, "JSON", "TEXT"},
    {ColumnType::Binary, "BINARY", "BLOB"},
}};

const TypeInfo& info(ColumnType type) {
  for (const TypeInfo& t : kTypes)
    if (t.type == type) return t;
  return kTypes[0];
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::optional<ColumnType> column_type_from_name(std::string_view name) {
  for (const TypeInfo& t : kTypes)
    if (!t.name.empty() && t.name == name) return t.type;
  return std::nullopt;
}

std::string_view column_type_name(ColumnType type) { return info(type).name; }

std::string column_type_names() {
  std::string names;
  for (const TypeInfo& t : kTypes) {
    if (t.name.empty()) continue;
    if (!names.empty()) names += ", ";
    names += t.name;
  }
  return names;
}

std::string_view sql_type(ColumnType type) { return info(type).sql; }

std::string quote_identifier(std::string_view name) {
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string joined(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

std::string fill_template(std::string_view sql,
                          const std::vector<std::pair<std::string_view, std::string>>& values) {
  std::string out;
  out.reserve(sql.size());
  std::size_t pos = 0;
  while (pos < sql.size()) {
    const std::size_t open = sql.find('{', pos);
    const std::size_t comment = sql.find("--", pos);
    if (comment < open) {
      // A comment is copied as it is: a placeholder named there is prose.
      const std::size_t line_end = std::min(sql.find('\n', comment), sql.size());
      out.append(sql.substr(pos, line_end - pos));
      pos = line_end;
      continue;
    }
    if (open == std::string_view::npos) {
      out.append(sql.substr(pos));
      break;
    }
    out.append(sql.substr(pos, open - pos));
    const std::size_t close = sql.find('}', open);
    if (close == std::string_view::npos) throw std::logic_error("SQL template: unclosed {");
    const std::string_view key = sql.substr(open + 1, close - open - 1);
    bool found = false;
    for (const auto& [name, value] : values) {
      if (name == key) {
        out.append(value);
        found = true;
        break;
      }
    }
    if (!found) throw std::logic_error("SQL template: no value for {" + std::string(key) + "}");
    pos = close + 1;
  }
  return out;
}

bool same_column_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace tsync
