// SPDX-License-Identifier: Apache-2.0
#pragma once

// The body of a data response: which catalog records it serves, written a slice
// at a time from the catalog's pre-rendered text, at a rate and with a fault
// when asked. Memory stays at one slice whatever the body's size.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mock/catalog.hpp"
#include "mock/fault.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// Which catalog records one response serves, and in which order.
struct Selection {
  std::shared_ptr<const Catalog> catalog;
  std::string prefix, suffix;      // the body around the records' array
  std::size_t begin = 0, end = 0;  // a range of the catalog, in serving order...
  std::vector<std::uint32_t>
      indices;  // ...or these catalog indices (then begin 0, end their count)

  std::size_t count() const { return end - begin; }
  std::size_t index(std::size_t k) const { return indices.empty() ? begin + k : indices[k]; }
};

// The exact length of the body for `selection`.
std::size_t body_length(const Selection& s);

// Produces the body of one response a slice at a time, from the catalog's
// pre-rendered text: memory stays at one slice whatever the body's size.
class BodyWriter {
 public:
  explicit BodyWriter(Selection selection) : s_(std::move(selection)) {}

  // Appends up to `limit` more bytes of the body to `out`; false once the body
  // has been produced whole.
  bool next(std::string& out, std::size_t limit);
  std::size_t produced() const { return produced_; }

 private:
  // Pieces: the prefix, then for each record an optional comma and its text,
  // then the suffix.
  std::string_view current_piece() const;
  void advance();

  enum class Stage { Prefix, Comma, Record, Suffix };
  Selection s_;
  Stage stage_ = Stage::Prefix;
  std::size_t record_ = 0;
  std::size_t offset_ = 0;
  std::size_t produced_ = 0;
  bool finished_ = false;
};

// Sets `response` to stream the body of `selection` (as JSON with a charset):
// with Content-Length, or chunked for a DropAfterBytes fault; at most
// `rate_bytes_per_second` when not 0; cut or paused after `fault`'s bytes for
// DropAfterBytes, TruncateBody and Stall. `in_flight` is released once the last
// slice is produced or the connection closes; the stream stops when `stopping`.
void stream_body(httplib::Response& response, Selection selection,
                 std::size_t rate_bytes_per_second, const std::optional<Fault>& fault,
                 std::shared_ptr<void> in_flight, const std::atomic<bool>& stopping);

}  // namespace tsync::mock
