// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_request_log") {
  TEST_CASE("the request hook runs before each data request's records are chosen") {
    MockApi api;
    const int port = api.start();
    add_list(api, 30, paged(PagingStyle::PageNumber));
    const auto before = api.records("/v1/list").snapshot();
    std::vector<std::size_t> calls;
    api.set_request_hook([&](std::size_t number) {
      calls.push_back(number);
      if (number == 2) api.records("/v1/list").touch({before[0].id, before[1].id});
      if (number == 3) {
        tsync::mock::Fault busy;
        busy.status = 503;
        api.push_fault(busy);
      }
    });
    const Reply first = fetch_reply(port, "/v1/list?page=1");
    CHECK(ids_in(first["data"]).front() == before[0].id);
    // Touched by the hook of request 2, before its records were chosen: now last.
    const Reply last = fetch_reply(port, "/v1/list?page=3");
    CHECK(ids_in(last["data"]).back() == before[1].id);
    CHECK(fetch_reply(port, "/v1/list?page=2").status == 503);
    CHECK(fetch_reply(port, "/admin/stats?endpoint=/v1/list").status == 200);  // not a data request
    CHECK(calls == std::vector<std::size_t>{1, 2, 3});
    api.set_request_hook(nullptr);
    CHECK(fetch_reply(port, "/v1/list?page=2").status == 200);
    CHECK(calls.size() == 3);
  }

  TEST_CASE("the target and Authorization of every data request are logged as received") {
    Options options;
    options.users = 5;
    MockApi api(options);
    const int port = api.start();
    add_list(api, 5, paged(PagingStyle::Token), "results");
    fetch_reply(port, "/v1/list?limit=2&after=Mgo%3D", {{"Authorization", "Bearer abc"}});
    fetch_reply(port, "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z");
    fetch_reply(port, "/v1/list?limit=0", {{"Authorization", "Basic dTpw"}});
    fetch_reply(port, "/admin/stats", {{"Authorization", "Bearer admin"}});
    CHECK(api.target_log() ==
          std::vector<std::string>{"/v1/list?limit=2&after=Mgo%3D",
                                   "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z",
                                   "/v1/list?limit=0"});
    CHECK(api.authorization_log() == std::vector<std::string>{"Bearer abc", "", "Basic dTpw"});
  }
}
