// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"
#include "mock/zendesk_tickets.hpp"

using namespace mock_test;
using tsync::mock::ZendeskAudit;
using tsync::mock::ZendeskOptions;
using tsync::mock::ZendeskTicket;

namespace {

const std::string kExport = "/api/v2/incremental/tickets/cursor.json";

ZendeskOptions zendesk_sizes(std::size_t tickets, std::size_t audits) {
  ZendeskOptions options;
  options.tickets = tickets;
  options.audits = audits;
  return options;
}

std::string audits_path(std::int64_t ticket) {
  return "/api/v2/tickets/" + std::to_string(ticket) + "/audits.json";
}

// The "id" of every object of the array `name` of an answer, in order.
std::vector<std::int64_t> int_ids(const Reply& reply, const char* name) {
  REQUIRE(reply.status == 200);
  std::vector<std::int64_t> ids;
  for (const auto& record : reply[name].GetArray()) ids.push_back(record["id"].GetInt64());
  return ids;
}

// The tickets in the export's order: by generated_timestamp, then id.
std::vector<ZendeskTicket> in_export_order(std::vector<ZendeskTicket> tickets) {
  std::sort(tickets.begin(), tickets.end(), [](const ZendeskTicket& a, const ZendeskTicket& b) {
    return std::make_pair(a.generated_timestamp, a.id) <
           std::make_pair(b.generated_timestamp, b.id);
  });
  return tickets;
}

std::vector<std::int64_t> ids_of_tickets(const std::vector<ZendeskTicket>& tickets) {
  std::vector<std::int64_t> ids;
  for (const ZendeskTicket& ticket : tickets) ids.push_back(ticket.id);
  return ids;
}

std::pair<int, std::string> admin_post(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Post(target, "", "text/plain");
  REQUIRE(result);
  return {result->status, result->body};
}

// Reads the export from `start_time` to its end, `per_page` a page; returns
// the tickets' ids in order and the last page's after_cursor.
std::pair<std::vector<std::int64_t>, std::string> read_export(int port, std::int64_t start_time,
                                                              std::size_t per_page) {
  std::vector<std::int64_t> ids;
  Reply page = fetch_reply(port, kExport + "?start_time=" + std::to_string(start_time) +
                                     "&per_page=" + std::to_string(per_page));
  while (true) {
    for (const std::int64_t id : int_ids(page, "tickets")) ids.push_back(id);
    if (page["end_of_stream"].IsTrue()) break;
    page = fetch_url(text_of(page["after_url"]));
  }
  return {ids, text_of(page["after_cursor"])};
}

}  // namespace

TEST_SUITE("mock_zendesk") {
  TEST_CASE("the export's first page holds every ticket ascending by generated_timestamp") {
    MockApi api;
    const int port = api.start();
    CHECK(api.serve_zendesk() == api.url(kExport));
    const std::vector<ZendeskTicket> tickets = in_export_order(api.zendesk().tickets());
    REQUIRE(tickets.size() == 20);
    const Reply reply = fetch_reply(port, kExport + "?start_time=0");
    CHECK(reply.status == 200);
    CHECK(reply.keys() == std::vector<std::string>{"tickets", "after_url", "after_cursor",
                                                   "before_url", "before_cursor", "end_of_stream"});
    REQUIRE(reply["tickets"].Size() == 20);
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    for (std::size_t k = 0; k < tickets.size(); ++k) {
      const ZendeskTicket& ticket = tickets[k];
      const auto& served = reply["tickets"][static_cast<rapidjson::SizeType>(k)];
      CHECK(served["id"].GetInt64() == ticket.id);
      CHECK(text_of(served["url"]) ==
            origin + "/api/v2/tickets/" + std::to_string(ticket.id) + ".json");
      CHECK(text_of(served["subject"]) == ticket.subject);
      CHECK(text_of(served["description"]) == ticket.description);
      CHECK(text_of(served["status"]) == ticket.status);
      CHECK(served["requester_id"].GetInt64() == ticket.requester_id);
      CHECK(text_of(served["created_at"]) == tsync::format_compact(ticket.created));
      CHECK(text_of(served["updated_at"]) == tsync::format_compact(ticket.updated));
      CHECK(text_of(served["updated_at"]).size() == 20);
      CHECK(served["generated_timestamp"].GetInt64() == ticket.generated_timestamp);
      CHECK(ticket.generated_timestamp == ticket.updated.seconds);
      const std::set<std::string> statuses{"new", "open", "pending", "solved", "closed"};
      CHECK(statuses.count(ticket.status) == 1);
    }
    CHECK(reply["end_of_stream"].IsTrue());
    CHECK(reply["before_url"].IsNull());
    CHECK(reply["before_cursor"].IsNull());
    const std::string after = text_of(reply["after_cursor"]);
    CHECK(text_of(reply["after_url"]) == origin + kExport + "?cursor=" + after);
  }

  TEST_CASE("the cursor pages the export to its end and reads what changed later") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk();
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    const Reply first = fetch_reply(port, kExport + "?start_time=0&per_page=7");
    CHECK(int_ids(first, "tickets").size() == 7);
    CHECK(first["end_of_stream"].IsFalse());
    const std::string after = text_of(first["after_cursor"]);
    CHECK(text_of(first["after_url"]) == origin + kExport + "?cursor=" + after + "&per_page=7");
    const Reply second = fetch_url(text_of(first["after_url"]));
    CHECK(int_ids(second, "tickets").size() == 7);
    CHECK(second["end_of_stream"].IsFalse());
    CHECK(text_of(second["before_cursor"]) == after);
    CHECK(text_of(second["before_url"]) == origin + kExport + "?cursor=" + after + "&per_page=7");
    const Reply third = fetch_url(text_of(second["after_url"]));
    CHECK(int_ids(third, "tickets").size() == 6);
    CHECK(third["end_of_stream"].IsTrue());

    // Every ticket once, in the export's order.
    const auto [ids, last] = read_export(port, 0, 7);
    CHECK(ids == ids_of_tickets(in_export_order(api.zendesk().tickets())));
    CHECK(last == text_of(third["after_cursor"]));

    // The last cursor, asked again, finds nothing new yet: an empty page at the end.
    const Reply again = fetch_reply(port, kExport + "?cursor=" + last);
    CHECK(int_ids(again, "tickets").empty());
    CHECK(again["end_of_stream"].IsTrue());
    CHECK(text_of(again["after_cursor"]) == last);

    // Without per_page, pages of 1000 at most; more is cut to 1000.
    CHECK(int_ids(fetch_reply(port, kExport + "?start_time=0"), "tickets").size() == 20);
    const Reply cut = fetch_reply(port, kExport + "?start_time=0&per_page=5000");
    CHECK(int_ids(cut, "tickets").size() == 20);
    CHECK(text_of(cut["after_url"]).find("&per_page=1000") != std::string::npos);
  }

  TEST_CASE("start_time is inclusive: a ticket generated at start_time is in the export") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk();
    const std::vector<ZendeskTicket> tickets = in_export_order(api.zendesk().tickets());
    const std::int64_t at = tickets[12].generated_timestamp;
    std::vector<std::int64_t> from_at, after_at;
    for (const ZendeskTicket& ticket : tickets) {
      if (ticket.generated_timestamp >= at) from_at.push_back(ticket.id);
      if (ticket.generated_timestamp > at) after_at.push_back(ticket.id);
    }
    CHECK(int_ids(fetch_reply(port, kExport + "?start_time=" + std::to_string(at)), "tickets") ==
          from_at);
    CHECK(int_ids(fetch_reply(port, kExport + "?start_time=" + std::to_string(at + 1)),
                  "tickets") == after_at);
    CHECK(from_at.front() == tickets[12].id);
  }

  TEST_CASE("the cursor comes alone: with start_time, or neither, is a 400") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk();
    const std::string cursor =
        text_of(fetch_reply(port, kExport + "?start_time=0")["after_cursor"]);
    const Raw both = raw_get(port, kExport + "?start_time=0&cursor=" + cursor);
    CHECK(both.status == 400);
    CHECK(
        both.body ==
        R"({"error":"InvalidPaginationParameter","description":"start_time cannot be passed when cursor is present"})");
    const Raw neither = raw_get(port, kExport + "?per_page=10");
    CHECK(neither.status == 400);
    CHECK(neither.body ==
          R"({"error":"InvalidValue","description":"start_time or cursor is required"})");
    CHECK(raw_get(port, kExport + "?cursor=" + cursor + "&per_page=10").status == 200);
    CHECK(raw_get(port, kExport + "?start_time=yesterday").status == 400);
    CHECK(raw_get(port, kExport + "?cursor=not-a-cursor").status == 400);
    CHECK(raw_get(port, kExport + "?start_time=0&per_page=0").status == 400);
    CHECK(raw_get(port, "/api/v2/incremental/tickets.json?start_time=0").body ==
          R"({"error":"InvalidEndpoint","description":"Not found"})");
  }

  TEST_CASE("a start_time within the last minute is refused only when asked for") {
    ZendeskOptions options;
    MockApi api;
    const int port = api.start();
    api.serve_zendesk(options);
    const std::string now = std::to_string(unix_now());
    const Reply allowed = fetch_reply(port, kExport + "?start_time=" + now);
    CHECK(allowed.status == 200);
    CHECK(int_ids(allowed, "tickets").empty());
    CHECK(allowed["end_of_stream"].IsTrue());

    options.refuse_recent_start_time = true;
    api.serve_zendesk(options);
    const Raw refused = raw_get(port, kExport + "?start_time=" + now);
    CHECK(refused.status == 400);
    CHECK(
        refused.body ==
        R"({"error":"InvalidValue","description":"Too recent start_time. Use a start_time older than 1 minute"})");
    CHECK(raw_get(port, kExport + "?start_time=" + std::to_string(unix_now() - 120)).status == 200);
    // A cursor is never too recent.
    const std::string cursor =
        text_of(fetch_reply(port, kExport + "?start_time=0")["after_cursor"]);
    CHECK(raw_get(port, kExport + "?cursor=" + cursor).status == 200);
  }

  TEST_CASE("updated, added and deleted tickets come after the last cursor") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk();
    const auto [ids, last] = read_export(port, 0, 1000);
    CHECK(ids.size() == 20);
    std::int64_t newest = 0;
    for (const ZendeskTicket& ticket : api.zendesk().tickets())
      newest = std::max(newest, ticket.generated_timestamp);

    std::map<std::int64_t, std::size_t> audits_before;
    for (const ZendeskTicket& ticket : api.zendesk().tickets())
      audits_before[ticket.id] = ticket.audits.size();
    const std::vector<std::int64_t> updated = api.zendesk().update(3);
    REQUIRE(updated.size() == 3);
    const Reply changed = fetch_reply(port, kExport + "?cursor=" + last);
    CHECK(int_ids(changed, "tickets") == updated);
    CHECK(changed["end_of_stream"].IsTrue());
    std::int64_t previous = newest;
    for (const auto& served : changed["tickets"].GetArray()) {
      CHECK(served["generated_timestamp"].GetInt64() > previous);
      previous = served["generated_timestamp"].GetInt64();
      CHECK(text_of(served["updated_at"]) == tsync::format_compact(tsync::Instant{previous, 0}));
    }
    for (const ZendeskTicket& ticket : api.zendesk().tickets()) {
      const bool was_updated = std::count(updated.begin(), updated.end(), ticket.id) == 1;
      CHECK(ticket.audits.size() == audits_before[ticket.id] + (was_updated ? 1 : 0));
      if (was_updated) CHECK(ticket.audits.back().created == ticket.updated);
    }

    const std::string after_update = text_of(changed["after_cursor"]);
    const ZendeskTicket added = api.zendesk().add_ticket();
    CHECK(added.id == 21);
    CHECK(added.status == "new");
    REQUIRE(added.audits.size() == 1);
    CHECK(added.audits.front().created == added.created);
    const Reply with_added = fetch_reply(port, kExport + "?cursor=" + after_update);
    CHECK(int_ids(with_added, "tickets") == std::vector<std::int64_t>{21});
    CHECK(text_of(with_added["tickets"][0]["status"]) == "new");
    CHECK(with_added["tickets"][0]["generated_timestamp"].GetInt64() > previous);

    api.zendesk().delete_ticket(5);
    const Reply with_deleted =
        fetch_reply(port, kExport + "?cursor=" + text_of(with_added["after_cursor"]));
    CHECK(int_ids(with_deleted, "tickets") == std::vector<std::int64_t>{5});
    CHECK(text_of(with_deleted["tickets"][0]["status"]) == "deleted");
    CHECK(api.zendesk().tickets().size() == 20);
    CHECK(api.zendesk().deleted() == std::vector<std::int64_t>{5});
    for (const ZendeskTicket& ticket : api.zendesk().tickets()) CHECK(ticket.id != 5);
    CHECK(raw_get(port, audits_path(5)).status == 404);
    // A read from the start lists the deleted ticket too, last.
    const auto [all, end] = read_export(port, 0, 6);
    CHECK(all.size() == 21);
    CHECK(all.back() == 5);
    CHECK_THROWS_AS(api.zendesk().delete_ticket(5), std::out_of_range);
    CHECK_THROWS_AS(api.zendesk().delete_ticket(99), std::out_of_range);
  }

  TEST_CASE("a ticket changed while the export is read comes again at its end") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk(zendesk_sizes(10, 1));
    const Reply first = fetch_reply(port, kExport + "?start_time=0&per_page=4");
    const std::vector<std::int64_t> read = int_ids(first, "tickets");
    REQUIRE(read.size() == 4);
    api.zendesk().delete_ticket(read[1]);
    std::vector<std::int64_t> rest;
    Reply page = fetch_url(text_of(first["after_url"]));
    while (true) {
      for (const std::int64_t id : int_ids(page, "tickets")) rest.push_back(id);
      if (page["end_of_stream"].IsTrue()) break;
      page = fetch_url(text_of(page["after_url"]));
    }
    REQUIRE(rest.size() == 7);
    CHECK(rest.back() == read[1]);
    CHECK(text_of(page["tickets"][page["tickets"].Size() - 1]["status"]) == "deleted");
  }

  TEST_CASE("audits page by page size with meta.has_more and links.next") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk(zendesk_sizes(3, 5));
    const ZendeskTicket ticket = api.zendesk().tickets().at(1);
    REQUIRE(ticket.audits.size() == 5);
    const Reply first = fetch_reply(port, audits_path(ticket.id) + "?page[size]=2");
    CHECK(first.keys() == std::vector<std::string>{"audits", "meta", "links"});
    CHECK(int_ids(first, "audits") ==
          std::vector<std::int64_t>{ticket.audits[0].id, ticket.audits[1].id});
    CHECK(first["meta"]["has_more"].IsTrue());
    CHECK(first["links"]["prev"].IsNull());
    const std::string next = text_of(first["links"]["next"]);
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    CHECK(next == origin + audits_path(ticket.id) + "?page%5Bsize%5D=2&page%5Bafter%5D=" +
                      text_of(first["meta"]["after_cursor"]));
    const Reply second = fetch_url(next);
    CHECK(int_ids(second, "audits") ==
          std::vector<std::int64_t>{ticket.audits[2].id, ticket.audits[3].id});
    CHECK(second["meta"]["has_more"].IsTrue());
    CHECK(second["links"]["prev"].IsString());
    const Reply third = fetch_url(text_of(second["links"]["next"]));
    CHECK(int_ids(third, "audits") == std::vector<std::int64_t>{ticket.audits[4].id});
    CHECK(third["meta"]["has_more"].IsFalse());
    CHECK(third["links"]["next"].IsNull());
    // prev goes back a page.
    CHECK(int_ids(fetch_url(text_of(third["links"]["prev"])), "audits") ==
          int_ids(second, "audits"));

    // Every field, ascending by created_at.
    const Reply all = fetch_reply(port, audits_path(ticket.id));
    REQUIRE(all["audits"].Size() == 5);
    CHECK(all["meta"]["has_more"].IsFalse());
    CHECK(all["links"]["next"].IsNull());
    for (std::size_t k = 0; k < 5; ++k) {
      const ZendeskAudit& audit = ticket.audits[k];
      const auto& served = all["audits"][static_cast<rapidjson::SizeType>(k)];
      CHECK(served["id"].GetInt64() == audit.id);
      CHECK(served["ticket_id"].GetInt64() == ticket.id);
      CHECK(text_of(served["created_at"]) == tsync::format_compact(audit.created));
      CHECK(served["author_id"].GetInt64() == audit.author_id);
      CHECK(served["metadata"].IsObject());
      REQUIRE(served["events"].Size() == audit.events.size());
      CHECK(text_of(served["events"][0]["type"]) == "Comment");
      for (const auto& event : served["events"].GetArray()) {
        CHECK(event["id"].IsInt64());
        const std::string type = text_of(event["type"]);
        CHECK((type == "Comment" || type == "Change"));
      }
      if (k > 0) CHECK(audit.created >= ticket.audits[k - 1].created);
    }
    CHECK(text_of(all["audits"][0]["events"][0]["body"]) == ticket.description);
    CHECK(ticket.audits.back().created == ticket.updated);

    // page[size] above 100 is cut to 100, below 1 refused; after and before together refused.
    CHECK(fetch_reply(port, audits_path(ticket.id) + "?page%5Bsize%5D=500")["audits"].Size() == 5);
    CHECK(raw_get(port, audits_path(ticket.id) + "?page[size]=0").status == 400);
    const std::string cursor = text_of(first["meta"]["after_cursor"]);
    CHECK(
        raw_get(port, audits_path(ticket.id) + "?page[after]=" + cursor + "&page[before]=" + cursor)
            .status == 400);
    const Raw bad = raw_get(port, audits_path(ticket.id) + "?page[after]=%25%25");
    CHECK(bad.status == 400);
    CHECK(
        bad.body ==
        R"({"error":"InvalidPaginationParameter","description":"page[after] is not a cursor of these audits"})");
    // Another ticket's cursor is no cursor of these audits.
    CHECK(raw_get(port, audits_path(ticket.id + 1) + "?page[after]=" + cursor).status == 400);
  }

  TEST_CASE("audits of a missing or deleted ticket answer 404 RecordNotFound") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk(zendesk_sizes(4, 2));
    const std::string not_found = R"({"error":"RecordNotFound","description":"Not found"})";
    const Raw missing = raw_get(port, audits_path(99));
    CHECK(missing.status == 404);
    CHECK(missing.body == not_found);
    CHECK(raw_get(port, "/api/v2/tickets/abc/audits.json").body == not_found);
    CHECK(raw_get(port, audits_path(2)).status == 200);
    // The URL a ticket names answers it alone.
    const Reply one = fetch_reply(port, "/api/v2/tickets/2.json");
    CHECK(one.status == 200);
    CHECK(text_of(one["ticket"]["url"]) ==
          "http://127.0.0.1:" + std::to_string(port) + "/api/v2/tickets/2.json");
    CHECK(one["ticket"]["id"].GetInt64() == 2);
    api.zendesk().delete_ticket(2);
    const Raw deleted = raw_get(port, audits_path(2));
    CHECK(deleted.status == 404);
    CHECK(deleted.body == not_found);
    CHECK(raw_get(port, "/api/v2/tickets/2.json").body == not_found);
    CHECK(raw_get(port, "/api/v2/tickets/99.json").status == 404);
  }

  TEST_CASE("an updated ticket's new audit is its last, and paging sees it") {
    MockApi api;
    const int port = api.start();
    api.serve_zendesk(zendesk_sizes(0, 2));
    CHECK(api.zendesk().add_ticket().id == 1);
    const Reply before = fetch_reply(port, audits_path(1) + "?page[size]=2");
    CHECK(before["meta"]["has_more"].IsFalse());
    CHECK(before["links"]["next"].IsNull());
    CHECK(api.zendesk().update(5) == std::vector<std::int64_t>{1});
    const ZendeskTicket ticket = api.zendesk().tickets().front();
    REQUIRE(ticket.audits.size() == 2);
    CHECK(ticket.status == "open");
    const Reply after = fetch_reply(port, audits_path(1) + "?page[size]=2&page[after]=" +
                                              text_of(before["meta"]["after_cursor"]));
    CHECK(int_ids(after, "audits") == std::vector<std::int64_t>{ticket.audits[1].id});
    const auto& events = after["audits"][0]["events"];
    REQUIRE(events.Size() == 2);
    CHECK(text_of(events[1]["type"]) == "Change");
    CHECK(text_of(events[1]["field_name"]) == "status");
    CHECK(text_of(events[1]["value"]) == "open");
    CHECK(text_of(events[1]["previous_value"]) == "new");
    CHECK(text_of(after["audits"][0]["created_at"]) == tsync::format_compact(ticket.updated));
  }

  TEST_CASE("the admin routes update, add and delete tickets and count them") {
    MockApi api;
    const int port = api.start();
    CHECK(admin_post(port, "/admin/zendesk/update?count=1").first == 404);
    CHECK(raw_get(port, kExport + "?start_time=0").status == 404);
    CHECK_THROWS_AS(api.zendesk(), std::logic_error);
    api.serve_zendesk(zendesk_sizes(6, 2));
    CHECK(raw_get(port, "/admin/zendesk/stats").body == R"({"tickets":6,"audits":12,"deleted":0})");
    const auto updated = admin_post(port, "/admin/zendesk/update?count=2");
    CHECK(updated.first == 200);
    CHECK(updated.second.rfind("{\"updated\":[", 0) == 0);
    CHECK(raw_get(port, "/admin/zendesk/stats").body == R"({"tickets":6,"audits":14,"deleted":0})");
    const auto added = admin_post(port, "/admin/zendesk/add_ticket");
    CHECK(added.first == 200);
    const ZendeskTicket ticket = api.zendesk().tickets().back();
    CHECK(added.second ==
          "{\"id\":7,\"updated_at\":\"" + tsync::format_compact(ticket.updated) +
              "\",\"generated_timestamp\":" + std::to_string(ticket.generated_timestamp) + "}");
    CHECK(admin_post(port, "/admin/zendesk/delete_ticket?id=3") ==
          std::pair<int, std::string>{200, R"({"tickets":6,"deleted":1})"});
    CHECK(admin_post(port, "/admin/zendesk/delete_ticket?id=3").first == 404);
    CHECK(admin_post(port, "/admin/zendesk/delete_ticket?id=x").first == 400);
    CHECK(admin_post(port, "/admin/zendesk/update?count=many").first == 400);
    std::size_t audits = 0;
    for (const ZendeskTicket& served : api.zendesk().tickets()) audits += served.audits.size();
    CHECK(raw_get(port, "/admin/zendesk/stats").body ==
          "{\"tickets\":6,\"audits\":" + std::to_string(audits) + ",\"deleted\":1}");
  }

  TEST_CASE("zendesk requests are logged, counted, delayed and faulted as every data request") {
    Options options;
    options.latency = std::chrono::milliseconds(150);
    MockApi api(options);
    const int port = api.start();
    api.serve_zendesk();
    const auto started = std::chrono::steady_clock::now();
    CHECK(fetch_reply(port, kExport + "?start_time=1700000000").status == 200);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
    CHECK(fetch_reply(port, audits_path(1)).status == 200);
    CHECK(api.request_count() == 2);
    CHECK(api.since_log(kExport) == std::vector<std::string>{"1700000000"});
    CHECK(api.target_log() ==
          std::vector<std::string>{kExport + "?start_time=1700000000", audits_path(1)});
    tsync::mock::Fault fault;
    fault.status = 503;
    api.push_fault(fault);
    CHECK(raw_get(port, kExport + "?start_time=0").status == 503);
    CHECK(api.request_count() == 3);
    CHECK(api.peak_requests_per_second(kExport) >= 1);
  }

  TEST_CASE("the same seed makes the same tickets, and parse_zendesk_spec reads TICKETS:AUDITS") {
    MockApi one, two;
    one.serve_zendesk();
    two.serve_zendesk();
    const auto a = one.zendesk().tickets(), b = two.zendesk().tickets();
    REQUIRE(a.size() == b.size());
    for (std::size_t k = 0; k < a.size(); ++k) {
      CHECK(a[k].subject == b[k].subject);
      CHECK(a[k].generated_timestamp == b[k].generated_timestamp);
      CHECK(a[k].audits.size() == b[k].audits.size());
    }
    const ZendeskOptions parsed = tsync::mock::parse_zendesk_spec("500:7");
    CHECK(parsed.tickets == 500);
    CHECK(parsed.audits == 7);
    CHECK(tsync::mock::parse_zendesk_spec("9").audits == 3);
    CHECK_THROWS_WITH(tsync::mock::parse_zendesk_spec("many"),
                      "TICKETS must be a whole number, not \"many\"");
    CHECK_THROWS_WITH(tsync::mock::parse_zendesk_spec("1:2:3"),
                      "expected TICKETS[:AUDITS], not \"1:2:3\"");
    CHECK_THROWS_WITH(tsync::mock::parse_zendesk_spec("10000000:5"),
                      "at most 20000000 tickets and audits together");
    const ZendeskOptions none = tsync::mock::parse_zendesk_spec("0:0");
    MockApi empty;
    const int port = empty.start();
    empty.serve_zendesk(none);
    const Reply reply = fetch_reply(port, kExport + "?start_time=0");
    CHECK(int_ids(reply, "tickets").empty());
    CHECK(reply["end_of_stream"].IsTrue());
  }

  TEST_CASE("tsync-mock-api --zendesk prints its URLs and serves them") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "5", "--port", "0", "--zendesk", "4:2",
                       "--zendesk-refuse-recent"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 5 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() ==
          "tsync-mock-api: serving 4 Zendesk tickets at " + base + kExport + "?start_time=0");
    CHECK(child.read_line() == "tsync-mock-api: serving 8 ticket audits at " + base +
                                   audits_path(1) + " (and each ticket's)");
    CHECK(fetch_reply(port, kExport + "?start_time=0")["tickets"].Size() == 4);
    CHECK(raw_get(port, kExport + "?start_time=" + std::to_string(unix_now())).status == 400);
    CHECK(admin_post(port, "/admin/zendesk/update?count=1").first == 200);
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--zendesk", "1:x"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err ==
          "tsync-mock-api: error: --zendesk \"1:x\": AUDITS must be a whole number, not \"x\"\n");
  }
}
