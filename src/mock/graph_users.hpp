// SPDX-License-Identifier: Apache-2.0
#pragma once

// Microsoft Graph-shaped users, read through the users delta query: generated
// from a seed, changed as a nightly run finds them (changed, added, removed
// for good or soft-deleted and restored), each change with the next sequence
// number of the feed, and written as Graph v1.0 writes them.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "mock/change_clock.hpp"
#include "mock/change_feed.hpp"

namespace tsync::mock {

// The sizes and how tokens expire. The defaults are small, for a test to read.
struct GraphOptions {
  std::size_t users = 20;
  std::size_t page = 100;  // users a page when the request names no odata.maxpagesize
  // Tokens older than this many seconds answer as expired; 0: never.
  std::int64_t token_ttl_seconds = 0;
  // An expired token answers 400 resyncRequired instead of 410 syncStateNotFound,
  // as Graph sometimes does.
  bool resync_required = false;
};

// Reads the command-line form USERS[:PAGE] and checks it. Throws
// std::invalid_argument saying what is wrong.
GraphOptions parse_graph_spec(std::string_view text);

// Checks at most 5,000,000 users and a page of 1 to 1000. Throws std::invalid_argument.
void check_graph(const GraphOptions& options);

// The properties of a user besides "id", in the order they are written; a
// $select names some of these.
const std::vector<std::string>& graph_properties();

struct GraphUser {
  enum class State { Live, SoftDeleted, Deleted };
  std::string id;  // GUID-like, lowercase
  std::string display_name, given_name, surname, mail, job_title, user_principal_name;
  State state = State::Live;
  std::uint64_t sequence = 0;  // of its last change
};

// One page of a read: the users' JSON, where the next page begins, and
// whether one does.
struct GraphPage {
  std::vector<std::string> users;
  FeedState next;
  bool more = false;
};

// The users. Thread-safe; off until serve().
class GraphUsers {
 public:
  // Tokens are issued and aged by `clock`, which outlives this.
  explicit GraphUsers(ChangeClock& clock) : clock_(clock) {}

  // Serves new users generated from `options` and `seed` (the same for the
  // same values) from now on. Throws std::invalid_argument for options that
  // check_graph refuses. Tokens issued before answer as expired.
  void serve(const GraphOptions& options, std::uint64_t seed);
  bool serving() const;
  GraphOptions options() const;

  // The users not removed, in a full read's order, each as a full read with
  // `select` (empty: every property) writes it: what a replica should hold.
  std::vector<std::string> live(const std::vector<std::string>& select = {}) const;
  std::vector<GraphUser> users() const;
  // The removed users' ids, in the order removed, with "deleted" (for good)
  // or "changed" (soft-deleted, restorable).
  std::vector<std::pair<std::string, std::string>> removed() const;

  // `update` users chosen at random among the live ones change (a new job
  // title, and a new display name for every third), and `add` new ones come.
  // Returns their ids.
  std::vector<std::string> mutate(std::size_t update, std::size_t add);
  // `count` live users chosen at random are removed: for good when `hard`,
  // else soft-deleted. Returns their ids.
  std::vector<std::string> remove(std::size_t count, bool hard);
  // The soft-deleted users with these ids come back, changed. Throws
  // std::out_of_range naming an id that is not a soft-deleted user's, and
  // then restores none.
  void restore(const std::vector<std::string>& ids);
  // Every token issued so far answers as expired from now on.
  void expire_tokens();

  // Requests read so far: full reads' pages, and delta reads' pages.
  std::size_t full_requests() const;
  std::size_t delta_requests() const;

  // What the routes serve. The state of a read that begins now: a full read,
  // or the changes since `since`, reading `select`.
  FeedState begin(bool changes, std::uint64_t since, const std::string& select) const;
  // `state` stamped as a token issued now.
  FeedState issue(FeedState state) const;
  bool expired(const FeedState& state) const;
  // At most `count` users of the read at `state`: in a full read the live
  // users; in a delta read the live users changed within it, whole, then the
  // removed ones as {"id", "@removed": {"reason"}}. Counts the request.
  GraphPage read(FeedState state, std::size_t count) const;

 private:
  GraphUser make_user(std::uint64_t n) const;
  void touch(std::size_t index);

  ChangeClock& clock_;
  mutable std::mutex mutex_;
  bool serving_ = false;
  GraphOptions options_;
  std::vector<GraphUser> users_;  // in creation order, removed ones kept
  ChangeOrder order_;
  std::vector<std::size_t> removed_;  // indices, in the order removed
  std::uint64_t sequence_ = 0, generation_ = 0, seed_ = 0, changes_ = 0;
  mutable std::size_t full_requests_ = 0, delta_requests_ = 0;
};

}  // namespace tsync::mock
