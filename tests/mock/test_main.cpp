// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_main") {
  TEST_CASE("tsync-mock-api serves until SIGTERM and reports its requests") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "25", "--port", "0", "--page-size", "10"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 25 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    httplib::Client client("127.0.0.1", port);
    const auto page = client.Get(tsync::mock::kUsersPath);
    REQUIRE(page);
    CHECK(page->status == 200);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 1 request\n") != std::string::npos);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--since-mode", "sometimes"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--since-mode") != std::string::npos);
  }

  TEST_CASE("tsync-mock-api serves each --endpoint and refuses a bad one") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "5", "--port", "0", "--endpoint",
                       "path=/v1/orders,records=30,key=integer,cursor_format=unix_millis,"
                       "since_param=updated_since,records_path=results,require=api_version:2",
                       "--endpoint", "path=/v2/items,records=7,records_path="});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 5 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() == "tsync-mock-api: serving 30 records at " + base + "/v1/orders");
    CHECK(child.read_line() == "tsync-mock-api: serving 7 records at " + base + "/v2/items");
    CHECK(get(port, "/v1/orders?api_version=2", "results").size() == 30);
    CHECK(get(port, "/v1/orders?api_version=2&updated_since=0", "results").size() == 30);
    CHECK(get(port, "/v1/orders").status == 400);
    CHECK(get(port, "/v2/items", "").size() == 7);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 4 requests") != std::string::npos);

    const auto refused =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--endpoint", "path=/v1/orders,key=guid"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err ==
          "tsync-mock-api: error: --endpoint \"path=/v1/orders,key=guid\": key: \"guid\" is not "
          "uuid, integer or composite\n");
  }

  TEST_CASE("tsync-mock-api pages the users and the --endpoint records as told") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "30", "--port", "0", "--paging", "offset",
                       "--page-size", "7", "--order", "newest_first", "--strict", "--latency-ms",
                       "1", "--max-page-size", "12", "--endpoint",
                       "path=/v1/c,records=9,key=integer,paging=last_record,since_param=,"
                       "order=newest_first,page_size=4"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 30 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    child.read_line();
    const Reply users = fetch_reply(port, "/incremental/timestamp");
    CHECK(users["data"].Size() == 7);
    CHECK(users["limit"].GetInt() == 7);
    CHECK(users["total"].GetInt() == 30);
    CHECK(fetch_reply(port, "/incremental/timestamp?limit=12")["data"].Size() == 12);
    CHECK(fetch_reply(port, "/incremental/timestamp?limit=13").status == 400);
    CHECK(fetch_reply(port, "/incremental/timestamp?colour=red").status == 400);
    const Reply orders = fetch_reply(port, "/v1/c");
    CHECK(ids_in(orders["data"]) == std::vector<std::string>{"9", "8", "7", "6"});
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--paging", "cursor"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--paging") != std::string::npos);
    const auto keyset =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--paging", "keyset", "--order", "by_key"});
    CHECK(keyset.exit_code == 1);
    CHECK(keyset.err ==
          "tsync-mock-api: error: order: \"by_key\" cannot page with keyset (it pages in "
          "ascending order only)\n");
  }

  TEST_CASE("tsync-mock-api signs in and checks ranges as its command line says") {
    proc::Child child({TSYNC_MOCK_BINARY,
                       "--users",
                       "12",
                       "--port",
                       "0",
                       "--auth",
                       "basic:alice:pa:ss",
                       "--until-param",
                       "updated_before",
                       "--max-range-seconds",
                       "315619200",
                       "--oauth-client-id",
                       "cli-client",
                       "--oauth-client-secret",
                       "cli-secret",
                       "--oauth-refresh-token",
                       "cli-refresh",
                       "--oauth-expires-in",
                       "60",
                       "--oauth-rotate",
                       "--endpoint",
                       "path=/v1/s,records=4,auth=session:bob:pw:Session ",
                       "--endpoint",
                       "path=/v1/o,records=3,auth=oauth2",
                       "--endpoint",
                       "path=/v1/k,records=2,auth=api_key:query:api_key::k-1"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 12 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() == "tsync-mock-api: serving 4 records at " + base + "/v1/s");
    CHECK(child.read_line() == "tsync-mock-api: serving 3 records at " + base + "/v1/o");
    CHECK(child.read_line() == "tsync-mock-api: serving 2 records at " + base + "/v1/k");
    CHECK(child.read_line() ==
          "tsync-mock-api: session logins at " + base + "/auth/session_token/login");
    CHECK(child.read_line() == "tsync-mock-api: OAuth2 tokens at " + base + "/oauth/v1/token");

    const std::string decade =
        "/incremental/"
        "timestamp?since=2020-01-01T00%3A00%3A00Z&updated_before=2030-01-01T00%3A00%3A00Z";
    const httplib::Headers alice{{"Authorization", basic_header("alice", "pa:ss")}};
    CHECK(raw_get(port, decade).status == 401);
    CHECK(data_size(raw_get(port, decade, alice)) == 12);
    CHECK(raw_get(port, "/incremental/timestamp", alice).status == 400);

    const std::string token = log_in(port, "bob", "pw");
    CHECK(data_size(raw_get(port, "/v1/s", {{"Authorization", "Session " + token}})) == 4);
    CHECK(raw_get(port, "/v1/s", {{"Authorization", "Token " + token}}).status == 401);

    const Raw refreshed = token_request(port,
                                        "grant_type=refresh_token&refresh_token=cli-refresh&client_"
                                        "id=cli-client&client_secret=cli-secret");
    REQUIRE(refreshed.status == 200);
    CHECK(refreshed["expires_in"].GetInt() == 60);
    CHECK(refreshed.text("refresh_token") != "cli-refresh");
    CHECK(token_request(port,
                        "grant_type=refresh_token&refresh_token=cli-refresh&client_id=cli-client&"
                        "client_secret=cli-secret")
              .text("error") == "invalid_grant");
    CHECK(data_size(raw_get(port, "/v1/o",
                            {{"Authorization", "Bearer " + refreshed.text("access_token")}})) == 3);
    CHECK(data_size(raw_get(port, "/v1/k?api_key=k-1")) == 2);
    CHECK(raw_get(port, "/v1/k").status == 401);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 8 requests") != std::string::npos);

    const auto bad_auth = proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--auth", "basic:alice"});
    CHECK(bad_auth.exit_code == 2);
    CHECK(bad_auth.err ==
          "tsync-mock-api: error: --auth: basic needs the form basic:USER:PASSWORD\n");
    const auto bad_endpoint =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--endpoint", "path=/v1/x,auth=bearer"});
    CHECK(bad_endpoint.exit_code == 2);
    CHECK(bad_endpoint.err ==
          "tsync-mock-api: error: --endpoint \"path=/v1/x,auth=bearer\": auth: bearer needs the "
          "form bearer:TOKEN\n");
    const auto no_until =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--max-range-seconds", "60"});
    CHECK(no_until.exit_code == 1);
    CHECK(no_until.err ==
          "tsync-mock-api: error: max_range_seconds: needs until_param (a range has two ends)\n");
    const auto negative = proc::run({TSYNC_MOCK_BINARY, "--oauth-expires-in", "-5"});
    CHECK(negative.exit_code != 0);
    CHECK(negative.err.find("--oauth-expires-in") != std::string::npos);
  }

  TEST_CASE("tsync-mock-api --updated-within-days puts the users within those days") {
    const std::int64_t before = unix_now();
    proc::Child child(
        {TSYNC_MOCK_BINARY, "--users", "200", "--port", "0", "--updated-within-days", "2"});
    const std::string banner = child.read_line();
    const std::int64_t after = unix_now();
    const std::string prefix = "tsync-mock-api: serving 200 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    check_users_within(std::stoi(banner.substr(prefix.size())), 200, before - 2 * 86400, after + 1);
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--updated-within-days", "-1"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--updated-within-days") != std::string::npos);
  }
}
