// SPDX-License-Identifier: Apache-2.0
#include "mock/body_writer.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

namespace tsync::mock {
namespace {

constexpr std::size_t kSliceBytes = std::size_t{256} * 1024;
// With a charset, as many real APIs send it; cpp-httplib then also leaves the
// body uncompressed, so a fault's byte count is a count of body bytes.
constexpr const char* kJsonType = "application/json; charset=utf-8";

// Sleeps `duration` in short steps; false when the server stops meanwhile or
// the client has gone.
bool pause(std::chrono::milliseconds duration, httplib::DataSink& sink,
           const std::atomic<bool>& stopping) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping.load() || !sink.is_writable()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

std::size_t body_length(const Selection& s) {
  std::size_t length = s.prefix.size() + s.suffix.size();
  for (std::size_t k = 0; k < s.count(); ++k) length += s.catalog->slot(s.index(k)).length;
  if (s.count() > 1) length += s.count() - 1;
  return length;
}

bool BodyWriter::next(std::string& out, std::size_t limit) {
  out.clear();
  while (out.size() < limit && !finished_) {
    const std::string_view piece = current_piece();
    const std::size_t take = std::min(piece.size() - offset_, limit - out.size());
    out.append(piece.substr(offset_, take));
    offset_ += take;
    if (offset_ == piece.size()) advance();
  }
  produced_ += out.size();
  return !out.empty();
}

std::string_view BodyWriter::current_piece() const {
  switch (stage_) {
    case Stage::Prefix:
      return s_.prefix;
    case Stage::Comma:
      return ",";
    case Stage::Record:
      return s_.catalog->text(s_.index(record_));
    case Stage::Suffix:
      return s_.suffix;
  }
  return {};
}

void BodyWriter::advance() {
  offset_ = 0;
  switch (stage_) {
    case Stage::Prefix:
      stage_ = s_.count() ? Stage::Record : Stage::Suffix;
      break;
    case Stage::Comma:
      stage_ = Stage::Record;
      break;
    case Stage::Record:
      ++record_;
      stage_ = record_ < s_.count() ? Stage::Comma : Stage::Suffix;
      break;
    case Stage::Suffix:
      finished_ = true;
      break;
  }
}

void stream_body(httplib::Response& response, Selection selection, std::size_t rate,
                 const std::optional<Fault>& fault, std::shared_ptr<void> ticket,
                 const std::atomic<bool>& stopping) {
  const std::size_t length = body_length(selection);
  auto writer = std::make_shared<BodyWriter>(std::move(selection));
  const std::size_t slice = rate ? std::clamp<std::size_t>(rate / 50, 1, kSliceBytes) : kSliceBytes;
  const auto started = std::chrono::steady_clock::now();
  // Bytes before which the body stops (Drop, Truncate) or pauses (Stall).
  const std::size_t mark = fault ? fault->after_bytes : SIZE_MAX;
  const Fault::Kind kind = fault ? fault->kind : Fault::Kind::Status;
  auto buffer = std::make_shared<std::string>();
  buffer->reserve(slice);
  auto stalled = std::make_shared<bool>(false);
  auto in_flight = std::make_shared<std::shared_ptr<void>>(std::move(ticket));

  // Writes one more slice; false to cut the connection.
  auto provide = [&stopping, in_flight, length, writer, buffer, stalled, slice, rate, started, mark,
                  kind, stall = fault ? fault->stall : std::chrono::milliseconds(0)](
                     httplib::DataSink& sink) -> bool {
    if (stopping.load()) return false;
    std::size_t limit = slice;
    const bool before_mark = writer->produced() < mark;
    if (before_mark) limit = std::min(limit, mark - writer->produced());
    if (!before_mark) {
      if (kind == Fault::Kind::DropAfterBytes || kind == Fault::Kind::TruncateBody) return false;
      if (kind == Fault::Kind::Stall && !*stalled) {
        *stalled = true;
        if (!pause(stall, sink, stopping)) return false;
      }
    }
    if (!writer->next(*buffer, limit)) {
      in_flight->reset();
      sink.done();
      return true;
    }
    if (rate) {
      const double seconds = static_cast<double>(writer->produced()) / static_cast<double>(rate);
      const auto due =
          started + std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
      const auto now = std::chrono::steady_clock::now();
      if (due > now &&
          !pause(std::chrono::duration_cast<std::chrono::milliseconds>(due - now), sink, stopping))
        return false;
    }
    if (writer->produced() == length) in_flight->reset();
    return sink.write(buffer->data(), buffer->size());
  };

  if (kind == Fault::Kind::DropAfterBytes) {
    response.set_chunked_content_provider(
        kJsonType, [provide](std::size_t, httplib::DataSink& sink) { return provide(sink); });
  } else {
    response.set_content_provider(
        length, kJsonType,
        [provide](std::size_t, std::size_t, httplib::DataSink& sink) { return provide(sink); });
  }
}

}  // namespace tsync::mock
