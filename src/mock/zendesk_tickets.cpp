// SPDX-License-Identifier: Apache-2.0
#include "mock/zendesk_tickets.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "mock/catalog.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

constexpr std::int64_t kStart2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;
constexpr std::size_t kMostRecords = 20'000'000;

constexpr const char* kStatuses[] = {"new", "open", "pending", "solved", "closed"};
constexpr const char* kWords[] = {"cannot", "log",      "in",      "to",      "my",      "account",
                                  "refund", "request",  "for",     "order",   "invoice", "is",
                                  "wrong",  "the",      "app",     "crashes", "when",    "paying",
                                  "please", "help",     "with",    "billing", "address", "change",
                                  "late",   "delivery", "missing", "item",    "thanks",  "again"};
constexpr std::int64_t kRequesters[] = {361728394011, 361728394012, 361728394013, 361728394014,
                                        361728394015, 361728394016, 361728394017, 361728394018};
constexpr std::int64_t kAgents[] = {90000000101, 90000000102, 90000000103};

std::string sentence(Rng& rng, std::size_t words) { return mock::sentence(rng, words, kWords); }

std::size_t parse_size(std::string_view text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + " must be a whole number, not \"" +
                                std::string(text) + "\"");
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

// The status a ticket moves to when an agent answers it.
std::string next_status(const std::string& status) {
  if (status == "new") return "open";
  if (status == "open") return "pending";
  if (status == "pending") return "solved";
  return status;
}

void append_time(std::string& out, const char* name, Instant at) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, format_compact(at));
}

std::string ticket_json(const ZendeskTicket& ticket, const std::string& origin) {
  std::string out = "{\"url\":";
  append_json_string(out, origin + "/api/v2/tickets/" + std::to_string(ticket.id) + ".json");
  out += ",\"id\":" + std::to_string(ticket.id);
  append_time(out, "created_at", ticket.created);
  append_time(out, "updated_at", ticket.updated);
  out += ",\"subject\":";
  append_json_string(out, ticket.subject);
  out += ",\"description\":";
  append_json_string(out, ticket.description);
  out += ",\"status\":";
  append_json_string(out, ticket.status);
  out += ",\"requester_id\":" + std::to_string(ticket.requester_id);
  out += ",\"generated_timestamp\":" + std::to_string(ticket.generated_timestamp) + "}";
  return out;
}

std::string audit_json(const ZendeskAudit& audit) {
  std::string out =
      "{\"id\":" + std::to_string(audit.id) + ",\"ticket_id\":" + std::to_string(audit.ticket_id);
  append_time(out, "created_at", audit.created);
  out += ",\"author_id\":" + std::to_string(audit.author_id) + ",\"metadata\":{},\"events\":[";
  for (std::size_t k = 0; k < audit.events.size(); ++k) {
    const ZendeskEvent& event = audit.events[k];
    if (k > 0) out.push_back(',');
    out += "{\"id\":" + std::to_string(event.id);
    if (event.comment) {
      out +=
          ",\"type\":\"Comment\",\"author_id\":" + std::to_string(audit.author_id) + ",\"body\":";
      append_json_string(out, event.body);
      out += ",\"public\":true}";
    } else {
      out += ",\"type\":\"Change\",\"field_name\":";
      append_json_string(out, event.field_name);
      out += ",\"value\":";
      append_json_string(out, event.value);
      out += ",\"previous_value\":";
      if (event.previous_value.empty()) {
        out += "null";
      } else {
        append_json_string(out, event.previous_value);
      }
      out += "}";
    }
  }
  out += "]}";
  return out;
}

}  // namespace

ZendeskOptions parse_zendesk_spec(std::string_view text) {
  ZendeskOptions options;
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
    throw std::invalid_argument("expected TICKETS[:AUDITS], not \"" + std::string(text) + "\"");
  options.tickets = parse_size(text.substr(0, colon), "TICKETS");
  if (colon != std::string_view::npos)
    options.audits = parse_size(text.substr(colon + 1), "AUDITS");
  check_zendesk(options);
  return options;
}

void check_zendesk(const ZendeskOptions& options) {
  const double records =
      static_cast<double>(options.tickets) * (1.0 + static_cast<double>(options.audits));
  if (records > static_cast<double>(kMostRecords))
    throw std::invalid_argument("at most " + std::to_string(kMostRecords) +
                                " tickets and audits together");
}

ZendeskAudit ZendeskTickets::new_audit(const ZendeskTicket& ticket, Instant at,
                                       const std::string& comment, const std::string& old_status) {
  ZendeskAudit audit;
  audit.id = next_audit_id_++;
  audit.ticket_id = ticket.id;
  audit.created = at;
  Rng rng(seed_ ^ static_cast<std::uint64_t>(audit.id));
  audit.author_id = ticket.audits.empty() ? ticket.requester_id : pick(rng, kAgents);
  ZendeskEvent said;
  said.id = next_event_id_++;
  said.body = comment;
  audit.events.push_back(std::move(said));
  if (old_status != ticket.status) {
    ZendeskEvent change;
    change.id = next_event_id_++;
    change.comment = false;
    change.field_name = "status";
    change.value = ticket.status;
    change.previous_value = old_status;
    audit.events.push_back(std::move(change));
  }
  return audit;
}

void ZendeskTickets::serve(const ZendeskOptions& options, std::uint64_t seed) {
  check_zendesk(options);
  Rng rng(seed ^ 0x7a656e6465736b21ull);
  const std::lock_guard lock(mutex_);
  seed_ = seed;
  changes_ = 0;
  next_audit_id_ = 10'000'000'001 + static_cast<std::int64_t>(rng.below(1000));
  next_event_id_ = 20'000'000'001 + static_cast<std::int64_t>(rng.below(1000));
  tickets_.clear();
  tickets_.reserve(options.tickets);
  order_.clear();
  const std::int64_t step =
      std::max<std::int64_t>(1, 300 * kDay / static_cast<std::int64_t>(options.tickets + 1));
  Instant latest{kStart2024, 0};
  for (std::size_t t = 0; t < options.tickets; ++t) {
    ZendeskTicket ticket;
    ticket.id = static_cast<std::int64_t>(t + 1);
    ticket.subject = sentence(rng, 3 + rng.below(4));
    ticket.description = sentence(rng, 8 + rng.below(12));
    ticket.requester_id = pick(rng, kRequesters);
    ticket.created = Instant{kStart2024 + static_cast<std::int64_t>(t + 1) * step +
                                 static_cast<std::int64_t>(rng.below(3600)),
                             0};
    ticket.updated =
        Instant{ticket.created.seconds + static_cast<std::int64_t>(rng.below(20 * kDay)), 0};
    const std::size_t n = options.audits;
    std::string final_status = pick(rng, kStatuses);
    if (n >= 2 && final_status == "new") final_status = "open";
    // The first audit makes the ticket (new, unless it is the only one); each
    // later one answers it, the last one leaving it in its final status.
    const std::int64_t span = ticket.updated.seconds - ticket.created.seconds;
    ticket.status = n <= 1 ? final_status : "new";
    for (std::size_t a = 0; a < n; ++a) {
      const std::string old_status = a == 0 ? "" : ticket.status;
      if (a > 0) ticket.status = a + 1 == n ? final_status : next_status(ticket.status);
      const Instant at{n == 1 ? ticket.created.seconds
                              : ticket.created.seconds + span * static_cast<std::int64_t>(a) /
                                                             static_cast<std::int64_t>(n - 1),
                       0};
      const std::string text = a == 0 ? ticket.description : sentence(rng, 4 + rng.below(10));
      ticket.audits.push_back(new_audit(ticket, at, text, old_status));
    }
    if (n == 1) ticket.updated = ticket.created;
    ticket.generated_timestamp = ticket.updated.seconds;
    latest = std::max(latest, ticket.updated);
    order_.emplace(ticket.generated_timestamp, ticket.id);
    tickets_.push_back(std::move(ticket));
  }
  clock_.after(latest);
  options_ = options;
  serving_ = true;
}

bool ZendeskTickets::serving() const {
  const std::lock_guard lock(mutex_);
  return serving_;
}

ZendeskOptions ZendeskTickets::options() const {
  const std::lock_guard lock(mutex_);
  return options_;
}

std::vector<ZendeskTicket> ZendeskTickets::tickets() const {
  const std::lock_guard lock(mutex_);
  std::vector<ZendeskTicket> out;
  for (const ZendeskTicket& ticket : tickets_)
    if (ticket.status != "deleted") out.push_back(ticket);
  return out;
}

std::vector<std::int64_t> ZendeskTickets::deleted() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::int64_t> out;
  for (const ZendeskTicket& ticket : tickets_)
    if (ticket.status == "deleted") out.push_back(ticket.id);
  return out;
}

ZendeskTicket* ZendeskTickets::live(std::int64_t id) {
  if (id < 1 || id > static_cast<std::int64_t>(tickets_.size())) return nullptr;
  ZendeskTicket& ticket = tickets_[static_cast<std::size_t>(id - 1)];
  return ticket.status == "deleted" ? nullptr : &ticket;
}

void ZendeskTickets::stamp(ZendeskTicket& ticket, Instant at) {
  order_.erase({ticket.generated_timestamp, ticket.id});
  ticket.updated = at;
  ticket.generated_timestamp = at.seconds;
  order_.emplace(ticket.generated_timestamp, ticket.id);
}

std::vector<std::int64_t> ZendeskTickets::update(std::size_t count) {
  const std::lock_guard lock(mutex_);
  std::vector<std::size_t> open;
  for (std::size_t k = 0; k < tickets_.size(); ++k)
    if (tickets_[k].status != "closed" && tickets_[k].status != "deleted") open.push_back(k);
  Rng rng(seed_ ^ (0x7570646174ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  std::vector<std::int64_t> ids;
  for (const std::uint32_t chosen : choose_distinct(rng, open.size(), count)) {
    ZendeskTicket& ticket = tickets_[open[chosen]];
    const Instant at = clock_.next();
    const std::string old_status = ticket.status;
    ticket.status = next_status(ticket.status);
    ticket.audits.push_back(new_audit(ticket, at, sentence(rng, 4 + rng.below(10)), old_status));
    stamp(ticket, at);
    ids.push_back(ticket.id);
  }
  return ids;
}

ZendeskTicket ZendeskTickets::add_ticket() {
  const std::lock_guard lock(mutex_);
  if (!serving_) throw std::logic_error("no Zendesk tickets are served");
  Rng rng(seed_ ^ (0x616464ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  ZendeskTicket ticket;
  ticket.id = static_cast<std::int64_t>(tickets_.size() + 1);
  ticket.subject = sentence(rng, 3 + rng.below(4));
  ticket.description = sentence(rng, 8 + rng.below(12));
  ticket.requester_id = pick(rng, kRequesters);
  ticket.status = "new";
  ticket.created = ticket.updated = clock_.next();
  ticket.generated_timestamp = ticket.created.seconds;
  ticket.audits.push_back(new_audit(ticket, ticket.created, ticket.description, ""));
  order_.emplace(ticket.generated_timestamp, ticket.id);
  tickets_.push_back(ticket);
  return ticket;
}

void ZendeskTickets::delete_ticket(std::int64_t id) {
  const std::lock_guard lock(mutex_);
  ZendeskTicket* ticket = live(id);
  if (!ticket) throw std::out_of_range("no ticket " + std::to_string(id) + " is served");
  ticket->status = "deleted";
  stamp(*ticket, clock_.next());
}

ExportPage ZendeskTickets::export_tickets(ExportPosition after, std::size_t count,
                                          const std::string& origin) const {
  const std::lock_guard lock(mutex_);
  ExportPage page;
  page.after = after;
  auto it = order_.upper_bound({after.generated_timestamp, after.id});
  for (; it != order_.end() && page.tickets.size() < count; ++it) {
    const ZendeskTicket& ticket = tickets_[static_cast<std::size_t>(it->second - 1)];
    page.tickets.push_back(ticket_json(ticket, origin));
    page.after = {it->first, it->second};
  }
  page.end_of_stream = it == order_.end();
  return page;
}

std::optional<std::string> ZendeskTickets::ticket(std::int64_t id,
                                                  const std::string& origin) const {
  const std::lock_guard lock(mutex_);
  if (id < 1 || id > static_cast<std::int64_t>(tickets_.size())) return std::nullopt;
  const ZendeskTicket& found = tickets_[static_cast<std::size_t>(id - 1)];
  if (found.status == "deleted") return std::nullopt;
  return ticket_json(found, origin);
}

AuditAnswer ZendeskTickets::list_audits(std::int64_t ticket_id, std::int64_t after_id,
                                        std::int64_t before_id, std::size_t count) const {
  const std::lock_guard lock(mutex_);
  AuditAnswer answer;
  const bool served = ticket_id >= 1 && ticket_id <= static_cast<std::int64_t>(tickets_.size()) &&
                      tickets_[static_cast<std::size_t>(ticket_id - 1)].status != "deleted";
  if (!served) {
    answer.missing = AuditAnswer::Missing::Ticket;
    return answer;
  }
  const std::vector<ZendeskAudit>& audits =
      tickets_[static_cast<std::size_t>(ticket_id - 1)].audits;
  const auto find = [&audits](std::int64_t id) {
    return std::find_if(audits.begin(), audits.end(),
                        [id](const ZendeskAudit& audit) { return audit.id == id; });
  };
  std::size_t begin = 0, end = audits.size();
  if (after_id != 0 || before_id != 0) {
    const auto at = find(after_id != 0 ? after_id : before_id);
    if (at == audits.end()) {
      answer.missing = AuditAnswer::Missing::Cursor;
      return answer;
    }
    const auto place = static_cast<std::size_t>(at - audits.begin());
    if (after_id != 0) {
      begin = place + 1;
      end = std::min(audits.size(), begin + count);
    } else {
      end = place;
      begin = end > count ? end - count : 0;
    }
  } else {
    end = std::min(audits.size(), count);
  }
  AuditPage& page = answer.page;
  for (std::size_t k = begin; k < end; ++k) page.audits.push_back(audit_json(audits[k]));
  if (begin < end) {
    page.first_id = audits[begin].id;
    page.last_id = audits[end - 1].id;
  }
  page.has_before = begin > 0;
  page.has_more = end < audits.size();
  return answer;
}

}  // namespace tsync::mock
