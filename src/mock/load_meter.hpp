// SPDX-License-Identifier: Apache-2.0
#pragma once

// How hard the mock's clients press it: the requests in flight at once and the
// requests started within any second, with the peaks of both. Header-only, as
// paging.hpp.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace tsync::mock {

// Thread-safe. Outlives every ticket it hands out.
class LoadMeter {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts a request of `path` as started now and in flight until the last copy
  // of the returned ticket is destroyed.
  std::shared_ptr<void> start(const std::string& path) {
    const Clock::time_point now = Clock::now();
    const std::lock_guard lock(mutex_);
    ++in_flight_;
    peak_in_flight_ = std::max(peak_in_flight_, in_flight_);
    record(all_, now);
    record(paths_[path], now);
    return std::shared_ptr<void>(nullptr, [this](void*) {
      const std::lock_guard end_lock(mutex_);
      --in_flight_;
    });
  }

  // The most requests in flight at once since the start or reset().
  std::size_t peak_in_flight() const {
    const std::lock_guard lock(mutex_);
    return peak_in_flight_;
  }
  // The most requests started within any window of one second, of every path
  // or of `path`, since the start or reset().
  std::size_t peak_per_second() const {
    const std::lock_guard lock(mutex_);
    return all_.peak;
  }
  std::size_t peak_per_second(const std::string& path) const {
    const std::lock_guard lock(mutex_);
    const auto it = paths_.find(path);
    return it == paths_.end() ? 0 : it->second.peak;
  }

  // Forgets the peaks and the starts so far; requests in flight stay counted
  // (and are the new peak of requests in flight).
  void reset() {
    const std::lock_guard lock(mutex_);
    peak_in_flight_ = in_flight_;
    all_ = Window{};
    paths_.clear();
  }

 private:
  // The starts within the last second, and the most there ever were.
  struct Window {
    std::deque<Clock::time_point> starts;
    std::size_t peak = 0;
  };
  static void record(Window& window, Clock::time_point now) {
    while (!window.starts.empty() && window.starts.front() <= now - std::chrono::seconds(1))
      window.starts.pop_front();
    window.starts.push_back(now);
    window.peak = std::max(window.peak, window.starts.size());
  }

  mutable std::mutex mutex_;
  std::size_t in_flight_ = 0, peak_in_flight_ = 0;
  Window all_;
  std::map<std::string, Window> paths_;
};

}  // namespace tsync::mock
