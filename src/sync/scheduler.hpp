// SPDX-License-Identifier: Apache-2.0
#pragma once

// Which requests run when: a stream's range of time cut into windows, and the
// most requests a stream may start in a second.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "common/timestamp.hpp"

namespace tsync {

// A window of time: the records with start <= cursor value < end.
struct Window {
  Instant start, end;
};

// The windows of at most `seconds` each that cut [from, to), in time order;
// none when `to` is not after `from`. With `overlap`, each window after the
// first starts at last_before(the end of the one before it) in that format,
// when that is after its start: an API that reads a window's start as
// exclusive (as tsync's own contract reads since) still gives the records
// exactly at a boundary, which then come twice, as one version.
std::vector<Window> windows_between(Instant from, Instant to, long long seconds,
                                    std::optional<CursorFormat> overlap = std::nullopt);

// The newest cursor value below `end` that `format` can write: a window's
// records are all <= it. One second before (iso8601, unix_seconds: an API
// that takes no fraction), or one millisecond (unix_millis).
Instant last_before(Instant end, CursorFormat format);

// Spaces the requests of one stream so that no more than `per_second` start
// in any second, and holds them all while the API asked to wait (a 429's
// Retry-After). Thread-safe: the requests of a stream's windows share one.
class RateLimiter {
 public:
  // 0: no limit (pauses still apply).
  explicit RateLimiter(double per_second = 0);

  // Waits until a request may start, and counts it as started. Wakes to
  // honour SIGINT/SIGTERM (throws Interrupted).
  void acquire();
  // No request starts for `seconds` from now.
  void pause(double seconds);

 private:
  using Clock = std::chrono::steady_clock;
  std::mutex mutex_;
  Clock::duration interval_{};
  Clock::time_point next_{};          // the earliest the next request may start
  Clock::time_point paused_until_{};  // no request before
};

// The requests a run may have in flight beyond the one of each chain being
// read: max_concurrency less the chains read at once. A worker that runs out of
// jobs gives its request back. Thread-safe.
class RequestSlots {
 public:
  explicit RequestSlots(int free) : free_(free) {}

  // Takes a slot: waits while none is free, unless `give_up()` (checked on
  // every wake) says to stop waiting. True when a slot was taken.
  template <typename GiveUp>
  bool take(GiveUp give_up) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (give_up()) return false;
      if (free_ > 0) {
        --free_;
        return true;
      }
      changed_.wait(lock);
    }
  }
  // Gives `n` slots back.
  void give(int n = 1);
  // Wakes every take() to check its give_up() again.
  void wake();
  // The slots free now.
  int free() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int free_;
};

}  // namespace tsync
