// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_auth_check") {
  TEST_CASE("Basic: the right user and password pass, others get 401, a page and a challenge") {
    AuthRequirement auth = requirement(AuthRequirement::Kind::Basic);
    auth.username = "alice";
    auth.password = "pa:ss word";
    MockApi api;
    const int port = api.start();
    add_guarded(api, "/v1/basic", auth);
    CHECK(data_size(raw_get(port, "/v1/basic",
                            {{"Authorization", basic_header("alice", "pa:ss word")}})) == 5);
    CHECK(data_size(raw_get(port, "/v1/basic",
                            {{"Authorization",
                              "basic " + tsync::mock::base64_encode("alice:pa:ss word")}})) == 5);
    for (const std::string& sent :
         {std::string(), basic_header("alice", "pa:ss"), basic_header("bob", "pa:ss word"),
          std::string("Basic not-base64!"), std::string("Bearer alice"),
          "Basic " + tsync::mock::base64_encode("alice")}) {
      CAPTURE(sent);
      httplib::Headers headers;
      if (!sent.empty()) headers.emplace("Authorization", sent);
      const Raw refused = raw_get(port, "/v1/basic", headers);
      CHECK(refused.status == 401);
      CHECK(refused.content_type == kHtml);
      CHECK(refused.body == tsync::mock::kUnauthorizedPage);
      CHECK(refused.body.find("<title>401 Unauthorized</title>") != std::string::npos);
      CHECK(refused.challenge == R"(Basic realm="tsync-mock-api", charset="UTF-8")");
    }
    // Refused requests are data requests: logged and counted.
    CHECK(api.request_count() == 8);
    CHECK(api.authorization_log().at(2).empty());
    CHECK(api.authorization_log().at(3) == basic_header("alice", "pa:ss"));

    SUBCASE("a refused request takes no queued fault") {
      tsync::mock::Fault busy;
      busy.status = 503;
      api.push_fault(busy);
      CHECK(raw_get(port, "/v1/basic").status == 401);
      const httplib::Headers right{{"Authorization", basic_header("alice", "pa:ss word")}};
      CHECK(raw_get(port, "/v1/basic", right).status == 503);
      CHECK(raw_get(port, "/v1/basic", right).status == 200);
    }
    SUBCASE("the users endpoint, protected through Options") {
      Options options;
      options.users = 7;
      options.auth = auth;
      MockApi users(options);
      const int users_port = users.start();
      CHECK(raw_get(users_port, tsync::mock::kUsersPath).status == 401);
      CHECK(data_size(raw_get(users_port, tsync::mock::kUsersPath,
                              {{"Authorization", basic_header("alice", "pa:ss word")}})) == 7);
      options.auth = {};
      users.set_options(options);
      CHECK(data_size(raw_get(users_port, tsync::mock::kUsersPath)) == 7);
    }
  }

  TEST_CASE("Bearer: the token passes, none gets a bare challenge, a wrong one invalid_token") {
    AuthRequirement auth = requirement(AuthRequirement::Kind::Bearer);
    auth.secret = "tok-123:456";
    MockApi api;
    const int port = api.start();
    add_guarded(api, "/v1/bearer", auth);
    CHECK(data_size(raw_get(port, "/v1/bearer", {{"Authorization", "Bearer tok-123:456"}})) == 5);
    CHECK(data_size(raw_get(port, "/v1/bearer", {{"Authorization", "bearer tok-123:456"}})) == 5);
    const Raw none = raw_get(port, "/v1/bearer");
    CHECK(none.status == 401);
    CHECK(none.content_type == kHtml);
    CHECK(none.body == tsync::mock::kUnauthorizedPage);
    CHECK(none.challenge == R"(Bearer realm="tsync-mock-api")");
    const Raw wrong = raw_get(port, "/v1/bearer", {{"Authorization", "Bearer tok-123"}});
    CHECK(wrong.status == 401);
    CHECK(wrong.challenge == R"(Bearer realm="tsync-mock-api", error="invalid_token")");
    CHECK(raw_get(port, "/v1/bearer", {{"Authorization", "Token tok-123:456"}}).status == 401);
    CHECK(raw_get(port, "/v1/bearer", {{"Authorization", "tok-123:456"}}).status == 401);
    CHECK(raw_get(port, "/v1/bearer?access_token=tok-123%3A456").status == 401);
  }

  TEST_CASE("API keys: in a header after a prefix, in a header of their own, in the query") {
    MockApi api;
    const int port = api.start();
    AuthRequirement playground = requirement(AuthRequirement::Kind::ApiKey);
    playground.prefix = "apiKey ";
    playground.secret = "k-0123";
    add_guarded(api, "/auth/api_key", playground);
    CHECK(data_size(raw_get(port, "/auth/api_key", {{"Authorization", "apiKey k-0123"}})) == 5);
    for (const std::string sent :
         {"", "k-0123", "apiKey k-0124", "Token k-0123", "Bearer k-0123"}) {
      CAPTURE(sent);
      httplib::Headers headers;
      if (!sent.empty()) headers.emplace("Authorization", sent);
      const Raw refused = raw_get(port, "/auth/api_key", headers);
      CHECK(refused.status == 401);
      CHECK(refused.content_type == kHtml);
      CHECK(refused.body == tsync::mock::kUnauthorizedPage);
      CHECK(refused.challenge.empty());
    }

    AuthRequirement own_header = requirement(AuthRequirement::Kind::ApiKey);
    own_header.name = "X-API-Key";
    own_header.secret = "k-9";
    add_guarded(api, "/v1/header", own_header);
    CHECK(data_size(raw_get(port, "/v1/header", {{"X-API-Key", "k-9"}})) == 5);
    CHECK(raw_get(port, "/v1/header", {{"Authorization", "k-9"}}).status == 401);
    CHECK(raw_get(port, "/v1/header?X-API-Key=k-9").status == 401);

    AuthRequirement query = requirement(AuthRequirement::Kind::ApiKey);
    query.name = "api_key";
    query.in_query = true;
    query.secret = "k+y/=&z";
    ServingOptions strict;
    strict.strict = true;
    add_guarded(api, "/v1/query", query, strict);
    // A strict endpoint knows its key's parameter.
    CHECK(data_size(raw_get(port, "/v1/query?api_key=k%2By%2F%3D%26z")) == 5);
    CHECK(raw_get(port, "/v1/query?api_key=k%2By%2F%3D%26z&colour=red").status == 400);
    CHECK(raw_get(port, "/v1/query").status == 401);
    CHECK(raw_get(port, "/v1/query?api_key=k").status == 401);
    CHECK(raw_get(port, "/v1/query?api_key=").status == 401);
    CHECK(raw_get(port, "/v1/query", {{"api_key", "k+y/=&z"}}).status == 401);
    CHECK(api.target_log().back() == "/v1/query");

    query.prefix = "key-";
    api.set_auth("/v1/query", query);
    CHECK(raw_get(port, "/v1/query?api_key=k%2By%2F%3D%26z").status == 401);
    CHECK(data_size(raw_get(port, "/v1/query?api_key=key-k%2By%2F%3D%26z")) == 5);
    api.set_auth("/v1/query", {});
    CHECK(data_size(raw_get(port, "/v1/query")) == 5);
    CHECK_THROWS_AS(api.set_auth("/v1/none", {}), std::out_of_range);
    query.secret.clear();
    CHECK_THROWS_WITH(api.set_auth("/v1/query", query), "auth: api_key needs a key");
  }
}
