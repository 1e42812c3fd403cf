// libFuzzer target for parse_user_stream: any bytes, fed in chunks whose sizes
// come from the input itself, must either yield records that keep the stream's
// guarantees or end in one of our own errors. A crash, a sanitizer report or a
// broken guarantee (__builtin_trap) is a finding.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "errors.hpp"
#include "timestamp.hpp"
#include "user_stream.hpp"

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

class CheckingVisitor final : public tsync::RecordVisitor {
 public:
  void on_record(const tsync::UserRecord& record) override {
    const auto& id = record[tsync::UserRecord::kId];
    const auto& updated = record[tsync::UserRecord::kUpdatedAt];
    if (id.null || id.text.empty()) __builtin_trap();
    if (updated.null || updated.text.size() != tsync::kNormalisedWidth ||
        updated.text.back() != 'Z') {
      __builtin_trap();
    }
    const auto reparsed = tsync::parse_timestamp(record.updated_text);
    if (!reparsed || *reparsed != record.updated) __builtin_trap();
    if (tsync::format_utc(record.updated) != updated.text) __builtin_trap();
  }
  void on_rejected(std::string_view raw, std::string_view reason) override {
    if (raw.empty() || reason.empty()) __builtin_trap();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte says how many of the next bytes are chunk sizes (0 to 7);
  // with none, the body comes in one chunk.
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view sizes;
  if (!input.empty()) {
    const std::size_t count = static_cast<unsigned char>(input[0]) % 8;
    input.remove_prefix(1);
    const std::size_t taken = count < input.size() ? count : input.size();
    sizes = input.substr(0, taken);
    input.remove_prefix(taken);
  }
  FuzzSource source(input, sizes);
  CheckingVisitor visitor;
  try {
    const auto read = tsync::parse_user_stream(source, visitor);
    if (read != input.size()) __builtin_trap();
  } catch (const tsync::Error&) {
    // A clear error for bad input is the expected outcome.
  }
  return 0;
}
