// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/catalog.hpp"
#include "mock/random.hpp"
#include "mock/tombstone.hpp"

namespace tsync::mock {

// One user as the API serves it: every field is the exact text in the JSON.
struct User {
  std::string id, name, email, address, company, job, updatedAt, createdAt;
  Instant updated;  // parsed updatedAt
};

// How the served timestamps are written. All three styles come from the same
// seed; Utc and Offset describe exactly the same instants (whole seconds),
// Fractional adds milliseconds.
//   Utc:        "2024-01-15T10:30:00Z"
//   Fractional: "2024-01-15T10:30:00.123Z"
//   Offset:     "2024-01-15T12:30:00+02:00" (each user has its own offset)
enum class TimestampStyle { Utc, Fractional, Offset };

// The stretch of time the users' updatedAt values are spread over when a
// UserStore is built: `seconds` long from `start`, gaps averaging
// seconds / (users + 1).
struct Timeline {
  Instant start;
  std::int64_t seconds = 0;
  // Every updatedAt before start + seconds: a user the random gaps would carry
  // past it gets its last millisecond instead. Unbounded, the last users may run
  // a little past the end.
  bool bounded = false;
};

// 2024 (a leap year), unbounded: the users of every UserStore built without a
// timeline.
inline constexpr Timeline kYear2024{Instant{1704067200, 0}, std::int64_t{366} * 86400, false};

// The `days` days before `end`, bounded: every updatedAt is after end - days and
// before end.
Timeline days_before(Instant end, std::int64_t days);

// The JSON object text the API serves for `user`, keys in the order
// id, name, email, address, company, job, updatedAt, createdAt.
std::string render_user(const User& user);

// Everything needed to render one user; a few dozen bytes instead of eight strings.
struct UserRecipe {
  std::uint64_t id_hi = 0;
  std::uint64_t id_lo = 0;
  Instant updated;
  Instant created;
  std::uint32_t zip = 0;
  std::uint16_t house = 0;
  std::uint16_t apartment = 0;  // 0: none
  std::uint8_t first = 0, last = 0;
  std::uint8_t street = 0, street_suffix = 0, city = 0;
  std::uint8_t company_pattern = 0, company_a = 0, company_b = 0, company_suffix = 0;
  std::uint8_t job_level = 0, job = 0;
  std::uint8_t email_style = 0, email_domain = 0, email_number = 0;
  std::uint8_t offset = 0;
  std::uint8_t state = kLiveState;  // or removed_state(how)
};

// Draws everything of a new user but the timestamps. Always draws the same
// number of values, so users do not depend on the timestamp style.
void pick_person(Rng& rng, UserRecipe& r);
// A new job, and a new company or email: a user's change.
void change_user(Rng& rng, UserRecipe& r);

// The served instant of a time given in milliseconds since 1970.
Instant user_instant(std::int64_t millis, TimestampStyle style);
// The user's id, as served.
std::string id_text(const UserRecipe& r);
// Writes the user's fields into `u`, reusing its strings' capacity.
void fill_user(const UserRecipe& r, TimestampStyle style, User& u);
// Serving order of users: (updated, id); the id's text order is its numeric order.
bool serves_before(const UserRecipe& a, const UserRecipe& b);

// Average rendered size of one user, for reserving block space.
inline constexpr std::size_t kTypicalUserBytes = 300;
// Renders user `index`, or its tombstone, into `writer` and returns its slot.
Catalog::Slot add_user(CatalogWriter& writer, const UserRecipe& r, std::uint32_t index,
                       TimestampStyle style);

// `count` users drawn from `seed`, their updatedAt spread over `timeline` with
// about one user in 20 sharing the previous user's, in serving order.
std::vector<UserRecipe> generate_users(std::size_t count, std::uint64_t seed, TimestampStyle style,
                                       Timeline timeline);

}  // namespace tsync::mock
