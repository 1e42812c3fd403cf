// SPDX-License-Identifier: Apache-2.0
#pragma once
// Waiting for an event in a test: a row, a file, a request count, a log line.
// A test waits for what it needs to have happened, never for a guessed time,
// so that a busy machine makes it slower, not wrong.

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tsync::test {

// The longest a test waits for an event before it fails: long enough for a
// machine whose cores are all busy with other work.
inline constexpr std::chrono::seconds kEventLimit{60};

// Returns once `ready()` holds, asking it again every few milliseconds; fails
// the test, naming `what`, when it still does not hold after `limit`.
inline void wait_until(const std::string& what, const std::function<bool()>& ready,
                       std::chrono::milliseconds limit = kEventLimit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::chrono::milliseconds step{1};
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline)
      FAIL("waited " << limit.count() / 1000.0 << " s in vain for " << what);
    std::this_thread::sleep_for(step);
    step = std::min(step * 2, std::chrono::milliseconds(50));
  }
}

// A gate a server's handler (or any other thread) stops at until the test opens
// it: the test knows where the code under test is while it looks. hold() waits
// at most kEventLimit, so that a test that fails before open() still ends; the
// destructor opens the gate.
class Gate {
 public:
  Gate() = default;
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  ~Gate() { open(); }

  // Called where the code under test must stop: waits until open(). Once the
  // gate is open it no longer stops anyone.
  void hold() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    changed_.wait_for(lock, kEventLimit, [this] { return open_; });
  }
  // Waits until someone stands at the gate (fails the test naming `what` after
  // kEventLimit).
  void wait_for_arrival(const std::string& what) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kEventLimit, [this] { return arrived_ > 0; }))
      FAIL("waited " << kEventLimit.count() << " s in vain for " << what);
  }
  void open() {
    const std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  bool open_ = false;
};

}  // namespace tsync::test
