// SPDX-License-Identifier: Apache-2.0
#include "sync/scheduler.hpp"

#include <algorithm>
#include <thread>

#include "common/errors.hpp"

namespace tsync {

std::vector<Window> windows_between(Instant from, Instant to, long long seconds,
                                    std::optional<CursorFormat> overlap) {
  std::vector<Window> out;
  Instant start = from;
  while (start < to) {
    Instant end{start.seconds + seconds, start.nanos};
    if (to < end) end = to;
    out.push_back(Window{start, end});
    if (end == to) break;
    const Instant next = overlap ? last_before(end, *overlap) : end;
    start = start < next ? next : end;
  }
  return out;
}

Instant last_before(Instant end, CursorFormat format) {
  if (format == CursorFormat::UnixMillis) {
    std::int64_t nanos = end.nanos - 1'000'000;
    std::int64_t seconds = end.seconds;
    if (nanos < 0) {
      nanos += 1'000'000'000;
      --seconds;
    }
    return Instant{seconds, static_cast<std::int32_t>(nanos)};
  }
  return Instant{end.seconds - 1, end.nanos};
}

RateLimiter::RateLimiter(double per_second) {
  if (per_second > 0)
    // 2% longer than 1/rate: requests one interval apart never put rate + 1
    // starts within one second, even as the API sees them, a few milliseconds
    // of network jitter later.
    interval_ = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / per_second * 1.02));
}

void RateLimiter::acquire() {
  Clock::time_point start;
  {
    const std::lock_guard lock(mutex_);
    start = std::max({Clock::now(), next_, paused_until_});
    next_ = start + interval_;
  }
  while (Clock::now() < start) {
    check_interrupted();
    std::this_thread::sleep_for(
        std::min<Clock::duration>(start - Clock::now(), std::chrono::milliseconds(50)));
  }
  check_interrupted();
}

void RateLimiter::pause(double seconds) {
  const std::lock_guard lock(mutex_);
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  paused_until_ = std::max(paused_until_, until);
}

void RequestSlots::give(int n) {
  {
    const std::lock_guard lock(mutex_);
    free_ += n;
  }
  changed_.notify_all();
}

void RequestSlots::wake() {
  { const std::lock_guard lock(mutex_); }
  changed_.notify_all();
}

int RequestSlots::free() const {
  const std::lock_guard lock(mutex_);
  return free_;
}

}  // namespace tsync
