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

// The users the mock API serves, generated deterministically from a seed:
// realistic names, emails derived from them, street addresses, companies, jobs,
// UUID-like ids, createdAt <= updatedAt, updatedAt spread over `timeline` (2024
// unless told) with about one user in 20 sharing the previous user's updatedAt.
// The same (count, seed, style, timeline) always gives the same users and, after
// the same calls, the same changes.
// Each record's JSON text is rendered once and re-rendered only when it changes.
// Thread-safe: every member locks an internal mutex.
class UserStore {
 public:
  UserStore(std::size_t count, std::uint64_t seed, TimestampStyle style = TimestampStyle::Utc,
            Timeline timeline = kYear2024);
  ~UserStore();
  UserStore(const UserStore&) = delete;
  UserStore& operator=(const UserStore&) = delete;

  // Gives `updates` distinct live users (chosen deterministically; all of them
  // when there are fewer) a new updatedAt later than every timestamp so far,
  // raw positions included, and a new job plus a new company or email; then adds
  // `additions` new users (createdAt == updatedAt), later still.
  void mutate(std::size_t updates, std::size_t additions);

  // Removes `count` distinct live users (chosen deterministically; all of them
  // when there are fewer) and returns their ids in serving order. How each is
  // served from then on depends on `tombstone`:
  //   None: not at all.
  //   Flag: {"id": .., "updatedAt": <new timestamp>, "deleted": true}
  //   At:   the user's last version with updatedAt the new timestamp, then
  //         "deletedAt": the same instant in UTC, "2024-01-15T10:30:00Z" (with
  //         milliseconds in the Fractional style, "Z" in the Offset style too).
  // The new timestamps are those of a mutate() batch: the first later than every
  // timestamp so far, raw positions included, the next later or equal. A
  // tombstone is served like any user until restore().
  std::vector<std::string> remove(std::size_t count, Tombstone tombstone = Tombstone::None);

  // Serves the removed users among `ids` as users again, each changed as mutate()
  // changes a user, at new timestamps as in mutate(); their tombstones are no
  // longer served. Ids that name no removed user are ignored.
  void restore(const std::vector<std::string>& ids);

  // Gives exactly the live users among `ids` new versions, as mutate() changes
  // the users it picks, at new timestamps later than every one so far, in the
  // order of `ids`. Unknown ids, removed users and repeats are ignored.
  void touch(const std::vector<std::string>& ids);

  // The index of the user whose id is `id`, which is Catalog::Slot::record of
  // its slot; nullopt when no user has that id.
  std::optional<std::uint32_t> record_index(const std::string& id) const;

  // Serves `json_object` verbatim among the users, positioned as if its updatedAt
  // were `position` (after the users of that instant). It is not a user: neither
  // snapshot() nor size() counts it. Used to serve bad records and hostile strings.
  void add_raw(const std::string& json_object, Instant position);

  // Every live user, sorted by (updated, id), with the exact texts served
  // (removed users and tombstones excluded).
  std::vector<User> snapshot() const;
  // Number of live users (raw records, removed users and tombstones excluded).
  std::size_t size() const;
  // What is served right now.
  std::shared_ptr<const Catalog> catalog() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsync::mock
