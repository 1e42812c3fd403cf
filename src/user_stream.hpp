#pragma once

#include <cstdint>
#include <string_view>

#include "user_record.hpp"

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
  virtual void on_record(const UserRecord& record) = 0;
  // A record that cannot be stored: its JSON text exactly as received, and why.
  // Both views are valid only during the call.
  virtual void on_rejected(std::string_view raw, std::string_view reason) = 0;
};

// Parses a body of the shape {"data": [{...}, ...]} as it arrives, in memory
// independent of the body's size, and hands every record to `visitor` as soon as
// its closing brace is read (a half-read record is never handed on).
// Known fields: id, name, email, address, company, job, updatedAt, createdAt;
// others are skipped. A number is kept as its text; an object or array where
// text is expected is kept as its JSON text; null is SQL NULL.
// Throws PermanentError "response body at byte N: ..." for a body that is not
// JSON or not that shape, and TransientError when the body ends in the middle of
// the document. Exceptions from the source or the visitor pass through.
// Returns the number of body bytes read.
std::uint64_t parse_user_stream(ChunkSource& source, RecordVisitor& visitor);

}  // namespace tsync
