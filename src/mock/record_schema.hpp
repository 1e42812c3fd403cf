// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the records of a generic endpoint look like: their key, their cursor's
// format and their extra fields' kinds, and the names of each on the command
// line and in admin requests.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace tsync::mock {

// The cursor formats tsync reads (timestamp.hpp). The mock serves them as
//   Iso8601:     "2024-01-15T10:30:00.123Z" (a JSON string, milliseconds always shown)
//   UnixSeconds: 1705314600 (a JSON number; instants are whole seconds)
//   UnixMillis:  1705314600123 (a JSON number)
// and reads a `since` value with tsync's parse_cursor.
using tsync::CursorFormat;

// The key fields, first in every record.
//   Uuid:      "id": "3f2a...-..." (a UUID-like string)
//   Integer:   "id": 17 (1, 2, 3, ... in order of creation)
//   Composite: "account_id": 3, "id": 12 (unique only together: ids repeat across accounts)
enum class KeyKind { Uuid, Integer, Composite };

// The JSON type of an extra field's values.
//   String         text of words, now and then with quotes, backslashes, control
//                  characters or non-ASCII letters
//   Integer        64-bit signed, small ones and ones near both limits
//   BigInteger     an integer literal beyond 64 bits, e.g. 18446744073709551617
//   Float          decimal fractions and exponent forms, e.g. 12.5, -0.25, 6.02e+23
//   Bool           true or false
//   Null           always null
//   Object         a nested object (strings, numbers, a nested object, an array)
//   Array          an array of mixed values, sometimes empty
//   NumericString  strings that look like numbers: "05", "1e3", "  7", "-0", "0x1F", ...
enum class FieldKind {
  String,
  Integer,
  BigInteger,
  Float,
  Bool,
  Null,
  Object,
  Array,
  NumericString
};

// The names used on the command line and in admin requests: string, integer,
// bigint, float, bool, null, object, array, numeric_string.
std::string_view field_kind_name(FieldKind kind);
std::optional<FieldKind> field_kind_from_name(std::string_view name);
std::optional<CursorFormat> cursor_format_from_name(std::string_view name);
std::string_view key_kind_name(KeyKind kind);
std::optional<KeyKind> key_kind_from_name(std::string_view name);

// An extra field: its name (any text; escaped as JSON when served) and kind.
struct FieldSpec {
  std::string name;
  FieldKind kind = FieldKind::String;
};

// What the records of one store look like. The served object's keys come in the
// order: key fields, extra fields in declaration order, cursor field.
struct RecordSchema {
  KeyKind key = KeyKind::Uuid;
  std::string cursor_field = "updatedAt";
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::vector<FieldSpec> fields;
};

}  // namespace tsync::mock
