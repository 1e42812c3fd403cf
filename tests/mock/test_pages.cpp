// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_pages") {
  TEST_CASE(
      "link_header pages as GitHub: a bare array and one Link header with next, last, prev, "
      "first") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    add_list(api, 100, paged(PagingStyle::LinkHeader), "");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?state=all");
    CHECK(first.status == 200);
    CHECK(ids_in(first.json) == std::vector<std::string>(served.begin(), served.begin() + 30));
    CHECK(first.links() ==
          std::map<std::string, std::string>{{"next", base + "/v1/list?state=all&page=2"},
                                             {"last", base + "/v1/list?state=all&page=4"}});
    const Reply second = fetch_url(first.links().at("next"));
    CHECK(second.link_headers[0] == "<" + base + "/v1/list?state=all&page=1>; rel=\"prev\", <" +
                                        base + "/v1/list?state=all&page=3>; rel=\"next\", <" +
                                        base + "/v1/list?state=all&page=4>; rel=\"last\", <" +
                                        base + "/v1/list?state=all&page=1>; rel=\"first\"");

    // Following next to the end gives every record once, in order.
    std::vector<std::string> seen;
    std::string next = base + "/v1/list?per_page=7";
    std::size_t pages = 0;
    while (!next.empty() && pages < 50) {
      const Reply page = fetch_url(next);
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page.json);
      seen.insert(seen.end(), ids.begin(), ids.end());
      const auto links = page.links();
      CHECK(links.at("last") == base + "/v1/list?per_page=7&page=15");
      next = links.count("next") ? links.at("next") : "";
      if (next.empty()) CHECK(ids.size() == 2);  // the last page: 100 = 14 * 7 + 2
      ++pages;
    }
    CHECK(pages == 15);
    CHECK(seen == served);

    // per_page above 100 is cut to 100, not refused: then one page and no Link at all.
    const Reply cut = fetch_reply(port, "/v1/list?per_page=500");
    CHECK(cut.status == 200);
    CHECK(cut.json.Size() == 100);
    CHECK(cut.link_headers.empty());
    // Past the last page: empty, with prev, last and first.
    const Reply beyond = fetch_reply(port, "/v1/list?page=9&per_page=50");
    CHECK(beyond.json.Size() == 0);
    CHECK(beyond.links().count("next") == 0);
    CHECK(beyond.links().at("prev") == base + "/v1/list?page=8&per_page=50");
    CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
    CHECK(fetch_reply(port, "/v1/list?page=two").body ==
          R"({"error":"page must be a whole number, not \"two\""})");
    CHECK(fetch_reply(port, "/v1/list?per_page=0").body ==
          R"({"error":"per_page must be between 1 and 100, not 0"})");

    // The request's own parameters stay as they were sent, since included.
    const auto records = api.records("/v1/list").snapshot();
    std::size_t pivot = 9;
    while (records[pivot].updated == records[pivot + 1].updated) ++pivot;
    const std::string target = "/v1/list?" + query("since", records[pivot].cursor) + "&per_page=20";
    const Reply filtered = fetch_reply(port, target);
    CHECK(ids_in(filtered.json) ==
          std::vector<std::string>(served.begin() + pivot + 1, served.begin() + pivot + 21));
    // (cpp-httplib's client decodes header values: read this one from the socket.)
    CHECK(raw_link(port, target) ==
          "<" + base + target + "&page=2>; rel=\"next\", <" + base + target +
              "&page=" + std::to_string((100 - pivot - 1 + 19) / 20) + ">; rel=\"last\"");
  }

  TEST_CASE(
      "json_server pages as json-server 0.17.4: _page, _limit, _sort, _order, X-Total-Count, "
      "and an empty Link when the answer fits one page") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    ServingOptions serving = paged(PagingStyle::JsonServer);
    serving.since_mode = tsync::mock::SinceMode::Inclusive;
    add_list(api, 25, serving, "", "updatedAt_gte");
    api.records("/v1/list").mutate(5, 0);  // updated records keep their place in creation order
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);  // by updatedAt, then creation
    std::vector<std::string> created = served;
    std::sort(created.begin(), created.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
    REQUIRE(created != served);
    httplib::Client client("127.0.0.1", port);
    auto header = [&](const std::string& target, const char* name) {
      const auto result = client.Get(target);
      REQUIRE(result);
      return result->has_header(name) ? std::optional<std::string>(result->get_header_value(name))
                                      : std::nullopt;
    };

    // No paging parameter: every record in the order they were added, no headers.
    const Reply all = fetch_reply(port, "/v1/list");
    CHECK(ids_in(all.json) == created);
    CHECK(all.link_headers.empty());
    CHECK_FALSE(header("/v1/list", "X-Total-Count"));

    // Three pages of 10 by updatedAt: first, prev, next and last as json-server
    // writes them (the first "page=N" of the URL replaced), X-Total-Count.
    const std::string target = "/v1/list?_page=1&_limit=10&_sort=updatedAt,id&_order=asc,asc";
    auto at = [&](int page) {
      std::string t = target;
      t.replace(t.find("_page=1"), 7, "_page=" + std::to_string(page));
      return t;
    };
    const Reply first = fetch_reply(port, at(1));
    CHECK(ids_in(first.json) == std::vector<std::string>(served.begin(), served.begin() + 10));
    CHECK(header(at(1), "X-Total-Count") == std::optional<std::string>("25"));
    CHECK(header(at(1), "Access-Control-Expose-Headers") ==
          std::optional<std::string>("X-Total-Count, Link"));
    CHECK(raw_link(port, at(1)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(2) +
                                       ">; rel=\"next\", <" + base + at(3) + ">; rel=\"last\"");
    const Reply second = fetch_reply(port, at(2));
    CHECK(ids_in(second.json) ==
          std::vector<std::string>(served.begin() + 10, served.begin() + 20));
    CHECK(raw_link(port, at(2)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(1) +
                                       ">; rel=\"prev\", <" + base + at(3) + ">; rel=\"next\", <" +
                                       base + at(3) + ">; rel=\"last\"");
    const Reply third = fetch_reply(port, at(3));
    CHECK(ids_in(third.json) == std::vector<std::string>(served.begin() + 20, served.end()));
    CHECK(raw_link(port, at(3)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(2) +
                                       ">; rel=\"prev\", <" + base + at(3) + ">; rel=\"last\"");
    // Past the end: nothing, and an empty Link.
    CHECK(fetch_reply(port, at(4)).json.Size() == 0);
    CHECK(raw_link(port, at(4)).empty());
    CHECK(header(at(4), "X-Total-Count") == std::optional<std::string>("25"));

    // One page holds every record: `Link: ` with nothing in it.
    const std::string single = "/v1/list?_page=1&_limit=25&_sort=updatedAt";
    CHECK(fetch_reply(port, single).json.Size() == 25);
    CHECK(raw_link(port, single).empty());
    // _limit alone: the first records, X-Total-Count, no Link.
    CHECK(ids_in(fetch_reply(port, "/v1/list?_limit=5").json) ==
          std::vector<std::string>(created.begin(), created.begin() + 5));
    CHECK(header("/v1/list?_limit=5", "X-Total-Count") == std::optional<std::string>("25"));
    CHECK_FALSE(header("/v1/list?_limit=5", "Link"));
    // _page that is not a number is page 1; _limit that is not one is 10.
    CHECK(fetch_reply(port, "/v1/list?_page=two&_limit=x").json.Size() == 10);
    // Newest first.
    CHECK(ids_in(fetch_reply(port, "/v1/list?_page=1&_limit=5&_sort=updatedAt&_order=DESC").json) ==
          std::vector<std::string>(served.rbegin(), served.rbegin() + 5));
    // A sort the mock cannot do is refused, naming it.
    const Reply by_name = fetch_reply(port, "/v1/list?_sort=name");
    CHECK(by_name.status == 400);
    CHECK(by_name.body == R"({"error":"_sort: the mock sorts by updatedAt only, not \"name\""})");

    // updatedAt_gte is inclusive: the records at that instant come again.
    const std::string& from = records[12].cursor;
    std::size_t k = 12;
    while (k > 0 && records[k - 1].updated == records[12].updated) --k;
    const Reply since = fetch_reply(
        port, "/v1/list?_page=1&_limit=100&_sort=updatedAt&" + query("updatedAt_gte", from));
    CHECK(ids_in(since.json) ==
          std::vector<std::string>(served.begin() + static_cast<long>(k), served.end()));
  }

  TEST_CASE("link_header on the users: records under data, page_size as the default per_page") {
    Options options;
    options.users = 45;
    options.paging = PagingStyle::LinkHeader;
    options.page_size = 20;
    MockApi api(options);
    const int port = api.start();
    const auto users = api.store().snapshot();
    std::vector<std::string> seen;
    std::string next = api.base_url();
    for (int guard = 0; guard < 10 && !next.empty(); ++guard) {
      const Reply page = fetch_url(next);
      const auto ids = ids_in(page["data"]);
      CHECK(ids.size() == (seen.size() < 40 ? 20u : 5u));
      seen.insert(seen.end(), ids.begin(), ids.end());
      const auto links = page.links();
      next = links.count("next") ? links.at("next") : "";
    }
    CHECK(seen == ids_of(users));
    (void)port;
  }

  TEST_CASE("next_url pages as Fivetran's next_page_url, and as Microsoft Graph") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);

    SUBCASE("Fivetran") {
      add_list(api, 95, paged(PagingStyle::NextUrl), "data", "updated_since");
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00Z");
      CHECK(first.keys() ==
            std::vector<std::string>{"data", "total_items", "page", "per_page", "next_page_url"});
      CHECK(first["total_items"].GetInt() == 95);
      CHECK(first["page"].GetInt() == 1);
      CHECK(first["per_page"].GetInt() == 10);
      CHECK(text_of(first["next_page_url"]) ==
            base + "/v1/list?updated_since=2024-01-01T00:00:00Z&page=2");
      CHECK(first.link_headers.empty());

      std::vector<std::string> seen;
      std::string next = base + "/v1/list?per_page=50&updated_since=2024-01-01T00:00:00Z";
      int pages = 0;
      while (!next.empty() && pages < 10) {
        const Reply page = fetch_url(next);
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        CHECK(page["per_page"].GetInt() == 50);
        next = page["next_page_url"].IsNull() ? "" : text_of(page["next_page_url"]);
        ++pages;
      }
      CHECK(pages == 2);
      CHECK(seen == served);

      CHECK(fetch_reply(port, "/v1/list?per_page=51").body ==
            R"({"error":"per_page must be between 1 and 50, not 51"})");
      CHECK(fetch_reply(port, "/v1/list?per_page=0").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=10")["data"].Size() == 5);
      CHECK(fetch_reply(port, "/v1/list?page=10")["next_page_url"].IsNull());
      CHECK(fetch_reply(port, "/v1/list?page=11")["data"].Size() == 0);

      ServingOptions larger = paged(PagingStyle::NextUrl);
      larger.max_page_size = 200;
      larger.page_size = 30;
      api.set_serving("/v1/list", larger);
      CHECK(fetch_reply(port, "/v1/list")["data"].Size() == 30);
      CHECK(fetch_reply(port, "/v1/list?per_page=95")["next_page_url"].IsNull());
      CHECK(fetch_reply(port, "/v1/list?per_page=201").status == 400);
    }
    SUBCASE("Graph") {
      ServingOptions graph = paged(PagingStyle::NextUrl);
      graph.next_field = "@odata.nextLink";
      add_list(api, 25, graph, "value");
      const Reply first = fetch_reply(port, "/v1/list?per_page=20");
      CHECK(first.keys() == std::vector<std::string>{"value", "total_items", "page", "per_page",
                                                     "@odata.nextLink"});
      CHECK(first["value"].Size() == 20);
      const Reply last = fetch_url(text_of(first["@odata.nextLink"]));
      CHECK(last["value"].Size() == 5);
      CHECK(last["@odata.nextLink"].IsNull());
    }
  }

  TEST_CASE("token pages as HubSpot: after and limit, paging.next until the last page") {
    MockApi api;
    const int port = api.start();
    add_list(api, 42, paged(PagingStyle::Token), "results");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?archived=false");
    CHECK(first.keys() == std::vector<std::string>{"results", "paging"});
    CHECK(first["results"].Size() == 10);
    const auto& next = first["paging"]["next"];
    CHECK(text_of(next["after"]) == tsync::mock::base64_encode("10\n"));
    CHECK(text_of(next["link"]) ==
          "?after=" + tsync::mock::percent_encoded(text_of(next["after"])));

    std::vector<std::string> seen;
    std::string after;
    int pages = 0;
    while (pages < 20) {
      const Reply page = fetch_reply(
          port, "/v1/list?limit=8" + (after.empty() ? "" : "&" + query("after", after)));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["results"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (!page.json.HasMember("paging")) break;
      after = text_of(page["paging"]["next"]["after"]);
    }
    CHECK(pages == 6);
    CHECK(seen == served);

    CHECK(fetch_reply(port, "/v1/list?after=%21%21").body ==
          R"({"error":"after is not a paging token of this list: \"!!\""})");
    CHECK(fetch_reply(port, "/v1/list?after=" + tsync::mock::base64_encode("ten")).status == 400);
    CHECK(fetch_reply(port, "/v1/list?limit=101").body ==
          R"({"error":"limit must be between 1 and 100, not 101"})");
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    CHECK(fetch_reply(port, "/v1/list?limit=100")["results"].Size() == 42);
  }

  TEST_CASE("last_record pages as Stripe: newest first, starting_after, has_more") {
    MockApi api;
    const int port = api.start();
    ServingOptions stripe = paged(PagingStyle::LastRecord);
    stripe.order = Order::NewestFirst;
    stripe.strict = true;
    add_list(api, 33, stripe, "data", "");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?limit=10");
    CHECK(first.keys() == std::vector<std::string>{"object", "url", "has_more", "data"});
    CHECK(text_of(first["object"]) == "list");
    CHECK(text_of(first["url"]) == "/v1/list");
    CHECK(first["has_more"].GetBool());

    std::vector<std::string> seen;
    std::string starting_after;
    int pages = 0;
    while (pages < 20) {
      const Reply page = fetch_reply(
          port, "/v1/list?limit=10" +
                    (starting_after.empty() ? "" : "&starting_after=" + starting_after));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (!page["has_more"].GetBool()) break;
      starting_after = ids.back();
    }
    CHECK(pages == 4);
    CHECK(seen == reversed(served));

    CHECK(fetch_reply(port, "/v1/list?starting_after=999").body ==
          R"({"error":{"type":"invalid_request_error","message":"No such object: '999'"}})");
    CHECK(
        fetch_reply(port, "/v1/list?limit=101").body ==
        R"({"error":{"type":"invalid_request_error","message":"limit must be between 1 and 100, not 101"}})");
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    // No updated filter: since is a parameter like any unknown one.
    CHECK(
        fetch_reply(port, "/v1/list?since=2024-01-01T00:00:00Z").body ==
        R"({"error":{"type":"invalid_request_error","message":"Received unknown parameter: since"}})");
    CHECK(fetch_reply(port, "/v1/list?ending_before=3").status == 400);
    CHECK(api.since_log("/v1/list").back().empty());

    // The last page: has_more false; the oldest record starts nothing.
    const Reply last = fetch_reply(port, "/v1/list?starting_after=" + served[1]);
    CHECK(ids_in(last["data"]) == std::vector<std::string>{served[0]});
    CHECK_FALSE(last["has_more"].GetBool());
    const Reply after_oldest = fetch_reply(port, "/v1/list?starting_after=" + served[0]);
    CHECK(after_oldest["data"].Size() == 0);
    CHECK_FALSE(after_oldest["has_more"].GetBool());
  }

  TEST_CASE("offset and page_number page as Fivetran's") {
    MockApi api;
    const int port = api.start();

    SUBCASE("offset") {
      add_list(api, 57, paged(PagingStyle::Offset));
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list");
      CHECK(first.keys() == std::vector<std::string>{"data", "offset", "limit", "total"});
      CHECK(first["offset"].GetInt() == 0);
      CHECK(first["limit"].GetInt() == 10);
      CHECK(first["total"].GetInt() == 57);
      std::vector<std::string> seen;
      std::size_t offset = 0;
      int pages = 0;
      while (pages < 20) {
        const Reply page = fetch_reply(port, "/v1/list?limit=25&offset=" + std::to_string(offset));
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        ++pages;
        offset = page["offset"].GetUint64() + ids.size();
        if (offset >= page["total"].GetUint64()) break;
      }
      CHECK(pages == 3);
      CHECK(seen == served);
      CHECK(fetch_reply(port, "/v1/list?offset=80")["data"].Size() == 0);
      CHECK(fetch_reply(port, "/v1/list?limit=51").body ==
            R"({"error":"limit must be between 1 and 50, not 51"})");
      CHECK(fetch_reply(port, "/v1/list?offset=-1").status == 400);
    }
    SUBCASE("page_number") {
      add_list(api, 57, paged(PagingStyle::PageNumber));
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list?per_page=20");
      CHECK(first.keys() ==
            std::vector<std::string>{"data", "page", "page_size", "total_pages", "total_items"});
      CHECK(first["page"].GetInt() == 1);
      CHECK(first["page_size"].GetInt() == 20);
      CHECK(first["total_pages"].GetInt() == 3);
      CHECK(first["total_items"].GetInt() == 57);
      std::vector<std::string> seen;
      for (int number = 1;; ++number) {
        const Reply page = fetch_reply(port, "/v1/list?per_page=20&page=" + std::to_string(number));
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        if (page["page"].GetInt() >= page["total_pages"].GetInt() || number > 10) break;
      }
      CHECK(seen == served);
      CHECK(fetch_reply(port, "/v1/list")["data"].Size() == 10);
      CHECK(fetch_reply(port, "/v1/list?per_page=51").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
    }
  }

  TEST_CASE(
      "keyset pages as Fivetran's: since first, then scroll_param alone, never splitting an "
      "instant") {
    MockApi api;
    const int port = api.start();
    ServingOptions keyset = paged(PagingStyle::Keyset);
    keyset.since_mode = tsync::mock::SinceMode::Inclusive;
    add_list(api, 1000, keyset, "data", "updated_since");
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);
    std::map<std::string, tsync::Instant> instant_of;
    for (const auto& r : records) instant_of[r.id] = r.updated;

    const Reply first = fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00.000Z");
    CHECK(first.keys() == std::vector<std::string>{"data", "scroll_param"});
    std::vector<std::string> seen;
    std::string scroll = text_of(first["scroll_param"]);
    const auto first_ids = ids_in(first["data"]);
    CHECK(first_ids.size() >= 50);
    CHECK(tsync::mock::base64_decode(scroll) ==
          std::optional<std::string>(records[first_ids.size() - 1].cursor));
    seen = first_ids;
    int pages = 1;
    while (pages < 40) {
      const Reply page = fetch_reply(port, "/v1/list?" + query("scroll_param", scroll));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["data"]);
      REQUIRE_FALSE(ids.empty());
      // Strictly after the last page's instant, and extended over ties.
      CHECK(instant_of[ids.front()] > instant_of[seen.back()]);
      if (ids.size() > 50) CHECK(instant_of[ids[49]] == instant_of[ids.back()]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (page["scroll_param"].IsNull()) break;
      scroll = text_of(page["scroll_param"]);
    }
    CHECK(seen == served);
    CHECK(pages <= 20);
    std::size_t ties = 0;
    for (std::size_t i = 1; i < records.size(); ++i)
      ties += records[i - 1].updated == records[i].updated;
    CHECK(ties > 10);  // instants a page of exactly 50 would have split

    const Reply both =
        fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00.000Z&scroll_param=" +
                              tsync::mock::base64_encode(records[0].cursor));
    CHECK(both.status == 400);
    CHECK(both.body == R"({"error":"updated_since and scroll_param cannot be used together"})");
    CHECK(fetch_reply(port, "/v1/list?scroll_param=bm90IGEgdGltZQ").status == 400);

    ServingOptions page_size = keyset;
    page_size.page_size = 300;
    api.set_serving("/v1/list", page_size);
    CHECK(fetch_reply(port, "/v1/list")["data"].Size() >= 300);
    keyset.order = Order::NewestFirst;
    CHECK_THROWS_WITH(api.set_serving("/v1/list", keyset),
                      R"(order: "newest_first" cannot page with keyset (it pages in ascending )"
                      R"(order only))");
  }

  TEST_CASE("repeat: every next link, URL, token and scroll value leads to the page just served") {
    MockApi api;
    const int port = api.start();
    const auto first_ids = [&](const Reply& reply, const char* member) {
      return ids_in(member ? reply[member] : reply.json);
    };
    SUBCASE("link_header") {
      ServingOptions serving = paged(PagingStyle::LinkHeader);
      serving.repeat = true;
      add_list(api, 20, serving, "");
      const Reply first = fetch_reply(port, "/v1/list?per_page=5&page=2");
      const Reply again = fetch_url(first.links().at("next"));
      CHECK(first.links().at("next").find("page=2") != std::string::npos);
      CHECK(first_ids(again, nullptr) == first_ids(first, nullptr));
      // Even a one-page answer and the last page point at themselves.
      CHECK(fetch_reply(port, "/v1/list?per_page=50").links().count("next") == 1);
    }
    SUBCASE("next_url") {
      ServingOptions serving = paged(PagingStyle::NextUrl);
      serving.repeat = true;
      add_list(api, 20, serving);
      const Reply first = fetch_reply(port, "/v1/list?per_page=5&page=4");
      REQUIRE(first["next_page_url"].IsString());
      const Reply again = fetch_url(text_of(first["next_page_url"]));
      CHECK(first_ids(again, "data") == first_ids(first, "data"));
    }
    SUBCASE("token") {
      ServingOptions serving = paged(PagingStyle::Token);
      serving.repeat = true;
      add_list(api, 20, serving, "results");
      const Reply first = fetch_reply(port, "/v1/list?limit=5");
      const std::string after = text_of(first["paging"]["next"]["after"]);
      const Reply second = fetch_reply(port, "/v1/list?limit=5&" + query("after", after));
      CHECK(first_ids(second, "results") == first_ids(first, "results"));
      CHECK(text_of(second["paging"]["next"]["after"]) == after);
    }
    SUBCASE("last_record, offset and page_number serve the first page whatever they are asked") {
      for (const PagingStyle style :
           {PagingStyle::LastRecord, PagingStyle::Offset, PagingStyle::PageNumber}) {
        CAPTURE(tsync::mock::paging_style_name(style));
        MockApi one;
        const int one_port = one.start();
        ServingOptions serving = paged(style);
        serving.repeat = true;
        add_list(one, 20, serving);
        const Reply first = fetch_reply(one_port, "/v1/list?limit=5&per_page=5");
        const Reply later =
            fetch_reply(one_port, "/v1/list?limit=5&per_page=5&offset=5&page=3&starting_after=7");
        CHECK(first_ids(later, "data") == first_ids(first, "data"));
        if (style == PagingStyle::LastRecord) {
          CHECK(later["has_more"].GetBool());
          CHECK(fetch_reply(one_port, "/v1/list?limit=50")["has_more"].GetBool());
        }
      }
    }
    SUBCASE("keyset") {
      ServingOptions serving = paged(PagingStyle::Keyset);
      serving.repeat = true;
      serving.page_size = 5;
      add_list(api, 40, serving);
      const Reply first = fetch_reply(port, "/v1/list");
      const Reply again =
          fetch_reply(port, "/v1/list?" + query("scroll_param", text_of(first["scroll_param"])));
      CHECK(first_ids(again, "data") == first_ids(first, "data"));
      CHECK(text_of(again["scroll_param"]) == text_of(first["scroll_param"]));
      const auto records = api.records("/v1/list").snapshot();
      const Reply later = fetch_reply(port, "/v1/list?" + query("since", records[9].cursor));
      const Reply later_again =
          fetch_reply(port, "/v1/list?" + query("scroll_param", text_of(later["scroll_param"])));
      CHECK(first_ids(later_again, "data") == first_ids(later, "data"));
      CHECK(first_ids(later, "data").front() != first_ids(first, "data").front());
    }
  }

  TEST_CASE("next links and next URLs: another origin, or relative") {
    MockApi other;
    const int other_port = other.start(0, "127.0.0.2");
    const std::string other_origin = "http://127.0.0.2:" + std::to_string(other_port);
    CHECK(other.base_url() == other_origin + "/incremental/timestamp");
    CHECK(other.url("/v1/list") == other_origin + "/v1/list");
    add_list(other, 20, paged(PagingStyle::NextUrl));

    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::NextUrl);
    serving.next_origin = other_origin;
    add_list(api, 20, serving);
    const Reply first = fetch_reply(port, "/v1/list?per_page=5");
    const std::string next = text_of(first["next_page_url"]);
    CHECK(next == other_origin + "/v1/list?per_page=5&page=2");
    // The other origin serves the same records (same spec), and logs the request.
    const Reply second = fetch_url(next);
    CHECK(second["data"].Size() == 5);
    CHECK(other.target_log() == std::vector<std::string>{"/v1/list?per_page=5&page=2"});

    serving.paging = PagingStyle::LinkHeader;
    api.set_serving("/v1/list", serving);
    CHECK(fetch_reply(port, "/v1/list?per_page=5").links().at("next") ==
          other_origin + "/v1/list?per_page=5&page=2");
    serving.relative_next = true;
    api.set_serving("/v1/list", serving);
    CHECK(fetch_reply(port, "/v1/list?per_page=5").links().at("last") ==
          "/v1/list?per_page=5&page=4");
    serving.paging = PagingStyle::NextUrl;
    api.set_serving("/v1/list", serving);
    CHECK(text_of(fetch_reply(port, "/v1/list?per_page=5")["next_page_url"]) ==
          "/v1/list?per_page=5&page=2");

    serving.next_origin = "127.0.0.2:80";
    CHECK_THROWS_WITH(
        api.set_serving("/v1/list", serving),
        R"(next_origin: "127.0.0.2:80" is not an origin such as http://127.0.0.2:8080)");
  }

  TEST_CASE("the users page in every style, newest first and by key too") {
    Options options;
    options.users = 70;
    MockApi api(options);
    const int port = api.start();
    const auto initial = api.store().snapshot();
    api.store().mutate(10, 3);
    const auto users = api.store().snapshot();
    std::vector<std::string> served;
    for (const auto& u : users) served.push_back(u.id);

    options.paging = PagingStyle::LastRecord;
    options.order = Order::NewestFirst;
    api.set_options(options);
    std::vector<std::string> seen;
    std::string starting_after;
    for (int guard = 0; guard < 20; ++guard) {
      const Reply page = fetch_reply(
          port, std::string(tsync::mock::kUsersPath) + "?limit=9" +
                    (starting_after.empty() ? "" : "&starting_after=" + starting_after));
      const auto ids = ids_in(page["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      if (!page["has_more"].GetBool()) break;
      starting_after = ids.back();
    }
    CHECK(seen == reversed(served));

    options.paging = PagingStyle::PageNumber;
    options.order = Order::ByKey;
    api.set_options(options);
    seen.clear();
    for (int number = 1; number <= 8; ++number) {
      const auto ids =
          ids_in(fetch_reply(port, std::string(tsync::mock::kUsersPath) +
                                       "?per_page=10&page=" + std::to_string(number))["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    // By key (creation): the users first generated in their first order, changed
    // or not, then those added.
    REQUIRE(seen.size() == 73);
    CHECK(std::vector<std::string>(seen.begin(), seen.begin() + 70) == ids_of(initial));
    const std::set<std::string> old_ids(seen.begin(), seen.begin() + 70);
    for (std::size_t i = 70; i < 73; ++i) CHECK(old_ids.count(seen[i]) == 0);

    options.paging = PagingStyle::Keyset;
    options.order = Order::NewestFirst;
    CHECK_THROWS_AS(api.set_options(options), std::invalid_argument);
    CHECK_THROWS_AS(MockApi{options}, std::invalid_argument);
  }
}
