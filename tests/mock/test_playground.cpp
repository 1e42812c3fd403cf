// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_playground") {
  TEST_CASE("the playground's credentials: made at random, each kind apart, printed as it does") {
    std::mt19937_64 random(42);
    const auto c = tsync::mock::random_playground_credentials(random);
    CHECK(c.basic_username.size() == 17);
    CHECK(c.basic_username.substr(5) == "@example.com");
    CHECK(c.basic_password.size() == 8);
    CHECK(c.session_password.size() == 10);
    CHECK(c.bearer_token.size() == 36);
    CHECK(c.bearer_token[14] == '4');
    CHECK(c.api_key != c.bearer_token);
    CHECK(c.session_username != c.basic_username);
    const std::string table = tsync::mock::playground_credentials_table("http://127.0.0.1:5001", c);
    CHECK(table.find("Http Basic Auth                | GET http://127.0.0.1:5001/auth/http_basic"
                     "          | Username: " +
                     c.basic_username + " Password: " + c.basic_password) != std::string::npos);
    CHECK(table.find("| Username: " + c.session_username + "  Password: " + c.session_password) !=
          std::string::npos);
    MockApi api;
    const int port = api.start();
    for (auto& spec : tsync::mock::playground_auth_endpoints(c)) api.add_endpoint(std::move(spec));
    const auto get = [&](const std::string& path, const std::string& authorization) {
      return raw_get(port, path + "?since=2999-01-01T00:00:00Z",
                     {{"Authorization", authorization}});
    };
    CHECK(get("/auth/http_basic", basic_header(c.basic_username, c.basic_password)).status == 200);
    CHECK(get("/auth/http_basic", basic_header(c.basic_username, c.session_password)).status ==
          401);
    CHECK(get("/auth/http_bearer", "Bearer " + c.bearer_token).status == 200);
    const Raw keyed = get("/auth/api_key", "apiKey " + c.api_key);
    CHECK(keyed.status == 200);
    CHECK(keyed.json["data"].Size() == 20);  // whatever since says
    CHECK(get("/auth/session_token/data",
              "Token " + log_in(port, c.session_username, c.session_password))
              .status == 200);
  }
}
