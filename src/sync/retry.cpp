// SPDX-License-Identifier: Apache-2.0
#include "sync/retry.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <thread>

namespace tsync {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

void interruptible_sleep(double seconds) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    check_interrupted();
    const Clock::duration left = until - Clock::now();
    std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(50)));
  }
  check_interrupted();
}

double Backoff::wait(int retry, double retry_after) {
  const double ceiling = std::min(60.0, config_.retry_base_seconds * std::ldexp(1.0, retry - 1));
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  const double backoff = ceiling * jitter(random_);
  return retry_after > 0 ? std::max(retry_after, backoff) : backoff;
}

void Retrier::after(const TransientError& e) {
  if (retry_ >= config_.max_retries)
    throw Error(std::string(e.what()) + " (gave up after " + std::to_string(retry_ + 1) +
                (retry_ == 0 ? " attempt" : " attempts") + "; max_retries is " +
                std::to_string(config_.max_retries) + ")");
  ++retry_;
  const double wait = backoff_.wait(retry_, e.retry_after_seconds());
  if (waited_ + wait > config_.retry_budget_seconds) {
    std::ostringstream why;
    why << e.what() << " (gave up: waiting " << std::fixed << std::setprecision(1) << wait
        << " s more, after " << waited_ << " s of retries, would exceed " << std::defaultfloat
        << std::setprecision(6) << "retry_budget_seconds = " << config_.retry_budget_seconds << ")";
    throw Error(why.str());
  }
  observer_.on_retry(e.what(), wait, retry_, config_.max_retries);
  ++io_.retries;
  interruptible_sleep(wait);
  waited_ += wait;
}

}  // namespace tsync
