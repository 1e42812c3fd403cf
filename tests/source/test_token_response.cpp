// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include "common/errors.hpp"
#include "common/redact.hpp"
#include "source/auth.hpp"
#include "source/token_response.hpp"

TEST_SUITE("token_response") {
  TEST_CASE("a token answer: the access token, its lifetime and a new refresh token") {
    tsync::Redactor redactor;
    const auto t = tsync::parse_token_response(
        R"({"access_token": "at-1234", "token_type": "bearer", "expires_in": 1800,
            "refresh_token": "rt-5678"})",
        200, "https://api.example/oauth/v1/token", redactor);
    CHECK(t.access_token == "at-1234");
    REQUIRE(t.expires_in);
    CHECK(*t.expires_in == 1800);
    CHECK(t.refresh_token == "rt-5678");
    SUBCASE("expires_in as text, no refresh token") {
      const auto u = tsync::parse_token_response(R"({"access_token": "abcd", "expires_in": "60"})",
                                                 200, "http://h/t", redactor);
      CHECK(*u.expires_in == 60);
      CHECK_FALSE(u.refresh_token);
    }
    SUBCASE("no expires_in: the token is kept until refused") {
      CHECK_FALSE(
          tsync::parse_token_response(R"({"access_token": "abcd"})", 200, "http://h/t", redactor)
              .expires_in);
    }
  }

  TEST_CASE("a token endpoint's error is shown with error and error_description, redacted") {
    tsync::Redactor redactor;
    redactor.add_secret("rt-secret-9");
    CHECK_THROWS_WITH_AS(
        tsync::parse_token_response(
            R"({"error": "invalid_grant", "error_description": "refresh token rt-secret-9 was used"})",
            400, "https://api.example/oauth/v1/token", redactor),
        doctest::Contains("POST https://api.example/oauth/v1/token: HTTP 400: the token endpoint "
                          "refused: invalid_grant (refresh token [redacted] was used); the "
                          "refresh token is no longer valid"),
        tsync::PermanentError);
    CHECK_THROWS_WITH(
        tsync::parse_token_response(R"({"error": "invalid_client"})", 401, "http://h/t", redactor),
        doctest::Contains("invalid_client; check the client id and secret"));
    CHECK_THROWS_WITH(tsync::parse_token_response("<html>no</html>", 502, "http://h/t", redactor),
                      doctest::Contains("the token endpoint's answer is neither a JSON object "
                                        "nor form-encoded: <html>no</html>"));
    CHECK_THROWS_WITH(
        tsync::parse_token_response(R"({"token_type": "bearer"})", 200, "http://h/t", redactor),
        doctest::Contains("has no access_token"));
    CHECK_THROWS_WITH(tsync::parse_token_response(R"({"access_token": "abcd", "expires_in": 0})",
                                                  200, "http://h/t", redactor),
                      doctest::Contains("expires_in is not a positive number"));
  }

  TEST_CASE("a form-encoded token answer is read as a JSON one is") {
    const tsync::Redactor redactor;
    SUBCASE("with its content type, as GitHub answers unless asked for JSON") {
      const auto t = tsync::parse_token_response(
          "access_token=gho_16C7e42F292c&expires_in=5&token_type=bearer&scope=repo%2Cgist", 200,
          "http://h/t", redactor, "application/x-www-form-urlencoded; charset=utf-8");
      CHECK(t.access_token == "gho_16C7e42F292c");
      CHECK(t.expires_in == 5);
      CHECK_FALSE(t.refresh_token);
    }
    SUBCASE("without it, the fields are enough; values are form-decoded") {
      const auto t = tsync::parse_token_response("access_token=a%2Bb+c%3D&refresh_token=rt-0002\n",
                                                 200, "http://h/t", redactor, "text/plain");
      CHECK(t.access_token == "a+b c=");
      CHECK(t.refresh_token == "rt-0002");
    }
    SUBCASE("an error, form-encoded") {
      CHECK_THROWS_WITH(
          tsync::parse_token_response("error=bad_verification_code&error_description=The+code+"
                                      "passed+is+incorrect",
                                      200, "http://h/t", redactor,
                                      "application/x-www-form-urlencoded"),
          "POST http://h/t: HTTP 200: the token endpoint refused: bad_verification_code (The "
          "code passed is incorrect)");
    }
    SUBCASE("expires_in that is not a number") {
      CHECK_THROWS_WITH(tsync::parse_token_response("access_token=abcd&expires_in=5s", 200,
                                                    "http://h/t", redactor),
                        doctest::Contains("expires_in is not a number"));
    }
  }

  TEST_CASE("an answer quoted in a message has its tokens masked in every format, and is cut") {
    tsync::Redactor redactor;
    redactor.add_secret("client-secret-77");
    const std::string token = "IK70N0live-token";
    struct Case {
      const char* format;
      std::string body;
      std::string quoted;
    };
    const std::vector<Case> cases{
        {"JSON, the token at any depth and in a description",
         R"({"error":"invalid_scope","error_description":"token )" + token +
             R"( has no scope","access_token":")" + token +
             R"(","data":{"id_token":"eyJhbGciOi.x.y"}})",
         R"({"error":"invalid_scope","error_description":"token [redacted] has no scope","access_token":"[redacted]","data":{"id_token":"[redacted]"}})"},
        {"form-encoded", "access_token=" + token + "&expires_in=5&refresh_token=rt-1",
         "access_token=[redacted]&expires_in=5&refresh_token=[redacted]"},
        {"plain text", "Your token: " + token + ". Keep it; client secret client-secret-77.",
         "Your token: [redacted] Keep it; client secret [redacted]."},
        {"HTML",
         "<table><tr><td>access_token</td><td>" + token +
             "</td></tr></table><input name=\"token\" value=\"sess-42\">",
         "<table><tr><td>access_token</td><td>[redacted]</td></tr></table><input "
         "name=\"token\" value=\"[redacted]\">"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.format);
      CHECK(tsync::quote_answer(c.body, redactor) == c.quoted);
    }
    SUBCASE("the configured token path's key too") {
      CHECK(tsync::quote_answer(R"({"session": {"key": "s-123456"}})", redactor,
                                {"session", "key"}) == R"({"session": {"key": "[redacted]"}})");
    }
    SUBCASE("cut after 300 characters, never inside a mask, on one line") {
      const std::string body =
          std::string(290, 'x') + "\naccess_token=" + token + "\n" + std::string(500, 'y');
      const std::string quoted = tsync::quote_answer(body, redactor);
      CHECK(quoted.size() <= 303);
      CHECK(quoted.find('\n') == std::string::npos);
      CHECK(quoted.find(token.substr(0, 4)) == std::string::npos);
      CHECK(quoted.substr(quoted.size() - 3) == "...");
      CHECK(quoted.find("[redac...") == std::string::npos);
    }
  }

  TEST_CASE("a refused client or refresh token names the environment variables, not a value") {
    tsync::AuthConfig config;
    config.client_id = {"CID", "tsync-client"};
    config.client_secret = {"CSECRET", "client-secret-1234"};
    config.refresh_token = tsync::EnvSecret{"RT", "rt-0001"};
    tsync::Redactor redactor;
    redactor.add_secret(config.client_secret.value);
    CHECK_THROWS_WITH(
        tsync::parse_token_response(
            R"({"error": "invalid_client", "error_description": "client authentication failed for tsync-client"})",
            401, "http://h/t", redactor, "application/json", &config),
        "POST http://h/t: HTTP 401: the token endpoint refused: invalid_client (client "
        "authentication failed for tsync-client); check the client id in $CID and the client "
        "secret in $CSECRET");
    CHECK_THROWS_WITH(
        tsync::parse_token_response(R"({"error": "invalid_grant"})", 400, "http://h/t", redactor,
                                    "application/json", &config),
        doctest::Contains("invalid_grant; the refresh token is no longer valid: get a new one "
                          "and put it in $RT"));
  }
}
