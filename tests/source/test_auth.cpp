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
