// SPDX-License-Identifier: Apache-2.0
// When a transient fault is tried again: the backoff's bounds, max_retries in a
// row, and the run's retry budget, with the messages a user sees.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "sync/retry.hpp"

namespace {

class RetryLog : public tsync::SyncObserver {
 public:
  void on_retry(const std::string& reason, double wait, int retry, int max_retries) override {
    reasons.push_back(reason);
    waits.push_back(wait);
    retries.push_back(retry);
    max = max_retries;
  }
  std::vector<std::string> reasons;
  std::vector<double> waits;
  std::vector<int> retries;
  int max = 0;
};

}  // namespace

TEST_SUITE("retry") {
  TEST_CASE("backoff: exponential with jitter, at most a minute, at least what the server asked") {
    tsync::Config config;
    config.retry_base_seconds = 2;
    tsync::Backoff backoff(config);
    for (int retry = 1; retry <= 8; ++retry) {
      const double ceiling = std::min(60.0, 2 * std::ldexp(1.0, retry - 1));
      for (int i = 0; i < 50; ++i) {
        const double wait = backoff.wait(retry, 0);
        CHECK(wait >= ceiling * 0.5);
        CHECK(wait <= ceiling);
      }
    }
    CHECK(backoff.wait(1, 30) == 30);
    CHECK(backoff.wait(1, 0.1) >= 1);
  }

  TEST_CASE("max_retries in a row, then an error naming the attempts, and reset() starts afresh") {
    tsync::Config config;
    config.max_retries = 2;
    config.retry_base_seconds = 0.001;
    RetryLog log;
    tsync::RunCounters io;
    tsync::Retrier retrier(config, log, io);
    const tsync::TransientError fault("GET http://127.0.0.1/x: HTTP 503");
    retrier.after(fault);
    retrier.after(fault);
    CHECK(io.retries == 2);
    CHECK(log.retries == std::vector<int>{1, 2});
    CHECK(log.max == 2);
    CHECK(log.reasons.front() == "GET http://127.0.0.1/x: HTTP 503");
    CHECK_THROWS_WITH(retrier.after(fault),
                      "GET http://127.0.0.1/x: HTTP 503 (gave up after 3 attempts; "
                      "max_retries is 2)");
    retrier.reset();
    retrier.after(fault);
    CHECK(io.retries == 3);

    config.max_retries = 0;
    tsync::Retrier none(config, log, io);
    CHECK_THROWS_WITH(none.after(fault),
                      "GET http://127.0.0.1/x: HTTP 503 (gave up after 1 attempt; "
                      "max_retries is 0)");
  }

  TEST_CASE("a wait past retry_budget_seconds gives up at once, saying so") {
    tsync::Config config;
    config.max_retries = 10;
    config.retry_base_seconds = 8;
    config.retry_budget_seconds = 2;
    RetryLog log;
    tsync::RunCounters io;
    tsync::Retrier retrier(config, log, io);
    const tsync::TransientError fault("GET http://127.0.0.1/x: HTTP 429");
    try {
      retrier.after(fault);
      FAIL("no error");
    } catch (const tsync::Error& e) {
      const std::string what = e.what();
      CHECK(what.rfind("GET http://127.0.0.1/x: HTTP 429 (gave up: waiting ", 0) == 0);
      CHECK(what.find(" s more, after 0.0 s of retries, would exceed retry_budget_seconds = 2)") !=
            std::string::npos);
    }
    CHECK(io.retries == 0);
    CHECK(log.retries.empty());
  }
}
