// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_load_meter") {
  TEST_CASE("peak concurrency: requests in flight together, until their bodies are produced") {
    MockApi api;
    const int port = api.start();
    ServingOptions slow;
    slow.latency = std::chrono::milliseconds(400);
    add_list(api, 20, slow);
    CHECK(api.peak_concurrent_requests() == 0);
    const auto at_once = [&](int clients) {
      std::vector<std::thread> threads;
      std::atomic<int> answered{0};
      for (int k = 0; k < clients; ++k)
        threads.emplace_back([&] {
          httplib::Client client("127.0.0.1", port);
          client.set_read_timeout(10, 0);
          const auto result = client.Get("/v1/list");
          if (result && result->status == 200) ++answered;
        });
      for (auto& thread : threads) thread.join();
      return answered.load();
    };
    CHECK(at_once(8) == 8);
    CHECK(api.peak_concurrent_requests() == 8);
    CHECK(api.peak_requests_per_second() == 8);
    CHECK(api.peak_requests_per_second("/v1/list") == 8);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 0);
    api.reset_load_counters();
    CHECK(api.peak_concurrent_requests() == 0);
    CHECK(api.peak_requests_per_second() == 0);
    CHECK(api.peak_requests_per_second("/v1/list") == 0);

    SUBCASE("one after another: one in flight") {
      slow.latency = std::chrono::milliseconds(0);
      api.set_serving("/v1/list", slow);
      for (int k = 0; k < 3; ++k) CHECK(fetch_reply(port, "/v1/list").status == 200);
      CHECK(api.peak_concurrent_requests() == 1);
      CHECK(api.peak_requests_per_second() == 3);
    }
    SUBCASE("at least 32 at once") {
      slow.latency = std::chrono::milliseconds(1500);
      api.set_serving("/v1/list", slow);
      CHECK(at_once(40) == 40);
      CHECK(api.peak_concurrent_requests() >= 32);
    }
    SUBCASE("a body still being sent counts as in flight") {
      Options options;
      options.rate_limit_bytes_per_second = 200'000;  // the 1000 users' body takes over a second
      api.set_options(options);
      slow.latency = std::chrono::milliseconds(0);
      api.set_serving("/v1/list", slow);
      const std::size_t requests = api.request_count();
      std::thread reader([&] {
        httplib::Client client("127.0.0.1", port);
        const auto result = client.Get(tsync::mock::kUsersPath);
        CHECK(result);
        CHECK(result->body.size() > 200'000);
      });
      tsync::test::wait_until("the users' request", [&] { return api.request_count() > requests; });
      CHECK(fetch_reply(port, "/v1/list").status == 200);
      reader.join();
      CHECK(api.peak_concurrent_requests() == 2);
    }
  }

  TEST_CASE("peak requests per second: the most started within any one second, per endpoint") {
    Options options;
    options.users = 5;
    MockApi api(options);
    const int port = api.start();
    add_list(api, 5, {});
    for (int k = 0; k < 5; ++k) CHECK(fetch_reply(port, "/v1/list").status == 200);
    for (int k = 0; k < 2; ++k) CHECK(fetch_reply(port, tsync::mock::kUsersPath).status == 200);
    CHECK(fetch_reply(port, "/admin/stats").status == 200);  // not a data request
    CHECK(api.peak_requests_per_second() == 7);
    CHECK(api.peak_requests_per_second("/v1/list") == 5);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 2);
    CHECK(api.peak_requests_per_second("/v1/none") == 0);
    CHECK(api.peak_concurrent_requests() == 1);
    api.reset_load_counters();
    // Three requests 600 ms apart: no second holds more than two of them.
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(api.peak_requests_per_second() == 2);
    CHECK(api.peak_requests_per_second("/v1/list") == 2);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 0);
  }

  TEST_CASE("GET /admin/load reports the peaks in flight and per second, of all or of one path") {
    Options options;
    options.users = 5;
    options.latency = std::chrono::milliseconds(300);
    MockApi api(options);
    const int port = api.start();
    EndpointSpec spec;
    spec.path = "/v1/list";
    spec.records = 5;
    api.add_endpoint(spec);
    CHECK(fetch_reply(port, "/admin/load").body ==
          R"({"peak_concurrent_requests":0,"peak_requests_per_second":0})");
    std::vector<std::thread> threads;
    for (int k = 0; k < 3; ++k)
      threads.emplace_back([port] {
        httplib::Client client("127.0.0.1", port);
        CHECK(client.Get(tsync::mock::kUsersPath));
      });
    for (auto& thread : threads) thread.join();
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(api.peak_concurrent_requests() == 3);
    CHECK(fetch_reply(port, "/admin/load").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":4})");
    CHECK(fetch_reply(port, "/admin/load?endpoint=/incremental/timestamp").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":3})");
    CHECK(fetch_reply(port, "/admin/load?endpoint=/v1/list").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":1})");
    const Reply unknown = fetch_reply(port, "/admin/load?endpoint=/v1/none");
    CHECK(unknown.status == 404);
    CHECK(unknown.body == R"({"error":"no endpoint at \"/v1/none\""})");
    CHECK(api.request_count() == 4);  // /admin/load is not a data request
  }
}
