// SPDX-License-Identifier: Apache-2.0
#include "sync/windows.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "sync/chain.hpp"
#include "sync/progress.hpp"

namespace tsync {
namespace {

// Windows cut for each request allowed in flight (windows_in_flight).
constexpr std::size_t kWindowsPerRequest = 6;

std::string window_name(const StreamConfig& stream, const Window& w) {
  return "window " + format_cursor(stream.cursor_format, w.start) + " .. " +
         format_cursor(stream.cursor_format, w.end);
}

}  // namespace

Instant now_second() {
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::seconds>(wall).count(), 0};
}

Instant windows_from(const StreamConfig& stream, Instant committed) {
  return stream.lookback_seconds > 0 ? minus_seconds(committed, stream.lookback_seconds)
                                     : committed;
}

Failure window_failure(const StreamConfig& stream, const Window& w, std::string why) {
  return Failure{
      window_name(stream, w),
      std::move(why),
      {format_cursor(stream.cursor_format, w.start), format_cursor(stream.cursor_format, w.end)},
      w.start.seconds};
}

Error windows_failed(std::vector<Failure> failures) {
  const std::size_t n = failures.size();
  const GroupedFailures grouped = group_failures(failures);
  std::string text = std::to_string(n) + (n == 1 ? " window failed" : " windows failed") +
                     (n > 1 && grouped.ways == 1 ? " alike" : "") +
                     (grouped.ways > 1 ? " in " + std::to_string(grouped.ways) + " ways" : "") +
                     " (the cursor stays below the first; the next run reads it and the "
                     "windows after it again): " +
                     grouped.text;
  if (n > 1) text += std::string(kEachInFull) + each_failure(failures);
  return Error(text);
}

Cursor cursor_through(const StreamConfig& stream, const Window& w) {
  const Instant last = last_before(w.end, stream.cursor_format);
  return Cursor{format_cursor(stream.cursor_format, last), last};
}

std::int64_t read_windows(const Config& config, const StreamConfig& stream, const Transport& net,
                          RowWriter& rows, SyncObserver& observer, RunCounters& io,
                          const Cursor& from, Tally& tally) {
  std::int64_t repeats = 0;
  bool prefix_complete = true;
  std::vector<Failure> failures;
  for (const Window& w : windows_between(windows_from(stream, from.instant), now_second(),
                                         stream.window_seconds, stream.cursor_format)) {
    std::optional<Cursor> cursor;
    if (prefix_complete) cursor = cursor_through(stream, w);
    try {
      const std::int64_t twice =
          read_chain(config, stream, net, rows, observer, io, from, tally, w, cursor);
      repeats += twice;
      if (twice > 0) prefix_complete = false;
    } catch (const Interrupted&) {
      throw;
    } catch (const RunDeadline&) {
      throw;
    } catch (const Error& e) {
      rows.rewind();  // a failure of the replica itself stops the stream
      announce_checkpoints(rows, observer);
      prefix_complete = false;
      failures.push_back(window_failure(stream, w, e.what()));
    }
  }
  if (!failures.empty()) throw windows_failed(failures);
  return repeats;
}

void WindowPrefix::done(std::size_t i, bool complete, const StreamConfig& stream, RowWriter& rows,
                        const RunCounters& io) {
  const std::lock_guard lock(mutex_);  // cursors are handed over in order
  state_[i] = complete ? kComplete : kIncomplete;
  const std::size_t before = prefix_;
  while (prefix_ < state_.size() && state_[prefix_] == kComplete) ++prefix_;
  if (prefix_ > before) {
    const Cursor cursor = cursor_through(stream, windows_[prefix_ - 1]);
    rows.commit(&cursor, io);
  }
}

std::vector<Window> windows_in_flight(Instant from, long long window_seconds, CursorFormat format,
                                      const Config& config) {
  const Instant now = now_second();
  std::vector<Window> windows = windows_between(from, now, window_seconds, format);
  const auto allowed = static_cast<std::size_t>(config.max_concurrency);
  const std::size_t wanted = kWindowsPerRequest * allowed;
  if (windows.size() < allowed || windows.size() >= wanted) return windows;
  const auto parts = static_cast<long long>((wanted + windows.size() - 1) / windows.size());
  return windows_between(from, now, std::max(1LL, (window_seconds + parts - 1) / parts), format);
}

}  // namespace tsync
