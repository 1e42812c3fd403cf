// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsync {

// The type of a column: declared in the configuration with the Fivetran type
// names, or Any for a field the configuration does not declare (its values are
// stored exactly as the API sent them).
enum class ColumnType {
  Any,
  String,
  UtcDatetime,
  NaiveDatetime,
  NaiveDate,
  Boolean,
  Short,
  Int,
  Long,
  Float,
  Double,
  Decimal,
  Json,
  Binary,
};

// "STRING" -> String, ...; nothing for a name that is not one of the thirteen.
std::optional<ColumnType> column_type_from_name(std::string_view name);
// String -> "STRING"; Any -> "" (undeclared).
std::string_view column_type_name(ColumnType type);
// The names column_type_from_name accepts, comma-separated, for messages.
std::string column_type_names();
// The column's declared SQL type, which gives it SQLite's affinity: TEXT, INTEGER,
// REAL, BLOB, or "" (no affinity) for Any.
std::string_view sql_type(ColumnType type);

// `name` as an SQL identifier: in double quotes, every double quote doubled.
// The only place that quotes a name; every table and column name in SQL built
// by tsync passes through it.
std::string quote_identifier(std::string_view name);

// Fills the {placeholders} of an SQL template from sql/*.sql with the given texts
// (already quoted identifiers or lists of them); "--" comments are copied
// unfilled. Throws std::logic_error for a placeholder it was not given.
std::string fill_template(std::string_view sql,
                          const std::vector<std::pair<std::string_view, std::string>>& values);

// The parts one after another, `separator` between each two: a list of
// quoted names or SQL terms for a template.
std::string joined(const std::vector<std::string>& parts, std::string_view separator);

// True when SQLite takes `a` and `b` for the same column name: equal but for the
// case of ASCII letters.
bool same_column_name(std::string_view a, std::string_view b);

// Names that tsync keeps for its own columns in a replicated table, and the
// column that holds, as one JSON object, the fields beyond SQLite's column limit.
inline constexpr std::string_view kReservedPrefix = "_tsync_";
inline constexpr std::string_view kExtraColumn = "_tsync_extra";
// The column that says when a row was deleted at its API (NULL: live).
inline constexpr std::string_view kDeletedColumn = "_tsync_deleted_at";
// The cursor column of a change feed whose records have no time of their own:
// when tsync read the record (a field tsync adds, so it keeps its name).
inline constexpr std::string_view kReadAtColumn = "_tsync_read_at";

// The column name for a field seen for the first time. A field keeps its own
// name as its column name, except where SQLite cannot hold it as it is:
//  - a NUL byte (which SQL text cannot carry) becomes the six characters \u0000;
//  - a name that SQLite would take for an existing column (`taken` says so:
//    the same but for ASCII case, like "Name" beside "name"), or that starts
//    with "_tsync_" in any case, gets "~2", "~3", ... appended: the first free.
template <typename Taken>
std::string column_name_for(std::string_view field, Taken&& taken) {
  std::string base;
  for (const char c : field) {
    if (c == '\0')
      base += "\\u0000";
    else
      base += c;
  }
  const bool reserved = base.size() >= kReservedPrefix.size() &&
                        same_column_name(base.substr(0, kReservedPrefix.size()), kReservedPrefix);
  if (!reserved && !taken(base)) return base;
  for (int n = 2;; ++n) {
    std::string candidate = base + "~" + std::to_string(n);
    if (!taken(candidate)) return candidate;
  }
}

}  // namespace tsync
