// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

#include <string>
#include <vector>

#include "common/record.hpp"

namespace tsync {

// Where response body bytes come from, a chunk at a time. A chunk stays valid
// until the next call; an empty chunk means the body is complete. Transport
// faults are thrown from next_chunk().
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  virtual std::string_view next_chunk() = 0;
};

// Receives the records of a body in the order they appear.
class RecordVisitor {
 public:
  virtual ~RecordVisitor() = default;
  // A record ready to store; valid only during the call.
  virtual void on_record(const Record& record) = 0;
  // A record that cannot be stored: its JSON text exactly as received, and why.
  // Both views are valid only during the call.
  virtual void on_rejected(std::string_view raw, std::string_view reason) = 0;
  // A record that cannot be stored although its primary key is usable (its
  // cursor value is not): a full pass must not take its row for deleted. By
  // default the same as on_rejected(raw, reason). `record` holds its fields;
  // its cursor is unset.
  virtual void on_rejected_with_key(const Record& /*record*/, std::string_view raw,
                                    std::string_view reason) {
    on_rejected(raw, reason);
  }
  // The value at RecordShape::capture[index], outside the records: a scalar
  // as in Record (a string unescaped, a number as its text), an object or
  // array as kind Json with empty text. Called once per occurrence.
  virtual void on_value(std::size_t /*index*/, const FieldValue& /*value*/) {}
};

// Where a stream's records sit in a response body and what every record must have.
struct RecordShape {
  // Keys leading from the body to the array of records: {"data": [...]} is
  // {"data"}, {"result": {"items": [...]}} is {"result", "items"}; empty when
  // the body itself is the array.
  std::vector<std::string> records_path{"data"};
  std::string cursor_field = "updatedAt";
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::vector<std::string> primary_key{"id"};
  // A field by which the API marks a record deleted ("deleted", "deletedAt");
  // empty for none. See is_tombstone().
  std::string delete_field;
  // Paths from the body's root to values outside the records that the visitor
  // wants (a next page's token, has_more, a total): {"paging", "next",
  // "after"}. Each is reported with RecordVisitor::on_value.
  std::vector<std::vector<std::string>> capture;
  // Fields added to every record after its own, before its key and cursor are
  // read: a child stream's columns from its parent. A record that already has
  // a field of one of these names is rejected, its own value kept in _rejected.
  std::vector<FieldValue> added;
  // A change feed's marks of removal: with delete_present, a delete_field
  // that is there and neither null nor false ("@removed": {...}); with
  // delete_values, a delete_field whose text is one of them ("status":
  // "cancelled"). Otherwise is_tombstone() decides.
  bool delete_present = false;
  std::vector<std::string> delete_values;
};

// True when `value` of a stream's delete_field marks its record deleted: true,
// a timestamp (ISO 8601 text), or a number (an epoch time). false, null, an
// empty string or any other text leave the record live.
bool is_tombstone(const FieldValue& value);

// Parses a body of `shape` as it arrives, in memory independent of the body's
// size, and hands every record to `visitor` as soon as its closing brace is read
// (a half-read record is never handed on). Every top-level field of a record is
// handed on, in the order sent: a string unescaped, a number as its text, an
// object or array as its compact JSON text. A record whose primary-key field is
// missing, null, not a string or number, or an empty string, or whose cursor
// field is missing or not a value of the cursor format, is handed to
// on_rejected with its exact text and the reason.
// Throws PermanentError "response body at byte N: ..." for a body that is not
// JSON or not that shape, and TransientError when the body ends in the middle of
// the document. Exceptions from the source or the visitor pass through.
// Returns the number of body bytes read.
std::uint64_t parse_records(ChunkSource& source, const RecordShape& shape, RecordVisitor& visitor);

}  // namespace tsync
