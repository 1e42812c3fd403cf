// SPDX-License-Identifier: Apache-2.0
#include "mock/catalog.hpp"

#include <algorithm>

namespace tsync::mock {
namespace {

// Rendered record text is collected in blocks of about this size.
constexpr std::size_t kBlockSize = 16u << 20;

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escape[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(escape, sizeof escape);
        break;
      }
    }
  }
  out.append(text.substr(plain));
  out.push_back('"');
}

void append_number(std::string& out, std::uint64_t value, int min_width) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 || n < min_width);
  while (n > 0) out.push_back(digits[--n]);
}

std::size_t Catalog::first_after(Instant since) const {
  const auto it = std::partition_point(slots.begin(), slots.end(),
                                       [&](const Slot& s) { return s.updated <= since; });
  return static_cast<std::size_t>(it - slots.begin());
}

std::size_t Catalog::first_not_before(Instant since) const {
  const auto it = std::partition_point(slots.begin(), slots.end(),
                                       [&](const Slot& s) { return s.updated < since; });
  return static_cast<std::size_t>(it - slots.begin());
}

std::shared_ptr<Catalog> Catalog::without(const std::vector<bool>& replaced,
                                          std::size_t extra_capacity) const {
  auto next = std::make_shared<Catalog>();
  next->blocks = blocks;
  next->slots.reserve(slots.size() + extra_capacity);
  for (const Slot& s : slots)
    if (s.record == kRaw || s.record >= replaced.size() || !replaced[s.record])
      next->slots.push_back(s);
  return next;
}

std::shared_ptr<Catalog> Catalog::with_raw(std::string_view json_object, Instant position) const {
  auto next = std::make_shared<Catalog>();
  next->blocks = blocks;
  CatalogWriter writer(*next, json_object.size());
  const Slot slot = writer.add(position, kRaw, [&](std::string& out) { out.append(json_object); });
  writer.close();
  const auto at = static_cast<std::ptrdiff_t>(first_after(position));
  next->slots.reserve(slots.size() + 1);
  next->slots.assign(slots.begin(), slots.begin() + at);
  next->slots.push_back(slot);
  next->slots.insert(next->slots.end(), slots.begin() + at, slots.end());
  return next;
}

void CatalogWriter::close() {
  if (open_) {
    catalog_.blocks.push_back(std::make_shared<const std::string>(std::move(block_)));
    open_ = false;
  }
}

std::string& CatalogWriter::current() {
  if (!open_) {
    block_ = std::string();
    block_.reserve(std::min(expected_, kBlockSize) + 4096);
    open_ = true;
  }
  return block_;
}

Catalog::Slot CatalogWriter::finish(std::size_t start, Instant updated, std::uint32_t record) {
  const std::size_t length = block_.size() - start;
  if (length > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error("mock record text is larger than 4 GiB");
  Catalog::Slot slot;
  slot.updated = updated;
  slot.block = static_cast<std::uint32_t>(catalog_.blocks.size());
  slot.offset = static_cast<std::uint32_t>(start);
  slot.length = static_cast<std::uint32_t>(length);
  slot.record = record;
  expected_ = expected_ > length ? expected_ - length : 0;
  if (block_.size() >= kBlockSize) close();
  return slot;
}

}  // namespace tsync::mock
