// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_token_endpoint") {
  TEST_CASE("OAuth2 client_credentials: the client in the body or as Basic, errors per RFC 6749") {
    MockApi api;
    const int port = api.start();
    add_guarded(api, "/crm/v3/objects/contacts", requirement(AuthRequirement::Kind::OAuth2));
    const std::string path = "/crm/v3/objects/contacts";

    const Raw body_client = token_request(
        port, "grant_type=client_credentials&" + kClientBody + "&scope=crm.objects.read");
    REQUIRE(body_client.status == 200);
    CHECK(body_client.cache_control == "no-store");
    CHECK(body_client.text("token_type") == "bearer");
    CHECK(body_client["expires_in"].GetInt() == 3600);
    CHECK(body_client.text("scope") == "crm.objects.read");
    CHECK_FALSE(body_client.has("refresh_token"));
    const std::string token = body_client.text("access_token");
    CHECK(data_size(raw_get(port, path, {{"Authorization", "Bearer " + token}})) == 5);

    const Raw basic_client =
        token_request(port, "grant_type=client_credentials",
                      {{"Authorization", basic_header("tsync-client", "client-secret-1234")}});
    REQUIRE(basic_client.status == 200);
    CHECK(basic_client.text("access_token") != token);
    CHECK_FALSE(basic_client.has("scope"));
    CHECK(data_size(raw_get(port, path,
                            {{"Authorization", "Bearer " + basic_client.text("access_token")}})) ==
          5);

    // Data requests without a valid access token.
    const Raw none = raw_get(port, path);
    CHECK(none.status == 401);
    CHECK(none.content_type == "application/json");
    CHECK(none.challenge == R"(Bearer realm="tsync-mock-api")");
    CHECK(none.text("error").find("an access token is required") == 0);
    const Raw made_up = raw_get(port, path, {{"Authorization", "Bearer " + token + "0"}});
    CHECK(made_up.status == 401);
    CHECK(made_up.challenge == R"(Bearer realm="tsync-mock-api", error="invalid_token")");
    CHECK(made_up.text("error") == "the access token is not one this server issued");
    CHECK(raw_get(port, path, {{"Authorization", "Token " + token}}).status == 401);
    CHECK(
        raw_get(port, path, {{"Authorization", basic_header("tsync-client", "client-secret-1234")}})
            .status == 401);

    // The client's credentials: wrong, missing, or given twice.
    const auto expect_error = [](const Raw& answer, int status, const std::string& error,
                                 const std::string& description) {
      CHECK(answer.status == status);
      CHECK(answer.cache_control == "no-store");
      CHECK(answer.text("error") == error);
      CHECK(answer.text("error_description") == description);
    };
    const Raw wrong_body = token_request(
        port, "grant_type=client_credentials&client_id=tsync-client&client_secret=nope");
    expect_error(wrong_body, 401, "invalid_client", "client authentication failed");
    CHECK(wrong_body.challenge.empty());
    const Raw wrong_basic = token_request(port, "grant_type=client_credentials",
                                          {{"Authorization", basic_header("tsync-client", "no")}});
    expect_error(wrong_basic, 401, "invalid_client", "client authentication failed");
    CHECK(wrong_basic.challenge == R"(Basic realm="tsync-mock-api")");
    expect_error(
        token_request(port, "grant_type=client_credentials", {{"Authorization", "Basic !!"}}), 401,
        "invalid_client", "client authentication failed");
    expect_error(token_request(port, "grant_type=client_credentials&client_id=tsync-client"), 401,
                 "invalid_client", "client authentication failed");
    expect_error(token_request(port, "grant_type=client_credentials"), 401, "invalid_client",
                 "client authentication is missing");
    expect_error(
        token_request(port, "grant_type=client_credentials&" + kClientBody,
                      {{"Authorization", basic_header("tsync-client", "client-secret-1234")}}),
        400, "invalid_request",
        "the client authenticates both in the Authorization header and in the body");

    // The request itself.
    expect_error(token_request(port, "grant_type=password&" + kClientBody), 400,
                 "unsupported_grant_type",
                 R"(grant_type "password" is not supported (client_credentials, refresh_token))");
    expect_error(token_request(port, kClientBody), 400, "invalid_request", "grant_type is missing");
    expect_error(
        token_request(port,
                      "grant_type=client_credentials&grant_type=client_credentials&" + kClientBody),
        400, "invalid_request", "grant_type is given more than once");
    expect_error(token_request(port, "grant_type=client_credentials&client_id=%zz"), 400,
                 "invalid_request", "the body is not form-encoded");
    expect_error(raw_post(port, tsync::mock::kTokenPath,
                          R"({"grant_type": "client_credentials", "client_id": "tsync-client", )"
                          R"("client_secret": "client-secret-1234"})",
                          "application/json"),
                 400, "invalid_request", "the body must be application/x-www-form-urlencoded");
    CHECK(api.token_requests() == 13);
    CHECK(api.login_requests() == 0);

    SUBCASE("a client secret with reserved characters, form-encoded in Basic and in the body") {
      OAuthOptions oauth;
      oauth.client_id = "my app";
      oauth.client_secret = "s3cr:t+x&y";
      api.set_oauth(oauth);
      CHECK(token_request(port, "grant_type=client_credentials",
                          {{"Authorization", basic_header("my+app", "s3cr%3At%2Bx%26y")}})
                .status == 200);
      CHECK(
          token_request(
              port, "grant_type=client_credentials&client_id=my+app&client_secret=s3cr%3At%2Bx%26y")
              .status == 200);
      CHECK(token_request(port, "grant_type=client_credentials&" + kClientBody).status == 401);
      // Tokens issued before keep working.
      CHECK(data_size(raw_get(port, path, {{"Authorization", "Bearer " + token}})) == 5);
    }
  }

  TEST_CASE("OAuth2 refresh_token: one valid token, rotation, invalid_grant and expiry") {
    MockApi api;
    const int port = api.start();
    add_guarded(api, "/v1/o", requirement(AuthRequirement::Kind::OAuth2));
    const auto refresh = [&](const std::string& refresh_token) {
      return token_request(
          port, "grant_type=refresh_token&refresh_token=" + refresh_token + "&" + kClientBody);
    };
    CHECK(api.current_refresh_token() == "refresh-token-0001");
    const Raw first = refresh("refresh-token-0001");
    REQUIRE(first.status == 200);
    CHECK_FALSE(first.has("refresh_token"));
    CHECK(data_size(raw_get(port, "/v1/o",
                            {{"Authorization", "Bearer " + first.text("access_token")}})) == 5);
    CHECK(refresh("refresh-token-0001").status == 200);  // without rotation, again and again
    CHECK(api.current_refresh_token() == "refresh-token-0001");
    const Raw unknown = refresh("refresh-token-0002");
    CHECK(unknown.status == 400);
    CHECK(unknown.text("error") == "invalid_grant");
    CHECK(unknown.text("error_description") == "the refresh token is invalid, expired or revoked");
    const Raw missing = token_request(port, "grant_type=refresh_token&" + kClientBody);
    CHECK(missing.status == 400);
    CHECK(missing.text("error") == "invalid_request");
    CHECK(missing.text("error_description") == "refresh_token is missing");
    // The client is checked first: a good refresh token from a wrong client.
    CHECK(token_request(port, "grant_type=refresh_token&refresh_token=refresh-token-0001")
              .text("error") == "invalid_client");

    SUBCASE("rotation: each use answers a new refresh token, and the one used stops working") {
      OAuthOptions oauth;
      oauth.refresh_token = "rt-A";
      oauth.rotate_refresh_token = true;
      api.set_oauth(oauth);
      CHECK(api.current_refresh_token() == "rt-A");
      CHECK(refresh("refresh-token-0001").text("error") == "invalid_grant");
      const Raw a = refresh("rt-A");
      REQUIRE(a.status == 200);
      const std::string b = a.text("refresh_token");
      CHECK(b != "rt-A");
      CHECK(b.size() >= 32);
      CHECK(api.current_refresh_token() == b);
      CHECK(refresh("rt-A").text("error") == "invalid_grant");
      const Raw c = refresh(b);
      REQUIRE(c.status == 200);
      CHECK(c.text("refresh_token") != b);
      CHECK(refresh(b).status == 400);
      CHECK(api.current_refresh_token() == c.text("refresh_token"));
      // A client_credentials grant answers no refresh token and rotates nothing.
      CHECK_FALSE(
          token_request(port, "grant_type=client_credentials&" + kClientBody).has("refresh_token"));
      CHECK(api.current_refresh_token() == c.text("refresh_token"));
    }
    SUBCASE("invalid_grant: every refresh_token grant, while client_credentials still works") {
      OAuthOptions oauth;
      oauth.invalid_grant = true;
      api.set_oauth(oauth);
      const Raw refused = refresh("refresh-token-0001");
      CHECK(refused.status == 400);
      CHECK(refused.text("error") == "invalid_grant");
      CHECK(token_request(port, "grant_type=client_credentials&" + kClientBody).status == 200);
    }
    SUBCASE("an access token expires after expires_in seconds") {
      OAuthOptions oauth;
      oauth.expires_in_seconds = 1;
      api.set_oauth(oauth);
      const Raw short_lived = refresh("refresh-token-0001");
      CHECK(short_lived["expires_in"].GetInt() == 1);
      const httplib::Headers bearer{
          {"Authorization", "Bearer " + short_lived.text("access_token")}};
      CHECK(raw_get(port, "/v1/o", bearer).status == 200);
      std::this_thread::sleep_for(std::chrono::milliseconds(1050));
      const Raw expired = raw_get(port, "/v1/o", bearer);
      CHECK(expired.status == 401);
      CHECK(expired.text("error") == "the access token has expired: get a new one");
      CHECK(expired.challenge == R"(Bearer realm="tsync-mock-api", error="invalid_token")");
      // The one from before set_oauth has its hour still.
      CHECK(raw_get(port, "/v1/o", {{"Authorization", "Bearer " + first.text("access_token")}})
                .status == 200);
      oauth.expires_in_seconds = 0;
      api.set_oauth(oauth);
      CHECK(raw_get(port, "/v1/o", {{"Authorization", "Bearer " + access_token(port)}}).status ==
            401);
    }
  }

  TEST_CASE("expire_tokens in the middle of a run: that request gets 401, a new token carries on") {
    MockApi api;
    const int port = api.start();
    add_guarded(api, "/v1/o", requirement(AuthRequirement::Kind::OAuth2));
    AuthRequirement session = requirement(AuthRequirement::Kind::Session);
    session.username = "u";
    session.password = "p";
    add_guarded(api, "/v1/s", session);
    api.set_request_hook([&](std::size_t number) {
      if (number == 3) api.expire_tokens();
    });
    const httplib::Headers bearer{{"Authorization", "Bearer " + access_token(port)}};
    const httplib::Headers token{{"Authorization", "Token " + log_in(port, "u", "p")}};
    CHECK(raw_get(port, "/v1/o", bearer).status == 200);
    CHECK(raw_get(port, "/v1/s", token).status == 200);
    CHECK(raw_get(port, "/v1/o", bearer).status == 401);  // expired by the hook of request 3
    CHECK(raw_get(port, "/v1/s", token).status == 401);
    CHECK(raw_get(port, "/v1/o", {{"Authorization", "Bearer " + access_token(port)}}).status ==
          200);
    CHECK(raw_get(port, "/v1/s", {{"Authorization", "Token " + log_in(port, "u", "p")}}).status ==
          200);
    // The refresh token is not an access token: it survives.
    CHECK(token_request(port,
                        "grant_type=refresh_token&refresh_token=refresh-token-0001&" + kClientBody)
              .status == 200);
  }

  TEST_CASE("the token endpoint answers form-encoded always, or unless asked for JSON") {
    MockApi api;
    const int port = api.start();
    OAuthOptions oauth;
    oauth.format = OAuthOptions::Format::FormUnlessJsonAccepted;  // GitHub's
    api.set_oauth(oauth);
    const std::string grant = "grant_type=client_credentials&scope=a+b&" + kClientBody;
    const Raw form = token_request(port, grant, {{"Accept", "*/*"}});
    CHECK(form.status == 200);
    CHECK(form.content_type == "application/x-www-form-urlencoded");
    const auto fields = tsync::mock::decode_form(form.body);
    REQUIRE(fields);
    REQUIRE(fields->size() == 4);
    CHECK((*fields)[0].first == "access_token");
    CHECK((*fields)[0].second.size() == 40);
    CHECK((*fields)[1] == std::pair<std::string, std::string>{"token_type", "bearer"});
    CHECK((*fields)[2] == std::pair<std::string, std::string>{"expires_in", "3600"});
    CHECK((*fields)[3] == std::pair<std::string, std::string>{"scope", "a b"});
    const Raw json = token_request(port, grant, {{"Accept", "application/json"}});
    CHECK(json.content_type == "application/json");
    CHECK(json.text("token_type") == "bearer");
    CHECK(json.json["expires_in"].GetInt() == 3600);
    // Errors too.
    const Raw refused = token_request(port, "grant_type=client_credentials");
    CHECK(refused.status == 401);
    CHECK(refused.body ==
          "error=invalid_client&error_description=client%20authentication%20is%20missing");
    oauth.format = OAuthOptions::Format::Form;  // a proxy that re-encodes every answer
    api.set_oauth(oauth);
    CHECK(token_request(port, grant, {{"Accept", "application/json"}}).content_type ==
          "application/x-www-form-urlencoded");
  }
}
