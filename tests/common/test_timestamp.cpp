// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"

namespace {

using tsync::Instant;
using tsync::kEpochStart;
using tsync::kNormalisedWidth;

// 9999-12-31T23:59:59Z, the last whole second tsync accepts.
constexpr std::int64_t kLastSecond = 253402300799;

// The normalised text of a timestamp, or "(rejected)".
std::string normalised(std::string_view text) {
  const auto instant = tsync::parse_timestamp(text);
  return instant ? tsync::format_utc(*instant) : std::string("(rejected)");
}

// Days since 1970-01-01 of a civil date, by the standard library (a reference
// independent of the code under test).
std::int64_t reference_days(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count();
}

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

// The civil UTC date and time of `seconds` since the Unix epoch, by the standard library.
Civil reference_civil(std::int64_t seconds) {
  using namespace std::chrono;
  const sys_seconds tp{std::chrono::seconds{seconds}};
  const sys_days day_point = floor<days>(tp);
  const year_month_day ymd{day_point};
  const hh_mm_ss hms{tp - day_point};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()),
          static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count())};
}

// The expected normalised text of an instant, by the standard library and printf.
std::string reference_text(Instant t) {
  const Civil c = reference_civil(t.seconds);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02u:%02u:%02u.%09dZ", c.year, c.month,
                c.day, c.hour, c.minute, c.second, static_cast<int>(t.nanos));
  return buffer;
}

}  // namespace

TEST_SUITE("timestamp") {
  TEST_CASE("the Unix epoch and a known instant parse to their exact seconds") {
    const auto epoch = tsync::parse_timestamp("1970-01-01T00:00:00Z");
    REQUIRE(epoch);
    CHECK(epoch->seconds == 0);
    CHECK(epoch->nanos == 0);

    const auto known = tsync::parse_timestamp("2024-01-15T10:30:00Z");
    REQUIRE(known);
    CHECK(known->seconds == 1705314600);
    CHECK(known->nanos == 0);

    const auto before_epoch = tsync::parse_timestamp("1969-12-31T23:59:59.25Z");
    REQUIRE(before_epoch);
    CHECK(before_epoch->seconds == -1);
    CHECK(before_epoch->nanos == 250000000);
  }

  TEST_CASE("every accepted zone and separator form names the same instant") {
    const std::string expected = "2024-01-15T10:30:00.000000000Z";
    SUBCASE("Z") { CHECK(normalised("2024-01-15T10:30:00Z") == expected); }
    SUBCASE("lowercase z") { CHECK(normalised("2024-01-15T10:30:00z") == expected); }
    SUBCASE("lowercase t") { CHECK(normalised("2024-01-15t10:30:00Z") == expected); }
    SUBCASE("space separator") { CHECK(normalised("2024-01-15 10:30:00Z") == expected); }
    SUBCASE("+02:00") { CHECK(normalised("2024-01-15T12:30:00+02:00") == expected); }
    SUBCASE("-05:30") { CHECK(normalised("2024-01-15T05:00:00-05:30") == expected); }
    SUBCASE("+0200") { CHECK(normalised("2024-01-15T12:30:00+0200") == expected); }
    SUBCASE("-0530") { CHECK(normalised("2024-01-15T05:00:00-0530") == expected); }
    SUBCASE("+02") { CHECK(normalised("2024-01-15T12:30:00+02") == expected); }
    SUBCASE("+00:00") { CHECK(normalised("2024-01-15T10:30:00+00:00") == expected); }
    SUBCASE("-00:00") { CHECK(normalised("2024-01-15T10:30:00-00:00") == expected); }
    SUBCASE("+23:59") { CHECK(normalised("2024-01-16T10:29:00+23:59") == expected); }
    SUBCASE("-23:59") { CHECK(normalised("2024-01-14T10:31:00-23:59") == expected); }
  }

  TEST_CASE("an offset moves the date across day, month and year boundaries") {
    CHECK(normalised("2024-01-01T01:00:00+02:00") == "2023-12-31T23:00:00.000000000Z");
    CHECK(normalised("2023-12-31T22:00:00-02:00") == "2024-01-01T00:00:00.000000000Z");
    CHECK(normalised("2024-03-01T00:30:00+01:00") == "2024-02-29T23:30:00.000000000Z");
    CHECK(normalised("2023-03-01T00:30:00+01:00") == "2023-02-28T23:30:00.000000000Z");
    CHECK(normalised("2024-02-28T23:30:00-01:00") == "2024-02-29T00:30:00.000000000Z");
  }

  TEST_CASE("fractions of 1 to 9 digits are read as nanoseconds") {
    const std::string digits = "123456789";
    const std::int32_t expected[] = {100000000, 120000000, 123000000, 123400000, 123450000,
                                     123456000, 123456700, 123456780, 123456789};
    for (std::size_t n = 1; n <= 9; ++n) {
      CAPTURE(n);
      const std::string text = "2024-01-15T10:30:00." + digits.substr(0, n) + "Z";
      const auto t = tsync::parse_timestamp(text);
      REQUIRE(t);
      CHECK(t->seconds == 1705314600);
      CHECK(t->nanos == expected[n - 1]);
    }
    SUBCASE("leading zeros in the fraction") {
      const auto t = tsync::parse_timestamp("2024-01-15T10:30:00.000000001Z");
      REQUIRE(t);
      CHECK(t->nanos == 1);
    }
    SUBCASE("all nines") {
      const auto t = tsync::parse_timestamp("2024-01-15T10:30:00.999999999Z");
      REQUIRE(t);
      CHECK(t->nanos == 999999999);
    }
    SUBCASE("a comma separates the fraction too") {
      CHECK(normalised("2024-01-15T10:30:00,5Z") == "2024-01-15T10:30:00.500000000Z");
    }
    SUBCASE("a fraction followed by an offset") {
      CHECK(normalised("2024-01-15T12:30:00.25+02:00") == "2024-01-15T10:30:00.250000000Z");
    }
  }

  TEST_CASE("text that is not a timestamp is rejected") {
    const std::string_view rejected[] = {
        "",
        " ",
        "Z",
        "2024",
        "2024-01-15",
        "2024-01-15T10:30:00",              // no zone
        "2024-01-15T10:30Z",                // no seconds
        "2024-01-15T10:30:00.0123456789Z",  // 10 digits of fraction
        "2024-01-15T10:30:00.Z",            // a point with no digit
        "2024-01-15T10:30:00,Z",
        "2024-01-15T10:30:00.5.5Z",
        "2024-01-15T10:30:00Zx",  // trailing garbage
        "2024-01-15T10:30:00Z ",
        "2024-01-15T10:30:00ZZ",
        " 2024-01-15T10:30:00Z",
        "2024-01-15T10:30:00+02:00Z",
        "2024-01-15T10:30:00+02:00x",
        "2024-01-15T10:30:00 Z",
        "2024-01-15T10:30:00+2:00",
        "2024-01-15T10:30:00+02:0",
        "2024-01-15T10:30:00+02:",
        "2024-01-15T10:30:00+020",
        "2024-01-15T10:30:00+02:000",
        "2024-01-15T10:30:00+02:60",
        "2024-01-15T10:30:00+24:00",
        "2024-01-15T10:30:00+",
        "2024-01-15T10:30:00UTC",
        "2024-01-15T10:30:00GMT+1",
        "2024-01-15X10:30:00Z",
        "2024-01-15_10:30:00Z",
        "2024-01-1510:30:00Z",
        "2024/01/15T10:30:00Z",
        "2024-1-15T10:30:00Z",
        "2024-01-5T10:30:00Z",
        "24-01-15T10:30:00Z",
        "+2024-01-15T10:30:00Z",
        "-2024-01-15T10:30:00Z",
        "12024-01-15T10:30:00Z",
        "2O24-01-15T10:30:00Z",
        "2024-01-15T1:30:00Z",
        "2024-01-15T10:3:00Z",
        "2024-01-15T10:30:0Z",
        "2024-01-15T10-30-00Z",
        "1705314600",
        "yesterday",
    };
    for (const std::string_view text : rejected) {
      CAPTURE(text);
      CHECK_FALSE(tsync::parse_timestamp(text).has_value());
    }
    SUBCASE("an embedded NUL is not the end of the text") {
      CHECK_FALSE(
          tsync::parse_timestamp(std::string_view("2024-01-15T10:30:00Z\0", 21)).has_value());
      CHECK_FALSE(
          tsync::parse_timestamp(std::string_view("2024-01-15\0T10:30:00Z", 21)).has_value());
    }
  }

  TEST_CASE("impossible dates and times are rejected") {
    SUBCASE("February 29 only in leap years") {
      CHECK(normalised("2024-02-29T00:00:00Z") == "2024-02-29T00:00:00.000000000Z");
      CHECK(normalised("2000-02-29T00:00:00Z") == "2000-02-29T00:00:00.000000000Z");
      CHECK(normalised("2023-02-29T00:00:00Z") == "(rejected)");
      CHECK(normalised("1900-02-29T00:00:00Z") == "(rejected)");
      CHECK(normalised("2100-02-29T00:00:00Z") == "(rejected)");
    }
    SUBCASE("day past the end of its month") {
      CHECK(normalised("2024-02-30T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-04-31T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-06-31T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-09-31T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-11-31T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-01-32T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-12-31T00:00:00Z") == "2024-12-31T00:00:00.000000000Z");
      CHECK(normalised("2024-04-30T00:00:00Z") == "2024-04-30T00:00:00.000000000Z");
    }
    SUBCASE("month and day zero or too large") {
      CHECK(normalised("2024-13-01T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-00-01T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-01-00T00:00:00Z") == "(rejected)");
      CHECK(normalised("2024-99-99T00:00:00Z") == "(rejected)");
    }
    SUBCASE("hour 24, minute 60, second 60") {
      CHECK(normalised("2024-01-15T24:00:00Z") == "(rejected)");
      CHECK(normalised("2024-01-15T23:60:00Z") == "(rejected)");
      CHECK(normalised("2024-01-15T23:59:60Z") == "(rejected)");
      CHECK(normalised("2016-12-31T23:59:60Z") == "(rejected)");  // a real leap second
      CHECK(normalised("2024-01-15T23:59:59Z") == "2024-01-15T23:59:59.000000000Z");
    }
    SUBCASE("year 0000") {
      CHECK(normalised("0000-01-01T00:00:00Z") == "(rejected)");
      CHECK(normalised("0000-12-31T23:00:00-02:00") ==
            "(rejected)");  // 0001 in UTC, 0000 as written
    }
  }

  TEST_CASE("only instants in years 0001 to 9999 UTC are accepted") {
    SUBCASE("the first accepted instant is kEpochStart") {
      const auto first = tsync::parse_timestamp("0001-01-01T00:00:00Z");
      REQUIRE(first);
      CHECK(*first == kEpochStart);
      const auto with_offset = tsync::parse_timestamp("0001-01-01T01:00:00+01:00");
      REQUIRE(with_offset);
      CHECK(*with_offset == kEpochStart);
    }
    SUBCASE("an offset that pushes the instant before year 1") {
      CHECK(normalised("0001-01-01T00:59:59+01:00") == "(rejected)");
      CHECK(normalised("0001-01-01T00:00:00+00:01") == "(rejected)");
      CHECK(normalised("0001-01-01T00:00:00.999999999+00:01") == "(rejected)");
    }
    SUBCASE("the last accepted instant") {
      CHECK(normalised("9999-12-31T23:59:59.999999999Z") == "9999-12-31T23:59:59.999999999Z");
      CHECK(normalised("9999-12-31T23:59:59+00:00") == "9999-12-31T23:59:59.000000000Z");
      const auto last = tsync::parse_timestamp("9999-12-31T23:59:59Z");
      REQUIRE(last);
      CHECK(last->seconds == kLastSecond);
    }
    SUBCASE("an offset that pushes the instant past year 9999") {
      CHECK(normalised("9999-12-31T23:30:00-01:00") == "(rejected)");
      CHECK(normalised("9999-12-31T23:59:59-00:01") == "(rejected)");
      CHECK(normalised("9999-12-31T12:00:00-12:00") == "(rejected)");
      CHECK(normalised("9999-12-31T23:30:00+01:00") == "9999-12-31T22:30:00.000000000Z");
    }
  }

  TEST_CASE("format_utc writes exactly kNormalisedWidth characters") {
    CHECK(kNormalisedWidth == 30);
    SUBCASE("exact texts") {
      CHECK(tsync::format_utc(Instant{0, 0}) == "1970-01-01T00:00:00.000000000Z");
      CHECK(tsync::format_utc(Instant{-1, 999999999}) == "1969-12-31T23:59:59.999999999Z");
      CHECK(tsync::format_utc(Instant{1705314600, 5}) == "2024-01-15T10:30:00.000000005Z");
      CHECK(tsync::format_utc(Instant{1705314600, 123456789}) == "2024-01-15T10:30:00.123456789Z");
      CHECK(tsync::format_utc(kEpochStart) == "0001-01-01T00:00:00.000000000Z");
      CHECK(tsync::format_utc(Instant{kLastSecond, 999999999}) == "9999-12-31T23:59:59.999999999Z");
      CHECK(tsync::format_utc(Instant{951782400, 0}) == "2000-02-29T00:00:00.000000000Z");
      CHECK(tsync::format_utc(Instant{-2203891200, 0}) == "1900-03-01T00:00:00.000000000Z");
    }
    SUBCASE("the buffer form writes 30 characters and nothing past them") {
      char buffer[kNormalisedWidth + 2];
      std::fill(std::begin(buffer), std::end(buffer), '#');
      tsync::format_utc(Instant{1705314600, 42}, buffer);
      CHECK(std::string(buffer, kNormalisedWidth) == "2024-01-15T10:30:00.000000042Z");
      CHECK(buffer[kNormalisedWidth] == '#');
      CHECK(buffer[kNormalisedWidth + 1] == '#');
    }
    SUBCASE("the string form has the fixed width for any accepted instant") {
      for (const Instant t : {kEpochStart, Instant{0, 0}, Instant{-1, 1},
                              Instant{kLastSecond, 999999999}, Instant{-62135596800 + 86399, 7}}) {
        CAPTURE(t.seconds);
        CHECK(tsync::format_utc(t).size() == kNormalisedWidth);
      }
    }
  }

  TEST_CASE("format_compact trims the fraction") {
    CHECK(tsync::format_compact(Instant{1705314600, 0}) == "2024-01-15T10:30:00Z");
    CHECK(tsync::format_compact(Instant{1705314600, 500000000}) == "2024-01-15T10:30:00.5Z");
    CHECK(tsync::format_compact(Instant{1705314600, 120000000}) == "2024-01-15T10:30:00.12Z");
    CHECK(tsync::format_compact(Instant{1705314600, 123456789}) ==
          "2024-01-15T10:30:00.123456789Z");
    CHECK(tsync::format_compact(Instant{1705314600, 1}) == "2024-01-15T10:30:00.000000001Z");
    CHECK(tsync::format_compact(Instant{1705314600, 10}) == "2024-01-15T10:30:00.00000001Z");
    CHECK(tsync::format_compact(Instant{1705276800, 0}) ==
          "2024-01-15T00:00:00Z");  // zeros of the time stay
    CHECK(tsync::format_compact(kEpochStart) == "0001-01-01T00:00:00Z");
    CHECK(tsync::format_compact(Instant{kLastSecond, 999999999}) ==
          "9999-12-31T23:59:59.999999999Z");
  }

  TEST_CASE("format_utc and format_compact round-trip through parse_timestamp") {
    std::mt19937_64 rng(0x75796e63);
    std::uniform_int_distribution<std::int64_t> seconds(kEpochStart.seconds, kLastSecond);
    std::uniform_int_distribution<std::int32_t> nanos(0, 999999999);
    std::vector<Instant> samples{kEpochStart, Instant{0, 0}, Instant{-1, 999999999},
                                 Instant{kLastSecond, 999999999}, Instant{kLastSecond, 0}};
    for (int i = 0; i < 2000; ++i)
      samples.push_back(Instant{seconds(rng), i % 3 == 0 ? 0 : nanos(rng)});
    for (const Instant t : samples) {
      CAPTURE(t.seconds);
      CAPTURE(t.nanos);
      const std::string full = tsync::format_utc(t);
      REQUIRE(full == reference_text(t));
      const auto from_full = tsync::parse_timestamp(full);
      REQUIRE(from_full);
      CHECK(*from_full == t);
      const auto from_compact = tsync::parse_timestamp(tsync::format_compact(t));
      REQUIRE(from_compact);
      CHECK(*from_compact == t);
    }
  }

  TEST_CASE("parsing agrees with std::chrono and instant order equals normalised text order") {
    // Random instants (with deliberate duplicates and 1 ns / 1 s neighbours), each written
    // with a random offset, precision, separator and zone spelling.
    std::mt19937_64 rng(20240115);
    std::uniform_int_distribution<std::int64_t> any_second(kEpochStart.seconds, kLastSecond);
    std::uniform_int_distribution<std::int32_t> any_nano(0, 999999999);
    std::uniform_int_distribution<int> percent(0, 99);
    std::uniform_int_distribution<int> offset_minutes(-(23 * 60 + 59), 23 * 60 + 59);

    struct Sample {
      Instant instant;
      std::string text;
      std::string normalised;
    };
    std::vector<Sample> samples;
    int reexpressed = 0;
    for (int i = 0; i < 3000; ++i) {
      Instant t{any_second(rng), percent(rng) < 30 ? 0 : any_nano(rng)};
      if (!samples.empty()) {
        const Instant previous = samples[static_cast<std::size_t>(rng() % samples.size())].instant;
        const int mode = percent(rng);
        if (mode < 15) {
          t = previous;  // the same instant, probably written another way
        } else if (mode < 25) {
          t = previous;
          if (t.nanos < 999999999) ++t.nanos;
        } else if (mode < 35) {
          t = previous;
          if (t.seconds < kLastSecond) ++t.seconds;
        }
      }

      // Local time at a random offset (Z when that would leave years 0001..9999).
      int offset = percent(rng) < 20 ? 0 : offset_minutes(rng);
      std::int64_t local = t.seconds + std::int64_t{offset} * 60;
      if (local < kEpochStart.seconds || local > kLastSecond) {
        offset = 0;
        local = t.seconds;
      }
      const Civil c = reference_civil(local);
      // The date part from the standard library must agree with the reference round trip.
      REQUIRE(reference_days(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 +
                  c.second ==
              local);

      std::string fraction;
      if (t.nanos != 0 || percent(rng) < 10) {
        char nine[16];
        std::snprintf(nine, sizeof nine, "%09d", static_cast<int>(t.nanos));
        std::size_t significant = 9;
        while (significant > 0 && nine[significant - 1] == '0') --significant;
        const std::size_t width =
            significant +
            static_cast<std::size_t>(rng() % (10 - std::max<std::size_t>(significant, 1)));
        fraction =
            (percent(rng) < 10 ? "," : ".") + std::string(nine, std::max<std::size_t>(width, 1));
      }
      std::string zone;
      if (offset == 0 && percent(rng) < 70) {
        zone = percent(rng) < 80 ? "Z" : "z";
      } else {
        const int magnitude = offset < 0 ? -offset : offset;
        char text[16];
        const int style = percent(rng) % 3;
        if (style == 0 || magnitude % 60 != 0)
          std::snprintf(text, sizeof text, "%c%02d:%02d", offset < 0 ? '-' : '+', magnitude / 60,
                        magnitude % 60);
        else if (style == 1)
          std::snprintf(text, sizeof text, "%c%02d%02d", offset < 0 ? '-' : '+', magnitude / 60,
                        magnitude % 60);
        else
          std::snprintf(text, sizeof text, "%c%02d", offset < 0 ? '-' : '+', magnitude / 60);
        zone = text;
        ++reexpressed;
      }
      const char separator = "TTTt "[rng() % 5];
      char head[64];
      std::snprintf(head, sizeof head, "%04d-%02u-%02u%c%02u:%02u:%02u", c.year, c.month, c.day,
                    separator, c.hour, c.minute, c.second);
      const std::string text = head + fraction + zone;

      CAPTURE(text);
      const auto parsed = tsync::parse_timestamp(text);
      REQUIRE(parsed);
      REQUIRE(*parsed == t);
      samples.push_back({t, text, tsync::format_utc(*parsed)});
      REQUIRE(samples.back().normalised == reference_text(t));
    }
    CHECK(reexpressed > 1000);

    std::vector<Sample> sorted = samples;
    std::sort(sorted.begin(), sorted.end(),
              [](const Sample& a, const Sample& b) { return a.instant < b.instant; });
    int equal_pairs = 0;
    for (std::size_t i = 1; i < sorted.size(); ++i) {
      const Sample& a = sorted[i - 1];
      const Sample& b = sorted[i];
      CAPTURE(a.text);
      CAPTURE(b.text);
      REQUIRE((a.instant < b.instant) == (a.normalised < b.normalised));
      REQUIRE((a.instant == b.instant) == (a.normalised == b.normalised));
      if (a.instant == b.instant) ++equal_pairs;
    }
    CHECK(equal_pairs > 100);  // the generator really made equal instants written differently

    for (int i = 0; i < 20000; ++i) {
      const Sample& a = samples[static_cast<std::size_t>(rng() % samples.size())];
      const Sample& b = samples[static_cast<std::size_t>(rng() % samples.size())];
      REQUIRE((a.instant <=> b.instant) == (a.normalised <=> b.normalised));
    }
  }

  TEST_CASE("minus_seconds goes back in time and stops at kEpochStart") {
    const Instant t{1705314600, 123};
    SUBCASE("an ordinary step keeps the fraction") {
      CHECK(tsync::minus_seconds(t, 60) == Instant{1705314540, 123});
      CHECK(tsync::minus_seconds(t, 86400 * 365) == Instant{1705314600 - 86400 * 365, 123});
    }
    SUBCASE("zero and negative amounts change nothing") {
      CHECK(tsync::minus_seconds(t, 0) == t);
      CHECK(tsync::minus_seconds(t, -5) == t);
      CHECK(tsync::minus_seconds(t, std::numeric_limits<std::int64_t>::min()) == t);
    }
    SUBCASE("clamped at kEpochStart") {
      CHECK(tsync::minus_seconds(kEpochStart, 1) == kEpochStart);
      CHECK(tsync::minus_seconds(Instant{kEpochStart.seconds + 5, 0}, 6) == kEpochStart);
      CHECK(tsync::minus_seconds(t, std::numeric_limits<std::int64_t>::max()) == kEpochStart);
      CHECK(tsync::minus_seconds(Instant{kLastSecond, 999999999},
                                 std::numeric_limits<std::int64_t>::max()) == kEpochStart);
    }
    SUBCASE("landing exactly on the first second keeps the fraction") {
      CHECK(tsync::minus_seconds(Instant{kEpochStart.seconds + 5, 0}, 5) == kEpochStart);
      CHECK(tsync::minus_seconds(Instant{kEpochStart.seconds + 5, 500}, 5) ==
            Instant{kEpochStart.seconds, 500});
      CHECK(tsync::minus_seconds(Instant{kEpochStart.seconds + 5, 500}, 4) ==
            Instant{kEpochStart.seconds + 1, 500});
    }
    SUBCASE("the result is never before kEpochStart") {
      std::mt19937_64 rng(7);
      std::uniform_int_distribution<std::int64_t> near(kEpochStart.seconds,
                                                       kEpochStart.seconds + 100);
      for (int i = 0; i < 1000; ++i) {
        const Instant start{near(rng), static_cast<std::int32_t>(rng() % 1000000000)};
        const std::int64_t amount = static_cast<std::int64_t>(rng() % 200);
        const Instant result = tsync::minus_seconds(start, amount);
        CHECK(result >= kEpochStart);
        CHECK(result <= start);
      }
    }
  }

  TEST_CASE("epoch cursors: seconds and milliseconds, with fractions, both ways") {
    using tsync::CursorFormat;
    const auto seconds = CursorFormat::UnixSeconds;
    const auto millis = CursorFormat::UnixMillis;
    CHECK(tsync::parse_cursor(seconds, "1705314600") == Instant{1705314600, 0});
    CHECK(tsync::parse_cursor(seconds, "1705314600.25") == Instant{1705314600, 250000000});
    CHECK(tsync::parse_cursor(millis, "1705314600123") == Instant{1705314600, 123000000});
    CHECK(tsync::parse_cursor(millis, "1705314600123.5") == Instant{1705314600, 123500000});
    CHECK(tsync::parse_cursor(millis, "0") == Instant{0, 0});
    CHECK(tsync::parse_cursor(seconds, "-1.5") == Instant{-2, 500000000});
    CHECK(tsync::parse_cursor(millis, "-1") == Instant{-1, 999000000});
    for (const char* bad : {"", "-", "1e12", "1.", ".5", "12a", " 12", "0x10", "1.2.3",
                            "99999999999999999999999", "1.0000000001"}) {
      CAPTURE(bad);
      CHECK_FALSE(tsync::parse_cursor(seconds, bad).has_value());
    }
    CHECK_FALSE(tsync::parse_cursor(seconds, "253402300800").has_value());  // year 10000
    CHECK(tsync::format_cursor(seconds, Instant{1705314600, 0}) == "1705314600");
    CHECK(tsync::format_cursor(seconds, Instant{1705314600, 250000000}) == "1705314600.25");
    CHECK(tsync::format_cursor(millis, Instant{1705314600, 123000000}) == "1705314600123");
    CHECK(tsync::format_cursor(millis, Instant{1705314600, 123500000}) == "1705314600123.5");
    CHECK(tsync::format_cursor(seconds, Instant{-2, 500000000}) == "-1.5");
    CHECK(tsync::format_cursor(millis, Instant{-1, 999500000}) == "-0.5");
    CHECK(tsync::format_cursor(CursorFormat::Iso8601, Instant{0, 0}) == "1970-01-01T00:00:00Z");
    CHECK(tsync::first_cursor_text(millis) == "0");
    CHECK(tsync::first_cursor_text(CursorFormat::Iso8601) == "0001-01-01T00:00:00Z");
    std::mt19937_64 rng(11);
    for (int i = 0; i < 2000; ++i) {
      const Instant t{static_cast<std::int64_t>(rng() % 300000000000ULL) - 60000000000LL,
                      static_cast<std::int32_t>(rng() % 1000000000)};
      const Instant whole_micros{t.seconds, t.nanos / 1000 * 1000};
      CHECK(tsync::parse_cursor(seconds, tsync::format_cursor(seconds, t)) == t);
      CHECK(tsync::parse_cursor(millis, tsync::format_cursor(millis, whole_micros)) ==
            whole_micros);
    }
  }

}  // TEST_SUITE
