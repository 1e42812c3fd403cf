// SPDX-License-Identifier: Apache-2.0
#include "common/timestamp.hpp"

#include <array>

namespace tsync {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian civil date (Howard Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

constexpr std::int64_t kSecondsPerDay = 86400;
// 9999-12-31T23:59:59Z, the last whole second the tool accepts.
constexpr std::int64_t kLastSecond = days_from_civil(9999, 12, 31) * kSecondsPerDay + 86399;

// Reads exactly `n` decimal digits at `pos`; advances pos. Returns -1 on failure.
int digits(std::string_view s, std::size_t& pos, int n) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return -1;
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const char c = s[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

void put(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::optional<Instant> parse_timestamp(std::string_view s) {
  std::size_t pos = 0;
  const int year = digits(s, pos, 4);
  if (year < 1 || !expect(s, pos, '-')) return std::nullopt;
  const int month = digits(s, pos, 2);
  if (month < 1 || month > 12 || !expect(s, pos, '-')) return std::nullopt;
  const int day = digits(s, pos, 2);
  if (day < 1 || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  if (!(expect(s, pos, 'T') || expect(s, pos, 't') || expect(s, pos, ' '))) return std::nullopt;
  const int hour = digits(s, pos, 2);
  if (hour < 0 || hour > 23 || !expect(s, pos, ':')) return std::nullopt;
  const int minute = digits(s, pos, 2);
  if (minute < 0 || minute > 59 || !expect(s, pos, ':')) return std::nullopt;
  const int second = digits(s, pos, 2);
  if (second < 0 || second > 59) return std::nullopt;

  std::int32_t nanos = 0;
  if (expect(s, pos, '.') || expect(s, pos, ',')) {
    int count = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (++count > 9) return std::nullopt;
      nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
    }
    if (count == 0) return std::nullopt;
    for (; count < 9; ++count) nanos *= 10;
  }

  std::int64_t offset = 0;
  if (expect(s, pos, 'Z') || expect(s, pos, 'z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    const int oh = digits(s, pos, 2);
    if (oh < 0 || oh > 23) return std::nullopt;
    int om = 0;
    if (pos < s.size()) {
      expect(s, pos, ':');
      om = digits(s, pos, 2);
      if (om < 0 || om > 59) return std::nullopt;
    }
    offset = std::int64_t{sign} * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  const std::int64_t local =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) *
          kSecondsPerDay +
      std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
  const std::int64_t utc = local - offset;
  if (utc < kEpochStart.seconds || utc > kLastSecond) return std::nullopt;
  return Instant{utc, nanos};
}

void format_utc(Instant t, char* out) {
  std::int64_t days = t.seconds / kSecondsPerDay;
  std::int64_t rem = t.seconds % kSecondsPerDay;
  if (rem < 0) {
    rem += kSecondsPerDay;
    --days;
  }
  const Civil c = civil_from_days(days);
  const auto secs = static_cast<unsigned>(rem);
  put(out, static_cast<unsigned>(c.year), 4);
  out[4] = '-';
  put(out + 5, c.month, 2);
  out[7] = '-';
  put(out + 8, c.day, 2);
  out[10] = 'T';
  put(out + 11, secs / 3600, 2);
  out[13] = ':';
  put(out + 14, secs / 60 % 60, 2);
  out[16] = ':';
  put(out + 17, secs % 60, 2);
  out[19] = '.';
  put(out + 20, static_cast<unsigned>(t.nanos), 9);
  out[29] = 'Z';
}

std::string format_utc(Instant instant) {
  std::string text(kNormalisedWidth, '\0');
  format_utc(instant, text.data());
  return text;
}

std::string format_compact(Instant instant) {
  std::string text = format_utc(instant);
  text.pop_back();  // 'Z'
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  text.push_back('Z');
  return text;
}

Instant minus_seconds(Instant instant, std::int64_t seconds) {
  if (seconds <= 0) return instant;
  if (instant.seconds - kEpochStart.seconds < seconds) return kEpochStart;
  return Instant{instant.seconds - seconds, instant.nanos};
}

}  // namespace tsync

namespace tsync {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

// Reads "[-]digits[.digits]" exactly; the fraction's digits beyond `max_fraction`
// must be zeros (a finer fraction than the format's unit holds is refused).
bool decimal(std::string_view s, bool& negative, std::int64_t& whole, std::int64_t& fraction,
             int max_fraction) {
  std::size_t pos = 0;
  negative = false;
  if (pos < s.size() && s[pos] == '-') {
    negative = true;
    ++pos;
  }
  const std::size_t start = pos;
  whole = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (whole > (INT64_MAX - 9) / 10) return false;
    whole = whole * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos == start) return false;
  fraction = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t fraction_start = pos;
    int taken = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (taken < max_fraction) {
        fraction = fraction * 10 + (s[pos] - '0');
        ++taken;
      } else if (s[pos] != '0') {
        return false;
      }
      ++pos;
    }
    if (pos == fraction_start) return false;
    for (; taken < max_fraction; ++taken) fraction *= 10;
  }
  return pos == s.size();
}

// Appends ".fff" with trailing zeros trimmed, or nothing for a zero fraction.
void append_fraction(std::string& out, std::int64_t fraction, int width) {
  if (fraction == 0) return;
  std::string digits = std::to_string(fraction);
  digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  out += '.';
  out += digits;
}

}  // namespace

std::string_view cursor_format_name(CursorFormat format) {
  switch (format) {
    case CursorFormat::UnixSeconds:
      return "unix_seconds";
    case CursorFormat::UnixMillis:
      return "unix_millis";
    case CursorFormat::Iso8601:
      break;
  }
  return "iso8601";
}

std::optional<Instant> parse_cursor(CursorFormat format, std::string_view text) {
  if (format == CursorFormat::Iso8601) return parse_timestamp(text);
  const bool millis = format == CursorFormat::UnixMillis;
  bool negative = false;
  std::int64_t whole = 0, fraction = 0;
  // Seconds take up to 9 fraction digits (nanoseconds), milliseconds up to 6.
  if (!decimal(text, negative, whole, fraction, millis ? 6 : 9)) return std::nullopt;
  Instant t;
  if (millis) {
    t.seconds = whole / 1000;
    t.nanos = static_cast<std::int32_t>((whole % 1000) * 1'000'000 + fraction);
  } else {
    t.seconds = whole;
    t.nanos = static_cast<std::int32_t>(fraction);
  }
  if (negative && (t.seconds != 0 || t.nanos != 0)) {
    t.seconds = -t.seconds;
    if (t.nanos != 0) {
      t.seconds -= 1;
      t.nanos = static_cast<std::int32_t>(kNanosPerSecond - t.nanos);
    }
  }
  if (t < kEpochStart || t.seconds > kLastSecond) return std::nullopt;
  return t;
}

std::string format_cursor(CursorFormat format, Instant t) {
  if (format == CursorFormat::Iso8601) return format_compact(t);
  // Whole units and the fraction of a unit, of an instant that may be negative.
  const bool millis = format == CursorFormat::UnixMillis;
  const std::int64_t unit_nanos = millis ? 1'000'000 : kNanosPerSecond;
  const std::int64_t per_second = kNanosPerSecond / unit_nanos;
  std::int64_t whole = t.seconds * per_second + t.nanos / unit_nanos;
  std::int64_t fraction = t.nanos % unit_nanos;
  std::string out;
  if (whole < 0 && fraction != 0) {
    whole += 1;
    fraction = unit_nanos - fraction;
    if (whole == 0) out = "-";  // -0.5: to_string(0) has no sign
  }
  out += std::to_string(whole);
  append_fraction(out, fraction, millis ? 6 : 9);
  return out;
}

std::string first_cursor_text(CursorFormat format) {
  return format == CursorFormat::Iso8601 ? "0001-01-01T00:00:00Z" : "0";
}

}  // namespace tsync
