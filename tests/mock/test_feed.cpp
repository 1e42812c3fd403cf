// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_feed") {
  TEST_CASE("orders: ascending, newest first and by key, after since") {
    MockApi api;
    const int port = api.start();
    add_list(api, 60, paged(PagingStyle::Offset));
    api.records("/v1/list").mutate(10, 5);  // creation order is no longer cursor order
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);
    auto by_key = served;
    std::sort(by_key.begin(), by_key.end(), [](const std::string& a, const std::string& b) {
      return std::stoi(a) < std::stoi(b);
    });
    REQUIRE(by_key != served);
    const auto all = [&](const std::string& extra) {
      std::vector<std::string> seen;
      for (std::size_t offset = 0; offset < 100; offset += 50) {
        const Reply page =
            fetch_reply(port, "/v1/list?limit=50&offset=" + std::to_string(offset) + extra);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
      }
      return seen;
    };
    ServingOptions serving = paged(PagingStyle::Offset);
    CHECK(all("") == served);
    serving.order = Order::NewestFirst;
    api.set_serving("/v1/list", serving);
    CHECK(all("") == reversed(served));
    serving.order = Order::ByKey;
    api.set_serving("/v1/list", serving);
    CHECK(all("") == by_key);

    // After since: the same orders of fewer records.
    const auto& pivot = records[29];
    std::set<std::string> newer;
    for (const auto& r : records)
      if (r.updated > pivot.updated) newer.insert(r.id);
    std::vector<std::string> by_key_newer;
    for (const auto& id : by_key)
      if (newer.count(id)) by_key_newer.push_back(id);
    CHECK(all("&" + query("since", pivot.cursor)) == by_key_newer);
    CHECK(fetch_reply(port, "/v1/list?" + query("since", pivot.cursor))["total"].GetUint64() ==
          newer.size());
    serving.order = Order::NewestFirst;
    api.set_serving("/v1/list", serving);
    const auto newest = all("&" + query("since", pivot.cursor));
    CHECK(newest == reversed(std::vector<std::string>(served.end() - newer.size(), served.end())));
  }
}
