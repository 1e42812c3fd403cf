// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "source/auth.hpp"
#include "support/support.hpp"

namespace {

// Sets environment variables for one test, then unsets them.
class Env {
 public:
  Env(std::initializer_list<std::pair<const char*, const char*>> vars) {
    for (const auto& [name, value] : vars) {
      ::setenv(name, value, 1);
      names_.push_back(name);
    }
  }
  ~Env() {
    for (const char* name : names_) ::unsetenv(name);
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

 private:
  std::vector<const char*> names_;
};

std::string error_of(const std::string& text) {
  try {
    tsync::parse_config(text, "cfg.json");
  } catch (const tsync::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string stream_with(const std::string& members) {
  return R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}";
}

}  // namespace

TEST_SUITE("auth") {
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

  TEST_CASE("for status and reset, a secret's variable may be unset, and one that is set is masked") {
    const std::string text = R"({"token_env": "T_TOK", "streams": [
        {"name": "a", "url": "http://h/a", "headers": {"X-Key": {"env": "T_HDR"}},
         "auth": {"type": "oauth2", "token_url": "http://h/t", "grant": "refresh_token",
                  "client_id_env": "T_CID", "client_secret_env": "T_CS", "refresh_token_env": "T_RT"}},
        {"name": "b", "url": "http://h/b", "auth": {"type": "basic", "username_env": "T_U",
         "password_env": "T_P"}},
        {"name": "c", "url": "http://h/c", "auth": {"type": "session", "login_url": "http://h/l",
         "body": {"password": {"env": "T_LP"}}, "token_path": "token"}}]})";
    CHECK_THROWS_WITH_AS(tsync::parse_config(text, "cfg.json"), doctest::Contains("is not set"),
                         tsync::ConfigError);
    const Env env{{"T_CS", "client-secret-55"}};
    const tsync::Config config = tsync::parse_config(text, "cfg.json", tsync::Secrets::IfSet);
    REQUIRE(config.streams.size() == 3);
    CHECK(config.redactor->redact("a client-secret-55 b") == "a [redacted] b");
    CHECK(config.streams[0].auth->client_id.env == "T_CID");
    CHECK(config.streams[0].auth->client_id.value.empty());
    CHECK(config.streams[2].auth->login_secret_envs == std::vector<std::string>{"T_LP"});
  }

  TEST_CASE("a token is renewed when a tenth of its lifetime is left, at most a minute before") {
    CHECK(tsync::renew_margin_seconds(3600) == 60);
    CHECK(tsync::renew_margin_seconds(600) == 60);
    CHECK(tsync::renew_margin_seconds(300) == 30);
    CHECK(tsync::renew_margin_seconds(10) == 1);
  }

  TEST_CASE("the credentials file: beside the replica, 0600, replaced whole") {
    tsync::test::TempDir dir;
    const std::string replica = dir.file("replica.db");
    CHECK(tsync::credentials_path(replica, "") == replica + ".credentials");
    CHECK(tsync::credentials_path(replica, "hubspot.json") == dir.file("hubspot.json"));
    CHECK(tsync::credentials_path(replica, "/etc/x.json") == "/etc/x.json");
    const std::string path = tsync::credentials_path(replica, "");
    CHECK_FALSE(tsync::read_saved_refresh_token(path));
    tsync::save_refresh_token(path, "rt-first-0001");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(tsync::read_saved_refresh_token(path) == "rt-first-0001");
    tsync::save_refresh_token(path, "rt-second-0002");
    CHECK(tsync::read_saved_refresh_token(path) == "rt-second-0002");
    // A file left half-written by a killed run beside it changes nothing.
    std::ofstream(path + ".new") << "{\"refresh_tok";
    tsync::save_refresh_token(path, "rt-third-0003");
    CHECK(tsync::read_saved_refresh_token(path) == "rt-third-0003");
    CHECK_FALSE(std::filesystem::exists(path + ".new"));
    SUBCASE("a file others can read is refused") {
      ::chmod(path.c_str(), 0644);
      CHECK_THROWS_WITH_AS(tsync::read_saved_refresh_token(path),
                           doctest::Contains("can be read by others than its owner (chmod 600 it)"),
                           tsync::ConfigError);
    }
    SUBCASE("a file that is not tsync's is refused") {
      tsync::save_refresh_token(path, "x-ok-1");
      std::ofstream(path) << "[]";
      CHECK_THROWS_WITH_AS(tsync::read_saved_refresh_token(path),
                           doctest::Contains("not a credentials file written by tsync"),
                           tsync::ConfigError);
    }
    SUBCASE("a folder that cannot be written: the error names the file") {
      CHECK_THROWS_WITH_AS(tsync::save_refresh_token(dir.file("no/such/folder/c"), "rt-x-0001"),
                           doctest::Contains("cannot save the new refresh token"), tsync::Error);
    }
  }

  TEST_CASE("auth settings are read per type, top-level auth is shared") {
    Env env({{"T_PASS", "pass-word-1"},
             {"T_KEY", "key-value-1"},
             {"T_CID", "client-id-1"},
             {"T_CSECRET", "client-secret-1"},
             {"T_RT", "refresh-token-1"},
             {"T_TOKEN", "bearer-token-1"}});
    SUBCASE("basic") {
      const auto c = tsync::parse_config(
          stream_with(R"("auth": {"type": "basic", "username": "ada", "password_env": "T_PASS"})"),
          "c");
      REQUIRE(c.streams[0].auth);
      CHECK(c.streams[0].auth->type == tsync::AuthType::Basic);
      CHECK(c.streams[0].auth->username == "ada");
      CHECK(c.streams[0].auth->password.value == "pass-word-1");
      // The secret and its Basic form are masked.
      CHECK(c.redactor->redact("pass-word-1") == "[redacted]");
      CHECK(c.redactor->redact(tsync::base64_encode("ada:pass-word-1")).find("pass") ==
            std::string::npos);
      CHECK(c.redactor->redact("Basic " + tsync::base64_encode("ada:pass-word-1")) !=
            "Basic " + tsync::base64_encode("ada:pass-word-1"));
    }
    SUBCASE("bearer is token_env") {
      const auto c = tsync::parse_config(
          stream_with(R"("auth": {"type": "bearer", "token_env": "T_TOKEN"})"), "c");
      CHECK_FALSE(c.streams[0].auth);
      CHECK(c.streams[0].token == "bearer-token-1");
    }
    SUBCASE("api_key in the query with a prefix") {
      const auto c = tsync::parse_config(
          stream_with(R"("auth": {"type": "api_key", "name": "api_key", "in": "query",
                                   "value_env": "T_KEY", "prefix": "Token "})"),
          "c");
      CHECK(c.streams[0].auth->in_query);
      CHECK(c.streams[0].auth->prefix == "Token ");
    }
    SUBCASE("session with a body taking a value from the environment") {
      const auto c = tsync::parse_config(
          stream_with(R"("auth": {"type": "session", "login_url": "http://h/login",
              "body": {"username": "ada", "password": {"env": "T_PASS"}, "n": 1},
              "token_path": "token", "prefix": "Token "})"),
          "c");
      CHECK(c.streams[0].auth->login_body ==
            R"({"username":"ada","password":"pass-word-1","n":1})");
      CHECK(c.streams[0].auth->name == "Authorization");
      CHECK(c.redactor->redact("pass-word-1") == "[redacted]");
    }
    SUBCASE("oauth2, top level, shared by the streams without their own") {
      const auto c = tsync::parse_config(
          R"({"auth": {"type": "oauth2", "token_url": "https://h/oauth/v1/token",
                "grant": "refresh_token", "client_id_env": "T_CID",
                "client_secret_env": "T_CSECRET", "refresh_token_env": "T_RT",
                "client_auth": "basic", "scope": "crm.objects.contacts.read"},
              "streams": [{"name": "a", "url": "http://h/a"}, {"name": "b", "url": "http://h/b"},
                          {"name": "c", "url": "http://h/c", "token_env": "T_TOKEN"}]})",
          "c");
      REQUIRE(c.streams[0].auth);
      CHECK(c.streams[0].auth.get() == c.streams[1].auth.get());
      CHECK_FALSE(c.streams[2].auth);
      CHECK(c.streams[2].token == "bearer-token-1");
      CHECK(c.streams[0].auth->client_auth_basic);
      CHECK(c.redactor->redact("refresh-token-1 client-secret-1") == "[redacted] [redacted]");
    }
  }

  TEST_CASE("auth mistakes are configuration errors naming the stream and the key") {
    Env env({{"T_PASS", "pass-word-1"}, {"T_SHORT", "abc"}, {"T_TOKEN", "bearer-token-1"}});
    const std::string at = "cfg.json: stream \"a\": auth: ";
    CHECK(error_of(stream_with(R"("auth": "basic")")) ==
          at + "must be an object with a \"type\" (bearer, basic, api_key, session or oauth2)");
    CHECK(error_of(stream_with(R"("auth": {"type": "digest"})")) ==
          at + "type: \"digest\" is not a type of auth (bearer, basic, api_key, session or "
               "oauth2)");
    CHECK(error_of(stream_with(R"("auth": {"type": "basic", "username": "u"})")) ==
          at + "password_env: missing (type \"basic\" needs it)");
    CHECK(error_of(stream_with(
              R"("auth": {"type": "basic", "username": "u", "password_env": "T_UNSET_X"})")) ==
          at + "password_env: environment variable T_UNSET_X is not set (it must hold the "
               "password)");
    CHECK(error_of(stream_with(
                       R"("auth": {"type": "basic", "username": "u", "password_env": "T_SHORT"})"))
              .find("shorter than 4 characters") != std::string::npos);
    CHECK(
        error_of(stream_with(
            R"("auth": {"type": "api_key", "name": "k", "in": "cookie", "value_env": "T_PASS"})")) ==
        at + "in: must be \"header\" or \"query\", not \"cookie\"");
    CHECK(error_of(stream_with(
              R"("token_env": "T_TOKEN", "auth": {"type": "bearer", "token_env": "T_TOKEN"})")) ==
          "cfg.json: stream \"a\": auth: token_env and auth: give one or the other (token_env is "
          "the short form of {\"type\": \"bearer\", \"token_env\": ...})");
    CHECK(error_of(stream_with(R"("auth": {"type": "basic", "username": "u",
                                            "password_env": "T_PASS", "colour": 1})")) ==
          at + "unknown key \"colour\" (known keys are listed in docs/configuration.md)");
    CHECK(error_of(stream_with(R"("auth": {"type": "basic", "username": "u",
                                            "password_env": "T_PASS", "scope": "x"})")) ==
          at + "scope: is not a key of type \"basic\"");
    CHECK(error_of(stream_with(R"("auth": {"type": "oauth2", "token_url": "ftp://h/t",
        "grant": "client_credentials", "client_id_env": "T_PASS", "client_secret_env": "T_PASS"})")) ==
          at + "token_url: must be an http or https URL, not \"ftp://h/t\"");
    CHECK(error_of(stream_with(R"("auth": {"type": "session", "login_url": "file:///x",
        "body": {}, "token_path": "token"})")) ==
          at + "login_url: must be an http or https URL, not \"file:///x\"");
    CHECK(error_of(stream_with(R"("auth": {"type": "oauth2", "token_url": "http://h/t",
        "grant": "password", "client_id_env": "T_PASS", "client_secret_env": "T_PASS"})")) ==
          at + "grant: must be \"client_credentials\" or \"refresh_token\", not \"password\"");
    CHECK(error_of(R"({"token_env": "T_TOKEN", "auth": {"type": "bearer", "token_env": "T_TOKEN"},
                       "base_url": "http://h/x"})") ==
          "cfg.json: auth: token_env and auth: give one or the other (token_env is the short "
          "form of {\"type\": \"bearer\", \"token_env\": ...})");
  }
}
