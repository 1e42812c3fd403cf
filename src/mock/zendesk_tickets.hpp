// SPDX-License-Identifier: Apache-2.0
#pragma once

// Zendesk-shaped nested resources: tickets, read through the incremental
// cursor export, and each ticket's audits, generated from a seed, changed as a
// nightly run finds them (tickets updated with a new audit, added, deleted),
// and written as Zendesk's API v2 writes them.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/change_clock.hpp"

namespace tsync::mock {

// The sizes, and Zendesk's rule on recent start times. The defaults are small,
// for a test to read.
struct ZendeskOptions {
  std::size_t tickets = 20;
  std::size_t audits = 3;  // per ticket
  // Refuse an export's start_time later than a minute ago with 400 "Too recent
  // start_time", as Zendesk does. Off by default: a test that changes tickets
  // and reads them back at once asks from a start_time of seconds ago.
  bool refuse_recent_start_time = false;
};

// Reads the command-line form TICKETS[:AUDITS] and checks it. Throws
// std::invalid_argument saying what is wrong.
ZendeskOptions parse_zendesk_spec(std::string_view text);

// Checks at most 20,000,000 tickets and audits together. Throws std::invalid_argument.
void check_zendesk(const ZendeskOptions& options);

// One event of an audit: a comment, or a change of one field.
struct ZendeskEvent {
  std::int64_t id = 0;
  bool comment = true;  // "type": "Comment" (body), else "Change" (field_name, value,
                        // previous_value; previous_value null when empty)
  std::string body;
  std::string field_name, value, previous_value;
};

struct ZendeskAudit {
  std::int64_t id = 0;  // unique among every audit, ascending in creation order
  std::int64_t ticket_id = 0;
  Instant created;
  std::int64_t author_id = 0;
  std::vector<ZendeskEvent> events;
};

struct ZendeskTicket {
  std::int64_t id = 0;  // from 1, in creation order
  std::string subject, description;
  std::string status;  // new, open, pending, solved or closed; "deleted" once deleted
  std::int64_t requester_id = 0;
  Instant created, updated;
  std::int64_t generated_timestamp = 0;  // Unix seconds of its last change
  std::vector<ZendeskAudit> audits;      // ascending by created_at and id
};

// A place in the export's order (generated_timestamp, then id): a page holds
// the tickets after it.
struct ExportPosition {
  std::int64_t generated_timestamp = 0;
  std::int64_t id = 0;
};

// One page of the export: its tickets' JSON, the place after its last ticket
// (the request's own when it has none), and whether tickets follow it now.
struct ExportPage {
  std::vector<std::string> tickets;
  ExportPosition after;
  bool end_of_stream = true;
};

// One page of a ticket's audits: their JSON, the first and last audit's ids,
// and whether audits come before and after it.
struct AuditPage {
  std::vector<std::string> audits;
  std::int64_t first_id = 0, last_id = 0;  // 0 when the page is empty
  bool has_before = false, has_more = false;
};

// A ticket's audits' answer, or what it could not find.
struct AuditAnswer {
  enum class Missing { None, Ticket, Cursor } missing = Missing::None;
  AuditPage page;
};

// The tickets. Thread-safe; off until serve().
class ZendeskTickets {
 public:
  // Changes are stamped by `clock`, which outlives this.
  explicit ZendeskTickets(ChangeClock& clock) : clock_(clock) {}

  // Serves new tickets generated from `options` and `seed` (the same for the
  // same values) from now on. Throws std::invalid_argument for options that
  // check_zendesk refuses.
  void serve(const ZendeskOptions& options, std::uint64_t seed);
  bool serving() const;
  ZendeskOptions options() const;

  // The tickets served now and not deleted, by id, each with every audit: what
  // a replica of both streams should hold.
  std::vector<ZendeskTicket> tickets() const;
  // The ids of the deleted tickets, ascending.
  std::vector<std::int64_t> deleted() const;

  // Each of `count` tickets chosen at random among those not closed or deleted
  // (all of them when there are fewer) gets a new audit (a comment, and a
  // status change unless it is solved), and its updated_at and
  // generated_timestamp move to now. Returns their ids.
  std::vector<std::int64_t> update(std::size_t count);
  // A new ticket, status "new", created now, with its first audit.
  ZendeskTicket add_ticket();
  // The ticket's status becomes "deleted" and its generated_timestamp moves to
  // now: the export lists it once more so, its audits answer 404, and
  // tickets() leaves it out. Throws std::out_of_range for an id not served.
  void delete_ticket(std::int64_t id);

  // What the routes serve, with `origin` ("http://host:port") in the tickets'
  // urls: at most `count` tickets after `after` in the export's order, deleted
  // ones included; at most `count` audits of a ticket after the audit with id
  // `after_id` (or before `before_id`; both 0: from the first), Missing::Cursor
  // when that audit is not the ticket's.
  ExportPage export_tickets(ExportPosition after, std::size_t count,
                            const std::string& origin) const;
  // One ticket's JSON; nullopt when it is not served or deleted.
  std::optional<std::string> ticket(std::int64_t id, const std::string& origin) const;
  AuditAnswer list_audits(std::int64_t ticket_id, std::int64_t after_id, std::int64_t before_id,
                          std::size_t count) const;

 private:
  ZendeskTicket* live(std::int64_t id);
  // Stamps the ticket changed at `at`, keeping the export's order.
  void stamp(ZendeskTicket& ticket, Instant at);
  ZendeskAudit new_audit(const ZendeskTicket& ticket, Instant at, const std::string& comment,
                         const std::string& old_status);

  ChangeClock& clock_;
  mutable std::mutex mutex_;
  bool serving_ = false;
  ZendeskOptions options_;
  std::vector<ZendeskTicket> tickets_;                     // by id, from 1, deleted ones kept
  std::set<std::pair<std::int64_t, std::int64_t>> order_;  // (generated_timestamp, id)
  std::int64_t next_audit_id_ = 0, next_event_id_ = 0;
  std::uint64_t seed_ = 0, changes_ = 0;
};

}  // namespace tsync::mock
