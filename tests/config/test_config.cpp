// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "config/config_support.hpp"

using tsync::test::error_of;
using tsync::test::kUrl;
using tsync::test::ScopedEnv;
using tsync::test::with_url;

namespace {

namespace fs = std::filesystem;

// A fresh directory under the system temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tsync-config-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to a file named `name` in the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const fs::path file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + file.string());
    return file.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("a minimal file gives every default") {
    TempDir dir;
    const std::string path =
        dir.write("configuration.json", std::string("{\"base_url\": \"") + kUrl + "\"}\n");
    const tsync::Config c = tsync::load_config(path);
    CHECK(c.streams.at(0).url == kUrl);
    CHECK(c.database == "replica.db");
    CHECK_FALSE(c.streams.at(0).start_timestamp.has_value());
    CHECK(c.streams.at(0).lookback_seconds == 0);
    CHECK(c.timeout_seconds == 30);
    CHECK(c.max_retries == 5);
    CHECK(c.retry_base_seconds == 1.0);
    CHECK(c.retry_budget_seconds == 900.0);
    CHECK_FALSE(c.streams.at(0).token_env.has_value());
    CHECK(c.streams.at(0).token.empty());
    CHECK_FALSE(c.ca_file.has_value());
    CHECK(c.cache_size_mib == 64);
    CHECK(c.checkpoint_rows == 200000);
    CHECK(c.sorted_apply_rows == 5000);
    CHECK(c.max_concurrency == 4);
  }

  TEST_CASE("every key with a valid value is read") {
    TempDir dir;
    const std::string ca = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    ScopedEnv token("TSYNC_TEST_TOKEN_EVERY_KEY", std::string("s3cr3t-token"));
    const std::string path = dir.write("configuration.json", R"({
  "base_url": "https://api.example.com/incremental/timestamp",
  "database": "users.db",
  "start_timestamp": "2024-01-15T12:30:00+02:00",
  "lookback_seconds": 300,
  "timeout_seconds": 10,
  "max_retries": 7,
  "retry_base_seconds": 0.25,
  "retry_budget_seconds": 60.5,
  "token_env": "TSYNC_TEST_TOKEN_EVERY_KEY",
  "ca_file": ")" + ca + R"(",
  "cache_size_mib": 16,
  "checkpoint_rows": 1000,
  "sorted_apply_rows": 0
})");
    const tsync::Config c = tsync::load_config(path);
    CHECK(c.streams.at(0).url == "https://api.example.com/incremental/timestamp");
    CHECK(c.database == "users.db");
    REQUIRE(c.streams.at(0).start_timestamp.has_value());
    CHECK(*c.streams.at(0).start_timestamp == "2024-01-15T12:30:00+02:00");  // kept as written
    CHECK(c.streams.at(0).lookback_seconds == 300);
    CHECK(c.timeout_seconds == 10);
    CHECK(c.max_retries == 7);
    CHECK(c.retry_base_seconds == 0.25);
    CHECK(c.retry_budget_seconds == 60.5);
    REQUIRE(c.streams.at(0).token_env.has_value());
    CHECK(*c.streams.at(0).token_env == "TSYNC_TEST_TOKEN_EVERY_KEY");
    CHECK(c.streams.at(0).token == "s3cr3t-token");
    REQUIRE(c.ca_file.has_value());
    CHECK(*c.ca_file == ca);
    CHECK(c.cache_size_mib == 16);
    CHECK(c.checkpoint_rows == 1000);
    CHECK(c.sorted_apply_rows == 0);
  }

  TEST_CASE("load_config and parse_config agree") {
    TempDir dir;
    const std::string text = with_url(R"("database": "x.db", "max_retries": 0)");
    const std::string path = dir.write("c.json", text);
    const tsync::Config from_file = tsync::load_config(path);
    const tsync::Config from_text = tsync::parse_config(text, "whatever");
    CHECK(from_file.streams.at(0).url == from_text.streams.at(0).url);
    CHECK(from_file.database == "x.db");
    CHECK(from_text.database == "x.db");
    CHECK(from_file.max_retries == 0);
    CHECK(from_text.max_retries == 0);
  }

  TEST_CASE("accepted base_url forms") {
    SUBCASE("http with a port") {
      CHECK(tsync::parse_config(R"({"base_url": "http://127.0.0.1:5001/x"})", "o")
                .streams.at(0)
                .url == "http://127.0.0.1:5001/x");
    }
    SUBCASE("https without a path") {
      CHECK(tsync::parse_config(R"({"base_url": "https://example.com"})", "o").streams.at(0).url ==
            "https://example.com");
    }
    SUBCASE("scheme in capitals") {
      CHECK(tsync::parse_config(R"({"base_url": "HTTPS://Example.com/Users"})", "o")
                .streams.at(0)
                .url == "HTTPS://Example.com/Users");
    }
    SUBCASE("IPv6 literal") {
      CHECK(tsync::parse_config(R"({"base_url": "http://[::1]:8080/users"})", "o")
                .streams.at(0)
                .url == "http://[::1]:8080/users");
    }
  }

  TEST_CASE("a missing file is reported with what to do") {
    TempDir dir;
    const std::string path = dir.path("nope.json");
    CHECK_THROWS_WITH_AS(tsync::load_config(path),
                         (path + ": cannot read the configuration file (create it, or name another "
                                 "with --config)")
                             .c_str(),
                         tsync::ConfigError);
    try {
      tsync::load_config(path);
      FAIL("no exception");
    } catch (const tsync::ConfigError& e) {
      CHECK(e.exit_code() == tsync::kExitUsage);
    }
  }

  TEST_CASE("invalid JSON is reported with line and column") {
    TempDir dir;
    SUBCASE("a value missing before the closing brace") {
      const std::string path =
          dir.write("c.json", "{\n  \"base_url\": \"http://h/x\",\n  \"database\": \n}\n");
      CHECK_THROWS_WITH_AS(tsync::load_config(path),
                           (path + ": invalid JSON at line 4, column 1: Invalid value.").c_str(),
                           tsync::ConfigError);
    }
    SUBCASE("a missing comma") {
      const std::string path =
          dir.write("c.json", "{\n  \"base_url\": \"http://h/x\"\n  \"database\": \"a.db\"\n}");
      CHECK_THROWS_WITH_AS(
          tsync::load_config(path),
          (path +
           ": invalid JSON at line 3, column 3: Missing a comma or '}' after an object member.")
              .c_str(),
          tsync::ConfigError);
    }
    SUBCASE("a trailing comma") {
      CHECK(error_of("{\"base_url\": \"http://h/x\",}") ==
            "cfg.json: invalid JSON at line 1, column 27: Missing a name for object member.");
    }
    SUBCASE("an empty file") {
      const std::string path = dir.write("c.json", "");
      CHECK_THROWS_WITH_AS(
          tsync::load_config(path),
          (path + ": invalid JSON at line 1, column 1: The document is empty.").c_str(),
          tsync::ConfigError);
    }
    SUBCASE("text after the object") {
      CHECK(error_of("{\"base_url\": \"http://h/x\"}\n\nx") ==
            "cfg.json: invalid JSON at line 3, column 1: The document root must not be followed by "
            "other values.");
    }
    SUBCASE("a comment") {
      CHECK(error_of("{\n// the API\n\"base_url\": \"http://h/x\"}") ==
            "cfg.json: invalid JSON at line 2, column 1: Missing a name for object member.");
    }
  }

  TEST_CASE("a document that is not an object") {
    for (const char* text :
         {"[]", "[{\"base_url\": \"http://h/x\"}]", "\"http://h/x\"", "42", "null", "true"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(tsync::parse_config(text, "cfg.json"), "cfg.json: must be a JSON object",
                           tsync::ConfigError);
    }
  }

  TEST_CASE("an unknown key is named") {
    CHECK_THROWS_WITH_AS(
        tsync::parse_config(with_url(R"("databse": "a.db")"), "cfg.json"),
        "cfg.json: unknown key \"databse\" (known keys are listed in docs/configuration.md)",
        tsync::ConfigError);
    SUBCASE("even before base_url is checked") {
      CHECK(error_of(R"({"url": "http://h/x"})") ==
            "cfg.json: unknown key \"url\" (known keys are listed in docs/configuration.md)");
    }
    SUBCASE("keys are case-sensitive") {
      CHECK(error_of(with_url(R"("Database": "a.db")")) ==
            "cfg.json: unknown key \"Database\" (known keys are listed in docs/configuration.md)");
    }
    SUBCASE("the token is not a key") {
      CHECK(error_of(with_url(R"("token": "abc")")) ==
            "cfg.json: unknown key \"token\" (known keys are listed in docs/configuration.md)");
    }
  }

  TEST_CASE("base_url is checked") {
    SUBCASE("missing") {
      CHECK_THROWS_WITH_AS(
          tsync::parse_config("{}", "cfg.json"),
          "cfg.json: base_url: missing (the URL of the API endpoint, e.g. "
          "\"http://127.0.0.1:5001/incremental/timestamp\", or a list of \"streams\")",
          tsync::ConfigError);
      CHECK(error_of(R"({"database": "a.db"})") ==
            "cfg.json: base_url: missing (the URL of the API endpoint, e.g. "
            "\"http://127.0.0.1:5001/incremental/timestamp\", or a list of \"streams\")");
    }
    SUBCASE("not a string") {
      CHECK(error_of(R"({"base_url": null})") == "cfg.json: base_url: must be a string");
      CHECK(error_of(R"({"base_url": 5001})") == "cfg.json: base_url: must be a string");
      CHECK(error_of(R"({"base_url": ["http://h/x"]})") == "cfg.json: base_url: must be a string");
    }
    SUBCASE("empty") {
      CHECK(error_of(R"({"base_url": ""})") == "cfg.json: base_url: must not be empty");
    }
    SUBCASE("not http or https") {
      CHECK_THROWS_WITH_AS(
          tsync::parse_config(R"({"base_url": "ftp://example.com/users"})", "cfg.json"),
          "cfg.json: base_url: must be an http or https URL, not \"ftp://example.com/users\"",
          tsync::ConfigError);
      CHECK(error_of(R"({"base_url": "127.0.0.1:5001/x"})") ==
            "cfg.json: base_url: must be an http or https URL, not \"127.0.0.1:5001/x\"");
      CHECK(error_of(R"({"base_url": "http:/h/x"})") ==
            "cfg.json: base_url: must be an http or https URL, not \"http:/h/x\"");
      CHECK(error_of(R"({"base_url": "httpx://h/x"})") ==
            "cfg.json: base_url: must be an http or https URL, not \"httpx://h/x\"");
      CHECK(error_of(R"({"base_url": "file:///etc/passwd"})") ==
            "cfg.json: base_url: must be an http or https URL, not \"file:///etc/passwd\"");
    }
    SUBCASE("no host") {
      CHECK_THROWS_WITH_AS(tsync::parse_config(R"({"base_url": "http://"})", "cfg.json"),
                           "cfg.json: base_url: has no host: \"http://\"", tsync::ConfigError);
      CHECK(error_of(R"({"base_url": "https:///users"})") ==
            "cfg.json: base_url: has no host: \"https:///users\"");
      CHECK(error_of(R"({"base_url": "http://?since=1"})") ==
            "cfg.json: base_url: has no host: \"http://?since=1\"");
      CHECK(error_of(R"({"base_url": "http://#top"})") ==
            "cfg.json: base_url: has no host: \"http://#top\"");
    }
    SUBCASE("a query or fragment") {
      CHECK_THROWS_WITH_AS(
          tsync::parse_config(R"({"base_url": "http://h/users?since=2024-01-01"})", "cfg.json"),
          "cfg.json: base_url: must not contain a query or fragment (tsync adds ?since=...; put "
          "fixed parameters in \"params\"): "
          "\"http://h/users?since=2024-01-01\"",
          tsync::ConfigError);
      CHECK(error_of(R"({"base_url": "http://h/users#x"})") ==
            "cfg.json: base_url: must not contain a query or fragment (tsync adds ?since=...; put "
            "fixed parameters in \"params\"): "
            "\"http://h/users#x\"");
      CHECK(error_of(R"({"base_url": "http://h/users?"})") ==
            "cfg.json: base_url: must not contain a query or fragment (tsync adds ?since=...; put "
            "fixed parameters in \"params\"): "
            "\"http://h/users?\"");
    }
    SUBCASE("spaces and control characters") {
      CHECK(error_of(R"({"base_url": "http://h/a b"})") ==
            "cfg.json: base_url: must not contain spaces or control characters");
      CHECK(error_of(R"({"base_url": "http://h/a\tb"})") ==
            "cfg.json: base_url: must not contain spaces or control characters");
      CHECK(error_of(R"({"base_url": "http://h/x\n"})") ==
            "cfg.json: base_url: must not contain spaces or control characters");
    }
  }

  TEST_CASE("values of the wrong type are named") {
    struct Case {
      const char* member;
      const char* message;
    };
    const Case cases[] = {
        {R"("database": 5)", "cfg.json: database: must be a string"},
        {R"("database": "")", "cfg.json: database: must not be empty"},
        {R"("start_timestamp": 0)", "cfg.json: start_timestamp: must be a string"},
        {R"("lookback_seconds": "10")", "cfg.json: lookback_seconds: must be a whole number"},
        {R"("timeout_seconds": 1.5)", "cfg.json: timeout_seconds: must be a whole number"},
        {R"("timeout_seconds": 99999999999999999999)",
         "cfg.json: timeout_seconds: must be a whole number"},
        {R"("max_retries": true)", "cfg.json: max_retries: must be a whole number"},
        {R"("max_retries": null)", "cfg.json: max_retries: must be a whole number"},
        {R"("retry_base_seconds": "1")", "cfg.json: retry_base_seconds: must be a number"},
        {R"("retry_budget_seconds": [60])", "cfg.json: retry_budget_seconds: must be a number"},
        {R"("token_env": 1)", "cfg.json: token_env: must be a string"},
        {R"("token_env": "")", "cfg.json: token_env: must not be empty"},
        {R"("ca_file": [])", "cfg.json: ca_file: must be a string"},
        {R"("cache_size_mib": {})", "cfg.json: cache_size_mib: must be a whole number"},
        {R"("checkpoint_rows": "1000")", "cfg.json: checkpoint_rows: must be a whole number"},
        {R"("max_concurrency": 2.5)", "cfg.json: max_concurrency: must be a whole number"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.member);
      CHECK_THROWS_WITH_AS(tsync::parse_config(with_url(c.member), "cfg.json"), c.message,
                           tsync::ConfigError);
    }
  }

  TEST_CASE("numbers out of range are named with the range") {
    struct Case {
      const char* member;
      const char* message;
    };
    const Case cases[] = {
        {R"("lookback_seconds": -1)",
         "cfg.json: lookback_seconds: must be between 0 and 316224000, not -1"},
        {R"("lookback_seconds": 316224001)",
         "cfg.json: lookback_seconds: must be between 0 and 316224000, not 316224001"},
        {R"("timeout_seconds": 0)",
         "cfg.json: timeout_seconds: must be between 1 and 86400, not 0"},
        {R"("timeout_seconds": -30)",
         "cfg.json: timeout_seconds: must be between 1 and 86400, not -30"},
        {R"("timeout_seconds": 86401)",
         "cfg.json: timeout_seconds: must be between 1 and 86400, not 86401"},
        {R"("max_concurrency": 0)", "cfg.json: max_concurrency: must be between 1 and 64, not 0"},
        {R"("max_concurrency": 65)", "cfg.json: max_concurrency: must be between 1 and 64, not 65"},
        {R"("max_retries": -1)", "cfg.json: max_retries: must be between 0 and 100, not -1"},
        {R"("max_retries": 101)", "cfg.json: max_retries: must be between 0 and 100, not 101"},
        {R"("max_retries": 4294967297)",
         "cfg.json: max_retries: must be between 0 and 100, not 4294967297"},
        {R"("retry_base_seconds": 0)",
         "cfg.json: retry_base_seconds: must be between 0.001 and 3600, not 0"},
        {R"("retry_base_seconds": -1.5)",
         "cfg.json: retry_base_seconds: must be between 0.001 and 3600, not -1.5"},
        {R"("retry_base_seconds": 3601)",
         "cfg.json: retry_base_seconds: must be between 0.001 and 3600, not 3601"},
        {R"("retry_budget_seconds": -1)",
         "cfg.json: retry_budget_seconds: must be between 0 and 604800, not -1"},
        {R"("retry_budget_seconds": 604800.5)",
         "cfg.json: retry_budget_seconds: must be between 0 and 604800, not 604800"},  // 6
                                                                                       // significant
                                                                                       // digits
        {R"("retry_budget_seconds": 1e9)",
         "cfg.json: retry_budget_seconds: must be between 0 and 604800, not 1e+09"},
        {R"("cache_size_mib": 0)",
         "cfg.json: cache_size_mib: must be between 1 and 1048576, not 0"},
        {R"("cache_size_mib": 1048577)",
         "cfg.json: cache_size_mib: must be between 1 and 1048576, not 1048577"},
        {R"("checkpoint_rows": 0)",
         "cfg.json: checkpoint_rows: must be between 1 and 1099511627776, not 0"},
        {R"("checkpoint_rows": -5)",
         "cfg.json: checkpoint_rows: must be between 1 and 1099511627776, not -5"},
        {R"("sorted_apply_rows": -1)",
         "cfg.json: sorted_apply_rows: must be between 0 and 1099511627776, not -1"},
        {R"("sorted_apply_rows": "5000")", "cfg.json: sorted_apply_rows: must be a whole number"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.member);
      CHECK_THROWS_WITH_AS(tsync::parse_config(with_url(c.member), "cfg.json"), c.message,
                           tsync::ConfigError);
    }
  }

  TEST_CASE("the ends of every range are accepted") {
    SUBCASE("lowest") {
      const tsync::Config c = tsync::parse_config(
          with_url(R"("lookback_seconds": 0, "timeout_seconds": 1, "max_retries": 0,
                    "retry_base_seconds": 0.001, "retry_budget_seconds": 0,
                    "cache_size_mib": 1, "checkpoint_rows": 1, "max_concurrency": 1)"),
          "cfg.json");
      CHECK(c.max_concurrency == 1);
      CHECK(c.streams.at(0).lookback_seconds == 0);
      CHECK(c.timeout_seconds == 1);
      CHECK(c.max_retries == 0);
      CHECK(c.retry_base_seconds == 0.001);
      CHECK(c.retry_budget_seconds == 0.0);
      CHECK(c.cache_size_mib == 1);
      CHECK(c.checkpoint_rows == 1);
    }
    SUBCASE("highest") {
      const tsync::Config c = tsync::parse_config(
          with_url(R"("lookback_seconds": 316224000, "timeout_seconds": 86400, "max_retries": 100,
                    "retry_base_seconds": 3600, "retry_budget_seconds": 604800,
                    "cache_size_mib": 1048576, "checkpoint_rows": 1099511627776,
                    "max_concurrency": 64)"),
          "cfg.json");
      CHECK(c.max_concurrency == 64);
      CHECK(c.streams.at(0).lookback_seconds == 316224000);
      CHECK(c.timeout_seconds == 86400);
      CHECK(c.max_retries == 100);
      CHECK(c.retry_base_seconds == 3600.0);
      CHECK(c.retry_budget_seconds == 604800.0);
      CHECK(c.cache_size_mib == 1048576);
      CHECK(c.checkpoint_rows == 1099511627776LL);
    }
    SUBCASE("a whole number written as an integer-valued retry base") {
      CHECK(tsync::parse_config(with_url(R"("retry_base_seconds": 2)"), "cfg.json")
                .retry_base_seconds == 2.0);
    }
  }

  TEST_CASE("start_timestamp must be a timestamp") {
    CHECK_THROWS_WITH_AS(
        tsync::parse_config(with_url(R"("start_timestamp": "yesterday")"), "cfg.json"),
        "cfg.json: start_timestamp: not an ISO 8601 timestamp: \"yesterday\"", tsync::ConfigError);
    CHECK(error_of(with_url(R"("start_timestamp": "2024-02-30T00:00:00Z")")) ==
          "cfg.json: start_timestamp: not an ISO 8601 timestamp: \"2024-02-30T00:00:00Z\"");
    CHECK(error_of(with_url(R"("start_timestamp": "2024-01-15")")) ==
          "cfg.json: start_timestamp: not an ISO 8601 timestamp: \"2024-01-15\"");
    CHECK(error_of(with_url(R"("start_timestamp": "")")) ==
          "cfg.json: start_timestamp: must not be empty");
    const tsync::Config c =
        tsync::parse_config(with_url(R"("start_timestamp": "0001-01-01T00:00:00Z")"), "o");
    REQUIRE(c.streams.at(0).start_timestamp.has_value());
    CHECK(*c.streams.at(0).start_timestamp == "0001-01-01T00:00:00Z");
  }

  TEST_CASE("token_env names an environment variable holding the token") {
    const std::string name = "TSYNC_TEST_TOKEN_" + std::to_string(getpid());
    const std::string config = with_url(R"("token_env": ")" + name + "\"");
    SUBCASE("unset") {
      ScopedEnv env(name, std::nullopt);
      CHECK_THROWS_WITH_AS(tsync::parse_config(config, "cfg.json"),
                           ("cfg.json: token_env: environment variable " + name +
                            " is not set (it must hold the API token)")
                               .c_str(),
                           tsync::ConfigError);
    }
    SUBCASE("set but empty") {
      ScopedEnv env(name, std::string());
      CHECK(error_of(config) == "cfg.json: token_env: environment variable " + name +
                                    " is not set (it must hold the API token)");
    }
    SUBCASE("set") {
      ScopedEnv env(name, std::string("tok-Very-Secret-123"));
      const tsync::Config c = tsync::parse_config(config, "cfg.json");
      CHECK(c.streams.at(0).token == "tok-Very-Secret-123");
      REQUIRE(c.streams.at(0).token_env.has_value());
      CHECK(*c.streams.at(0).token_env == name);
    }
    SUBCASE("the token never appears in a message") {
      const std::string secret = "tok-Very-Secret-123";
      ScopedEnv env(name, secret);
      TempDir dir;
      const std::string missing = dir.path("missing-ca.pem");
      const std::string later_error =
          with_url(R"("token_env": ")" + name + R"(", "ca_file": ")" + missing + "\"");
      const std::string message = error_of(later_error);
      CHECK(message == "cfg.json: ca_file: no such file: \"" + missing + "\"");
      CHECK(message.find(secret) == std::string::npos);
      for (const std::string& text :
           {with_url(R"("token_env": ")" + name + R"(", "max_retries": -1)"),
            with_url(R"("token_env": ")" + name + R"(", "bogus": 1)"),
            std::string(R"({"token_env": ")") + name + R"(", "base_url": "ftp://h/x"})"}) {
        const std::string m = error_of(text);
        CAPTURE(m);
        CHECK(m != "(no error)");
        CHECK(m.find(secret) == std::string::npos);
      }
    }
  }

  TEST_CASE("ca_file must be an existing file") {
    TempDir dir;
    SUBCASE("missing") {
      const std::string missing = dir.path("nope.pem");
      CHECK_THROWS_WITH_AS(
          tsync::parse_config(with_url(R"("ca_file": ")" + missing + "\""), "cfg.json"),
          ("cfg.json: ca_file: no such file: \"" + missing + "\"").c_str(), tsync::ConfigError);
    }
    SUBCASE("a directory") {
      const std::string directory = dir.path("");
      CHECK(error_of(with_url(R"("ca_file": ")" + directory + "\"")) ==
            "cfg.json: ca_file: no such file: \"" + directory + "\"");
    }
    SUBCASE("present") {
      const std::string ca = dir.write("bundle.pem", "x");
      const tsync::Config c =
          tsync::parse_config(with_url(R"("ca_file": ")" + ca + "\""), "cfg.json");
      REQUIRE(c.ca_file.has_value());
      CHECK(*c.ca_file == ca);
    }
  }
}  // TEST_SUITE
