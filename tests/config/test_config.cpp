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

// Sets (or unsets, with nullopt) an environment variable for one test, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value)
      setenv(name_.c_str(), value->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_.c_str(), old_->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

constexpr const char* kUrl = "http://127.0.0.1:5001/incremental/timestamp";

// A configuration object with base_url and the given extra members ("" for none).
std::string with_url(const std::string& members) {
  return std::string("{\"base_url\": \"") + kUrl + "\"" + (members.empty() ? "" : ", " + members) +
         "}";
}

// The message of the ConfigError thrown by parsing `text` as "cfg.json", or "(no error)".
std::string error_of(const std::string& text) {
  try {
    tsync::parse_config(text, "cfg.json");
  } catch (const tsync::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

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
    CHECK_THROWS_WITH_AS(tsync::parse_config(with_url(R"("databse": "a.db")"), "cfg.json"),
                         "cfg.json: unknown key \"databse\" (known keys are listed in "
                         "docs/configuration.md)",
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
        {R"("max_concurrency": 65)",
         "cfg.json: max_concurrency: must be between 1 and 64, not 65"},
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

  TEST_CASE("the long form lists streams, each with its own settings and defaults") {
    ScopedEnv key("TSYNC_TEST_ORDERS_KEY", std::string("k3y-value"));
    ScopedEnv token("TSYNC_TEST_ORDERS_TOKEN", std::string("t0ken-value"));
    const auto c = tsync::parse_config(R"({
      "database": "r.db", "start_timestamp": "2024-01-01T00:00:00Z", "lookback_seconds": 60,
      "streams": [
        {"name": "user", "url": "http://127.0.0.1:5001/incremental/timestamp"},
        {"name": "orders", "url": "https://api.example.com/v1/orders", "table": "orders_v1",
         "primary_key": ["account_id", "id"], "cursor_field": "updated_at",
         "cursor_format": "unix_millis", "since_param": "updated_since",
         "records_path": "result.items", "params": {"api_version": "2"},
         "headers": {"X-Api-Key": {"env": "TSYNC_TEST_ORDERS_KEY"}, "Accept": "application/json"},
         "columns": {"amount": "DOUBLE", "created": "UTC_DATETIME", "qty": "INT"},
         "lookback_seconds": 0, "token_env": "TSYNC_TEST_ORDERS_TOKEN"},
        {"name": "bare", "url": "http://h/list", "records_path": "", "primary_key": "key",
         "cursor_format": "unix_seconds", "start_timestamp": 1700000000}
      ]})",
                                       "cfg.json");
    REQUIRE(c.streams.size() == 3);
    CHECK(c.database == "r.db");
    const tsync::StreamConfig& user = c.streams[0];
    CHECK(user.table == "user");
    CHECK(user.primary_key == std::vector<std::string>{"id"});
    CHECK(user.cursor_field == "updatedAt");
    CHECK(user.records_path == std::vector<std::string>{"data"});
    CHECK(user.columns.empty());  // the long form declares only what it says
    CHECK(user.lookback_seconds == 60);
    CHECK(user.start_timestamp == "2024-01-01T00:00:00Z");
    const tsync::StreamConfig& orders = c.streams[1];
    CHECK(orders.table == "orders_v1");
    CHECK(orders.primary_key == std::vector<std::string>{"account_id", "id"});
    CHECK(orders.cursor_format == tsync::CursorFormat::UnixMillis);
    CHECK(orders.since_param == "updated_since");
    CHECK(orders.records_path == std::vector<std::string>{"result", "items"});
    CHECK(orders.params == std::vector<std::pair<std::string, std::string>>{{"api_version", "2"}});
    REQUIRE(orders.headers.size() == 2);
    CHECK(orders.headers[0].name == "X-Api-Key");
    CHECK(orders.headers[0].value == "k3y-value");
    CHECK(orders.headers[0].env == "TSYNC_TEST_ORDERS_KEY");
    CHECK(orders.headers[1].value == "application/json");
    CHECK_FALSE(orders.headers[1].env.has_value());
    CHECK(orders.columns.size() == 3);
    CHECK(orders.columns[0] ==
          std::pair<std::string, tsync::ColumnType>{"amount", tsync::ColumnType::Double});
    CHECK(orders.lookback_seconds == 0);
    CHECK(orders.token == "t0ken-value");
    // An ISO start for an epoch cursor is sent as the same instant in its unit.
    CHECK(orders.first_cursor() == "1704067200000");
    const tsync::StreamConfig& bare = c.streams[2];
    CHECK(bare.records_path.empty());
    CHECK(bare.primary_key == std::vector<std::string>{"key"});
    CHECK(bare.first_cursor() == "1700000000");
    CHECK(c.find_stream("orders") == &orders);
    CHECK_FALSE(orders.hard_delete);
    CHECK(orders.delete_field.empty());
    CHECK(orders.max_delete_fraction == 0.5);
    CHECK(c.find_stream("nope") == nullptr);
  }

  TEST_CASE("the short form is exactly the seed's user stream") {
    const auto c = tsync::parse_config(with_url(""), "cfg.json");
    REQUIRE(c.streams.size() == 1);
    const tsync::StreamConfig& s = c.streams[0];
    CHECK(s.name == "user");
    CHECK(s.table == "user");
    CHECK(s.url == kUrl);
    CHECK(s.primary_key == std::vector<std::string>{"id"});
    CHECK(s.cursor_field == "updatedAt");
    CHECK(s.since_param == "since");
    CHECK(s.records_path == std::vector<std::string>{"data"});
    CHECK(s.columns.size() == 8);
    CHECK(s.first_cursor() == "0001-01-01T00:00:00Z");
  }

  TEST_CASE("every stream mistake is named with its stream, before anything is opened") {
    ScopedEnv short_secret("TSYNC_TEST_SHORT", std::string("abc"));
    auto streams = [](const std::string& items) {
      return std::string(R"({"streams": [)") + items + "]}";
    };
    const std::string a = R"({"name": "a", "url": "http://h/a")";
    const std::vector<std::pair<std::string, std::string>> cases{
        {R"({"base_url": "http://h/x", "streams": []})",
         "cfg.json: base_url and streams: give one or the other (base_url is the short form of a "
         "single stream named user)"},
        {streams(""), "cfg.json: streams: must list at least one stream"},
        {R"({"streams": {}})", "cfg.json: streams: must be an array of stream objects"},
        {streams("7"), "cfg.json: streams[0]: must be an object with \"name\" and \"url\""},
        {streams(R"({"url": "http://h/a"})"),
         "cfg.json: streams[0]: name: missing (every stream needs a name)"},
        {streams(R"({"name": "", "url": "http://h/a"})"),
         "cfg.json: streams[0]: name: must be a non-empty string"},
        {streams(R"({"name": "a"})"),
         "cfg.json: stream \"a\": url: missing (the URL of the stream's endpoint)"},
        {streams(R"({"name": "a", "url": "ftp://h/a"})"),
         "cfg.json: stream \"a\": url: must be an http or https URL, not \"ftp://h/a\""},
        {streams(a + "}," + a + "}"), "cfg.json: stream \"a\": name: two streams have it"},
        {streams(a + R"(, "table": "T"}, {"name": "b", "url": "http://h/b", "table": "t"})"),
         "cfg.json: stream \"b\": table: \"t\" is also the table of stream \"a\" (table names "
         "ignore case)"},
        {streams(R"({"name": "_x", "url": "http://h/a"})"),
         "cfg.json: stream \"_x\": table: \"_x\" is reserved: names starting with _ or sqlite_ "
         "belong to tsync and SQLite (set \"table\" to another name)"},
        {streams(a + R"(, "table": "SQLite_stat"})"),
         "cfg.json: stream \"a\": table: \"SQLite_stat\" is reserved: names starting with _ or "
         "sqlite_ belong to tsync and SQLite (set \"table\" to another name)"},
        {streams(a + R"(, "colour": "red"})"),
         "cfg.json: stream \"a\": unknown key \"colour\" (known keys are listed in "
         "docs/configuration.md)"},
        {streams(a + R"(, "cursor_format": "unix"})"),
         "cfg.json: stream \"a\": cursor_format: must be \"iso8601\", \"unix_seconds\" or "
         "\"unix_millis\", not \"unix\""},
        {streams(a + R"(, "primary_key": []})"),
         "cfg.json: stream \"a\": primary_key: must name at least one field"},
        {streams(a + R"(, "primary_key": ["id", "id"]})"),
         "cfg.json: stream \"a\": primary_key: names \"id\" twice"},
        {streams(a + R"(, "primary_key": [""]})"),
         "cfg.json: stream \"a\": primary_key: must not hold an empty name"},
        {streams(a + R"(, "columns": {"x": "VARCHAR"}})"),
         "cfg.json: stream \"a\": columns: \"x\": \"VARCHAR\" is not a column type (use STRING, "
         "UTC_DATETIME, NAIVE_DATETIME, NAIVE_DATE, BOOLEAN, SHORT, INT, LONG, FLOAT, DOUBLE, "
         "DECIMAL, JSON, BINARY)"},
        {streams(a + R"(, "columns": {"updatedAt": "STRING"}})"),
         "cfg.json: stream \"a\": columns: \"updatedAt\" is the cursor field and is stored as "
         "UTC_DATETIME, not STRING"},
        {streams(a + R"(, "records_path": "a..b"})"),
         "cfg.json: stream \"a\": records_path: has an empty key: \"a..b\""},
        {streams(a + R"(, "params": {"since": "x"}})"),
         "cfg.json: stream \"a\": params: \"since\" is the since parameter, which tsync sets "
         "itself"},
        {streams(a + R"(, "params": {"n": 2}})"),
         "cfg.json: stream \"a\": params: \"n\" must be a string"},
        {streams(a + R"(, "headers": {"X Key": "v"}})"),
         "cfg.json: stream \"a\": headers: \"X Key\" is not a valid header name"},
        {streams(a + R"(, "headers": {"X-Key": {"env": "TSYNC_TEST_UNSET_VARIABLE"}}})"),
         "cfg.json: stream \"a\": headers: environment variable TSYNC_TEST_UNSET_VARIABLE is not "
         "set (it must hold the value of header X-Key)"},
        {streams(a + R"(, "headers": {"X-Key": {"env": "TSYNC_TEST_SHORT"}}})"),
         "cfg.json: stream \"a\": headers: the value of environment variable TSYNC_TEST_SHORT is "
         "shorter than 4 characters; tsync masks secrets in everything it writes, and one this "
         "short would mask ordinary text"},
        {streams(a + R"(, "headers": {"X-Key": 5}})"),
         "cfg.json: stream \"a\": headers: \"X-Key\" must be a string, or {\"env\": \"VARIABLE\"} "
         "to take a secret value from the environment"},
        {streams(a + R"(, "cursor_format": "unix_millis", "start_timestamp": "soon"})"),
         "cfg.json: stream \"a\": start_timestamp: not an ISO 8601 timestamp or a unix_millis "
         "number: \"soon\""},
        {streams(a + R"(, "on_delete": "purge"})"),
         "cfg.json: stream \"a\": on_delete: must be \"soft\" (mark rows in _tsync_deleted_at) "
         "or \"hard\" (remove them, keeping their keys in _deleted), not \"purge\""},
        {streams(a + R"(, "max_delete_fraction": 1.5})"),
         "cfg.json: stream \"a\": max_delete_fraction: must be between 0 and 1, not 1.5"},
        {R"({"max_delete_fraction": "half", "streams": [{"name": "a", "url": "http://h/a"}]})",
         "cfg.json: max_delete_fraction: must be a number"},
        {R"({"token_env": "TSYNC_TEST_SHORT", "streams": [{"name": "a", "url": "http://h/a"}]})",
         "cfg.json: stream \"a\": token_env: the value of environment variable TSYNC_TEST_SHORT "
         "is shorter than 4 characters; tsync masks secrets in everything it writes, and one "
         "this short would mask ordinary text"},
    };
    for (const auto& [text, expected] : cases) {
      CAPTURE(text);
      CHECK(error_of(text) == expected);
    }
  }

  TEST_CASE("pagination: each type with its keys, paths dotted or as lists") {
    auto stream = [](const std::string& members) {
      return tsync::parse_config(
                 R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}", "c")
          .streams.front();
    };
    SUBCASE("none by default, and the short form has none") {
      CHECK_FALSE(tsync::parse_config(with_url(""), "c").streams.front().pagination.paged());
      CHECK(tsync::parse_config(with_url(""), "c").streams.front().since_param == "since");
    }
    SUBCASE("link_header") {
      const auto s = stream(R"("records_path": "", "pagination": {"type": "link_header"})");
      CHECK(s.pagination.type == tsync::PagingType::LinkHeader);
    }
    SUBCASE("next_url with a key that holds a dot") {
      const auto s = stream(
          R"("records_path": "value", "pagination": {"type": "next_url", "path": ["@odata.nextLink"]})");
      CHECK(s.pagination.type == tsync::PagingType::NextUrl);
      CHECK(s.pagination.path == std::vector<std::string>{"@odata.nextLink"});
    }
    SUBCASE("token with a dotted path, has_more_path and repeat_since") {
      const auto s = stream(
          R"("pagination": {"type": "token", "path": "paging.next.after", "param": "after", )"
          R"("has_more_path": "meta.more", "repeat_since": false})");
      CHECK(s.pagination.path == std::vector<std::string>{"paging", "next", "after"});
      CHECK(s.pagination.param == "after");
      CHECK(s.pagination.has_more_path == std::vector<std::string>{"meta", "more"});
      CHECK_FALSE(s.pagination.repeat_since);
    }
    SUBCASE("last_record with since_param null") {
      const auto s =
          stream(R"("since_param": null, "pagination": {"type": "last_record", "field": "id", )"
                 R"("param": "starting_after", "has_more_path": "has_more"})");
      CHECK(s.since_param.empty());
      CHECK(s.pagination.field == "id");
      CHECK(s.pagination.repeat_since);
    }
    SUBCASE("offset") {
      const auto s =
          stream(R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit", )"
                 R"("limit": 50, "total_path": "total"})");
      CHECK(s.pagination.limit == 50);
      CHECK(s.pagination.total_path == std::vector<std::string>{"total"});
    }
    SUBCASE("page, numbered from 0") {
      const auto s =
          stream(R"("pagination": {"type": "page", "param": "page", "size_param": "per_page", )"
                 R"("size": 50, "first": 0, "total_pages_path": "total_pages"})");
      CHECK(s.pagination.size == 50);
      CHECK(s.pagination.first == 0);
      CHECK(s.pagination.total_pages_path == std::vector<std::string>{"total_pages"});
    }
  }

  TEST_CASE("modes that cannot combine are refused, saying why") {
    // Pages along since in windows of time: a window is one request or one
    // chain of the API's own pages, so an API capped along since would lose
    // every record past its first answer of each window, silently.
    CHECK(error_of(R"({"streams": [{"name": "a", "url": "http://h/a", "since_param": "from",
        "until_param": "to", "window_seconds": 86400, "start_timestamp": "2024-01-01T00:00:00Z",
        "pagination": {"type": "since"}}]})") ==
          "cfg.json: stream \"a\": pagination: type \"since\" asks again from the newest record "
          "read, which a window of time cannot do (a window is one request, or one chain of the "
          "API's own pages): with window_seconds, configure the pages the API gives (offset, "
          "page, token, ...)");
    // Pages along since without a since parameter: the first answer alone.
    CHECK(error_of(R"({"streams": [{"name": "a", "url": "http://h/a", "since_param": null,
        "pagination": {"type": "since"}}]})") ==
          "cfg.json: stream \"a\": pagination: type \"since\" asks again with since_param from "
          "the newest record read, and since_param is null: without it only the first answer "
          "would be read");
  }

  TEST_CASE("pagination mistakes are named with the stream and pagination") {
    auto with = [](const std::string& members) {
      return error_of(R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}");
    };
    const std::string at = "cfg.json: stream \"a\": pagination: ";
    CHECK(with(R"("pagination": "offset")") ==
          at + "must be an object with a \"type\" (link_header, next_url, token, last_record, "
               "offset, page or since)");
    CHECK(with(R"("pagination": {})") ==
          at + "type: missing (link_header, next_url, token, last_record, offset, page or since)");
    CHECK(with(R"("pagination": {"type": "cursor"})") ==
          at + "type: \"cursor\" is not a paging type (link_header, next_url, token, "
               "last_record, offset, page or since)");
    CHECK(with(R"("pagination": {"type": "offset", "param": "o", "limit_param": "l"})") ==
          at + "limit: missing (type \"offset\" needs it)");
    CHECK(with(R"("pagination": {"type": "token", "param": "after"})") ==
          at + "path: missing (type \"token\" needs it)");
    CHECK(
        with(R"("pagination": {"type": "offset", "param": "o", "limit_param": "l", "limit": 0})") ==
        at + "limit: must be between 1 and 1000000, not 0");
    CHECK(with(R"("pagination": {"type": "page", "param": "p", "size_param": "s", "size": -3})") ==
          at + "size: must be between 1 and 1000000, not -3");
    CHECK(with(R"("pagination": {"type": "link_header", "colour": "red"})") ==
          at + "unknown key \"colour\" (known keys are listed in docs/configuration.md)");
    CHECK(with(R"("pagination": {"type": "link_header", "limit": 5})") ==
          at + "limit: is not a key of type \"link_header\"");
    CHECK(with(R"("pagination": {"type": "next_url", "path": "a..b"})") ==
          at + "path: has an empty key: \"a..b\"");
    CHECK(with(R"("pagination": {"type": "next_url", "path": []})") ==
          at + "path: must be a dotted path (\"paging.next.after\") or a list of keys "
               "([\"@odata.nextLink\"])");
    CHECK(
        with(
            R"("pagination": {"type": "page", "param": "p", "size_param": "s", "size": 5, "first": 2})") ==
        at + "first: must be between 0 and 1, not 2");
    CHECK(
        with(R"("pagination": {"type": "token", "path": "t", "param": "a", "repeat_since": 1})") ==
        at + "repeat_since: must be true or false");
    CHECK(with(R"("records_path": "", "pagination": {"type": "next_url", "path": "next"})") ==
          at + "the records are a bare array (records_path \"\"), so the body has no other value "
               "to read the next page from");
    CHECK(
        with(
            R"("pagination": {"type": "offset", "param": "since", "limit_param": "l", "limit": 5})") ==
        "cfg.json: stream \"a\": pagination: \"since\" is the since parameter; the pagination "
        "needs another");
    CHECK(
        with(
            R"("params": {"offset": "3"}, "pagination": {"type": "offset", "param": "offset", "limit_param": "l", "limit": 5})") ==
        "cfg.json: stream \"a\": params: \"offset\" is a parameter of the pagination, which "
        "tsync sets itself");
  }
}  // TEST_SUITE
