// SPDX-License-Identifier: Apache-2.0
#pragma once

// Google Calendar-shaped events of one calendar, read through events.list with
// page and sync tokens: generated from a seed, changed as a nightly run finds
// them (changed, added, cancelled), each change with the next sequence number
// of the feed, and written as Calendar API v3 writes them.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/change_clock.hpp"
#include "mock/change_feed.hpp"

namespace tsync::mock {

// The sizes, the calendar and how tokens expire. The defaults are small, for
// a test to read.
struct GoogleOptions {
  std::size_t events = 20;
  std::size_t page = 250;  // events a page when the request names no maxResults
  // The calendar's id, served besides "primary".
  std::string calendar_id = "team.calendar@example.com";
  // Tokens older than this many seconds answer 410; 0: never.
  std::int64_t token_ttl_seconds = 0;
};

// Reads the command-line form EVENTS[:PAGE] and checks it. Throws
// std::invalid_argument saying what is wrong.
GoogleOptions parse_google_spec(std::string_view text);

// Checks at most 5,000,000 events, a page of 1 to 2500 and a calendar id of
// 1 to 200 characters without '/'. Throws std::invalid_argument.
void check_google(const GoogleOptions& options);

struct GoogleEvent {
  std::string id;  // lowercase base32hex, 26 characters
  bool cancelled = false;
  std::string summary;
  Instant created, updated, start, end;  // created and updated with milliseconds
  std::uint64_t sequence = 0;            // of its last change
};

// RFC 3339 with milliseconds and Z: "2024-06-01T09:30:00.123Z".
std::string format_millis(Instant instant);

// One page of a read: the events' JSON, where the next page begins, and
// whether one does.
struct EventPage {
  std::vector<std::string> events;
  FeedState next;
  bool more = false;
};

// What the list's answer says of the calendar as a whole.
struct CalendarFacts {
  std::string etag;     // "\"<digits>\"", with the quotes
  std::string updated;  // the latest change, format_millis
};

// The events. Thread-safe; off until serve().
class GoogleEvents {
 public:
  // Changes are stamped, and tokens issued and aged, by `clock`, which
  // outlives this.
  explicit GoogleEvents(ChangeClock& clock) : clock_(clock) {}

  // Serves new events generated from `options` and `seed` (the same for the
  // same values) from now on. Throws std::invalid_argument for options that
  // check_google refuses. Tokens issued before answer as expired.
  void serve(const GoogleOptions& options, std::uint64_t seed);
  bool serving() const;
  GoogleOptions options() const;

  // The confirmed events, in a full read's order, each as it is served: what
  // a replica should hold.
  std::vector<std::string> live() const;
  std::vector<GoogleEvent> events() const;
  // The cancelled events' ids, in the order cancelled.
  std::vector<std::string> cancelled() const;

  // `update` confirmed events chosen at random change (a new summary, and
  // every other one moved by an hour), and `add` new ones come. Returns their ids.
  std::vector<std::string> mutate(std::size_t update, std::size_t add);
  // `count` confirmed events chosen at random are cancelled. Returns their ids.
  std::vector<std::string> cancel(std::size_t count);
  // Every token issued so far answers 410 from now on.
  void expire_tokens();

  // Requests read so far: full reads' pages, and sync-token reads' pages.
  std::size_t full_requests() const;
  std::size_t sync_requests() const;

  // What the routes serve. The state of a read that begins now: a full read
  // (cancelled events too when `show_deleted`), or the changes since `since`.
  FeedState begin(bool changes, std::uint64_t since, bool show_deleted) const;
  // `state` stamped as a token issued now.
  FeedState issue(FeedState state) const;
  bool expired(const FeedState& state) const;
  // At most `count` events of the read at `state`, cancelled ones as {"kind",
  // "etag", "id", "status": "cancelled", "updated"}. Counts the request.
  EventPage read(FeedState state, std::size_t count) const;
  CalendarFacts facts() const;

 private:
  GoogleEvent make_event(std::uint64_t n, Instant created) const;
  void touch(std::size_t index, Instant at);

  ChangeClock& clock_;
  mutable std::mutex mutex_;
  bool serving_ = false;
  GoogleOptions options_;
  std::vector<GoogleEvent> events_;  // in creation order, cancelled ones kept
  ChangeOrder order_;
  std::vector<std::size_t> cancelled_;  // indices, in the order cancelled
  Instant latest_;                      // the latest updated of any event
  std::uint64_t sequence_ = 0, generation_ = 0, seed_ = 0, changes_ = 0;
  mutable std::size_t full_requests_ = 0, sync_requests_ = 0;
};

}  // namespace tsync::mock
