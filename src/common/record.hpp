// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace tsync {

// What kind of JSON value a field held.
enum class ValueKind : std::uint8_t {
  Null,
  String,   // text: the string's bytes, unescaped (may hold NUL)
  Integer,  // text: the number as sent, digits with an optional '-'
  Real,     // text: the number as sent, with a fraction or an exponent
  Bool,     // text: "true" or "false"
  Json,     // text: the object or array as compact JSON
};

// One top-level field of a record: its name exactly as sent and its value.
struct FieldValue {
  std::string name;
  ValueKind kind = ValueKind::Null;
  std::string text;
};

// A record ready for the replica: every top-level field in the order sent, the
// cursor field's instant and text, and where the cursor field stands. The
// vector's strings are reused from record to record: `size` says how many of
// `fields` belong to this record.
struct Record {
  std::vector<FieldValue> fields;
  std::size_t size = 0;
  Instant cursor;
  std::string cursor_text;  // the cursor field exactly as the API sent it
  std::size_t cursor_index = 0;
  // Its API marks it deleted (the stream's delete_field): apply it as a delete.
  bool tombstone = false;

  void clear() {
    size = 0;
    tombstone = false;
  }
  // A field slot for the next field, its strings emptied but their capacity kept.
  FieldValue& add() {
    if (size == fields.size()) fields.emplace_back();
    FieldValue& f = fields[size++];
    f.name.clear();
    f.text.clear();
    f.kind = ValueKind::Null;
    return f;
  }
  // The last field named `name`, or nullptr.
  const FieldValue* find(std::string_view name) const {
    for (std::size_t i = size; i-- > 0;)
      if (fields[i].name == name) return &fields[i];
    return nullptr;
  }
  // Copies `other` into this record, reusing this one's strings.
  void assign(const Record& other) {
    size = 0;
    for (std::size_t i = 0; i < other.size; ++i) {
      FieldValue& f = add();
      f.name.assign(other.fields[i].name);
      f.kind = other.fields[i].kind;
      f.text.assign(other.fields[i].text);
    }
    cursor = other.cursor;
    cursor_text.assign(other.cursor_text);
    cursor_index = other.cursor_index;
    tombstone = other.tombstone;
  }
};

}  // namespace tsync
