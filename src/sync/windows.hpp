// SPDX-License-Identifier: Apache-2.0
#pragma once
// A stream's range of time read in windows of window_seconds, one chain of
// pages each, and the cursor moved only through the windows complete with
// every window before them.

#include <cstdint>
#include <mutex>
#include <vector>

#include "common/error_text.hpp"
#include "common/errors.hpp"
#include "config/config.hpp"
#include "replica/write_queue.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/scheduler.hpp"
#include "sync/tally.hpp"

namespace tsync {

// The second a run's windows end at: the second it started.
Instant now_second();

// Where a stream read in windows starts from `committed`: lookback_seconds
// before it, as the since of an unwindowed request.
Instant windows_from(const StreamConfig& stream, Instant committed);

// A window's failure, for windows_failed.
Failure window_failure(const StreamConfig& stream, const Window& w, std::string why);

// The error of a stream whose windows `failures` failed: windows that failed
// alike are said once, with their count and the first and last of them
// (group_failures); after kEachInFull, each window's error in full.
Error windows_failed(std::vector<Failure> failures);

// The cursor that says every window up to `w` is complete: just below its end.
Cursor cursor_through(const StreamConfig& stream, const Window& w);

// Reads a stream's range of time in windows of window_seconds
// (docs/windows-and-concurrency.md), from the cursor (`resume`: the saved one, else the
// stream's first) to the second the run started, each window one chain of
// pages. The cursor moves only through windows complete with every window
// before them, to just below the end of the last of them. A window that fails
// does not stop the others: their rows are stored, and the run fails at the
// end naming every window that failed. Returns the records that came twice.
std::int64_t read_windows(const Config& config, const StreamConfig& stream, const Transport& net,
                          RowWriter& rows, SyncObserver& observer, RunCounters& io,
                          const Cursor& from, Tally& tally);

// The windows of a stream read with requests in flight, from `from` to the
// second the run started. A window's pages come one after another, so a range
// of a few long windows would leave most of the requests allowed idle once the
// first windows end: a range of at least
// max_concurrency windows (a first sync, a catch-up; not a nightly top-up of
// a window or two) is cut into windows shorter than window_seconds, about
// kWindowsPerRequest per request allowed in flight, at least a second each.
// Shorter windows are still within what the API accepts, and the cursor rules
// are the same.
std::vector<Window> windows_in_flight(Instant from, long long window_seconds, CursorFormat format,
                                      const Config& config);

// The windows of a stream read in a run with requests in flight, and the
// prefix of them that is complete: the cursor is committed through it.
class WindowPrefix {
 public:
  explicit WindowPrefix(std::vector<Window> windows)
      : windows_(std::move(windows)), state_(windows_.size(), kPending) {}

  const std::vector<Window>& windows() const { return windows_; }

  // Window `i` was read whole and settled (`complete`), or not. When that
  // makes the prefix of complete windows longer, commits the cursor through
  // it, behind the rows of those windows (each window's chain committed its
  // rows before it ended).
  void done(std::size_t i, bool complete, const StreamConfig& stream, RowWriter& rows,
            const RunCounters& io);

 private:
  static constexpr signed char kPending = 0, kComplete = 1, kIncomplete = -1;
  std::mutex mutex_;
  const std::vector<Window> windows_;
  std::vector<signed char> state_;
  std::size_t prefix_ = 0;
};

}  // namespace tsync
