// SPDX-License-Identifier: Apache-2.0
#pragma once

// The users the mock serves, and how they change.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mock/catalog.hpp"
#include "mock/tombstone.hpp"
#include "mock/user_generator.hpp"

namespace tsync::mock {

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
