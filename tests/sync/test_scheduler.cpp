// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <chrono>

#include "sync/scheduler.hpp"

using Clock = std::chrono::steady_clock;

TEST_SUITE("scheduler") {
  TEST_CASE("windows cut a range into pieces of at most window_seconds, the last one short") {
    const auto w = tsync::windows_between({1000, 0}, {1250, 500}, 100);
    REQUIRE(w.size() == 3);
    CHECK(w[0].start == tsync::Instant{1000, 0});
    CHECK(w[0].end == tsync::Instant{1100, 0});
    CHECK(w[1].end == tsync::Instant{1200, 0});
    CHECK(w[2].start == tsync::Instant{1200, 0});
    CHECK(w[2].end == tsync::Instant{1250, 500});
    CHECK(tsync::windows_between({1000, 0}, {1000, 0}, 100).empty());
    CHECK(tsync::windows_between({1000, 0}, {900, 0}, 100).empty());
  }

  TEST_CASE("windows that overlap by one unit of the cursor format, for an exclusive start") {
    const auto w =
        tsync::windows_between({1000, 0}, {1250, 500}, 100, tsync::CursorFormat::Iso8601);
    REQUIRE(w.size() == 3);
    CHECK(w[0].start == tsync::Instant{1000, 0});
    CHECK(w[0].end == tsync::Instant{1100, 0});
    CHECK(w[1].start == tsync::Instant{1099, 0});
    CHECK(w[1].end == tsync::Instant{1199, 0});
    CHECK(w[2].start == tsync::Instant{1198, 0});
    CHECK(w[2].end == tsync::Instant{1250, 500});
    const auto m =
        tsync::windows_between({1000, 0}, {1200, 0}, 100, tsync::CursorFormat::UnixMillis);
    REQUIRE(m.size() == 3);
    CHECK(m[1].start == tsync::Instant{1099, 999'000'000});
    // Windows of one second cannot overlap by a second: they only follow.
    const auto s = tsync::windows_between({1000, 0}, {1003, 0}, 1, tsync::CursorFormat::Iso8601);
    REQUIRE(s.size() == 3);
    CHECK(s[2].start == tsync::Instant{1002, 0});
  }

  TEST_CASE("the cursor below a window's end: a second, or a millisecond for unix_millis") {
    CHECK(tsync::last_before({1100, 0}, tsync::CursorFormat::Iso8601) == tsync::Instant{1099, 0});
    CHECK(tsync::last_before({1100, 0}, tsync::CursorFormat::UnixSeconds) ==
          tsync::Instant{1099, 0});
    CHECK(tsync::last_before({1100, 0}, tsync::CursorFormat::UnixMillis) ==
          tsync::Instant{1099, 999'000'000});
    CHECK(tsync::last_before({1100, 5'000'000}, tsync::CursorFormat::UnixMillis) ==
          tsync::Instant{1100, 4'000'000});
  }

  TEST_CASE("the rate limiter spaces requests and holds them all during a pause") {
    tsync::RateLimiter unlimited;
    const auto t0 = Clock::now();
    for (int i = 0; i < 100; ++i) unlimited.acquire();
    CHECK(Clock::now() - t0 < std::chrono::milliseconds(500));

    tsync::RateLimiter twenty(20);
    const auto t1 = Clock::now();
    for (int i = 0; i < 5; ++i) twenty.acquire();
    // Five starts 51 ms apart: the fifth at least 4 intervals after the first.
    CHECK(Clock::now() - t1 >= std::chrono::milliseconds(200));

    tsync::RateLimiter paused;
    paused.pause(0.3);
    const auto t2 = Clock::now();
    paused.acquire();
    CHECK(Clock::now() - t2 >= std::chrono::milliseconds(290));
  }
}
