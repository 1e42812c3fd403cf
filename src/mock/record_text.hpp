// SPDX-License-Identifier: Apache-2.0
#pragma once

// The text of a generic endpoint's generated records: keys, cursors, and the
// values of every field kind, each a function of the seed, the record's index
// and its version, so that the same seed and calls give the same bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/record_schema.hpp"
#include "mock/tombstone.hpp"

namespace tsync::mock {

// The state of one generated record; everything served is derived from it.
struct RecordState {
  Instant updated;
  std::uint32_t version = 0;      // bumped by each change
  std::uint32_t fields : 30 = 0;  // how many of the schema's fields it carries
  std::uint32_t state : 2 = kLiveState;
};

// The served instant of a time in milliseconds since 1970: whole seconds for
// UnixSeconds, milliseconds otherwise.
Instant cursor_instant(std::int64_t millis, CursorFormat format);

// The text of `instant` in `format` as the mock serves it, without the quotes of
// a JSON string; also good as a `since` value: "2024-01-15T10:30:00.123Z",
// "1705314600" or "1705314600123".
std::string served_cursor_text(Instant instant, CursorFormat format);

// Writes the records of a schema, which may grow by a field at a time.
class RecordText {
 public:
  // Throws std::invalid_argument when two fields share a name or one is named
  // like a key field or the cursor field.
  RecordText(RecordSchema schema, std::uint64_t seed);

  const RecordSchema& schema() const { return schema_; }
  // Grows the schema by one field; throws std::invalid_argument, changing
  // nothing, when the name is taken.
  void add_field(const FieldSpec& field);

  // Appends the id of record `index`: the UUID's text without quotes, or digits.
  void append_id(std::string& out, std::uint32_t index) const;
  // The account_id of record `index`, for Composite keys.
  std::int64_t account_of(std::uint32_t index) const;
  // The id as RecordStore::remove() returns it: "account_id/id" for Composite keys.
  std::string key_text(std::uint32_t index) const;
  // Appends the JSON object record `index` is served as in `state`: the record,
  // or its tombstone.
  void render(std::string& out, std::uint32_t index, const RecordState& state) const;
  // About how many bytes one record takes, for reserving block space.
  std::size_t typical_bytes() const;

 private:
  // Records the rendered key of `field`, the schema's last; throws when the name is taken.
  void add_name(const FieldSpec& field);
  std::uint64_t uuid_word(std::uint32_t index, std::uint64_t which) const;

  RecordSchema schema_;
  std::uint64_t seed_;
  std::vector<std::string> field_prefixes_;  // `,"name":` of each field
  std::string cursor_prefix_;
};

}  // namespace tsync::mock
