// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "config/config_support.hpp"

using tsync::test::error_of;
using tsync::test::kUrl;
using tsync::test::ScopedEnv;
using tsync::test::with_url;

TEST_SUITE("config_streams") {
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
}  // TEST_SUITE
