// SPDX-License-Identifier: Apache-2.0
#pragma once

// The instants the mock's nested resources are changed at: the wall clock in
// whole seconds, but always at least one second after the instant handed out
// before, so that every change is later than every one before it and a since
// filter of whole seconds tells them apart. Header-only, as paging.hpp.

#include <algorithm>
#include <chrono>
#include <mutex>

#include "common/timestamp.hpp"

namespace tsync::mock {

// Thread-safe.
class ChangeClock {
 public:
  // The instant of a change now: max(now, the last one + 1 s), in whole seconds.
  Instant next() {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const std::lock_guard lock(mutex_);
    last_ = std::max(now.count(), last_ + 1);
    return Instant{last_, 0};
  }

  // The latest of the wall clock and the last instant handed out, in whole
  // seconds, moving nothing: when a feed token is issued, and how old it is.
  Instant now() {
    const auto wall = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const std::lock_guard lock(mutex_);
    return Instant{std::max(wall.count(), last_), 0};
  }

  // Every instant next() hands out from now on is after `instant`, and now()
  // is at least `instant`: a test moves the clock forward so.
  void after(Instant instant) {
    const std::lock_guard lock(mutex_);
    last_ = std::max(last_, instant.seconds);
  }

 private:
  std::mutex mutex_;
  std::int64_t last_ = 0;
};

}  // namespace tsync::mock
