// SPDX-License-Identifier: Apache-2.0
// End to end: streams other than the seed's user stream, declared in the
// configuration's long form, synced from the mock's generic endpoints and
// compared with the mock's truth field by field and type by type.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "support/e2e_support.hpp"
#include "sync/sync.hpp"

using tsync::mock::EndpointSpec;
using tsync::mock::FieldKind;
using tsync::mock::KeyKind;

namespace {

// A long-form configuration with the given streams (a JSON array's items).
tsync::Config streams_config(const e2e::ScratchDir& dir, const std::string& streams) {
  return tsync::parse_config(R"({"database": ")" + dir.file("replica.db") +
                                 R"(", "timeout_seconds": 2, "retry_base_seconds": 0.01,
                                 "max_retries": 2, "streams": [)" +
                                 streams + "]}",
                             "test configuration");
}

// Every kind of field the mock generates.
std::vector<tsync::mock::FieldSpec> every_kind() {
  return {{"title", FieldKind::String},      {"qty", FieldKind::Integer},
          {"serial", FieldKind::BigInteger}, {"amount", FieldKind::Float},
          {"paid", FieldKind::Bool},         {"note", FieldKind::Null},
          {"meta", FieldKind::Object},       {"tags", FieldKind::Array},
          {"code", FieldKind::NumericString}};
}

EndpointSpec orders_endpoint() {
  EndpointSpec spec;
  spec.path = "/v1/orders";
  spec.records = 600;
  spec.seed = 7;
  spec.schema.key = KeyKind::Integer;
  spec.schema.cursor_field = "updated_at";
  spec.schema.cursor_format = tsync::mock::CursorFormat::UnixMillis;
  spec.schema.fields = every_kind();
  spec.records_path = "results";
  spec.since_param = "updated_since";
  spec.required_params = {{"api_version", "2"}};
  spec.serving.page_size = 150;
  return spec;
}

const char* const kOrdersStream = R"({"name": "orders", "url": "URL",
     "cursor_field": "updated_at", "cursor_format": "unix_millis",
     "since_param": "updated_since", "records_path": "results",
     "params": {"api_version": "2"}, "pagination": {"type": "since"}})";

// An endpoint of `records` generated records with integer ids at `path`, for
// tests that serve records of their own with add_raw; returns its URL.
std::string integer_endpoint(tsync::mock::MockApi& api, const std::string& path,
                             std::size_t records) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = records;
  spec.schema.key = KeyKind::Integer;
  return api.add_endpoint(spec);
}

std::string with_url(std::string text, const std::string& url) {
  text.replace(text.find("URL"), 3, url);
  return text;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

std::string text(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getString();
}

}  // namespace

TEST_SUITE("sync_streams") {
  TEST_CASE("integer ids, a unix_millis cursor and fields of every type land as sent") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(orders_endpoint());
    const auto config = streams_config(dir, with_url(kOrdersStream, url));
    e2e::RecordingObserver observer;

    auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].status == "ok");
    CHECK(reports[0].stream == "orders");
    CHECK(reports[0].counters.rows_new == 600);
    CHECK(reports[0].counters.requests == 5);  // four pages of 150, then nothing newer
    e2e::check_table_equals(config.database, "orders", api.records("/v1/orders"));

    // The cursor is the API's own number, sent back as a number.
    const std::string cursor =
        text(config.database, "SELECT last_timestamp FROM _state WHERE stream = 'orders'");
    CHECK(cursor.find_first_not_of("0123456789") == std::string::npos);
    const auto since = api.since_log("/v1/orders");
    REQUIRE(!since.empty());
    CHECK(since.front() == "0");
    CHECK(since.back() == cursor);
    // An integer key is an INTEGER, so a user can join on it.
    CHECK(count(config.database, "SELECT count(*) FROM orders WHERE typeof(id) = 'integer'") ==
          600);

    SUBCASE("a field that appears between two syncs becomes a column") {
      api.records("/v1/orders").add_field({"phone", FieldKind::String});
      api.records("/v1/orders").add_field({"score", FieldKind::Float});
      api.records("/v1/orders").mutate(40, 10);
      reports = tsync::run_streams(config, {}, observer);
      REQUIRE(reports.size() == 1);
      CHECK(reports[0].status == "ok");
      CHECK(reports[0].counters.rows_new == 10);
      CHECK(reports[0].counters.rows_updated == 40);
      e2e::check_table_equals(config.database, "orders", api.records("/v1/orders"));
      CHECK(count(config.database, "SELECT count(*) FROM orders WHERE phone IS NOT NULL") == 50);
      CHECK(count(config.database,
                  "SELECT count(*) FROM _columns WHERE table_name = 'orders' AND field = 'phone' "
                  "AND column_name = 'phone'") == 1);
    }
    SUBCASE("a sync with nothing new changes nothing") {
      reports = tsync::run_streams(config, {}, observer);
      CHECK(reports[0].counters.rows_new + reports[0].counters.rows_updated == 0);
      CHECK(reports[0].counters.requests == 1);
    }
  }

  TEST_CASE("a composite key, an ISO cursor of another name and a nested records path") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    EndpointSpec spec;
    spec.path = "/accounts/items";
    spec.records = 300;
    spec.schema.key = KeyKind::Composite;
    spec.schema.cursor_field = "modified";
    spec.schema.fields = {{"label", FieldKind::String}, {"size", FieldKind::Integer}};
    spec.records_path = "result.items";
    spec.serving.unsorted = true;
    const std::string url = api.add_endpoint(spec);
    const auto config = streams_config(dir, R"({"name": "items", "table": "account_items",
        "url": ")" + url + R"(", "primary_key": ["account_id", "id"],
        "cursor_field": "modified", "records_path": "result.items"})");
    e2e::RecordingObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].status == "ok");
    e2e::check_table_equals(config.database, "account_items", api.records("/accounts/items"));
    // Ids repeat across accounts: only the pair is unique.
    CHECK(count(config.database, "SELECT count(DISTINCT id) FROM account_items") < 300);
    CHECK(count(config.database,
                "SELECT count(*) FROM pragma_table_info('account_items') WHERE pk > 0") == 2);
    // The ISO cursor column is the fixed-width UTC text tsync writes.
    CHECK(count(config.database,
                "SELECT count(*) FROM account_items WHERE length(modified) = 30") == 300);
  }

  TEST_CASE("a bare array body") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    EndpointSpec spec;
    spec.path = "/list";
    spec.records = 50;
    spec.schema.cursor_format = tsync::mock::CursorFormat::UnixSeconds;
    spec.schema.cursor_field = "ts";
    spec.records_path = "";
    const std::string url = api.add_endpoint(spec);
    const auto config = streams_config(dir, R"({"name": "list", "url": ")" + url +
                                                R"(", "records_path": "", "cursor_field": "ts",
                                                "cursor_format": "unix_seconds"})");
    e2e::RecordingObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    CHECK(reports.at(0).status == "ok");
    e2e::check_table_equals(config.database, "list", api.records("/list"));
  }

  TEST_CASE("hostile field names become exactly those columns and change nothing else") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = integer_endpoint(api, "/things", 3);
    tsync::mock::RecordStore& store = api.records("/things");
    const tsync::Instant later{store.latest().seconds + 10, 0};
    store.add_raw(R"({"id":100,"updatedAt":"2025-01-01T00:00:00Z","a\"b":1,"[x]":2,"`t`":3,)"
                  R"("; DROP TABLE things; --":4,"select":5,"Name":6,"name":7,"NAME":8,"":9,)"
                  R"("caf\u00e9 \ud83d\ude00":10,"n\u0000ul":11,"_tsync_extra":12,)"
                  R"("name~2":13,"x')); DELETE FROM _state; --":14,"a.b":15,"rowid":16})",
                  later);
    const auto config = streams_config(dir, R"({"name": "things", "url": ")" + url + R"("})");
    e2e::RecordingObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.at(0).status == "ok");
    CHECK(reports[0].counters.rows_new == 4);

    SQLite::Database db(config.database, SQLite::OPEN_READONLY);
    const auto columns = e2e::column_of_field(db, "things");
    const std::vector<std::pair<std::string, int>> expected{{"a\"b", 1},
                                                            {"[x]", 2},
                                                            {"`t`", 3},
                                                            {"; DROP TABLE things; --", 4},
                                                            {"select", 5},
                                                            {"Name", 6},
                                                            {"name", 7},
                                                            {"NAME", 8},
                                                            {"", 9},
                                                            {"caf\xc3\xa9 \xf0\x9f\x98\x80", 10},
                                                            {std::string("n\0ul", 4), 11},
                                                            {"_tsync_extra", 12},
                                                            {"name~2", 13},
                                                            {"x')); DELETE FROM _state; --", 14},
                                                            {"a.b", 15},
                                                            {"rowid", 16}};
    std::set<std::string> distinct;
    for (const auto& [field, value] : expected) {
      CAPTURE(field);
      const auto it = columns.find(field);
      REQUIRE(it != columns.end());
      distinct.insert(it->second);
      SQLite::Statement q(db, "SELECT " + e2e::quoted(it->second) + " FROM things WHERE id = 100");
      REQUIRE(q.executeStep());
      CHECK(q.getColumn(0).getInt() == value);
    }
    CHECK(distinct.size() == expected.size());  // no two fields share a column
    // Names SQLite can hold keep their name; the documented rule maps the rest.
    CHECK(columns.at("a\"b") == "a\"b");
    CHECK(columns.at("; DROP TABLE things; --") == "; DROP TABLE things; --");
    CHECK(columns.at("") == "");
    CHECK(columns.at("Name") == "Name");
    CHECK(columns.at("name") == "name~2");
    CHECK(columns.at("NAME") == "NAME~3");
    CHECK(columns.at("name~2") == "name~2~2");
    CHECK(columns.at(std::string("n\0ul", 4)) == "n\\u0000ul");
    CHECK(columns.at("_tsync_extra") == "_tsync_extra~2");
    // Nothing else was touched.
    CHECK(count(config.database, "SELECT count(*) FROM _state") == 1);
    CHECK(count(config.database, "SELECT count(*) FROM things") == 4);
    // _columns, _deferred_index, _deleted, _partition, _rejected, _state, _sync_log and things.
    CHECK(count(config.database, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'") == 8);
  }

  TEST_CASE("a value of another type than the column's first one is stored as it is") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = integer_endpoint(api, "/mixed", 0);
    tsync::mock::RecordStore& store = api.records("/mixed");
    const char* values[] = {"7",       "\"07\"",  "7.5",
                            "true",    "null",    "{\"a\":[1]}",
                            "\"  7\"", "\"1e3\"", "123456789012345678901234567890",
                            "-0"};
    int id = 0;
    for (const char* v : values) {
      ++id;
      store.add_raw(R"({"id":)" + std::to_string(id) + R"(,"updatedAt":"2024-02-01T00:00:0)" +
                        std::to_string(id % 10) + R"(Z","v":)" + v + "}",
                    tsync::Instant{1706745600 + id, 0});
    }
    const auto config = streams_config(dir, R"({"name": "mixed", "url": ")" + url + R"("})");
    e2e::RecordingObserver observer;
    REQUIRE(tsync::run_streams(config, {}, observer).at(0).status == "ok");
    SQLite::Database db(config.database, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT typeof(v), CAST(v AS TEXT) FROM mixed ORDER BY id");
    const std::vector<std::pair<std::string, std::string>> expected{
        {"integer", "7"}, {"text", "07"},  {"real", "7.5"},
        {"integer", "1"}, {"null", ""},    {"text", "{\"a\":[1]}"},
        {"text", "  7"},  {"text", "1e3"}, {"text", "123456789012345678901234567890"},
        {"integer", "0"}};
    for (const auto& [type, value] : expected) {
      REQUIRE(q.executeStep());
      CAPTURE(value);
      CHECK(q.getColumn(0).getString() == type);
      CHECK(q.getColumn(1).getString() == value);
    }
  }

  TEST_CASE("fields past SQLite's column limit are kept in one JSON column") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = integer_endpoint(api, "/wide", 0);
    std::string record = R"({"id":1,"updatedAt":"2024-03-01T00:00:00Z")";
    constexpr int kFields = 2100;
    for (int i = 0; i < kFields; ++i)
      record += ",\"f" + std::to_string(i) + "\":" + std::to_string(i);
    record += "}";
    api.records("/wide").add_raw(record, tsync::Instant{1709251200, 0});
    const auto config = streams_config(dir, R"({"name": "wide", "url": ")" + url + R"("})");
    e2e::RecordingObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.at(0).status == "ok");
    CHECK(reports[0].counters.rows_new == 1);

    SQLite::Database db(config.database, SQLite::OPEN_READONLY);
    const auto columns = e2e::column_of_field(db, "wide");
    CHECK(columns.size() == kFields + 2);
    int in_extra = 0;
    for (int i = 0; i < kFields; ++i) {
      const std::string field = "f" + std::to_string(i);
      const std::string& column = columns.at(field);
      const std::string sql =
          column == "_tsync_extra"
              ? "SELECT json_extract(_tsync_extra, '$.\"" + field + "\"') FROM wide"
              : "SELECT " + e2e::quoted(column) + " FROM wide";
      in_extra += column == "_tsync_extra" ? 1 : 0;
      CHECK(db.execAndGet(sql).getInt() == i);
    }
    CHECK(in_extra > 0);
    CHECK(db.execAndGet("SELECT count(*) FROM pragma_table_info('wide')").getInt() <= 2000);
  }

  TEST_CASE("several streams in one run: each its own table, cursor and log") {
    e2e::Scene scene(300);
    auto& [dir, api] = scene;
    const std::string orders = api.add_endpoint(orders_endpoint());
    auto config = streams_config(dir, R"({"name": "user", "url": ")" + api.base_url() + R"("},)" +
                                          with_url(kOrdersStream, orders));
    e2e::RecordingObserver observer;
    auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].stream == "user");
    CHECK(reports[1].stream == "orders");
    CHECK(reports[0].status == "ok");
    CHECK(reports[1].status == "ok");
    CHECK(count(config.database, "SELECT count(*) FROM user") == 300);
    e2e::check_table_equals(config.database, "orders", api.records("/v1/orders"));
    CHECK(count(config.database, "SELECT count(*) FROM _state WHERE last_timestamp IS NOT NULL") ==
          2);
    CHECK(count(config.database, "SELECT count(DISTINCT stream) FROM _sync_log") == 2);
    CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));

    SUBCASE("--stream syncs only the named ones") {
      api.store().mutate(5, 0);
      api.records("/v1/orders").mutate(5, 0);
      reports = tsync::run_streams(config, {"orders"}, observer);
      REQUIRE(reports.size() == 1);
      CHECK(reports[0].stream == "orders");
      CHECK(reports[0].counters.rows_updated == 5);
      CHECK_THROWS_WITH_AS(
          tsync::run_streams(config, {"nope"}, observer),
          "--stream nope: no such stream in the configuration (it has: user, orders)",
          tsync::ConfigError);
    }
    SUBCASE("a stream that fails does not stop the others") {
      config.streams[0].url = api.url("/no/such/endpoint");
      api.records("/v1/orders").mutate(0, 3);
      reports = tsync::run_streams(config, {}, observer);
      REQUIRE(reports.size() == 2);
      CHECK(reports[0].status == "error");
      CHECK(reports[0].exit_code == tsync::kExitError);
      CHECK(reports[0].error.find("HTTP 404") != std::string::npos);
      CHECK(reports[1].status == "ok");
      CHECK(reports[1].counters.rows_new == 3);
      CHECK(count(config.database,
                  "SELECT count(*) FROM _sync_log WHERE stream = 'user' AND status = 'error'") ==
            1);
    }
  }

  TEST_CASE("a misconfigured cursor_field rejects everything and fails loudly") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(orders_endpoint());
    std::string stream = with_url(kOrdersStream, url);
    stream.replace(stream.find("\"updated_at\""), 12, "\"updatedAt\"");
    const auto config = streams_config(dir, stream);
    e2e::RecordingObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].status == "error");
    CHECK(reports[0].exit_code == tsync::kExitError);
    CHECK(reports[0].error ==
          "stored no record and rejected all 150 (the first because: no updatedAt); check the "
          "stream's cursor_field (\"updatedAt\") and primary_key, and see the records in "
          "_rejected");
    CHECK(reports[0].all_rejected_responses == 1);
    CHECK(reports[0].warning.find("every record of 1 response was rejected") == 0);
    CHECK(count(config.database, "SELECT count(*) FROM _rejected WHERE stream = 'orders'") == 150);
    CHECK(count(config.database,
                "SELECT count(*) FROM _sync_log WHERE status = 'error' AND warning IS NOT NULL") ==
          1);
    CHECK(count(config.database,
                "SELECT count(*) FROM _state WHERE stream = 'orders' AND last_timestamp IS NULL") ==
          1);
  }
}
