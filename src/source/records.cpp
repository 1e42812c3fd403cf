// SPDX-License-Identifier: Apache-2.0
#include "source/records.hpp"

#include <algorithm>
#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"

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

// The shape a body was expected to have, for messages: {"data": [...]}.
std::string describe_shape(const std::vector<std::string>& path) {
  std::string text = "[...]";
  for (std::size_t i = path.size(); i-- > 0;) text = "{\"" + path[i] + "\": " + text + "}";
  return text;
}

// "result.items" for {"result", "items"}.
std::string dotted(const std::vector<std::string>& path) {
  std::string text;
  for (const std::string& key : path) text += (text.empty() ? "" : ".") + key;
  return text;
}

// The record at `index` of the records at `path`, for messages: data[3].
std::string element_name(const std::vector<std::string>& path, std::uint64_t index) {
  if (path.empty()) return "element " + std::to_string(index) + " of the body";
  return path.back() + "[" + std::to_string(index) + "]";
}

// " (expected {...})" where the records path is deeper than one key.
std::string expected_deeper(const std::vector<std::string>& path) {
  return path.size() > 1 ? " (expected " + describe_shape(path) + ")" : std::string();
}

// A value in a message: quoted, cut after 64 bytes.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 64;
  std::string q = "\"";
  q.append(text.substr(0, kMax));
  if (text.size() > kMax) q += "...";
  return q + "\"";
}

// Checks a record read whole against the stream's shape and hands it to the
// visitor: rejected without a usable key or cursor, else with its cursor and
// tombstone flag set.
void finish_record(Record& record, std::string_view raw, const RecordShape& shape,
                   RecordVisitor& visitor) {
  for (const FieldValue& added : shape.added) {
    if (record.find(added.name))
      return visitor.on_rejected(raw, "the record has a field " + added.name +
                                          ", which is also a column copied from the parent "
                                          "(rename it in the stream's include_parent)");
    FieldValue& f = record.add();
    f.name.assign(added.name);
    f.kind = added.kind;
    f.text.assign(added.text);
  }
  for (const std::string& key : shape.primary_key) {
    const FieldValue* f = record.find(key);
    if (!f || f->kind == ValueKind::Null) return visitor.on_rejected(raw, "no " + key);
    if (f->kind != ValueKind::String && f->kind != ValueKind::Integer && f->kind != ValueKind::Real)
      return visitor.on_rejected(raw, key + " is not a string or a number");
    if (f->text.empty()) return visitor.on_rejected(raw, key + " is empty");
  }
  const FieldValue* cursor = record.find(shape.cursor_field);
  if (!cursor || cursor->kind == ValueKind::Null)
    return visitor.on_rejected_with_key(record, raw, "no " + shape.cursor_field);
  const bool iso = shape.cursor_format == CursorFormat::Iso8601;
  const bool fits = iso ? cursor->kind == ValueKind::String
                        : cursor->kind != ValueKind::Bool && cursor->kind != ValueKind::Json;
  const auto instant = fits ? parse_cursor(shape.cursor_format, cursor->text) : std::nullopt;
  if (!instant) {
    const std::string what =
        iso ? "an ISO 8601 timestamp"
            : "a " + std::string(cursor_format_name(shape.cursor_format)) + " number";
    return visitor.on_rejected_with_key(
        record, raw, shape.cursor_field + " is not " + what + ": " + quoted(cursor->text));
  }
  record.cursor = *instant;
  record.cursor_text.assign(cursor->text);
  record.cursor_index = static_cast<std::size_t>(cursor - record.fields.data());
  if (!shape.delete_field.empty()) {
    const FieldValue* deleted = record.find(shape.delete_field);
    if (!deleted)
      record.tombstone = false;
    else if (shape.delete_present)
      record.tombstone = deleted->kind != ValueKind::Null &&
                         !(deleted->kind == ValueKind::Bool && deleted->text == "false");
    else if (!shape.delete_values.empty())
      record.tombstone = deleted->kind == ValueKind::String &&
                         std::find(shape.delete_values.begin(), shape.delete_values.end(),
                                   deleted->text) != shape.delete_values.end();
    else
      record.tombstone = is_tombstone(*deleted);
  }
  visitor.on_record(record);
}

// A field's nested object or array, written back as compact JSON text.
class NestedJson {
 public:
  // How deep inside the value the parse is; 0: outside one.
  int depth() const { return depth_; }
  // Starts the value of a field.
  bool start(bool object) {
    depth_ = 1;
    text_.Clear();
    writer_.Reset(text_);
    return object ? writer_.StartObject() : writer_.StartArray();
  }
  bool open(bool object) {
    ++depth_;
    return object ? writer_.StartObject() : writer_.StartArray();
  }
  // False when the writer refuses, which leaves the depth as it was.
  bool close(bool object) {
    if (!(object ? writer_.EndObject() : writer_.EndArray())) return false;
    --depth_;
    return true;
  }
  bool key(std::string_view name) {
    return writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
  }
  bool scalar(ValueKind kind, std::string_view text) {
    const auto n = static_cast<rapidjson::SizeType>(text.size());
    switch (kind) {
      case ValueKind::Null:
        return writer_.Null();
      case ValueKind::Bool:
        return writer_.Bool(text == "true");
      case ValueKind::Integer:
      case ValueKind::Real:
        return writer_.RawValue(text.data(), n, rapidjson::kNumberType);
      default:
        return writer_.String(text.data(), n);
    }
  }
  // The value's text, once depth() is back to 0.
  const char* text() const { return text_.GetString(); }
  std::size_t size() const { return text_.GetSize(); }

 private:
  int depth_ = 0;
  rapidjson::StringBuffer text_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

// After a key outside the records: Records, the records array; Descend, an
// object on the way to the records or a captured value; Capture, a captured
// value; Skip, any other value. Field: after a key in a record.
enum class Pending { None, Skip, Records, Descend, Capture, Field };

// The way through the body's objects to the records array and to the values
// captured on the way (RecordShape::records_path and capture): which outer
// objects the parse is in, and where a key in the innermost one leads.
class BodyPath {
 public:
  explicit BodyPath(const RecordShape& shape) : shape_(shape) {}

  // Where the value of key `name` in the current outer object leads.
  Pending after_key(std::string_view name) {
    Pending pending = Pending::Skip;
    descend_records_ = false;
    if (continues(shape_.records_path, name)) {
      descend_records_ = true;
      pending =
          outer_.size() + 1 == shape_.records_path.size() ? Pending::Records : Pending::Descend;
    }
    for (std::size_t i = 0; i < shape_.capture.size() && pending != Pending::Records; ++i) {
      if (!continues(shape_.capture[i], name)) continue;
      if (shape_.capture[i].size() == outer_.size() + 1 && !descend_records_) {
        pending = Pending::Capture;
        capture_index_ = i;
        break;
      }
      pending = Pending::Descend;
    }
    if (pending == Pending::Descend) pending_key_.assign(name.data(), name.size());
    return pending;
  }
  // The pending Descend is on the records path (not only a captured value's).
  bool descend_records() const { return descend_records_; }
  // The capture (an index into RecordShape::capture) of a pending Capture.
  std::size_t capture_index() const { return capture_index_; }
  // Enters the object of the pending Descend.
  void enter() { outer_.push_back(std::move(pending_key_)); }
  // Leaves the innermost outer object; false when the parse is in none.
  bool leave() {
    if (outer_.empty()) return false;
    outer_.pop_back();
    return true;
  }
  // What is wrong with a value on the records path that is not an object
  // (or, last, not an array).
  std::string wrong_value() const {
    const std::size_t level = outer_.size();
    const bool last = level + 1 == shape_.records_path.size();
    return "\"" + shape_.records_path[level] + "\" is not " + (last ? "an array" : "an object") +
           expected_deeper(shape_.records_path);
  }

 private:
  // True when `path` goes through the current outer object and then `name`.
  bool continues(const std::vector<std::string>& path, std::string_view name) const {
    const std::size_t d = outer_.size();
    return path.size() > d && std::equal(outer_.begin(), outer_.end(), path.begin()) &&
           path[d] == name;
  }

  const RecordShape& shape_;
  std::vector<std::string> outer_;  // keys of the outer objects entered
  std::string pending_key_;
  bool descend_records_ = false;  // the pending Descend is on the records path
  std::size_t capture_index_ = 0;
};

// SAX handler: a small state machine over the records path and the records.
class Handler {
 public:
  Handler(ChunkStream& stream, const RecordShape& shape, RecordVisitor& visitor)
      : stream_(stream), shape_(shape), visitor_(visitor), path_(shape) {}

  bool Null() { return scalar(ValueKind::Null, {}); }
  bool Bool(bool b) { return scalar(ValueKind::Bool, b ? "true" : "false"); }
  // Numbers arrive as RawNumber (kParseNumbersAsStringsFlag); these are never called.
  bool Int(int) { return true; }
  bool Uint(unsigned) { return true; }
  bool Int64(std::int64_t) { return true; }
  bool Uint64(std::uint64_t) { return true; }
  bool Double(double) { return true; }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view text(s, n);
    const bool integer = text.find_first_of(".eE") == std::string_view::npos;
    return scalar(integer ? ValueKind::Integer : ValueKind::Real, text);
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    return scalar(ValueKind::String, {s, n});
  }
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

  // Path: inside an object outside the records (BodyPath says which).
  enum class State { Root, Path, Records, Record, Done };

  bool fail(std::string message) {
    error_ = std::move(message);
    error_offset_ = stream_.Tell();
    return false;
  }

  std::string element() const { return element_name(shape_.records_path, index_); }
  std::string expected_deep() const { return expected_deeper(shape_.records_path); }
  bool wrong_body() {
    return fail(std::string("the body is not a JSON ") +
                (shape_.records_path.empty() ? "array" : "object") + " (expected " +
                describe_shape(shape_.records_path) + ")");
  }
  bool wrong_path_value() { return fail(path_.wrong_value()); }

  void captured(ValueKind kind, std::string_view text) {
    value_.kind = kind;
    value_.text.assign(text.data(), text.size());
    visitor_.on_value(path_.capture_index(), value_);
  }

  // The transitions, one per kind of event (defined below the class).
  bool scalar(ValueKind kind, std::string_view text);
  bool open(bool object);
  bool close(bool object);
  bool key(std::string_view name);

  ChunkStream& stream_;
  const RecordShape& shape_;
  RecordVisitor& visitor_;
  State state_ = State::Root;
  Pending pending_ = Pending::None;
  BodyPath path_;
  FieldValue value_;
  int skip_depth_ = 0;
  bool seen_records_ = false;
  std::uint64_t index_ = 0;
  Record record_;
  NestedJson nested_;
  std::string error_;
  std::size_t error_offset_ = 0;
};

// The transitions of the state machine, one per kind of SAX event: a scalar,
// the start and the end of an object or array, a key.
inline bool Handler::scalar(ValueKind kind, std::string_view text) {
  if (skip_depth_ > 0) return true;
  if (nested_.depth() > 0) return nested_.scalar(kind, text);
  switch (pending_) {
    case Pending::Skip:
      pending_ = Pending::None;
      return true;
    case Pending::Records:
      return wrong_path_value();
    case Pending::Descend:
      pending_ = Pending::None;
      return path_.descend_records() ? wrong_path_value() : true;
    case Pending::Capture:
      pending_ = Pending::None;
      captured(kind, text);
      return true;
    case Pending::Field: {
      pending_ = Pending::None;
      FieldValue& field = record_.fields[record_.size - 1];
      field.kind = kind;
      field.text.assign(text.data(), text.size());
      return true;
    }
    case Pending::None:
      break;
  }
  if (state_ == State::Records) return fail(element() + " is not an object");
  return wrong_body();
}

inline bool Handler::open(bool object) {
  if (skip_depth_ + nested_.depth() >= kMaxDepth)
    return fail("values nested more than " + std::to_string(kMaxDepth) + " deep");
  if (skip_depth_ > 0) {
    ++skip_depth_;
    return true;
  }
  if (nested_.depth() > 0) return nested_.open(object);
  switch (pending_) {
    case Pending::Skip:
      pending_ = Pending::None;
      skip_depth_ = 1;
      return true;
    case Pending::Records:
      pending_ = Pending::None;
      if (object) return wrong_path_value();
      state_ = State::Records;
      seen_records_ = true;
      return true;
    case Pending::Descend:
      pending_ = Pending::None;
      if (!object) {
        if (path_.descend_records()) return wrong_path_value();
        skip_depth_ = 1;
        return true;
      }
      path_.enter();
      return true;
    case Pending::Capture:
      pending_ = Pending::None;
      captured(ValueKind::Json, {});
      skip_depth_ = 1;
      return true;
    case Pending::Field:
      pending_ = Pending::None;
      return nested_.start(object);
    case Pending::None:
      break;
  }
  if (state_ == State::Root) {
    if (shape_.records_path.empty()) {
      if (object) return wrong_body();
      state_ = State::Records;
      seen_records_ = true;
      return true;
    }
    if (!object) return wrong_body();
    state_ = State::Path;
    return true;
  }
  if (state_ == State::Records) {
    if (!object) return fail(element() + " is not an object");
    state_ = State::Record;
    record_.clear();
    stream_.begin_capture();
    return true;
  }
  return fail("unexpected value");
}

inline bool Handler::close(bool object) {
  if (skip_depth_ > 0) {
    --skip_depth_;
    return true;
  }
  if (nested_.depth() > 0) {
    if (!nested_.close(object)) return fail("internal JSON writer error");
    if (nested_.depth() == 0) {
      FieldValue& field = record_.fields[record_.size - 1];
      field.kind = ValueKind::Json;
      field.text.assign(nested_.text(), nested_.size());
    }
    return true;
  }
  switch (state_) {
    case State::Record:
      finish_record(record_, stream_.end_capture(), shape_, visitor_);
      state_ = State::Records;
      ++index_;
      return true;
    case State::Records:
      state_ = shape_.records_path.empty() ? State::Done : State::Path;
      return true;
    case State::Path:
      if (path_.leave()) return true;
      state_ = State::Done;
      if (!seen_records_)
        return fail("the body has no \"" + dotted(shape_.records_path) + "\" array" +
                    expected_deep());
      return true;
    default:
      return fail("unexpected end of a value");
  }
}

inline bool Handler::key(std::string_view name) {
  if (skip_depth_ > 0) return true;
  if (nested_.depth() > 0) return nested_.key(name);
  if (state_ == State::Path) {
    pending_ = path_.after_key(name);
    return true;
  }
  FieldValue& field = record_.add();
  field.name.assign(name.data(), name.size());
  pending_ = Pending::Field;
  return true;
}

}  // namespace

bool is_tombstone(const FieldValue& value) {
  switch (value.kind) {
    case ValueKind::Bool:
      return value.text == "true";
    case ValueKind::Integer:
    case ValueKind::Real:
      return true;
    case ValueKind::String:
      return parse_timestamp(value.text).has_value();
    default:
      return false;
  }
}

std::uint64_t parse_records(ChunkSource& source, const RecordShape& shape, RecordVisitor& visitor) {
  ChunkStream stream(source);
  Handler handler(stream, shape, visitor);
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
