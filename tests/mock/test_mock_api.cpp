// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_api") {
  TEST_CASE("the server serves every user in order and honours since") {
    Options options;
    options.users = 300;
    MockApi api(options);
    const int port = api.start();
    CHECK(api.base_url() == "http://127.0.0.1:" + std::to_string(port) + "/incremental/timestamp");
    const auto users = api.store().snapshot();

    const auto all = fetch(api, port);
    CHECK(all.status == 200);
    CHECK(all.ids == ids_of(users));

    const auto& middle = users[150];
    const auto after = fetch(api, port, middle.updatedAt);
    REQUIRE_FALSE(after.ids.empty());
    for (const auto& text : after.updated) CHECK(instant(text) > middle.updated);
    const auto expected = static_cast<std::size_t>(std::count_if(
        users.begin(), users.end(), [&](const auto& u) { return u.updated > middle.updated; }));
    CHECK(after.ids.size() == expected);

    const auto none = fetch(api, port, users.back().updatedAt);
    CHECK(none.ids.empty());
    CHECK(none.body == R"({"data":[]})");

    const auto bad = fetch(api, port, "last tuesday");
    CHECK(bad.status == 400);
    CHECK(bad.body.find("since is not an ISO 8601 timestamp: \\\"last tuesday\\\"") !=
          std::string::npos);

    const auto log = api.since_log();
    REQUIRE(log.size() == 4);
    CHECK(log[0].empty());
    CHECK(log[1] == middle.updatedAt);
    CHECK(log[3] == "last tuesday");
    CHECK(api.request_count() == 4);
  }

  TEST_CASE("inclusive and ignored since, paging and shuffling behave as configured") {
    Options options;
    options.users = 400;
    MockApi api(options);
    const int port = api.start();
    const auto users = api.store().snapshot();
    const auto& pivot = users[200];

    SUBCASE("inclusive") {
      options.since_mode = tsync::mock::SinceMode::Inclusive;
      api.set_options(options);
      const auto page = fetch(api, port, pivot.updatedAt);
      REQUIRE_FALSE(page.updated.empty());
      CHECK(instant(page.updated.front()) == pivot.updated);
    }
    SUBCASE("ignored") {
      options.since_mode = tsync::mock::SinceMode::Ignored;
      api.set_options(options);
      CHECK(fetch(api, port, pivot.updatedAt).ids.size() == 400);
    }
    SUBCASE("paged, never splitting an instant") {
      options.page_size = 7;
      api.set_options(options);
      std::vector<std::string> seen;
      std::string since;
      for (int guard = 0; guard < 200; ++guard) {
        const auto page = fetch(api, port, since);
        if (page.ids.empty()) break;
        if (seen.size() + page.ids.size() < users.size()) CHECK(page.ids.size() >= 7);
        const auto last = instant(page.updated.back());
        // Whatever follows the page is strictly newer than its last record.
        if (page.ids.size() > 7) CHECK(instant(page.updated[6]) == last);
        seen.insert(seen.end(), page.ids.begin(), page.ids.end());
        since = page.updated.back();
      }
      CHECK(seen == ids_of(users));
    }
    SUBCASE("unsorted") {
      options.unsorted = true;
      api.set_options(options);
      const auto page = fetch(api, port);
      CHECK(page.ids != ids_of(users));
      auto sorted = page.ids, expected = ids_of(users);
      std::sort(sorted.begin(), sorted.end());
      std::sort(expected.begin(), expected.end());
      CHECK(sorted == expected);
    }
  }

  TEST_CASE("two servers cannot share a port, and the error says so") {
    MockApi first;
    const int port = first.start();
    MockApi second;
    CHECK_THROWS_WITH(second.start(port), ("cannot listen on 127.0.0.1:" + std::to_string(port) +
                                           " (is another server using it?)")
                                              .c_str());
  }

  TEST_CASE("a generic endpoint serves its records exactly at each records path") {
    const std::map<std::string, std::pair<std::string, std::string>> shapes{
        {"data", {R"({"data":[)", "]}"}},
        {"results", {R"({"results":[)", "]}"}},
        {"result.items", {R"({"result":{"items":[)", "]}}"}},
        {"", {"[", "]"}}};
    for (const auto& [records_path, framing] : shapes) {
      CAPTURE(records_path);
      MockApi api;
      const int port = api.start();
      EndpointSpec spec = every_kind_spec(40);
      spec.records_path = records_path;
      CHECK(api.add_endpoint(spec) == "http://127.0.0.1:" + std::to_string(port) + "/v1/things");
      const auto served = api.records("/v1/things").snapshot();
      REQUIRE(served.size() == 40);
      const Answer all = get(port, "/v1/things", records_path);
      CHECK(all.status == 200);
      CHECK(all.body == framing.first + joined(served) + framing.second);
      CHECK(all.size() == 40);
      const Answer none = get(port, "/v1/things?since=" + served.back().cursor, records_path);
      CHECK(none.body == framing.first + framing.second);
    }
  }

  TEST_CASE("each cursor format is served in its own form and filters since exclusively") {
    const std::vector<CursorFormat> formats{CursorFormat::Iso8601, CursorFormat::UnixSeconds,
                                            CursorFormat::UnixMillis};
    for (const CursorFormat format : formats) {
      CAPTURE(tsync::cursor_format_name(format));
      MockApi api;
      const int port = api.start();
      api.add_endpoint(tsync::mock::parse_endpoint_spec(
          "path=/v1/orders,records=500,key=integer,cursor_field=updated_at,since_param="
          "updated_since,cursor_format=" +
          std::string(tsync::cursor_format_name(format))));
      const auto served = api.records("/v1/orders").snapshot();
      std::size_t ties = 0;
      for (std::size_t i = 0; i < served.size(); ++i) {
        CHECK(tsync::parse_cursor(format, served[i].cursor) == served[i].updated);
        CHECK(tsync::mock::served_cursor_text(served[i].updated, format) == served[i].cursor);
        if (i > 0) {
          CHECK(served[i - 1].updated <= served[i].updated);
          if (served[i - 1].updated == served[i].updated) ++ties;
        }
      }
      CHECK(ties >= 5);  // ties test that since is exclusive of a whole instant

      const Answer all = get(port, "/v1/orders");
      REQUIRE(all.size() == 500);
      const auto& cursor = all[0]["updated_at"];
      if (format == CursorFormat::Iso8601) {
        REQUIRE(cursor.IsString());
        CHECK(std::string(cursor.GetString()).size() == 24);  // 2024-01-15T10:30:00.123Z
      } else {
        REQUIRE(cursor.IsInt64());
        CHECK(std::to_string(cursor.GetInt64()) == served[0].cursor);
        CHECK(served[0].cursor.size() == (format == CursorFormat::UnixMillis ? 13u : 10u));
      }

      const auto& pivot = served[250];
      const Answer after = get(port, "/v1/orders?" + query("updated_since", pivot.cursor));
      const auto expected = static_cast<std::size_t>(std::count_if(
          served.begin(), served.end(), [&](const auto& r) { return r.updated > pivot.updated; }));
      CHECK(after.size() == expected);
      REQUIRE(after.size() > 0);
      CHECK(member_text(after[0], "updated_at") != pivot.cursor);
      CHECK(member_text(after[0], "id") == served[served.size() - expected].id);

      // `since` is not this endpoint's parameter: it is ignored like any other.
      CHECK(get(port, "/v1/orders?" + query("since", pivot.cursor)).size() == 500);
      const Answer bad = get(port, "/v1/orders?updated_since=yesterday");
      CHECK(bad.status == 400);
      const std::string expected_error = format == CursorFormat::Iso8601 ? "an ISO 8601 timestamp"
                                         : format == CursorFormat::UnixSeconds
                                             ? "a unix time in seconds"
                                             : "a unix time in milliseconds";
      CHECK(bad.body ==
            R"({"error":"updated_since is not )" + expected_error + R"(: \"yesterday\""})");
      CHECK(api.since_log("/v1/orders") ==
            std::vector<std::string>{"", pivot.cursor, "", "yesterday"});
    }
  }

  TEST_CASE("generic endpoints page, shuffle and take faults like the users endpoint") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v2/items,records=300,records_path=result.items,key=composite,"
        "cursor_format=unix_seconds"));
    const auto served = api.records("/v2/items").snapshot();

    SUBCASE("paged, never splitting an instant") {
      tsync::mock::ServingOptions serving;
      serving.page_size = 9;
      api.set_serving("/v2/items", serving);
      std::vector<std::string> seen;
      std::string since = "0";
      for (int guard = 0; guard < 100; ++guard) {
        const Answer page = get(port, "/v2/items?since=" + since, "result.items");
        if (page.size() == 0) break;
        CHECK(page.size() >= std::min<std::size_t>(9, served.size() - seen.size()));
        for (std::size_t i = 0; i < page.size(); ++i)
          seen.push_back(member_text(page[i], "account_id") + "/" + member_text(page[i], "id"));
        since = member_text(page[page.size() - 1], "updatedAt");
      }
      std::vector<std::string> expected;
      for (const auto& r : served) expected.push_back(std::to_string(*r.account_id) + "/" + r.id);
      CHECK(seen == expected);
    }
    SUBCASE("unsorted") {
      tsync::mock::ServingOptions serving;
      serving.unsorted = true;
      api.set_serving("/v2/items", serving);
      const Answer all = get(port, "/v2/items", "result.items");
      REQUIRE(all.size() == 300);
      CHECK(all.body != R"({"result":{"items":[)" + joined(served) + "]}}");
    }
    SUBCASE("faults") {
      tsync::mock::Fault busy;
      busy.status = 429;
      busy.retry_after = "1";
      api.push_fault(busy);
      const Answer refused = get(port, "/v2/items");
      CHECK(refused.status == 429);
      CHECK(get(port, "/v2/items", "result.items").size() == 300);
      CHECK(api.request_count() == 2);
    }
    CHECK(get(port, "/v2/nothing").status == 404);
  }

  TEST_CASE("latency is slept before every data response") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::Offset);
    serving.latency = std::chrono::milliseconds(150);
    add_list(api, 10, serving);
    const auto started = std::chrono::steady_clock::now();
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(elapsed >= std::chrono::milliseconds(300));
    CHECK(elapsed < std::chrono::seconds(5));
    httplib::Client client("127.0.0.1", port);
    const auto admin_started = std::chrono::steady_clock::now();
    CHECK(client.Get("/admin/stats"));
    CHECK(std::chrono::steady_clock::now() - admin_started < std::chrono::milliseconds(150));
  }

  TEST_CASE("one kept-alive connection carries hundreds of pages, and connections are counted") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::Offset);
    add_list(api, 300, serving);
    CHECK(api.connection_count() == 0);
    {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      for (int k = 0; k < 300; ++k) {
        const auto result = client.Get("/v1/list?limit=1&offset=" + std::to_string(k));
        REQUIRE(result);
        CHECK(result->status == 200);
      }
      CHECK(client.Get("/admin/stats"));
      CHECK(api.connection_count() == 1);
    }
    // A client without keep-alive: one connection per request.
    httplib::Client once("127.0.0.1", port);
    CHECK(once.Get("/v1/list"));
    CHECK(once.Get("/v1/list"));
    CHECK(api.connection_count() == 3);
    CHECK(api.request_count() == 302);
  }
}
