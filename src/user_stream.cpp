#include "user_stream.hpp"

#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "errors.hpp"

namespace tsync {
namespace {

// A RapidJSON input stream over a ChunkSource. It can capture the exact bytes of
// a span (one record) even when the span crosses chunks.
class ChunkStream {
 public:
  using Ch = char;

  explicit ChunkStream(ChunkSource& source) : source_(source) {}

  Ch Peek() {
    if (cur_ == end_ && !refill()) return '\0';
    return *cur_;
  }
  Ch Take() {
    if (cur_ == end_ && !refill()) return '\0';
    return *cur_++;
  }
  std::size_t Tell() const { return static_cast<std::size_t>(base_ + (cur_ - begin_)); }

  // Output functions required by the concept; never called on an input stream.
  Ch* PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  std::size_t PutEnd(Ch*) { return 0; }

  // Starts capturing at the byte just taken (the '{' that opens a record).
  void begin_capture() {
    capturing_ = true;
    captured_.clear();
    capture_start_ = cur_ - 1;
  }
  // Ends the capture after the byte just taken and returns the captured bytes.
  std::string_view end_capture() {
    capturing_ = false;
    if (captured_.empty()) return {capture_start_, static_cast<std::size_t>(cur_ - capture_start_)};
    captured_.append(capture_start_, cur_);
    return captured_;
  }

  bool exhausted() const { return exhausted_; }
  // True when every byte of the body has been taken. RapidJSON reads a NUL byte
  // as the end of its input, so a body may look complete before it is.
  bool at_end() { return Peek() == '\0' && exhausted_; }
  std::uint64_t bytes_read() const { return base_ + static_cast<std::uint64_t>(end_ - begin_); }

 private:
  bool refill() {
    if (exhausted_) return false;
    if (capturing_) captured_.append(capture_start_, end_);
    base_ += static_cast<std::uint64_t>(end_ - begin_);
    const std::string_view chunk = source_.next_chunk();
    begin_ = cur_ = chunk.data();
    end_ = begin_ + chunk.size();
    capture_start_ = begin_;
    if (chunk.empty()) {
      exhausted_ = true;
      begin_ = cur_ = end_ = nullptr;
      return false;
    }
    return true;
  }

  ChunkSource& source_;
  const char* begin_ = nullptr;
  const char* cur_ = nullptr;
  const char* end_ = nullptr;
  std::uint64_t base_ = 0;
  bool exhausted_ = false;
  bool capturing_ = false;
  const char* capture_start_ = nullptr;
  std::string captured_;
};

// What kind of JSON value a record field held.
enum class Kind { Absent, Null, String, Number, Bool, Json };

// SAX handler: a small state machine over {"data": [ {record}, ... ]}.
class Handler {
 public:
  Handler(ChunkStream& stream, RecordVisitor& visitor) : stream_(stream), visitor_(visitor) {}

  bool Null() { return scalar(Kind::Null, {}); }
  bool Bool(bool b) { return scalar(Kind::Bool, b ? "true" : "false"); }
  // Numbers arrive as RawNumber (kParseNumbersAsStringsFlag); these are never called.
  bool Int(int) { return true; }
  bool Uint(unsigned) { return true; }
  bool Int64(std::int64_t) { return true; }
  bool Uint64(std::uint64_t) { return true; }
  bool Double(double) { return true; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return scalar(Kind::Number, {s, n});
  }
  bool String(const char* s, rapidjson::SizeType n, bool) { return scalar(Kind::String, {s, n}); }
  bool StartObject() { return open(true); }
  bool EndObject(rapidjson::SizeType) { return close(true); }
  bool StartArray() { return open(false); }
  bool EndArray(rapidjson::SizeType) { return close(false); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return key({s, n}); }

  // The shape error that stopped the parse, if any.
  const std::string& error() const { return error_; }
  std::size_t error_offset() const { return error_offset_; }

 private:
  // Deeper nesting is refused: it would cost stack in the parser and memory here.
  static constexpr int kMaxDepth = 256;

  enum class State { Root, Top, Data, Record, Done };
  enum class Pending { None, Skip, Data, Field };

  bool fail(std::string message) {
    error_ = std::move(message);
    error_offset_ = stream_.Tell();
    return false;
  }

  std::string element() const { return "data[" + std::to_string(index_) + "]"; }

  bool scalar(Kind kind, std::string_view text) {
    if (skip_depth_ > 0) return true;
    if (nest_depth_ > 0) return write_nested(kind, text);
    switch (pending_) {
      case Pending::Skip:
        pending_ = Pending::None;
        return true;
      case Pending::Data:
        return fail("\"data\" is not an array");
      case Pending::Field:
        pending_ = Pending::None;
        kinds_[field_] = kind;
        if (kind == Kind::Null)
          record_.fields[field_].clear();
        else
          record_.fields[field_].set(text);
        return true;
      case Pending::None:
        break;
    }
    if (state_ == State::Data) return fail(element() + " is not an object");
    return fail("the body is not a JSON object (expected {\"data\": [...]})");
  }

  bool open(bool object) {
    if (skip_depth_ + nest_depth_ >= kMaxDepth)
      return fail("values nested more than " + std::to_string(kMaxDepth) + " deep");
    if (skip_depth_ > 0) {
      ++skip_depth_;
      return true;
    }
    if (nest_depth_ > 0) {
      ++nest_depth_;
      return object ? writer_.StartObject() : writer_.StartArray();
    }
    switch (pending_) {
      case Pending::Skip:
        pending_ = Pending::None;
        skip_depth_ = 1;
        return true;
      case Pending::Data:
        pending_ = Pending::None;
        if (object) return fail("\"data\" is not an array");
        state_ = State::Data;
        seen_data_ = true;
        return true;
      case Pending::Field:
        pending_ = Pending::None;
        nest_depth_ = 1;
        nested_.Clear();
        writer_.Reset(nested_);
        return object ? writer_.StartObject() : writer_.StartArray();
      case Pending::None:
        break;
    }
    if (state_ == State::Root) {
      if (!object) return fail("the body is not a JSON object (expected {\"data\": [...]})");
      state_ = State::Top;
      return true;
    }
    if (state_ == State::Data) {
      if (!object) return fail(element() + " is not an object");
      state_ = State::Record;
      kinds_.fill(Kind::Absent);
      for (Field& f : record_.fields) f.clear();
      stream_.begin_capture();
      return true;
    }
    return fail("unexpected value");
  }

  bool close(bool object) {
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    if (nest_depth_ > 0) {
      if (!(object ? writer_.EndObject() : writer_.EndArray()))
        return fail("internal JSON writer error");
      if (--nest_depth_ == 0) {
        kinds_[field_] = Kind::Json;
        record_.fields[field_].set({nested_.GetString(), nested_.GetSize()});
      }
      return true;
    }
    if (state_ == State::Record) {
      const std::string_view raw = stream_.end_capture();
      finish_record(raw);
      state_ = State::Data;
      ++index_;
      return true;
    }
    if (state_ == State::Data) {
      state_ = State::Top;
      return true;
    }
    if (state_ == State::Top) {
      state_ = State::Done;
      if (!seen_data_) return fail("the body has no \"data\" array");
      return true;
    }
    return fail("unexpected end of a value");
  }

  bool key(std::string_view name) {
    if (skip_depth_ > 0) return true;
    if (nest_depth_ > 0)
      return writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    if (state_ == State::Top) {
      pending_ = name == "data" ? Pending::Data : Pending::Skip;
      return true;
    }
    pending_ = Pending::Skip;
    for (std::size_t i = 0; i < UserRecord::kColumns; ++i) {
      if (UserRecord::kNames[i] == name) {
        field_ = i;
        pending_ = Pending::Field;
        break;
      }
    }
    return true;
  }

  bool write_nested(Kind kind, std::string_view text) {
    const auto n = static_cast<rapidjson::SizeType>(text.size());
    switch (kind) {
      case Kind::Null:
        return writer_.Null();
      case Kind::Bool:
        return writer_.Bool(text == "true");
      case Kind::Number:
        return writer_.RawValue(text.data(), n, rapidjson::kNumberType);
      default:
        return writer_.String(text.data(), n);
    }
  }

  static std::string quoted(std::string_view text) {
    constexpr std::size_t kMax = 64;
    std::string q = "\"";
    q.append(text.substr(0, kMax));
    if (text.size() > kMax) q += "...";
    return q + "\"";
  }

  void finish_record(std::string_view raw) {
    using C = UserRecord::Column;
    const Kind id = kinds_[C::kId];
    if (id == Kind::Absent || id == Kind::Null) return visitor_.on_rejected(raw, "no id");
    if (id != Kind::String && id != Kind::Number)
      return visitor_.on_rejected(raw, "id is not a string or a number");
    if (record_[C::kId].text.empty()) return visitor_.on_rejected(raw, "id is empty");

    const Kind updated = kinds_[C::kUpdatedAt];
    if (updated == Kind::Absent || updated == Kind::Null)
      return visitor_.on_rejected(raw, "no updatedAt");
    Field& updated_field = record_[C::kUpdatedAt];
    const auto instant =
        updated == Kind::String ? parse_timestamp(updated_field.text) : std::nullopt;
    if (!instant)
      return visitor_.on_rejected(
          raw, "updatedAt is not an ISO 8601 timestamp: " + quoted(updated_field.text));
    record_.updated = *instant;
    record_.updated_text.swap(updated_field.text);
    updated_field.text.resize(kNormalisedWidth);
    format_utc(*instant, updated_field.text.data());

    Field& created = record_[C::kCreatedAt];
    if (kinds_[C::kCreatedAt] == Kind::String) {
      if (const auto c = parse_timestamp(created.text)) {
        created.text.resize(kNormalisedWidth);
        format_utc(*c, created.text.data());
      }
    }
    visitor_.on_record(record_);
  }

  ChunkStream& stream_;
  RecordVisitor& visitor_;
  State state_ = State::Root;
  Pending pending_ = Pending::None;
  int skip_depth_ = 0;
  int nest_depth_ = 0;
  bool seen_data_ = false;
  std::size_t field_ = 0;
  std::uint64_t index_ = 0;
  std::array<Kind, UserRecord::kColumns> kinds_{};
  UserRecord record_;
  rapidjson::StringBuffer nested_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  std::string error_;
  std::size_t error_offset_ = 0;
};

}  // namespace

std::uint64_t parse_user_stream(ChunkSource& source, RecordVisitor& visitor) {
  ChunkStream stream(source);
  Handler handler(stream, visitor);
  rapidjson::Reader reader;
  // RapidJSON parses recursively; the handler's depth limit bounds the recursion.
  constexpr unsigned kFlags = rapidjson::kParseNumbersAsStringsFlag;
  const rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  if (result.IsError()) {
    if (!handler.error().empty())
      throw PermanentError("response body at byte " + std::to_string(handler.error_offset()) +
                           ": " + handler.error());
    const std::string what = GetParseError_En(result.Code());
    if (stream.exhausted() && result.Offset() >= stream.bytes_read())
      throw TransientError("response body ended early at byte " + std::to_string(result.Offset()) +
                           " (" + what + ")");
    throw PermanentError("response body at byte " + std::to_string(result.Offset()) + ": " + what);
  }
  if (!stream.at_end())
    throw PermanentError("response body at byte " + std::to_string(stream.Tell()) +
                         ": a NUL byte or other data after the JSON document");
  return stream.bytes_read();
}

}  // namespace tsync
