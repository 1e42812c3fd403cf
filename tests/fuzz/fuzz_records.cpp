// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for parse_records: any bytes, fed in chunks whose sizes come
// from the input itself, read as one of four record shapes (the seed's
// {"data": [...]}, a bare array, a nested records path with a composite key and
// a unix_millis cursor, "results" with a unix_seconds cursor), must either yield
// records that keep the parser's guarantees or end in one of our own errors. A crash, a sanitizer
// report or a broken guarantee (__builtin_trap) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "source/records.hpp"

namespace {

// Hands out the body in chunks of 1 to 64 bytes, sizes drawn from `sizes` in turn.
class FuzzSource final : public tsync::ChunkSource {
 public:
  FuzzSource(std::string_view body, std::string_view sizes) : body_(body), sizes_(sizes) {}

  std::string_view next_chunk() override {
    if (body_.empty()) return {};
    std::size_t size = body_.size();
    if (!sizes_.empty()) {
      size = 1 + static_cast<unsigned char>(sizes_[turn_++ % sizes_.size()]) % 64;
    }
    if (size > body_.size()) size = body_.size();
    const auto chunk = body_.substr(0, size);
    body_.remove_prefix(size);
    return chunk;
  }

 private:
  std::string_view body_;
  std::string_view sizes_;
  std::size_t turn_ = 0;
};

// The shapes the first byte chooses from.
tsync::RecordShape shape_number(unsigned n) {
  tsync::RecordShape shape;
  switch (n % 4) {
    case 1:
      shape.records_path = {};
      break;
    case 2:
      shape.records_path = {"result", "items"};
      shape.primary_key = {"account_id", "id"};
      shape.cursor_field = "updated_at";
      shape.cursor_format = tsync::CursorFormat::UnixMillis;
      break;
    case 3:
      shape.records_path = {"results"};
      shape.cursor_field = "ts";
      shape.cursor_format = tsync::CursorFormat::UnixSeconds;
      break;
    default:
      break;
  }
  return shape;
}

class CheckingVisitor final : public tsync::RecordVisitor {
 public:
  explicit CheckingVisitor(const tsync::RecordShape& shape) : shape_(shape) {}

  void on_record(const tsync::Record& record) override {
    if (record.size == 0 || record.size > record.fields.size()) __builtin_trap();
    for (const std::string& key : shape_.primary_key) {
      const tsync::FieldValue* f = record.find(key);
      if (!f || f->text.empty()) __builtin_trap();
      if (f->kind != tsync::ValueKind::String && f->kind != tsync::ValueKind::Integer &&
          f->kind != tsync::ValueKind::Real)
        __builtin_trap();
    }
    if (record.cursor_index >= record.size) __builtin_trap();
    const tsync::FieldValue& cursor = record.fields[record.cursor_index];
    if (cursor.name != shape_.cursor_field || cursor.text != record.cursor_text) __builtin_trap();
    const auto reparsed = tsync::parse_cursor(shape_.cursor_format, record.cursor_text);
    if (!reparsed || *reparsed != record.cursor) __builtin_trap();
    for (std::size_t i = 0; i < record.size; ++i) {
      const tsync::FieldValue& f = record.fields[i];
      if (f.kind == tsync::ValueKind::Null && !f.text.empty()) __builtin_trap();
      if (f.kind == tsync::ValueKind::Bool && f.text != "true" && f.text != "false")
        __builtin_trap();
    }
  }
  void on_rejected(std::string_view raw, std::string_view reason) override {
    if (raw.empty() || reason.empty() || raw.front() != '{' || raw.back() != '}') __builtin_trap();
  }

 private:
  const tsync::RecordShape& shape_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte's low three bits say how many of the next bytes are chunk
  // sizes (0 to 7; with none, the body comes in one chunk), its next two bits
  // the shape (a '{' there gives the seed's).
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view sizes;
  unsigned shape_choice = 0;
  if (!input.empty()) {
    const auto first = static_cast<unsigned char>(input[0]);
    shape_choice = (first >> 3) + 1;
    const std::size_t count = first % 8;
    input.remove_prefix(1);
    const std::size_t taken = count < input.size() ? count : input.size();
    sizes = input.substr(0, taken);
    input.remove_prefix(taken);
  }
  FuzzSource source(input, sizes);
  const tsync::RecordShape shape = shape_number(shape_choice);
  CheckingVisitor visitor(shape);
  try {
    const auto read = tsync::parse_records(source, shape, visitor);
    if (read != input.size()) __builtin_trap();
  } catch (const tsync::Error&) {
    // A clear error for bad input is the expected outcome.
  }
  return 0;
}
