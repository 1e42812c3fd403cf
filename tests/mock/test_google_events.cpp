// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "mock/google_events.hpp"
#include "mock/mock_support.hpp"

using namespace mock_test;
using tsync::mock::GoogleOptions;

namespace {

const std::string kEvents = "/calendar/v3/calendars/primary/events";

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return buffer.GetString();
}

// One read followed through its nextPageTokens to the nextSyncToken.
struct EventsRead {
  std::vector<std::string> items;  // every item of every page, as text
  std::size_t pages = 0;
  std::string sync_token;
};

// Reads from `query` ("maxResults=5", "syncToken=..."), each later page with
// pageToken alone (and maxResults when `query` has it).
EventsRead read_all(int port, const std::string& query, const std::string& max_results = "") {
  EventsRead read;
  std::string target = kEvents + "?" + query;
  const std::string size = max_results.empty() ? "" : "&maxResults=" + max_results;
  if (!size.empty()) target += size;
  while (true) {
    const Reply page = fetch_reply(port, target);
    REQUIRE(page.status == 200);
    ++read.pages;
    for (const auto& item : page["items"].GetArray()) read.items.push_back(compact(item));
    if (page.json.HasMember("nextSyncToken")) {
      CHECK_FALSE(page.json.HasMember("nextPageToken"));
      read.sync_token = text_of(page["nextSyncToken"]);
      return read;
    }
    target = kEvents + "?pageToken=" + text_of(page["nextPageToken"]) + size;
  }
}

GoogleOptions google_events(std::size_t events) {
  GoogleOptions options;
  options.events = events;
  return options;
}

std::pair<int, std::string> admin_post(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Post(target, "", "text/plain");
  REQUIRE(result);
  return {result->status, result->body};
}

const std::string kGone =
    R"({"error":{"errors":[{"domain":"global","reason":"fullSyncRequired","message":"Sync token is no longer valid, a full sync is required."}],"code":410,"message":"Sync token is no longer valid, a full sync is required."}})";

}  // namespace

TEST_SUITE("google events") {
  TEST_CASE("a full read over pages brings every confirmed event and ends with a nextSyncToken") {
    MockApi api;
    const int port = api.start();
    CHECK(api.serve_google(google_events(23)) == api.url(kEvents));
    const EventsRead read = read_all(port, "showDeleted=false", "5");
    CHECK(read.pages == 5);
    CHECK(read.items == api.google().live());
    CHECK(read.items.size() == 23);
    CHECK_FALSE(read.sync_token.empty());
    CHECK(api.google().full_requests() == 5);

    const Reply page = fetch_reply(port, kEvents + "?maxResults=1");
    CHECK(page.keys() == std::vector<std::string>{"kind", "etag", "summary", "updated", "timeZone",
                                                  "accessRole", "defaultReminders", "nextPageToken",
                                                  "items"});
    CHECK(text_of(page["kind"]) == "calendar#events");
    CHECK(text_of(page["timeZone"]) == "UTC");
    CHECK(text_of(page["accessRole"]) == "owner");
    const auto& event = page["items"][0];
    CHECK(text_of(event["kind"]) == "calendar#event");
    CHECK(text_of(event["status"]) == "confirmed");
    const std::string etag = text_of(event["etag"]);
    CHECK(etag.front() == '"');
    CHECK(etag.find_first_not_of("0123456789", 1) == etag.size() - 1);
    const std::string id = text_of(event["id"]);
    CHECK(id.find_first_not_of("0123456789abcdefghijklmnopqrstuv") == std::string::npos);
    const std::string updated = text_of(event["updated"]);
    CHECK(updated.size() == 24);
    CHECK(updated[19] == '.');
    CHECK(updated.back() == 'Z');
    CHECK(event["start"]["dateTime"].IsString());
    CHECK(event["end"]["dateTime"].IsString());

    // The calendar's own id serves the same events; maxResults above 2500 is cut.
    const std::string own = "/calendar/v3/calendars/team.calendar@example.com/events";
    CHECK(fetch_reply(port, own + "?maxResults=99999")["items"].Size() == 23);
    CHECK(fetch_reply(port, kEvents)["items"].Size() == 23);
  }

  TEST_CASE("a sync token read brings exactly the changed added and cancelled events") {
    MockApi api;
    const int port = api.start();
    api.serve_google(google_events(30));
    const EventsRead first = read_all(port, "maxResults=7");
    const EventsRead idle = read_all(port, "syncToken=" + first.sync_token);
    CHECK(idle.items.empty());

    const auto mutated = admin_post(port, "/admin/google/mutate?update=3&add=2");
    CHECK(mutated.first == 200);
    rapidjson::Document answer;
    answer.Parse(mutated.second.c_str());
    std::set<std::string> changed;
    for (const auto& id : answer["changed"].GetArray()) changed.insert(id.GetString());
    CHECK(changed.size() == 5);
    for (const std::string& id : api.google().mutate(2, 0)) changed.insert(id);
    const auto [status, body] = admin_post(port, "/admin/google/cancel?count=4");
    CHECK(status == 200);
    const std::vector<std::string> cancelled = api.google().cancelled();
    REQUIRE(cancelled.size() == 4);
    CHECK(body.find(cancelled[0]) != std::string::npos);

    const EventsRead changes = read_all(port, "syncToken=" + first.sync_token, "2");
    CHECK(changes.pages > 1);
    std::set<std::string> live_ids, cancelled_ids;
    for (const std::string& item : changes.items) {
      rapidjson::Document doc;
      doc.Parse(item.c_str());
      const std::string id = doc["id"].GetString();
      if (std::string(doc["status"].GetString()) == "cancelled") {
        cancelled_ids.insert(id);
        CHECK(doc.MemberCount() == 5);  // kind, etag, id, status, updated
      } else {
        live_ids.insert(id);
        // Whole, as a full read serves it now.
        const auto live = api.google().live();
        CHECK(std::find(live.begin(), live.end(), item) != live.end());
      }
    }
    CHECK(cancelled_ids == std::set<std::string>(cancelled.begin(), cancelled.end()));
    CHECK(changes.items.size() == live_ids.size() + cancelled_ids.size());  // each once
    for (const std::string& id : cancelled) changed.erase(id);
    CHECK(live_ids == changed);
    CHECK(api.google().sync_requests() == 1 + changes.pages);

    // A full read with showDeleted=true has the cancelled events too.
    const EventsRead everything = read_all(port, "showDeleted=true", "50");
    CHECK(everything.items.size() == 32);
    CHECK(read_all(port, "", "50").items == api.google().live());
    CHECK(read_all(port, "syncToken=" + changes.sync_token).items.empty());
  }

  TEST_CASE("a syncToken with a time restriction is a 400 and pageToken carries the read") {
    MockApi api;
    const int port = api.start();
    api.serve_google(google_events(5));
    const std::string token = read_all(port, "").sync_token;
    for (const char* restriction :
         {"timeMin=2024-01-01T00:00:00Z", "timeMax=2030-01-01T00:00:00Z",
          "updatedMin=2024-01-01T00:00:00Z", "q=lunch", "orderBy=updated"}) {
      CAPTURE(restriction);
      const Raw answer = raw_get(port, kEvents + "?syncToken=" + token + "&" + restriction);
      CHECK(answer.status == 400);
      CHECK(text_of(answer["error"]["errors"][0]["reason"]) == "invalid");
      CHECK(text_of(answer["error"]["message"])
                .rfind("Sync token cannot be used with other request restrictions", 0) == 0);
    }
    CHECK(raw_get(port, kEvents + "?syncToken=" + token + "&showDeleted=true").status == 200);
    api.google().mutate(3, 0);
    const Reply first = fetch_reply(port, kEvents + "?maxResults=1&syncToken=" + token);
    const std::string page_token = text_of(first["nextPageToken"]);
    CHECK(raw_get(port, kEvents + "?pageToken=" + page_token + "&syncToken=" + token).status ==
          400);
    const Reply second = fetch_reply(port, kEvents + "?maxResults=5&pageToken=" + page_token);
    CHECK(second["items"].Size() == 2);
    CHECK(second.json.HasMember("nextSyncToken"));
  }

  TEST_CASE("malformed tokens and a bad maxResults answer 400 and an unknown calendar 404") {
    MockApi api;
    const int port = api.start();
    api.serve_google(google_events(5));
    for (const std::string& target :
         {kEvents + "?syncToken=garbage", kEvents + "?pageToken=%25%25%25", kEvents + "?syncToken=",
          kEvents + "?maxResults=0", kEvents + "?maxResults=ten", kEvents + "?showDeleted=maybe"}) {
      CAPTURE(target);
      const Raw answer = raw_get(port, target);
      CHECK(answer.status == 400);
      CHECK(answer["error"]["code"].GetInt() == 400);
    }
    // A sync token is no page token.
    const std::string token = read_all(port, "").sync_token;
    CHECK(raw_get(port, kEvents + "?pageToken=" + token).status == 400);
    const std::string not_found =
        R"({"error":{"errors":[{"domain":"global","reason":"notFound","message":"Not Found"}],"code":404,"message":"Not Found"}})";
    CHECK(raw_get(port, "/calendar/v3/calendars/someone@example.com/events").body == not_found);
    CHECK(raw_get(port, "/calendar/v3/calendars/someone@example.com/events").status == 404);
    CHECK(raw_get(port, "/calendar/v3/users/me/calendarList").status == 404);
  }

  TEST_CASE("an expired sync or page token answers 410 fullSyncRequired") {
    MockApi api;
    const int port = api.start();
    api.serve_google(google_events(6));
    const Reply first = fetch_reply(port, kEvents + "?maxResults=4");
    const std::string page_token = text_of(first["nextPageToken"]);
    const std::string sync_token = read_all(port, "").sync_token;
    CHECK(admin_post(port, "/admin/google/expire").first == 200);
    for (const std::string& target :
         {kEvents + "?syncToken=" + sync_token, kEvents + "?pageToken=" + page_token}) {
      const Raw answer = raw_get(port, target);
      CHECK(answer.status == 410);
      CHECK(answer.body == kGone);
    }
    // A full read afresh gives tokens that work.
    CHECK(read_all(port, "syncToken=" + read_all(port, "").sync_token).items.empty());
  }

  TEST_CASE("a sync token older than the TTL answers 410") {
    GoogleOptions options = google_events(3);
    options.token_ttl_seconds = 3600;
    MockApi api;
    const int port = api.start();
    api.serve_google(options);
    const std::string token = read_all(port, "").sync_token;
    auto& clock = api.change_clock();
    clock.after(tsync::Instant{clock.now().seconds + 3598, 0});
    CHECK(raw_get(port, kEvents + "?syncToken=" + token).status == 200);
    clock.after(tsync::Instant{clock.now().seconds + 3, 0});
    const Raw answer = raw_get(port, kEvents + "?syncToken=" + token);
    CHECK(answer.status == 410);
    CHECK(answer.body == kGone);
  }

  TEST_CASE("the Google admin routes answer 404 until events are served and stats count requests") {
    MockApi api;
    const int port = api.start();
    CHECK(admin_post(port, "/admin/google/cancel?count=1").first == 404);
    CHECK_THROWS_AS(api.google(), std::logic_error);
    api.serve_google(google_events(4));
    CHECK(admin_post(port, "/admin/google/cancel").first == 400);
    read_all(port, "", "3");
    CHECK(raw_get(port, "/admin/google/stats").body ==
          R"({"events":4,"cancelled":0,"full_requests":2,"sync_requests":0})");
    CHECK(tsync::mock::parse_google_spec("40:9").page == 9);
    CHECK_THROWS_WITH(tsync::mock::parse_google_spec("40:2501"), "PAGE must be from 1 to 2500");
    CHECK(tsync::mock::format_millis(tsync::Instant{1704067200, 5'000'000}) ==
          "2024-01-01T00:00:00.005Z");
  }
}
