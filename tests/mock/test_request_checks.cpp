// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_request_checks") {
  TEST_CASE("required parameters: missing or wrong values get 400 naming them") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=10,require=api_version:2;tenant:acme co"));
    const Answer missing = get(port, "/v1/orders?api_version=2");
    CHECK(missing.status == 400);
    CHECK(missing.body == R"({"error":"missing required parameter tenant=acme co"})");
    const Answer wrong = get(port, "/v1/orders?api_version=3&tenant=acme%20co");
    CHECK(wrong.status == 400);
    CHECK(wrong.body == R"({"error":"parameter api_version must be \"2\", not \"3\""})");
    CHECK(get(port, "/v1/orders?api_version=2&tenant=acme%20co").size() == 10);
  }

  TEST_CASE("strict endpoints refuse a parameter they do not know, naming it, in every style") {
    const std::vector<std::pair<PagingStyle, std::string>> styles{
        {PagingStyle::None, ""},
        {PagingStyle::LinkHeader, "page=1&per_page=5"},
        {PagingStyle::NextUrl, "page=1&per_page=5"},
        {PagingStyle::Token, "limit=5&after=" + tsync::mock::base64_encode("5\n")},
        {PagingStyle::LastRecord, "limit=5&starting_after=3"},
        {PagingStyle::Offset, "offset=5&limit=5"},
        {PagingStyle::PageNumber, "page=2&per_page=5"},
        {PagingStyle::Keyset, "scroll_param=" + tsync::mock::base64_encode("0")}};
    for (const auto& [style, known] : styles) {
      CAPTURE(tsync::mock::paging_style_name(style));
      MockApi api;
      const int port = api.start();
      ServingOptions serving = paged(style);
      serving.strict = true;
      EndpointSpec spec;
      spec.path = "/v1/list";
      spec.records = 30;
      spec.schema.key = KeyKind::Integer;
      spec.schema.cursor_format = CursorFormat::UnixMillis;
      spec.required_params = {{"api_version", "2"}};
      spec.serving = serving;
      api.add_endpoint(spec);
      const std::string base = "/v1/list?api_version=2";
      CHECK(fetch_reply(port, base + (known.empty() ? "" : "&" + known)).status == 200);
      if (style != PagingStyle::Keyset) CHECK(fetch_reply(port, base + "&since=0").status == 200);
      const Reply refused = fetch_reply(port, base + "&colour=red");
      CHECK(refused.status == 400);
      CHECK(
          refused.body ==
          (style == PagingStyle::LastRecord
               ? R"({"error":{"type":"invalid_request_error","message":"Received unknown parameter: colour"}})"
               : R"({"error":"unknown parameter: colour"})"));
      // Another style's parameter is unknown too; required parameters still apply.
      CHECK(fetch_reply(port, base + (style == PagingStyle::Token ? "&offset=1" : "&after=1"))
                .status == 400);
      CHECK(fetch_reply(port, "/v1/list").status == 400);

      serving.strict = false;
      api.set_serving("/v1/list", serving);
      CHECK(fetch_reply(port, base + "&colour=red").status == 200);
    }
  }

  TEST_CASE("until: only records before it, in every paging style, with since or without") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving;
    serving.until_param = "until";
    add_list(api, 100, serving);
    const auto served = api.records("/v1/list").snapshot();
    const tsync::Instant cut = served[60].updated, from = served[20].updated;
    std::vector<std::string> before, between;
    for (const auto& r : served) {
      if (r.updated < cut) before.push_back(r.id);
      if (r.updated > from && r.updated < cut) between.push_back(r.id);
    }
    const std::string until =
        query("until", tsync::mock::served_cursor_text(cut, CursorFormat::Iso8601));
    const std::string since =
        query("since", tsync::mock::served_cursor_text(from, CursorFormat::Iso8601));
    CHECK(ids_in(fetch_reply(port, "/v1/list?" + until)["data"]) == before);
    CHECK(ids_in(fetch_reply(port, "/v1/list?" + since + "&" + until)["data"]) == between);
    CHECK(
        fetch_reply(port, "/v1/list?until=" + since.substr(6) + "&since=" + until.substr(6))["data"]
            .Size() == 0);
    const Reply bad = fetch_reply(port, "/v1/list?until=yesterday");
    CHECK(bad.status == 400);
    CHECK(text_of(bad["error"]) == R"(until is not an ISO 8601 timestamp: "yesterday")");

    SUBCASE("pages of today's contract end at until") {
      serving.page_size = 7;
      serving.strict = true;
      api.set_serving("/v1/list", serving);
      std::vector<std::string> seen;
      std::string last;
      for (int guard = 0; guard < 30; ++guard) {
        const Reply page = fetch_reply(
            port, "/v1/list?" + until + (last.empty() ? "" : "&" + query("since", last)));
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        if (ids.empty()) break;
        seen.insert(seen.end(), ids.begin(), ids.end());
        last = text_of(page["data"][page["data"].Size() - 1]["updatedAt"]);
      }
      CHECK(seen == before);
    }
    SUBCASE("every paging style, in one page") {
      for (const PagingStyle style :
           {PagingStyle::LinkHeader, PagingStyle::NextUrl, PagingStyle::Token,
            PagingStyle::LastRecord, PagingStyle::Offset, PagingStyle::PageNumber,
            PagingStyle::Keyset}) {
        CAPTURE(tsync::mock::paging_style_name(style));
        ServingOptions o = paged(style);
        o.until_param = "until";
        o.page_size = 1000;
        o.max_page_size = 1000;
        o.strict = true;
        api.set_serving("/v1/list", o);
        const Reply page = fetch_reply(port, "/v1/list?" + since + "&" + until);
        REQUIRE(page.status == 200);
        CHECK(ids_in(page["data"]) == between);
        CHECK(page.link_headers.empty());
        if (style == PagingStyle::NextUrl) CHECK(page["next_page_url"].IsNull());
        if (style == PagingStyle::Token) CHECK_FALSE(page.json.HasMember("paging"));
        if (style == PagingStyle::LastRecord) CHECK_FALSE(page["has_more"].GetBool());
        if (style == PagingStyle::Offset) CHECK(page["total"].GetUint() == between.size());
        if (style == PagingStyle::PageNumber)
          CHECK(page["total_items"].GetUint() == between.size());
        if (style == PagingStyle::Keyset) CHECK(page["scroll_param"].IsNull());
      }
    }
    SUBCASE("keyset pages carry until beside scroll_param, to its end") {
      ServingOptions o = paged(PagingStyle::Keyset);
      o.until_param = "until";
      o.page_size = 9;
      api.set_serving("/v1/list", o);
      std::vector<std::string> seen;
      std::string target = "/v1/list?" + since + "&" + until;
      for (int guard = 0; guard < 30 && !target.empty(); ++guard) {
        const Reply page = fetch_reply(port, target);
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        target =
            page["scroll_param"].IsNull()
                ? ""
                : "/v1/list?" + query("scroll_param", text_of(page["scroll_param"])) + "&" + until;
      }
      CHECK(seen == between);
    }
    SUBCASE("next links keep until; by key, the same records") {
      ServingOptions o = paged(PagingStyle::LinkHeader);
      o.until_param = "until";
      o.order = Order::ByKey;
      api.set_serving("/v1/list", o);
      std::vector<std::string> seen;
      Reply page = fetch_reply(port, "/v1/list?per_page=6&" + since + "&" + until);
      for (int guard = 0; guard < 30; ++guard) {
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        const auto links = page.links();
        if (!links.count("next")) break;
        CHECK(links.at("next").find("&until=") != std::string::npos);
        page = fetch_url(links.at("next"));
      }
      CHECK(std::set<std::string>(seen.begin(), seen.end()) ==
            std::set<std::string>(between.begin(), between.end()));
      CHECK(seen.size() == between.size());
    }
  }

  TEST_CASE("max_range_seconds: both ends required, at most that far apart, else 400 saying so") {
    MockApi api;
    const int port = api.start();
    EndpointSpec spec;
    spec.path = "/api/v2/report";
    spec.records = 2000;
    spec.schema.key = KeyKind::Integer;
    spec.schema.cursor_format = CursorFormat::UnixSeconds;
    spec.since_param = "start_time";
    spec.serving.until_param = "end_time";
    spec.serving.max_range_seconds = 86400;
    spec.serving.since_mode = tsync::mock::SinceMode::Inclusive;
    spec.serving.page_size = 1000;  // today's contract: one answer holds a day
    api.add_endpoint(spec);
    const std::int64_t january = 1704067200;  // 2024-01-01T00:00:00Z
    const auto window = [&](std::int64_t start, std::int64_t end) {
      return fetch_reply(port, "/api/v2/report?start_time=" + std::to_string(start) +
                                   "&end_time=" + std::to_string(end));
    };
    CHECK(window(january, january + 86400).status == 200);
    const Reply longer = window(january, january + 86401);
    CHECK(longer.status == 400);
    CHECK(text_of(longer["error"]) ==
          "the range from start_time to end_time is longer than 86400 seconds: start_time and "
          "end_time must be at most 86400 seconds apart");
    for (const std::string target : {"/api/v2/report", "/api/v2/report?start_time=1704067200",
                                     "/api/v2/report?end_time=1704067200"}) {
      CAPTURE(target);
      const Reply missing = fetch_reply(port, target);
      CHECK(missing.status == 400);
      CHECK(text_of(missing["error"]) ==
            "start_time and end_time are both required, at most 86400 seconds apart");
    }
    // Daily windows [start, end) over January hold each of its records once.
    std::vector<std::string> seen, expected;
    for (std::int64_t day = 0; day < 31; ++day) {
      const auto ids = ids_in(window(january + day * 86400, january + (day + 1) * 86400)["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    for (const auto& r : api.records("/api/v2/report").snapshot())
      if (r.updated.seconds < january + 31 * 86400) expected.push_back(r.id);
    CHECK(expected.size() > 31);
    CHECK(seen == expected);

    SUBCASE("in milliseconds, a millisecond too many is too long") {
      EndpointSpec millis;
      millis.path = "/v1/ms";
      millis.schema.cursor_format = CursorFormat::UnixMillis;
      millis.serving.until_param = "until";
      millis.serving.max_range_seconds = 60;
      api.add_endpoint(millis);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200000&until=1704067260000").status == 200);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200000&until=1704067260001").status == 400);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200999&until=1704067260999").status == 200);
    }
    SUBCASE("keyset: scroll_param stands for since on later pages") {
      EndpointSpec keyset;
      keyset.path = "/v1/k";
      keyset.schema.key = KeyKind::Integer;
      keyset.serving.paging = PagingStyle::Keyset;
      keyset.serving.page_size = 10;
      keyset.serving.until_param = "until";
      keyset.serving.max_range_seconds = 30 * 86400;
      api.add_endpoint(keyset);
      const std::string until = "&until=2024-03-31T00%3A00%3A00Z";
      std::string target = "/v1/k?since=2024-03-01T00%3A00%3A00Z" + until;
      std::size_t pages = 0, records = 0;
      for (; pages < 30 && !target.empty(); ++pages) {
        const Reply page = fetch_reply(port, target);
        REQUIRE(page.status == 200);
        records += page["data"].Size();
        target = page["scroll_param"].IsNull()
                     ? ""
                     : "/v1/k?" + query("scroll_param", text_of(page["scroll_param"])) + until;
      }
      CHECK(pages > 3);
      std::size_t expected_records = 0;
      for (const auto& r : api.records("/v1/k").snapshot())
        if (r.updated > instant("2024-03-01T00:00:00Z") &&
            r.updated < instant("2024-03-31T00:00:00Z"))
          ++expected_records;
      CHECK(records == expected_records);
      const std::string early =
          query("scroll_param", tsync::mock::base64_encode("2024-02-01T00:00:00.000Z"));
      const Reply too_long = fetch_reply(port, "/v1/k?" + early + until);
      CHECK(too_long.status == 400);
      CHECK(text_of(too_long["error"]) ==
            "the range from scroll_param to until is longer than 2592000 seconds: scroll_param "
            "and until must be at most 2592000 seconds apart");
      CHECK(fetch_reply(port, "/v1/k?" + early).status == 400);
    }
    SUBCASE("the users endpoint, through Options") {
      Options options;
      options.users = 50;
      options.until_param = "updated_before";
      options.max_range_seconds = 366 * 86400;
      MockApi users(options);
      const int users_port = users.start();
      CHECK(fetch_reply(users_port,
                        "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z"
                        "&updated_before=2025-01-01T00%3A00%3A00Z")["data"]
                .Size() == 50);
      CHECK(
          fetch_reply(users_port, "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z").status ==
          400);
    }
  }
}
