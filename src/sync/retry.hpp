// SPDX-License-Identifier: Apache-2.0
#pragma once
// When a transient fault is tried again, and how long it waits first.

#include <random>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "sync/observer.hpp"

namespace tsync {

// Sleeps `seconds`, waking early to honour SIGINT/SIGTERM.
void interruptible_sleep(double seconds);

class Backoff {
 public:
  explicit Backoff(const Config& config) : config_(config), random_(std::random_device{}()) {}

  // The wait before retry number `retry` (1-based): exponential with jitter,
  // at least what the server asked for.
  double wait(int retry, double retry_after);

 private:
  const Config& config_;
  std::mt19937_64 random_;
};

// Decides, after each transient fault of a stream's run, whether to try again
// and how long to wait first: at most max_retries in a row, and at most
// retry_budget_seconds of waiting in the run.
class Retrier {
 public:
  Retrier(const Config& config, SyncObserver& observer, RunCounters& io)
      : config_(config), observer_(observer), io_(io), backoff_(config) {}

  // The attempt succeeded (or committed progress): the count starts afresh.
  void reset() { retry_ = 0; }

  // Waits before the next attempt after `e`, or throws Error when the retries
  // or their budget are spent.
  void after(const TransientError& e);

 private:
  const Config& config_;
  SyncObserver& observer_;
  RunCounters& io_;
  Backoff backoff_;
  int retry_ = 0;
  double waited_ = 0;
};

}  // namespace tsync
