// SPDX-License-Identifier: Apache-2.0
#pragma once

// The users endpoint (kUsersPath): the generated users and how they are served.

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "mock/endpoint_spec.hpp"
#include "mock/feed.hpp"
#include "mock/user_store.hpp"

namespace tsync::mock {

// The longest timeline Options::updated_within_days may ask for: 100 years.
inline constexpr std::int64_t kMaxUpdatedWithinDays = 36500;

// The users endpoint's settings: which users (fixed at construction) and how
// they are served.
struct Options : ServingOptions {
  std::size_t users = 1000;
  std::uint64_t seed = 1;
  TimestampStyle style = TimestampStyle::Utc;
  // Above 0: the users' updatedAt values are spread over this many days before
  // the MockApi is constructed (days_before); 0: over 2024 (kYear2024). At most
  // kMaxUpdatedWithinDays.
  std::int64_t updated_within_days = 0;
  // What a users request must carry.
  AuthRequirement auth;
};

// The users and their serving options, which change while serving. Thread-safe.
class UsersEndpoint {
 public:
  // Throws std::invalid_argument for options that check_serving or check_auth
  // refuses and for an updated_within_days out of range.
  explicit UsersEndpoint(const Options& options);

  UserStore& store() { return store_; }
  const UserStore& store() const { return store_; }
  // Replaces the serving options (users and seed are fixed at construction);
  // std::invalid_argument for options that check_serving or check_auth refuses.
  void set_options(const Options& options);
  // What a users request must carry now.
  AuthRequirement auth() const;
  // How the users are served now; its latency and rate are the server's, for
  // the routes that have no serving options of their own.
  ServingOptions serving() const;
  // Where a data request of the users finds them: what is served now is read
  // when the feed is loaded.
  Feed feed();

 private:
  mutable std::mutex mutex_;
  Options options_;
  UserStore store_;
};

}  // namespace tsync::mock
