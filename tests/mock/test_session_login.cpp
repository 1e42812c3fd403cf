// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_session_login") {
  TEST_CASE("session: a login answers a token good for every session endpoint, errors as JSON") {
    MockApi api;
    const int port = api.start();
    AuthRequirement alice = requirement(AuthRequirement::Kind::Session);
    alice.username = "alice";
    alice.password = "pw-1";
    add_guarded(api, "/auth/session_token/data", alice);
    AuthRequirement bob = requirement(AuthRequirement::Kind::Session);
    bob.username = "bob";
    bob.password = "pw-2";
    bob.name = "X-Session";
    bob.prefix = "Session ";
    add_guarded(api, "/v1/b", bob);

    const std::string token = log_in(port, "alice", "pw-1");
    CHECK(token.size() >= 32);
    CHECK(data_size(raw_get(port, "/auth/session_token/data",
                            {{"Authorization", "Token " + token}})) == 5);
    CHECK(data_size(raw_get(port, "/v1/b", {{"X-Session", "Session " + token}})) == 5);
    const std::string other = log_in(port, "bob", "pw-2");
    CHECK(other != token);
    CHECK(data_size(raw_get(port, "/auth/session_token/data",
                            {{"Authorization", "Token " + other}})) == 5);
    CHECK(api.login_requests() == 2);

    const Raw none = raw_get(port, "/auth/session_token/data");
    CHECK(none.status == 401);
    CHECK(none.content_type == "application/json");
    CHECK(none.text("error") ==
          "a session token is required: log in with a POST to /auth/session_token/login, then "
          "send the token in Authorization after \"Token \"");
    const Raw made_up =
        raw_get(port, "/auth/session_token/data", {{"Authorization", "Token " + token + "0"}});
    CHECK(made_up.status == 401);
    CHECK(made_up.text("error") == "the session token is not one this server issued");
    CHECK(
        raw_get(port, "/auth/session_token/data", {{"Authorization", "Bearer " + token}}).status ==
        401);
    CHECK(raw_get(port, "/v1/b", {{"Authorization", "Session " + token}}).status == 401);
    CHECK(raw_get(port, "/auth/session_token/data",
                  {{"Authorization", "Token " + access_token(port)}})
              .status == 401);

    const auto login = [&](const std::string& body) {
      return raw_post(port, tsync::mock::kLoginPath, body, "application/json");
    };
    const Raw wrong = login(R"({"username": "alice", "password": "pw-2"})");
    CHECK(wrong.status == 401);
    CHECK(wrong.text("error") == "invalid username or password");
    CHECK(login(R"({"username": "carol", "password": "pw-1"})").status == 401);
    for (const std::string& body : {std::string("username=alice&password=pw-1"), std::string("{}"),
                                    std::string(R"({"username": "alice"})"),
                                    std::string(R"({"username": 1, "password": "pw-1"})"),
                                    std::string(R"(["alice", "pw-1"])"), std::string()}) {
      CAPTURE(body);
      const Raw bad = login(body);
      CHECK(bad.status == 400);
      CHECK(bad.text("error") ==
            R"(the body must be a JSON object {"username": "...", "password": "..."})");
    }
    CHECK(api.login_requests() == 10);
    CHECK(api.request_count() == 8);  // the logins are not data requests

    api.expire_tokens();
    const Raw expired =
        raw_get(port, "/auth/session_token/data", {{"Authorization", "Token " + token}});
    CHECK(expired.status == 401);
    CHECK(expired.text("error") == "the session token has expired: log in again");
    CHECK(raw_get(port, "/v1/b", {{"X-Session", "Session " + other}}).status == 401);
    const std::string fresh = log_in(port, "alice", "pw-1");
    CHECK(data_size(raw_get(port, "/auth/session_token/data",
                            {{"Authorization", "Token " + fresh}})) == 5);
  }
}
