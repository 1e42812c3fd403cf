// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a mock endpoint serves at one moment: records' JSON text rendered once into
// large shared blocks, in serving order, so that responses of any size stream
// from flat memory and a change re-renders only the records it touches.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace tsync::mock {

// Appends `text` to `out` as a JSON string literal, quotes included: `"` and `\`
// are escaped, control characters become \n, \t, ... or \u00XX, every other byte
// (UTF-8 included) is copied unchanged.
void append_json_string(std::string& out, std::string_view text);

// Appends the decimal digits of `value`, zero-padded to `min_width`.
void append_number(std::string& out, std::uint64_t value, int min_width = 1);

// Everything a store serves at one moment, in serving order: sorted by the
// records' cursor instants (ties in the store's own order), a raw record after
// the records of its instant. Immutable once published, so a response that holds
// one streams a consistent body however the store changes meanwhile.
class Catalog {
 public:
  // Where one served record's text lives.
  struct Slot {
    Instant updated;
    std::uint32_t block = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
    std::uint32_t record = 0;  // index of the record in its store, or kRaw
  };
  static constexpr std::uint32_t kRaw = 0xFFFFFFFFu;

  std::size_t size() const { return slots.size(); }
  const Slot& slot(std::size_t i) const { return slots[i]; }
  // The JSON object text of record i, exactly as served.
  std::string_view text(std::size_t i) const {
    const Slot& s = slots[i];
    return std::string_view(*blocks[s.block]).substr(s.offset, s.length);
  }
  // Index of the first record with updated > since (first_after) or >= since
  // (first_not_before); size() when there is none.
  std::size_t first_after(Instant since) const;
  std::size_t first_not_before(Instant since) const;

  // A new catalog sharing this one's blocks that serves every record but those
  // whose index is marked in `replaced` (raw records always stay); the caller
  // appends the replaced records' new slots after them.
  std::shared_ptr<Catalog> without(const std::vector<bool>& replaced,
                                   std::size_t extra_capacity) const;
  // A new catalog with `json_object` served verbatim at `position`, after the
  // records of that instant.
  std::shared_ptr<Catalog> with_raw(std::string_view json_object, Instant position) const;

  // Rendered text, shared between catalogs: a block never changes once published.
  std::vector<std::shared_ptr<const std::string>> blocks;
  // The records in serving order.
  std::vector<Slot> slots;
};

// Renders records into fresh blocks that belong to one new catalog. Records are
// appended by the caller in serving order; close() publishes the last block.
class CatalogWriter {
 public:
  CatalogWriter(Catalog& catalog, std::size_t expected_bytes)
      : catalog_(catalog), expected_(expected_bytes) {}

  // Renders one record with `render(std::string& out)`, which appends its JSON
  // text to `out`, and returns its slot.
  template <typename Render>
  Catalog::Slot add(Instant updated, std::uint32_t record, Render&& render) {
    std::string& block = current();
    const std::size_t start = block.size();
    render(block);
    return finish(start, updated, record);
  }

  // Publishes the last block into the catalog.
  void close();

 private:
  std::string& current();
  Catalog::Slot finish(std::size_t start, Instant updated, std::uint32_t record);

  Catalog& catalog_;
  std::size_t expected_;
  std::string block_;
  bool open_ = false;
};

}  // namespace tsync::mock
