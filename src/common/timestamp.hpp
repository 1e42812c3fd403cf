// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tsync {

// A point in time with nanosecond precision: seconds since 1970-01-01T00:00:00Z
// (negative before it) plus a fraction. Ordering is time order.
struct Instant {
  std::int64_t seconds = 0;
  std::int32_t nanos = 0;  // 0 .. 999'999'999

  friend auto operator<=>(const Instant&, const Instant&) = default;
};

// The instant before every timestamp the tool accepts: 0001-01-01T00:00:00Z.
inline constexpr Instant kEpochStart{-62135596800, 0};

// Width of the normalised text written by format_utc: "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ".
inline constexpr std::size_t kNormalisedWidth = 30;

// Parses an ISO 8601 / RFC 3339 timestamp: "YYYY-MM-DDTHH:MM:SS", optional fraction
// of 1 to 9 digits, then "Z" or an offset "+HH:MM", "-HH:MM", "+HHMM" or "+HH".
// A space or lowercase 't' may separate date and time; 'z' is accepted for 'Z'.
// Returns nothing for any other text, an impossible date or time (Feb 30, hour 24,
// leap second 60), or an instant outside years 0001..9999 in UTC.
std::optional<Instant> parse_timestamp(std::string_view text);

// Writes the instant as UTC text of exactly kNormalisedWidth characters,
// "2024-01-15T10:30:00.000000000Z", so that string order is time order and
// SQLite's date functions read it. `out` must hold kNormalisedWidth characters.
void format_utc(Instant instant, char* out);
std::string format_utc(Instant instant);

// Writes the instant as short UTC text for a request: "2024-01-15T10:30:00Z",
// with a fraction only when it is not zero, trailing zeros trimmed.
std::string format_compact(Instant instant);

// The instant `seconds` earlier, never earlier than kEpochStart.
Instant minus_seconds(Instant instant, std::int64_t seconds);

// How a stream's cursor field is written by its API.
enum class CursorFormat {
  Iso8601,      // text, parse_timestamp's forms
  UnixSeconds,  // a number of seconds since 1970-01-01T00:00:00Z, maybe with a fraction
  UnixMillis,   // a number of milliseconds since then, maybe with a fraction
};

// "iso8601", "unix_seconds", "unix_millis".
std::string_view cursor_format_name(CursorFormat format);

// Reads a cursor value written in `format`. An epoch value is decimal digits with
// an optional sign and fraction (JSON's number text, without an exponent, or the
// same digits inside a string). Returns nothing for any other text or an instant
// outside years 0001..9999.
std::optional<Instant> parse_cursor(CursorFormat format, std::string_view text);

// Writes an instant as `format` writes it: format_compact for iso8601, else the
// number of seconds or milliseconds, with a fraction only when it is not zero.
std::string format_cursor(CursorFormat format, Instant instant);

// Where a stream's first sync starts when nothing says otherwise:
// 0001-01-01T00:00:00Z for iso8601, 0 for the epoch formats.
std::string first_cursor_text(CursorFormat format);

}  // namespace tsync
