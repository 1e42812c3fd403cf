// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/timestamp.hpp"
#include "mock/auth.hpp"
#include "mock/endpoint_spec.hpp"
#include "mock/mock_api.hpp"
#include "mock/paging.hpp"
#include "mock/playground.hpp"
#include "mock/record_store.hpp"
#include "mock/user_generator.hpp"
#include "source/http_client.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

using tsync::mock::CursorFormat;
using tsync::mock::EndpointSpec;
using tsync::mock::FieldKind;
using tsync::mock::KeyKind;
using tsync::mock::MockApi;
using tsync::mock::Options;
using tsync::mock::RecordStore;
using tsync::mock::ServedRecord;
using tsync::mock::Tombstone;
using tsync::mock::UserStore;

namespace {

struct Page {
  int status = 0;
  std::string body;
  std::vector<std::string> ids;
  std::vector<std::string> updated;  // updatedAt texts, in served order
};

// GETs the users from the mock with plain httplib, independent of tsync's client.
Page fetch(const MockApi& api, int port, const std::string& since = "") {
  httplib::Client client("127.0.0.1", port);
  std::string path = tsync::mock::kUsersPath;
  if (!since.empty()) {
    path += "?since=";
    tsync::append_url_encoded(path, since);
  }
  const auto result = client.Get(path);
  REQUIRE(result);
  Page page;
  page.status = result->status;
  page.body = result->body;
  if (page.status != 200) return page;
  rapidjson::Document document;
  document.Parse(page.body.c_str(), page.body.size());
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsObject());
  REQUIRE(document.HasMember("data"));
  for (const auto& user : document["data"].GetArray()) {
    REQUIRE(user.IsObject());
    page.ids.emplace_back(user["id"].GetString());
    page.updated.emplace_back(user["updatedAt"].GetString());
  }
  (void)api;
  return page;
}

std::vector<std::string> ids_of(const std::vector<tsync::mock::User>& users) {
  std::vector<std::string> ids;
  for (const auto& u : users) ids.push_back(u.id);
  return ids;
}

tsync::Instant instant(const std::string& text) {
  const auto parsed = tsync::parse_timestamp(text);
  REQUIRE(parsed);
  return *parsed;
}

// One answer of a generic endpoint: the status, the body and, when it is 200,
// the parsed body with `records` pointing at its records array.
struct Answer {
  int status = 0;
  std::string body;
  rapidjson::Document document;
  const rapidjson::Value* records = nullptr;

  std::size_t size() const { return records ? records->Size() : 0; }
  const rapidjson::Value& operator[](std::size_t i) const { return (*records)[i]; }
};

// GETs `path_and_query` and finds the records array at `records_path`.
Answer get(int port, const std::string& path_and_query, const std::string& records_path = "data") {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Get(path_and_query);
  REQUIRE(result);
  Answer answer;
  answer.status = result->status;
  answer.body = result->body;
  if (answer.status != 200) return answer;
  answer.document.Parse(answer.body.c_str(), answer.body.size());
  REQUIRE_FALSE(answer.document.HasParseError());
  const rapidjson::Value* at = &answer.document;
  std::size_t start = 0;
  while (!records_path.empty()) {
    const std::size_t dot = records_path.find('.', start);
    const std::string name = records_path.substr(start, dot - start);
    REQUIRE(at->IsObject());
    REQUIRE(at->HasMember(name.c_str()));
    at = &(*at)[name.c_str()];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  REQUIRE(at->IsArray());
  answer.records = at;
  return answer;
}

std::string query(const std::string& name, const std::string& value) {
  std::string out = name + "=";
  tsync::append_url_encoded(out, value);
  return out;
}

// The served records' texts joined as a JSON array's elements.
std::string joined(const std::vector<ServedRecord>& records) {
  std::string out;
  for (const auto& r : records) out += (out.empty() ? "" : ",") + r.json;
  return out;
}

// A spec of `records` records at /v1/things with every kind of extra field.
EndpointSpec every_kind_spec(std::size_t records) {
  EndpointSpec spec;
  spec.path = "/v1/things";
  spec.records = records;
  spec.seed = 11;
  spec.schema.fields = {
      {"s", FieldKind::String}, {"i", FieldKind::Integer}, {"big", FieldKind::BigInteger},
      {"f", FieldKind::Float},  {"b", FieldKind::Bool},    {"nothing", FieldKind::Null},
      {"o", FieldKind::Object}, {"a", FieldKind::Array},   {"ns", FieldKind::NumericString}};
  return spec;
}

std::string member_text(const rapidjson::Value& record, const char* name) {
  REQUIRE(record.HasMember(name));
  const auto& v = record[name];
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  FAIL("not a string or integer");
  return {};
}

}  // namespace

TEST_SUITE("mock_api") {
  TEST_CASE("the same seed gives the same users, another seed gives others") {
    UserStore a(500, 42), b(500, 42), c(500, 43);
    const auto users = a.snapshot();
    REQUIRE(users.size() == 500);
    CHECK(ids_of(users) == ids_of(b.snapshot()));
    CHECK(ids_of(users) != ids_of(c.snapshot()));
    std::set<std::string> distinct;
    std::size_t ties = 0;
    for (std::size_t i = 0; i < users.size(); ++i) {
      const auto& u = users[i];
      distinct.insert(u.id);
      CHECK_FALSE(u.name.empty());
      CHECK(u.email.find('@') != std::string::npos);
      CHECK(instant(u.createdAt) <= instant(u.updatedAt));
      CHECK(instant(u.updatedAt) == u.updated);
      if (i > 0) {
        CHECK(std::make_pair(users[i - 1].updated, users[i - 1].id) <
              std::make_pair(u.updated, u.id));
        if (users[i - 1].updated == u.updated) ++ties;
      }
    }
    CHECK(distinct.size() == 500);
    // About one user in 20 shares its predecessor's updatedAt.
    CHECK(ties >= 5);
    CHECK(ties <= 60);
  }

  TEST_CASE("timestamp styles describe the same moments in different text") {
    UserStore utc(100, 7, tsync::mock::TimestampStyle::Utc);
    UserStore offset(100, 7, tsync::mock::TimestampStyle::Offset);
    UserStore fractional(100, 7, tsync::mock::TimestampStyle::Fractional);
    const auto u = utc.snapshot(), o = offset.snapshot(), f = fractional.snapshot();
    REQUIRE(u.size() == o.size());
    bool any_offset = false, any_fraction = false;
    for (std::size_t i = 0; i < u.size(); ++i) {
      CHECK(u[i].id == o[i].id);
      CHECK(u[i].updated == o[i].updated);
      CHECK(u[i].updatedAt.back() == 'Z');
      any_offset = any_offset || o[i].updatedAt.back() != 'Z';
      any_fraction = any_fraction || f[i].updatedAt.find('.') != std::string::npos;
    }
    CHECK(any_offset);
    CHECK(any_fraction);
  }

  TEST_CASE("mutate moves updated users past every timestamp and adds new ones") {
    UserStore store(200, 3);
    const auto before = store.snapshot();
    const tsync::Instant newest = before.back().updated;
    store.mutate(10, 5);
    const auto after = store.snapshot();
    CHECK(store.size() == 205);
    REQUIRE(after.size() == 205);
    std::size_t newer = 0;
    const auto before_ids = ids_of(before);
    const std::set<std::string> old_ids(before_ids.begin(), before_ids.end());
    std::size_t added = 0;
    for (const auto& u : after) {
      if (u.updated > newest) ++newer;
      if (!old_ids.count(u.id)) {
        ++added;
        CHECK(u.createdAt == u.updatedAt);
      }
    }
    CHECK(newer == 15);
    CHECK(added == 5);
    // The same calls on the same seed give the same changes.
    UserStore twin(200, 3);
    twin.mutate(10, 5);
    CHECK(ids_of(twin.snapshot()) == ids_of(after));
  }

  TEST_CASE("JSON strings are escaped so that any text survives") {
    std::string out;
    tsync::mock::append_json_string(out, std::string("a\"b\\c\n\t\x01\xc3\xa9", 10));
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\"");
  }

  TEST_CASE("the server serves every user in order and honours since") {
    Options options;
    options.users = 300;
    MockApi api(options);
    const int port = api.start();
    CHECK(api.base_url() == "http://127.0.0.1:" + std::to_string(port) + "/incremental/timestamp");
    const auto users = api.store().snapshot();

    const auto all = fetch(api, port);
    CHECK(all.status == 200);
    CHECK(all.ids == ids_of(users));

    const auto& middle = users[150];
    const auto after = fetch(api, port, middle.updatedAt);
    REQUIRE_FALSE(after.ids.empty());
    for (const auto& text : after.updated) CHECK(instant(text) > middle.updated);
    const auto expected = static_cast<std::size_t>(std::count_if(
        users.begin(), users.end(), [&](const auto& u) { return u.updated > middle.updated; }));
    CHECK(after.ids.size() == expected);

    const auto none = fetch(api, port, users.back().updatedAt);
    CHECK(none.ids.empty());
    CHECK(none.body == R"({"data":[]})");

    const auto bad = fetch(api, port, "last tuesday");
    CHECK(bad.status == 400);
    CHECK(bad.body.find("since is not an ISO 8601 timestamp: \\\"last tuesday\\\"") !=
          std::string::npos);

    const auto log = api.since_log();
    REQUIRE(log.size() == 4);
    CHECK(log[0].empty());
    CHECK(log[1] == middle.updatedAt);
    CHECK(log[3] == "last tuesday");
    CHECK(api.request_count() == 4);
  }

  TEST_CASE("inclusive and ignored since, paging and shuffling behave as configured") {
    Options options;
    options.users = 400;
    MockApi api(options);
    const int port = api.start();
    const auto users = api.store().snapshot();
    const auto& pivot = users[200];

    SUBCASE("inclusive") {
      options.since_mode = tsync::mock::SinceMode::Inclusive;
      api.set_options(options);
      const auto page = fetch(api, port, pivot.updatedAt);
      REQUIRE_FALSE(page.updated.empty());
      CHECK(instant(page.updated.front()) == pivot.updated);
    }
    SUBCASE("ignored") {
      options.since_mode = tsync::mock::SinceMode::Ignored;
      api.set_options(options);
      CHECK(fetch(api, port, pivot.updatedAt).ids.size() == 400);
    }
    SUBCASE("paged, never splitting an instant") {
      options.page_size = 7;
      api.set_options(options);
      std::vector<std::string> seen;
      std::string since;
      for (int guard = 0; guard < 200; ++guard) {
        const auto page = fetch(api, port, since);
        if (page.ids.empty()) break;
        if (seen.size() + page.ids.size() < users.size()) CHECK(page.ids.size() >= 7);
        const auto last = instant(page.updated.back());
        // Whatever follows the page is strictly newer than its last record.
        if (page.ids.size() > 7) CHECK(instant(page.updated[6]) == last);
        seen.insert(seen.end(), page.ids.begin(), page.ids.end());
        since = page.updated.back();
      }
      CHECK(seen == ids_of(users));
    }
    SUBCASE("unsorted") {
      options.unsorted = true;
      api.set_options(options);
      const auto page = fetch(api, port);
      CHECK(page.ids != ids_of(users));
      auto sorted = page.ids, expected = ids_of(users);
      std::sort(sorted.begin(), sorted.end());
      std::sort(expected.begin(), expected.end());
      CHECK(sorted == expected);
    }
  }

  TEST_CASE("queued faults are served in order, then normal answers resume") {
    Options options;
    options.users = 20;
    MockApi api(options);
    const int port = api.start();
    tsync::mock::Fault busy;
    busy.status = 503;
    busy.retry_after = "3";
    api.push_fault(busy);
    tsync::mock::Fault raw;
    raw.kind = tsync::mock::Fault::Kind::RawBody;
    raw.status = 200;
    raw.content_type = "text/html";
    raw.body = "<html>maintenance</html>";
    api.push_fault(raw);
    tsync::mock::Fault truncated;
    truncated.kind = tsync::mock::Fault::Kind::TruncateBody;
    truncated.after_bytes = 100;
    api.push_fault(truncated);

    httplib::Client client("127.0.0.1", port);
    const auto first = client.Get(tsync::mock::kUsersPath);
    REQUIRE(first);
    CHECK(first->status == 503);
    CHECK(first->get_header_value("Retry-After") == "3");
    const auto second = client.Get(tsync::mock::kUsersPath);
    REQUIRE(second);
    CHECK(second->body == "<html>maintenance</html>");
    CHECK(second->get_header_value("Content-Type") == "text/html");
    std::string received;
    const auto third = client.Get(tsync::mock::kUsersPath, [&](const char* data, std::size_t n) {
      received.append(data, n);
      return true;
    });
    CHECK_FALSE(third);  // the connection closed before Content-Length bytes came
    CHECK(received.size() == 100);
    CHECK(fetch(api, port).ids.size() == 20);
  }

  TEST_CASE("admin endpoints mutate the store and report counts") {
    Options options;
    options.users = 50;
    MockApi api(options);
    const int port = api.start();
    httplib::Client client("127.0.0.1", port);
    const auto stats = client.Get("/admin/stats");
    REQUIRE(stats);
    CHECK(stats->body == R"({"users":50,"requests":0})");
    const auto mutated = client.Post("/admin/mutate?update=5&add=3", "", "text/plain");
    REQUIRE(mutated);
    CHECK(mutated->body == R"({"users":53,"requests":0})");
    const auto bad = client.Post("/admin/mutate?update=five&add=3", "", "text/plain");
    REQUIRE(bad);
    CHECK(bad->status == 400);
    CHECK(bad->body.find("update and add must be whole numbers") != std::string::npos);
  }

  TEST_CASE("two servers cannot share a port, and the error says so") {
    MockApi first;
    const int port = first.start();
    MockApi second;
    CHECK_THROWS_WITH(second.start(port), ("cannot listen on 127.0.0.1:" + std::to_string(port) +
                                           " (is another server using it?)")
                                              .c_str());
  }

  TEST_CASE("tsync-mock-api serves until SIGTERM and reports its requests") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "25", "--port", "0", "--page-size", "10"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 25 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    httplib::Client client("127.0.0.1", port);
    const auto page = client.Get(tsync::mock::kUsersPath);
    REQUIRE(page);
    CHECK(page->status == 200);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 1 request\n") != std::string::npos);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--since-mode", "sometimes"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--since-mode") != std::string::npos);
  }

  TEST_CASE("a generic endpoint serves its records exactly at each records path") {
    const std::map<std::string, std::pair<std::string, std::string>> shapes{
        {"data", {R"({"data":[)", "]}"}},
        {"results", {R"({"results":[)", "]}"}},
        {"result.items", {R"({"result":{"items":[)", "]}}"}},
        {"", {"[", "]"}}};
    for (const auto& [records_path, framing] : shapes) {
      CAPTURE(records_path);
      MockApi api;
      const int port = api.start();
      EndpointSpec spec = every_kind_spec(40);
      spec.records_path = records_path;
      CHECK(api.add_endpoint(spec) == "http://127.0.0.1:" + std::to_string(port) + "/v1/things");
      const auto served = api.records("/v1/things").snapshot();
      REQUIRE(served.size() == 40);
      const Answer all = get(port, "/v1/things", records_path);
      CHECK(all.status == 200);
      CHECK(all.body == framing.first + joined(served) + framing.second);
      CHECK(all.size() == 40);
      const Answer none = get(port, "/v1/things?since=" + served.back().cursor, records_path);
      CHECK(none.body == framing.first + framing.second);
    }
  }

  TEST_CASE("each cursor format is served in its own form and filters since exclusively") {
    const std::vector<CursorFormat> formats{CursorFormat::Iso8601, CursorFormat::UnixSeconds,
                                            CursorFormat::UnixMillis};
    for (const CursorFormat format : formats) {
      CAPTURE(tsync::cursor_format_name(format));
      MockApi api;
      const int port = api.start();
      api.add_endpoint(tsync::mock::parse_endpoint_spec(
          "path=/v1/orders,records=500,key=integer,cursor_field=updated_at,since_param="
          "updated_since,cursor_format=" +
          std::string(tsync::cursor_format_name(format))));
      const auto served = api.records("/v1/orders").snapshot();
      std::size_t ties = 0;
      for (std::size_t i = 0; i < served.size(); ++i) {
        CHECK(tsync::parse_cursor(format, served[i].cursor) == served[i].updated);
        CHECK(tsync::mock::served_cursor_text(served[i].updated, format) == served[i].cursor);
        if (i > 0) {
          CHECK(served[i - 1].updated <= served[i].updated);
          if (served[i - 1].updated == served[i].updated) ++ties;
        }
      }
      CHECK(ties >= 5);  // ties test that since is exclusive of a whole instant

      const Answer all = get(port, "/v1/orders");
      REQUIRE(all.size() == 500);
      const auto& cursor = all[0]["updated_at"];
      if (format == CursorFormat::Iso8601) {
        REQUIRE(cursor.IsString());
        CHECK(std::string(cursor.GetString()).size() == 24);  // 2024-01-15T10:30:00.123Z
      } else {
        REQUIRE(cursor.IsInt64());
        CHECK(std::to_string(cursor.GetInt64()) == served[0].cursor);
        CHECK(served[0].cursor.size() == (format == CursorFormat::UnixMillis ? 13u : 10u));
      }

      const auto& pivot = served[250];
      const Answer after = get(port, "/v1/orders?" + query("updated_since", pivot.cursor));
      const auto expected = static_cast<std::size_t>(std::count_if(
          served.begin(), served.end(), [&](const auto& r) { return r.updated > pivot.updated; }));
      CHECK(after.size() == expected);
      REQUIRE(after.size() > 0);
      CHECK(member_text(after[0], "updated_at") != pivot.cursor);
      CHECK(member_text(after[0], "id") == served[served.size() - expected].id);

      // `since` is not this endpoint's parameter: it is ignored like any other.
      CHECK(get(port, "/v1/orders?" + query("since", pivot.cursor)).size() == 500);
      const Answer bad = get(port, "/v1/orders?updated_since=yesterday");
      CHECK(bad.status == 400);
      const std::string expected_error = format == CursorFormat::Iso8601 ? "an ISO 8601 timestamp"
                                         : format == CursorFormat::UnixSeconds
                                             ? "a unix time in seconds"
                                             : "a unix time in milliseconds";
      CHECK(bad.body ==
            R"({"error":"updated_since is not )" + expected_error + R"(: \"yesterday\""})");
      CHECK(api.since_log("/v1/orders") ==
            std::vector<std::string>{"", pivot.cursor, "", "yesterday"});
    }
  }

  TEST_CASE("required parameters: missing or wrong values get 400 naming them") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=10,require=api_version:2;tenant:acme co"));
    const Answer missing = get(port, "/v1/orders?api_version=2");
    CHECK(missing.status == 400);
    CHECK(missing.body == R"({"error":"missing required parameter tenant=acme co"})");
    const Answer wrong = get(port, "/v1/orders?api_version=3&tenant=acme%20co");
    CHECK(wrong.status == 400);
    CHECK(wrong.body == R"({"error":"parameter api_version must be \"2\", not \"3\""})");
    CHECK(get(port, "/v1/orders?api_version=2&tenant=acme%20co").size() == 10);
  }

  TEST_CASE("keys: UUID-like strings, integers, and composite keys unique only together") {
    MockApi api;
    const int port = api.start();
    for (const KeyKind key : {KeyKind::Uuid, KeyKind::Integer, KeyKind::Composite}) {
      EndpointSpec spec;
      spec.path = "/v1/" + std::string(tsync::mock::key_kind_name(key));
      spec.records = 200;
      spec.schema.key = key;
      api.add_endpoint(spec);
      const Answer all = get(port, spec.path);
      REQUIRE(all.size() == 200);
      const auto served = api.records(spec.path).snapshot();
      std::set<std::string> ids;
      std::set<std::pair<std::int64_t, std::int64_t>> pairs;
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto& r = all[i];
        CHECK(member_text(r, "id") == served[i].id);
        if (key == KeyKind::Uuid) {
          REQUIRE(r["id"].IsString());
          CHECK(r["id"].GetStringLength() == 36);
          CHECK_FALSE(served[i].account_id);
        } else {
          REQUIRE(r["id"].IsInt64());
          CHECK(r["id"].GetInt64() >= 1);
        }
        if (key == KeyKind::Composite) {
          REQUIRE(r["account_id"].IsInt64());
          REQUIRE(served[i].account_id);
          CHECK(*served[i].account_id == r["account_id"].GetInt64());
          pairs.emplace(r["account_id"].GetInt64(), r["id"].GetInt64());
          CHECK(std::string(r.MemberBegin()->name.GetString()) == "account_id");
        } else {
          CHECK_FALSE(r.HasMember("account_id"));
        }
        ids.insert(member_text(r, "id"));
      }
      if (key == KeyKind::Composite) {
        CHECK(pairs.size() == 200);
        CHECK(ids.size() < 200);
      } else {
        CHECK(ids.size() == 200);
      }
    }
  }

  TEST_CASE("every kind of extra field is rendered as its JSON type") {
    RecordStore store(every_kind_spec(400).schema, 400, 11);
    const auto served = store.snapshot();
    std::set<std::string> numeric_strings;
    std::size_t near_limits = 0, empty_arrays = 0, exponents = 0, tricky = 0, negative_big = 0;
    for (const auto& record : served) {
      rapidjson::Document d;
      d.Parse(record.json.c_str(), record.json.size());
      REQUIRE_FALSE(d.HasParseError());
      REQUIRE(d.IsObject());
      // Keys in order: id, the fields as declared, the cursor.
      std::vector<std::string> names;
      for (const auto& m : d.GetObject()) names.emplace_back(m.name.GetString());
      CHECK(names == std::vector<std::string>{"id", "s", "i", "big", "f", "b", "nothing", "o", "a",
                                              "ns", "updatedAt"});
      CHECK(d["s"].IsString());
      const std::string s = d["s"].GetString();
      if (s.find_first_of("\"\\\n\t") != std::string::npos) ++tricky;
      REQUIRE(d["i"].IsInt64());
      if (d["i"].GetInt64() > 9'000'000'000'000'000'000 ||
          d["i"].GetInt64() < -9'000'000'000'000'000'000)
        ++near_limits;
      // Beyond 64 bits: RapidJSON can only read it as a double.
      CHECK(d["big"].IsDouble());
      CHECK_FALSE(d["big"].IsInt64());
      CHECK_FALSE(d["big"].IsUint64());
      const auto big_at = record.json.find(R"("big":)") + 6;
      const auto big_end = record.json.find(',', big_at);
      std::string big = record.json.substr(big_at, big_end - big_at);
      if (big.front() == '-') {
        ++negative_big;
        big.erase(0, 1);
      }
      CHECK(big.size() >= 21);
      CHECK(big.find_first_not_of("0123456789") == std::string::npos);
      CHECK(d["f"].IsDouble());
      const auto f_at = record.json.find(R"("f":)") + 4;
      const std::string f = record.json.substr(f_at, record.json.find(',', f_at) - f_at);
      CHECK(f.find_first_of(".eE") != std::string::npos);
      if (f.find_first_of("eE") != std::string::npos) ++exponents;
      CHECK(d["b"].IsBool());
      CHECK(d["nothing"].IsNull());
      REQUIRE(d["o"].IsObject());
      CHECK(d["o"]["geo"].IsObject());
      CHECK(d["o"]["tags"].IsArray());
      REQUIRE(d["a"].IsArray());
      if (d["a"].Empty()) ++empty_arrays;
      REQUIRE(d["ns"].IsString());
      numeric_strings.insert(d["ns"].GetString());
      CHECK(d["updatedAt"].IsString());
    }
    CHECK(near_limits > 20);
    CHECK(empty_arrays > 20);
    CHECK(exponents > 20);
    CHECK(tricky > 5);
    CHECK(negative_big > 20);
    for (const char* text : {"05", "1e3", "  7", "-0", "007", "1.50"})
      CHECK(numeric_strings.count(text) == 1);
  }

  TEST_CASE("a field added between two reads appears on the records that change after it") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=100,key=integer,fields=amount:float"));
    RecordStore& store = api.records("/v1/orders");
    const auto first = store.snapshot();
    store.add_field({"color", FieldKind::String});
    store.add_field({"a\"b", FieldKind::Integer});
    CHECK_THROWS_WITH(store.add_field({"color", FieldKind::Bool}),
                      R"(field name already in use: "color")");
    CHECK_THROWS_WITH(store.add_field({"updatedAt", FieldKind::Bool}),
                      R"(field name already in use: "updatedAt")");
    CHECK(store.schema().fields.size() == 3);
    // Nothing changed yet: the same records, byte for byte.
    CHECK(get(port, "/v1/orders").body == R"({"data":[)" + joined(first) + "]}");

    store.mutate(3, 2);
    const Answer changed = get(port, "/v1/orders?" + query("since", first.back().cursor));
    REQUIRE(changed.size() == 5);
    for (std::size_t i = 0; i < changed.size(); ++i) {
      CHECK(changed[i]["color"].IsString());
      CHECK(changed[i]["a\"b"].IsInt64());
      CHECK(changed[i]["amount"].IsDouble());
    }
    const Answer all = get(port, "/v1/orders");
    REQUIRE(all.size() == 102);
    std::size_t with_color = 0;
    for (std::size_t i = 0; i < all.size(); ++i) with_color += all[i].HasMember("color") ? 1 : 0;
    CHECK(with_color == 5);
    CHECK(all.body.find(R"("a\"b":)") != std::string::npos);
  }

  TEST_CASE("raw records with hostile field names are served verbatim at their position") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/"
        "orders,records=20,key=integer,cursor_field=updated_at,cursor_format=unix_millis"));
    RecordStore& store = api.records("/v1/orders");
    const auto before = store.snapshot();
    const std::string hostile =
        R"({"id":999,"a\"b":1,"[x]":2,"`t`":3,"; DROP TABLE x; --":4,"select":5,)"
        R"("Name":"upper","name":"lower","":"empty","Zoë 東京":"unicode",)"
        R"("updated_at":)" +
        before[10].cursor + "}";
    store.add_raw(hostile, before[10].updated);
    const auto after = store.snapshot();
    REQUIRE(after.size() == 21);
    CHECK(store.size() == 20);
    // After the records of its instant, before every later one.
    std::size_t at = 0;
    while (!after[at].raw) ++at;
    CHECK(after[at].json == hostile);
    CHECK(after[at].updated == before[10].updated);
    CHECK(after[at - 1].updated <= before[10].updated);
    CHECK(after[at + 1].updated > before[10].updated);
    const Answer all = get(port, "/v1/orders");
    CHECK(all.body.find("," + hostile + ",") != std::string::npos);
    CHECK(all[at].HasMember(""));
    CHECK(all[at].HasMember("; DROP TABLE x; --"));
    CHECK(get(port, "/v1/orders?since=" + before[10].cursor).body.find(hostile) ==
          std::string::npos);

    // The same over HTTP, positioned after everything by default.
    httplib::Client client("127.0.0.1", port);
    const auto added =
        client.Post("/admin/add_raw?endpoint=/v1/orders", R"({"id":"x"})", "application/json");
    REQUIRE(added);
    CHECK(added->status == 200);
    const auto last = store.snapshot().back();
    CHECK(last.raw);
    CHECK(last.json == R"({"id":"x"})");
    CHECK(last.updated.seconds == after.back().updated.seconds + 1);
  }

  TEST_CASE("generic records are deterministic from the seed and the calls") {
    const auto schema = every_kind_spec(0).schema;
    RecordStore a(schema, 300, 5), b(schema, 300, 5), c(schema, 300, 6);
    CHECK(joined(a.snapshot()) == joined(b.snapshot()));
    CHECK(joined(a.snapshot()) != joined(c.snapshot()));
    for (RecordStore* store : {&a, &b}) {
      store->add_field({"extra", FieldKind::Object});
      store->mutate(30, 10);
      store->mutate(300, 0);
    }
    CHECK(a.size() == 310);
    CHECK(joined(a.snapshot()) == joined(b.snapshot()));
  }

  TEST_CASE("generic endpoints page, shuffle and take faults like the users endpoint") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v2/items,records=300,records_path=result.items,key=composite,"
        "cursor_format=unix_seconds"));
    const auto served = api.records("/v2/items").snapshot();

    SUBCASE("paged, never splitting an instant") {
      tsync::mock::ServingOptions serving;
      serving.page_size = 9;
      api.set_serving("/v2/items", serving);
      std::vector<std::string> seen;
      std::string since = "0";
      for (int guard = 0; guard < 100; ++guard) {
        const Answer page = get(port, "/v2/items?since=" + since, "result.items");
        if (page.size() == 0) break;
        CHECK(page.size() >= std::min<std::size_t>(9, served.size() - seen.size()));
        for (std::size_t i = 0; i < page.size(); ++i)
          seen.push_back(member_text(page[i], "account_id") + "/" + member_text(page[i], "id"));
        since = member_text(page[page.size() - 1], "updatedAt");
      }
      std::vector<std::string> expected;
      for (const auto& r : served) expected.push_back(std::to_string(*r.account_id) + "/" + r.id);
      CHECK(seen == expected);
    }
    SUBCASE("unsorted") {
      tsync::mock::ServingOptions serving;
      serving.unsorted = true;
      api.set_serving("/v2/items", serving);
      const Answer all = get(port, "/v2/items", "result.items");
      REQUIRE(all.size() == 300);
      CHECK(all.body != R"({"result":{"items":[)" + joined(served) + "]}}");
    }
    SUBCASE("faults") {
      tsync::mock::Fault busy;
      busy.status = 429;
      busy.retry_after = "1";
      api.push_fault(busy);
      const Answer refused = get(port, "/v2/items");
      CHECK(refused.status == 429);
      CHECK(get(port, "/v2/items", "result.items").size() == 300);
      CHECK(api.request_count() == 2);
    }
    CHECK(get(port, "/v2/nothing").status == 404);
  }

  TEST_CASE("admin requests mutate, grow and describe a generic endpoint") {
    MockApi api;
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec("path=/v1/orders,records=50"));
    httplib::Client client("127.0.0.1", port);
    const auto post = [&](const std::string& path) {
      const auto result = client.Post(path, "", "text/plain");
      REQUIRE(result);
      return std::make_pair(result->status, result->body);
    };
    CHECK(post("/admin/mutate?endpoint=/v1/orders&update=5&add=3") ==
          std::make_pair(200, std::string(R"({"records":53,"fields":0,"requests":0})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=qty&kind=integer") ==
          std::make_pair(200, std::string(R"({"records":53,"fields":1,"requests":0})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=qty&kind=integer") ==
          std::make_pair(400, std::string(R"({"error":"field name already in use: \"qty\""})")));
    CHECK(post("/admin/add_field?endpoint=/v1/orders&name=x&kind=decimal").first == 400);
    CHECK(post("/admin/mutate?endpoint=/v1/none&update=1") ==
          std::make_pair(404, std::string(R"({"error":"no endpoint at \"/v1/none\""})")));
    CHECK(post("/admin/mutate?update=1&add=1").second == R"({"users":1001,"requests":0})");
    get(port, "/v1/orders");
    const auto stats = client.Get("/admin/stats?endpoint=/v1/orders");
    REQUIRE(stats);
    CHECK(stats->body == R"({"records":53,"fields":1,"requests":1})");
    post("/admin/mutate?endpoint=/v1/orders&update=0&add=1");
    const Answer all = get(port, "/v1/orders");
    CHECK(all[all.size() - 1].HasMember("qty"));
  }

  TEST_CASE("endpoint specs are read from the command-line form, and mistakes named") {
    const EndpointSpec spec = tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=1000,seed=9,key=composite,cursor_field=updated_at,"
        "cursor_format=unix_millis,since_param=updated_since,records_path=results,"
        "require=api_version:2;tenant:a:b,fields=amount:float;qty:integer;tags:array,"
        "page_size=50,since_mode=inclusive,unsorted=true,rate=1000");
    CHECK(spec.path == "/v1/orders");
    CHECK(spec.records == 1000);
    CHECK(spec.seed == 9);
    CHECK(spec.schema.key == KeyKind::Composite);
    CHECK(spec.schema.cursor_field == "updated_at");
    CHECK(spec.schema.cursor_format == CursorFormat::UnixMillis);
    CHECK(spec.since_param == "updated_since");
    CHECK(spec.records_path == "results");
    CHECK(spec.required_params ==
          std::map<std::string, std::string>{{"api_version", "2"}, {"tenant", "a:b"}});
    REQUIRE(spec.schema.fields.size() == 3);
    CHECK(spec.schema.fields[0].name == "amount");
    CHECK(spec.schema.fields[0].kind == FieldKind::Float);
    CHECK(spec.schema.fields[2].kind == FieldKind::Array);
    CHECK(spec.serving.page_size == 50);
    CHECK(spec.serving.since_mode == tsync::mock::SinceMode::Inclusive);
    CHECK(spec.serving.unsorted);
    CHECK(spec.serving.rate_limit_bytes_per_second == 1000);
    CHECK(tsync::mock::parse_endpoint_spec("path=/x,records_path=").records_path.empty());

    using tsync::mock::parse_endpoint_spec;
    CHECK_THROWS_WITH(parse_endpoint_spec(""), "empty endpoint spec (needs at least path=/...)");
    CHECK_THROWS_WITH(parse_endpoint_spec("records=5"), "path: missing (e.g. path=/v1/orders)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=orders"),
                      R"(path: "orders" is not a path such as /v1/orders)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/admin/x"),
                      R"(path: "/admin/x" is taken by the users or admin endpoints)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records=many"),
                      R"(records: "many" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,key=guid"),
                      R"(key: "guid" is not uuid, integer or composite)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,cursor_format=epoch"),
                      R"(cursor_format: "epoch" is not iso8601, unix_seconds or unix_millis)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,fields=amount"),
                      R"(fields: "amount" is not name:value)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,fields=amount:decimal"),
                      R"(fields: unknown kind "decimal" (string, integer, bigint, float, bool, )"
                      R"(null, object, array, numeric_string))");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records_path=a..b"),
                      R"(records_path: "a..b" has an empty name)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,colour=red"),
                      R"(unknown key "colour" (see --help for the keys of --endpoint))");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,unsorted"), R"("unsorted" is not key=value)");

    MockApi api;
    api.add_endpoint(parse_endpoint_spec("path=/x"));
    CHECK_THROWS_WITH(api.add_endpoint(parse_endpoint_spec("path=/x")),
                      R"(path: "/x" is already served)");
    CHECK_THROWS_WITH(api.add_endpoint(parse_endpoint_spec("path=/y,fields=id:string")),
                      R"(field name already in use: "id")");
    CHECK_THROWS_AS(api.records("/y"), std::out_of_range);
  }

  TEST_CASE("tsync-mock-api serves each --endpoint and refuses a bad one") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "5", "--port", "0", "--endpoint",
                       "path=/v1/orders,records=30,key=integer,cursor_format=unix_millis,"
                       "since_param=updated_since,records_path=results,require=api_version:2",
                       "--endpoint", "path=/v2/items,records=7,records_path="});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 5 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() == "tsync-mock-api: serving 30 records at " + base + "/v1/orders");
    CHECK(child.read_line() == "tsync-mock-api: serving 7 records at " + base + "/v2/items");
    CHECK(get(port, "/v1/orders?api_version=2", "results").size() == 30);
    CHECK(get(port, "/v1/orders?api_version=2&updated_since=0", "results").size() == 30);
    CHECK(get(port, "/v1/orders").status == 400);
    CHECK(get(port, "/v2/items", "").size() == 7);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 4 requests") != std::string::npos);

    const auto refused =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--endpoint", "path=/v1/orders,key=guid"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err ==
          "tsync-mock-api: error: --endpoint \"path=/v1/orders,key=guid\": key: \"guid\" is not "
          "uuid, integer or composite\n");
  }

  TEST_CASE("remove without a tombstone: the records are no longer served anywhere") {
    SUBCASE("users") {
      Options options;
      options.users = 60;
      MockApi api(options);
      const int port = api.start();
      UserStore& store = api.store();
      const auto before = ids_of(store.snapshot());
      const std::vector<std::string> removed = store.remove(10);
      REQUIRE(removed.size() == 10);
      const std::set<std::string> gone(removed.begin(), removed.end());
      CHECK(gone.size() == 10);
      for (const auto& id : removed)
        CHECK(std::find(before.begin(), before.end(), id) != before.end());
      CHECK(store.size() == 50);
      const auto after = ids_of(store.snapshot());
      CHECK(after.size() == 50);
      const Page page = fetch(api, port);
      CHECK(page.ids == after);
      for (const auto& id : page.ids) CHECK(gone.count(id) == 0);
      // A change never brings a removed user back; removing more than are left
      // removes the rest.
      store.mutate(1000, 0);
      CHECK(store.size() == 50);
      for (const auto& u : store.snapshot()) CHECK(gone.count(u.id) == 0);
      CHECK(store.remove(1000).size() == 50);
      CHECK(store.size() == 0);
      CHECK(fetch(api, port).ids.empty());
    }
    SUBCASE("generic records, composite keys") {
      tsync::mock::RecordSchema schema;
      schema.key = KeyKind::Composite;
      RecordStore records(schema, 70, 4);
      const auto before = records.snapshot();
      const std::vector<std::string> removed = records.remove(7);
      REQUIRE(removed.size() == 7);
      std::set<std::string> known;
      for (const auto& r : before) known.insert(std::to_string(*r.account_id) + "/" + r.id);
      for (const auto& id : removed) CHECK(known.count(id) == 1);
      CHECK(records.size() == 63);
      const auto after = records.snapshot();
      CHECK(after.size() == 63);
      CHECK(records.catalog()->size() == 63);
      for (const auto& r : after) {
        CHECK_FALSE(r.tombstone);
        CHECK(std::count(removed.begin(), removed.end(),
                         std::to_string(*r.account_id) + "/" + r.id) == 0);
      }
      CHECK(records.latest() == before.back().updated);
    }
  }

  TEST_CASE("users removed with a tombstone are served after every cursor so far, exactly") {
    Options options;
    options.users = 40;
    options.seed = 8;
    options.style = tsync::mock::TimestampStyle::Fractional;
    MockApi api(options);
    const int port = api.start();
    UserStore& store = api.store();
    const auto before = store.snapshot();
    const std::string newest = before.back().updatedAt;
    const auto user = [&](const std::string& id) {
      const auto it = std::find_if(before.begin(), before.end(),
                                   [&](const tsync::mock::User& u) { return u.id == id; });
      REQUIRE(it != before.end());
      return *it;
    };

    SUBCASE("flag") {
      const auto removed = store.remove(3, Tombstone::Flag);
      const Page page = fetch(api, port, newest);
      CHECK(page.ids == removed);
      std::string expected;
      for (std::size_t k = 0; k < removed.size(); ++k) {
        CHECK(instant(page.updated[k]) > instant(newest));
        expected += (k ? "," : "") + std::string(R"({"id":")") + removed[k] + R"(","updatedAt":")" +
                    page.updated[k] + R"(","deleted":true})";
      }
      CHECK(page.body == "{\"data\":[" + expected + "]}");
    }
    SUBCASE("at") {
      const auto removed = store.remove(3, Tombstone::At);
      const Page page = fetch(api, port, newest);
      CHECK(page.ids == removed);
      std::string expected;
      for (std::size_t k = 0; k < removed.size(); ++k) {
        CHECK(instant(page.updated[k]) > instant(newest));
        tsync::mock::User u = user(removed[k]);
        u.updatedAt = page.updated[k];
        std::string text = tsync::mock::render_user(u);
        text.pop_back();
        text += R"(,"deletedAt":")" + page.updated[k] + "\"}";
        expected += (k ? "," : "") + text;
      }
      CHECK(page.body == "{\"data\":[" + expected + "]}");
    }
    // Tombstones are not users: neither snapshot() nor size() counts them, and
    // the full listing serves them after the users.
    CHECK(store.size() == 37);
    CHECK(store.snapshot().size() == 37);
    const Page all = fetch(api, port);
    REQUIRE(all.ids.size() == 40);
    CHECK(std::is_sorted(
        all.updated.begin(), all.updated.end(),
        [](const std::string& a, const std::string& b) { return instant(a) < instant(b); }));
  }

  TEST_CASE("the Offset style writes deletedAt in UTC") {
    UserStore store(20, 2, tsync::mock::TimestampStyle::Offset);
    const auto removed = store.remove(1, Tombstone::At);
    const auto catalog = store.catalog();
    const std::string text(catalog->text(catalog->size() - 1));
    CHECK(text.find(removed[0]) != std::string::npos);
    char utc[tsync::kNormalisedWidth];
    tsync::format_utc(catalog->slot(catalog->size() - 1).updated, utc);
    CHECK(text.ends_with(R"(,"deletedAt":")" + std::string(utc, 19) + "Z\"}"));
  }

  TEST_CASE("generic records removed with a tombstone are served exactly, after every cursor") {
    EndpointSpec spec;
    spec.path = "/v1/orders";
    spec.records = 50;
    spec.seed = 9;
    spec.schema.key = KeyKind::Composite;
    spec.schema.cursor_field = "modified";
    spec.schema.cursor_format = CursorFormat::UnixMillis;
    spec.schema.fields = {{"amount", FieldKind::Float}, {"tags", FieldKind::Array}};
    MockApi api;
    const int port = api.start();
    api.add_endpoint(spec);
    RecordStore& store = api.records("/v1/orders");
    const auto before = store.snapshot();
    const tsync::Instant latest = store.latest();
    const std::string since = "/v1/orders?" + query("since", tsync::mock::served_cursor_text(
                                                                 latest, CursorFormat::UnixMillis));
    const auto previous = [&](const std::string& key) {
      for (const auto& r : before)
        if (std::to_string(*r.account_id) + "/" + r.id == key) return r;
      FAIL("no record " << key);
      return ServedRecord{};
    };

    // The exact text of the tombstone `t` of the record `key`, removed as `how`.
    const auto expected = [&](Tombstone how, const ServedRecord& t, const std::string& key) {
      if (how == Tombstone::Flag)
        return R"({"account_id":)" + std::to_string(*t.account_id) + R"(,"id":)" + t.id +
               R"(,"modified":)" + t.cursor + R"(,"deleted":true})";
      const std::string last = previous(key).json;
      const std::size_t cursor_at = last.rfind(R"("modified":)");
      REQUIRE(cursor_at != std::string::npos);
      return last.substr(0, cursor_at) + R"("modified":)" + t.cursor + R"(,"deletedAt":")" +
             tsync::mock::served_cursor_text(t.updated, CursorFormat::Iso8601) + "\"}";
    };

    Tombstone how = Tombstone::Flag;
    SUBCASE("flag") { how = Tombstone::Flag; }
    SUBCASE("at") { how = Tombstone::At; }
    const auto removed = store.remove(4, how);
    REQUIRE(removed.size() == 4);
    const Answer answer = get(port, since);
    REQUIRE(answer.size() == 4);
    std::vector<ServedRecord> tombstones;
    for (const auto& r : store.snapshot())
      if (r.tombstone) tombstones.push_back(r);
    REQUIRE(tombstones.size() == 4);
    for (std::size_t k = 0; k < 4; ++k) {
      const ServedRecord& t = tombstones[k];
      CHECK(std::to_string(*t.account_id) + "/" + t.id == removed[k]);
      CHECK(t.updated > latest);
      CHECK(t.json == expected(how, t, removed[k]));
    }
    CHECK(answer.body == "{\"data\":[" + joined(tombstones) + "]}");
    CHECK(store.size() == 46);
    CHECK(store.snapshot().size() == 50);
    CHECK(get(port, "/v1/orders").size() == 50);
  }

  TEST_CASE("a tombstone cannot be served over a field of the same name") {
    tsync::mock::RecordSchema schema;
    schema.fields = {{"deleted", FieldKind::Bool}};
    RecordStore store(schema, 10, 1);
    REQUIRE_THROWS_WITH(store.remove(1, Tombstone::Flag),
                        "a tombstone cannot be served: the records already have a field "
                        "\"deleted\"");
    CHECK(store.size() == 10);
    CHECK(store.remove(1, Tombstone::At).size() == 1);
  }

  TEST_CASE("restore serves removed records again as new versions, tombstones gone") {
    SUBCASE("users") {
      Options options;
      options.users = 30;
      MockApi api(options);
      const int port = api.start();
      UserStore& store = api.store();
      auto removed = store.remove(3, Tombstone::Flag);
      const auto plain = store.remove(2);
      removed.insert(removed.end(), plain.begin(), plain.end());
      const std::string newest = fetch(api, port).updated.back();
      store.restore(removed);
      CHECK(store.size() == 30);
      const Page page = fetch(api, port, newest);
      REQUIRE(page.ids.size() == 5);
      CHECK(std::set<std::string>(page.ids.begin(), page.ids.end()) ==
            std::set<std::string>(removed.begin(), removed.end()));
      CHECK(page.body.find("deleted") == std::string::npos);
      for (const auto& t : page.updated) CHECK(instant(t) > instant(newest));
      const Page all = fetch(api, port);
      CHECK(all.ids.size() == 30);
      CHECK(all.ids == ids_of(store.snapshot()));
      // Restoring what is not removed changes nothing.
      store.restore({removed[0], "no-such-id"});
      CHECK(fetch(api, port).body == all.body);
    }
    SUBCASE("generic records") {
      RecordStore store(every_kind_spec(0).schema, 40, 3);
      const auto removed = store.remove(5, Tombstone::At);
      const tsync::Instant latest = store.latest();
      store.restore(removed);
      CHECK(store.size() == 40);
      const auto after = store.snapshot();
      CHECK(after.size() == 40);
      std::size_t newer = 0;
      for (const auto& r : after) {
        CHECK_FALSE(r.tombstone);
        CHECK(r.json.find("deletedAt") == std::string::npos);
        if (r.updated > latest) {
          ++newer;
          CHECK(std::count(removed.begin(), removed.end(), r.id) == 1);
        }
      }
      CHECK(newer == 5);
    }
  }

  TEST_CASE("admin requests delete and restore users and generic records") {
    Options options;
    options.users = 20;
    MockApi api(options);
    const int port = api.start();
    api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=30,key=integer,fields=deleted:bool"));
    httplib::Client client("127.0.0.1", port);
    const auto post = [&](const std::string& path) {
      const auto result = client.Post(path, "", "text/plain");
      REQUIRE(result);
      return std::make_pair(result->status, result->body);
    };
    const auto ids_in = [](const std::string& body) {
      rapidjson::Document document;
      document.Parse(body.c_str(), body.size());
      REQUIRE(document.IsObject());
      REQUIRE(document.HasMember("deleted"));
      std::vector<std::string> ids;
      for (const auto& id : document["deleted"].GetArray()) ids.emplace_back(id.GetString());
      return ids;
    };

    const auto [status, body] = post("/admin/delete?count=3&tombstone=flag");
    CHECK(status == 200);
    const auto users = ids_in(body);
    CHECK(users.size() == 3);
    CHECK(fetch(api, port).body.find(R"("deleted":true)") != std::string::npos);
    const auto stats = client.Get("/admin/stats");
    REQUIRE(stats);
    CHECK(stats->body == R"({"users":17,"requests":1})");
    CHECK(post("/admin/restore?ids=" + users[0] + "," + users[2]) ==
          std::make_pair(200, std::string(R"({"users":19,"requests":1})")));

    CHECK(post("/admin/delete?endpoint=/v1/orders&count=2&tombstone=at").second ==
          R"({"deleted":["12","22"]})");
    CHECK(api.records("/v1/orders").size() == 28);
    CHECK(post("/admin/delete?endpoint=/v1/orders&count=1&tombstone=flag") ==
          std::make_pair(400, std::string(R"({"error":"a tombstone cannot be served: the )"
                                          R"(records already have a field \"deleted\""})")));
    CHECK(post("/admin/restore?endpoint=/v1/orders&ids=22,12,99") ==
          std::make_pair(200, std::string(R"({"records":30,"fields":1,"requests":0})")));
    CHECK(post("/admin/delete?endpoint=/v1/orders&count=0").second == R"({"deleted":[]})");

    CHECK(
        post("/admin/delete?count=1&tombstone=soft") ==
        std::make_pair(400, std::string(R"({"error":"tombstone must be one of none, flag, at"})")));
    CHECK(post("/admin/delete") ==
          std::make_pair(400, std::string(R"({"error":"count must be a whole number"})")));
    CHECK(post("/admin/delete?count=x").first == 400);
    CHECK(post("/admin/delete?endpoint=/v1/none&count=1").first == 404);
    CHECK(post("/admin/restore?endpoint=/v1/none&ids=1").first == 404);
  }

  TEST_CASE("removals and restores are deterministic from the seed and the calls") {
    UserStore a(300, 12), b(300, 12);
    RecordStore c(every_kind_spec(0).schema, 300, 12), d(every_kind_spec(0).schema, 300, 12);
    std::vector<std::string> removed_a, removed_b;
    for (UserStore* store : {&a, &b}) {
      auto& removed = store == &a ? removed_a : removed_b;
      removed = store->remove(20, Tombstone::Flag);
      store->remove(10, Tombstone::At);
      store->mutate(30, 5);
      store->restore({removed.begin(), removed.begin() + 10});
      store->remove(5);
    }
    CHECK(removed_a == removed_b);
    const auto catalog_a = a.catalog(), catalog_b = b.catalog();
    REQUIRE(catalog_a->size() == catalog_b->size());
    for (std::size_t i = 0; i < catalog_a->size(); ++i)
      CHECK(catalog_a->text(i) == catalog_b->text(i));
    CHECK(a.size() == 300 - 20 - 10 + 5 + 10 - 5);
    for (RecordStore* store : {&c, &d}) {
      const auto removed = store->remove(20, Tombstone::At);
      store->remove(10, Tombstone::Flag);
      store->mutate(30, 5);
      store->restore({removed.begin(), removed.begin() + 10});
      store->remove(5);
    }
    CHECK(joined(c.snapshot()) == joined(d.snapshot()));
    CHECK(c.size() == 300 - 20 - 10 + 5 + 10 - 5);
  }
}

namespace {

// One answer, with its Link headers and, when the body is JSON, the parsed body.
struct Reply {
  int status = 0;
  std::string body;
  std::vector<std::string> link_headers;
  rapidjson::Document json;

  // rel -> URL of the Link header, which must be one header when present.
  std::map<std::string, std::string> links() const {
    std::map<std::string, std::string> out;
    if (link_headers.empty()) return out;
    REQUIRE(link_headers.size() == 1);
    const std::string& text = link_headers[0];
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = std::min(text.find(", <", start), text.size());
      const std::string item = text.substr(start, end - start);
      const std::size_t close = item.find(">; rel=\"");
      REQUIRE(item.front() == '<');
      REQUIRE(close != std::string::npos);
      REQUIRE(item.back() == '"');
      const std::string rel = item.substr(close + 8, item.size() - close - 9);
      CHECK(out.count(rel) == 0);
      out[rel] = item.substr(1, close - 1);
      start = end + 2;
    }
    return out;
  }
  const rapidjson::Value& operator[](const char* name) const {
    REQUIRE(json.IsObject());
    REQUIRE(json.HasMember(name));
    return json[name];
  }
  // The member names of the body object, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    REQUIRE(json.IsObject());
    for (const auto& m : json.GetObject()) out.emplace_back(m.name.GetString());
    return out;
  }
};

Reply read_reply(const httplib::Result& result) {
  REQUIRE(result);
  Reply reply;
  reply.status = result->status;
  reply.body = result->body;
  for (std::size_t i = 0; i < result->get_header_value_count("Link"); ++i)
    reply.link_headers.push_back(result->get_header_value("Link", i));
  reply.json.Parse(reply.body.c_str(), reply.body.size());
  REQUIRE_FALSE(reply.json.HasParseError());
  return reply;
}

// GETs `target` from 127.0.0.1:`port`.
Reply fetch_reply(int port, const std::string& target, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_reply(client.Get(target, headers));
}

// GETs an absolute "http://host:port/path?query" URL.
Reply fetch_url(const std::string& url) {
  REQUIRE(url.rfind("http://", 0) == 0);
  const std::size_t slash = url.find('/', 7);
  const std::string authority = url.substr(7, slash - 7);
  const std::size_t colon = authority.find(':');
  httplib::Client client(authority.substr(0, colon), std::stoi(authority.substr(colon + 1)));
  return read_reply(client.Get(url.substr(slash)));
}

// The Link header of the answer to GET `target`, read from a plain socket:
// cpp-httplib's client decodes percent-escapes in header values.
std::string raw_link(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
    reply.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  const std::size_t start = reply.find("\r\nLink: ");
  REQUIRE(start < reply.find("\r\n\r\n"));
  const std::size_t value = start + 8;
  return reply.substr(value, reply.find("\r\n", value) - value);
}

// The "id" of every record of `array`, as text.
std::vector<std::string> ids_in(const rapidjson::Value& array) {
  REQUIRE(array.IsArray());
  std::vector<std::string> ids;
  for (const auto& record : array.GetArray()) ids.push_back(member_text(record, "id"));
  return ids;
}

std::vector<std::string> ids_of(const std::vector<ServedRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

std::vector<std::string> reversed(std::vector<std::string> ids) {
  std::reverse(ids.begin(), ids.end());
  return ids;
}

std::string text_of(const rapidjson::Value& value) {
  REQUIRE(value.IsString());
  return std::string(value.GetString(), value.GetStringLength());
}

// An endpoint of `records` records with integer keys at /v1/list, paged by `serving`.
std::string add_list(MockApi& api, std::size_t records, const tsync::mock::ServingOptions& serving,
                     const std::string& records_path = "data",
                     const std::string& since_param = "since") {
  EndpointSpec spec;
  spec.path = "/v1/list";
  spec.records = records;
  spec.seed = 5;
  spec.schema.key = KeyKind::Integer;
  spec.records_path = records_path;
  spec.since_param = since_param;
  spec.serving = serving;
  return api.add_endpoint(spec);
}

tsync::mock::ServingOptions paged(tsync::mock::PagingStyle style) {
  tsync::mock::ServingOptions serving;
  serving.paging = style;
  return serving;
}

using tsync::mock::Order;
using tsync::mock::PagingStyle;
using tsync::mock::ServingOptions;

}  // namespace

TEST_SUITE("mock_api") {
  TEST_CASE("paging text: Base64 both ways, a query with one parameter replaced, the framing") {
    using namespace tsync::mock;
    CHECK(base64_encode("525\n") == "NTI1Cg==");
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("ab") == "YWI=");
    CHECK(base64_decode("NTI1Cg==") == std::optional<std::string>("525\n"));
    CHECK(base64_decode("NTI1Cg") == std::optional<std::string>("525\n"));
    CHECK(base64_decode("not base64!") == std::nullopt);
    CHECK(base64_decode("A") == std::nullopt);
    const std::string all_bytes = [] {
      std::string s;
      for (int c = 0; c < 256; ++c) s.push_back(static_cast<char>(c));
      return s;
    }();
    CHECK(base64_decode(base64_encode(all_bytes)) == std::optional<std::string>(all_bytes));

    CHECK(with_query_param("", "page", "2") == "page=2");
    CHECK(with_query_param("since=a%3Ab&page=1&x", "page", "2") == "since=a%3Ab&page=2&x");
    CHECK(with_query_param("per_page=5", "page", "3") == "per_page=5&page=3");
    CHECK(with_query_param("pages=1", "page", "3") == "pages=1&page=3");
    CHECK(percent_encoded("NTI1Cg==") == "NTI1Cg%3D%3D");

    // json-server 0.17.4's Link: the first "page=N" replaced, even inside another
    // parameter; nothing when one page holds everything or the page is past the end.
    CHECK(json_server_links("/u?_page=2&_limit=2", 2, 2, 7) ==
          R"(</u?_page=1&_limit=2>; rel="first", </u?_page=1&_limit=2>; rel="prev", )"
          R"(</u?_page=3&_limit=2>; rel="next", </u?_page=4&_limit=2>; rel="last")");
    CHECK(json_server_links("/u?per_page=2&_page=2", 2, 3, 7) ==
          R"(</u?per_page=1&_page=2>; rel="first", </u?per_page=1&_page=2>; rel="prev", )"
          R"(</u?per_page=3&_page=2>; rel="next", </u?per_page=3&_page=2>; rel="last")");
    CHECK(json_server_links("/u?_page=1", 1, 10, 7) == "");
    CHECK(json_server_links("/u?_page=5", 5, 2, 7) == "");
    CHECK(json_server_links("/u?_page=1", 1, 10, 0) == "");
    CHECK(js_positive_int("12abc") == std::optional<std::size_t>(12));
    CHECK(js_positive_int("007") == std::optional<std::size_t>(7));
    CHECK_FALSE(js_positive_int("0"));
    CHECK_FALSE(js_positive_int("x"));
    CHECK_FALSE(js_positive_int(""));

    const Framing nested = frame_records("result.items", "\"a\":1,", ",\"b\":2");
    CHECK(nested.prefix + "1" + nested.suffix == R"({"a":1,"result":{"items":[1]},"b":2})");
    const Framing bare = frame_records("");
    CHECK(bare.prefix + bare.suffix == "[]");
  }

  TEST_CASE(
      "link_header pages as GitHub: a bare array and one Link header with next, last, prev, "
      "first") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    add_list(api, 100, paged(PagingStyle::LinkHeader), "");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?state=all");
    CHECK(first.status == 200);
    CHECK(ids_in(first.json) == std::vector<std::string>(served.begin(), served.begin() + 30));
    CHECK(first.links() ==
          std::map<std::string, std::string>{{"next", base + "/v1/list?state=all&page=2"},
                                             {"last", base + "/v1/list?state=all&page=4"}});
    const Reply second = fetch_url(first.links().at("next"));
    CHECK(second.link_headers[0] == "<" + base + "/v1/list?state=all&page=1>; rel=\"prev\", <" +
                                        base + "/v1/list?state=all&page=3>; rel=\"next\", <" +
                                        base + "/v1/list?state=all&page=4>; rel=\"last\", <" +
                                        base + "/v1/list?state=all&page=1>; rel=\"first\"");

    // Following next to the end gives every record once, in order.
    std::vector<std::string> seen;
    std::string next = base + "/v1/list?per_page=7";
    std::size_t pages = 0;
    while (!next.empty() && pages < 50) {
      const Reply page = fetch_url(next);
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page.json);
      seen.insert(seen.end(), ids.begin(), ids.end());
      const auto links = page.links();
      CHECK(links.at("last") == base + "/v1/list?per_page=7&page=15");
      next = links.count("next") ? links.at("next") : "";
      if (next.empty()) CHECK(ids.size() == 2);  // the last page: 100 = 14 * 7 + 2
      ++pages;
    }
    CHECK(pages == 15);
    CHECK(seen == served);

    // per_page above 100 is cut to 100, not refused: then one page and no Link at all.
    const Reply cut = fetch_reply(port, "/v1/list?per_page=500");
    CHECK(cut.status == 200);
    CHECK(cut.json.Size() == 100);
    CHECK(cut.link_headers.empty());
    // Past the last page: empty, with prev, last and first.
    const Reply beyond = fetch_reply(port, "/v1/list?page=9&per_page=50");
    CHECK(beyond.json.Size() == 0);
    CHECK(beyond.links().count("next") == 0);
    CHECK(beyond.links().at("prev") == base + "/v1/list?page=8&per_page=50");
    CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
    CHECK(fetch_reply(port, "/v1/list?page=two").body ==
          R"({"error":"page must be a whole number, not \"two\""})");
    CHECK(fetch_reply(port, "/v1/list?per_page=0").body ==
          R"({"error":"per_page must be between 1 and 100, not 0"})");

    // The request's own parameters stay as they were sent, since included.
    const auto records = api.records("/v1/list").snapshot();
    std::size_t pivot = 9;
    while (records[pivot].updated == records[pivot + 1].updated) ++pivot;
    const std::string target = "/v1/list?" + query("since", records[pivot].cursor) + "&per_page=20";
    const Reply filtered = fetch_reply(port, target);
    CHECK(ids_in(filtered.json) ==
          std::vector<std::string>(served.begin() + pivot + 1, served.begin() + pivot + 21));
    // (cpp-httplib's client decodes header values: read this one from the socket.)
    CHECK(raw_link(port, target) ==
          "<" + base + target + "&page=2>; rel=\"next\", <" + base + target +
              "&page=" + std::to_string((100 - pivot - 1 + 19) / 20) + ">; rel=\"last\"");
  }

  TEST_CASE(
      "json_server pages as json-server 0.17.4: _page, _limit, _sort, _order, X-Total-Count, "
      "and an empty Link when the answer fits one page") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    ServingOptions serving = paged(PagingStyle::JsonServer);
    serving.since_mode = tsync::mock::SinceMode::Inclusive;
    add_list(api, 25, serving, "", "updatedAt_gte");
    api.records("/v1/list").mutate(5, 0);  // updated records keep their place in creation order
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);  // by updatedAt, then creation
    std::vector<std::string> created = served;
    std::sort(created.begin(), created.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a) < std::stoll(b);
    });
    REQUIRE(created != served);
    httplib::Client client("127.0.0.1", port);
    auto header = [&](const std::string& target, const char* name) {
      const auto result = client.Get(target);
      REQUIRE(result);
      return result->has_header(name) ? std::optional<std::string>(result->get_header_value(name))
                                      : std::nullopt;
    };

    // No paging parameter: every record in the order they were added, no headers.
    const Reply all = fetch_reply(port, "/v1/list");
    CHECK(ids_in(all.json) == created);
    CHECK(all.link_headers.empty());
    CHECK_FALSE(header("/v1/list", "X-Total-Count"));

    // Three pages of 10 by updatedAt: first, prev, next and last as json-server
    // writes them (the first "page=N" of the URL replaced), X-Total-Count.
    const std::string target = "/v1/list?_page=1&_limit=10&_sort=updatedAt,id&_order=asc,asc";
    auto at = [&](int page) {
      std::string t = target;
      t.replace(t.find("_page=1"), 7, "_page=" + std::to_string(page));
      return t;
    };
    const Reply first = fetch_reply(port, at(1));
    CHECK(ids_in(first.json) == std::vector<std::string>(served.begin(), served.begin() + 10));
    CHECK(header(at(1), "X-Total-Count") == std::optional<std::string>("25"));
    CHECK(header(at(1), "Access-Control-Expose-Headers") ==
          std::optional<std::string>("X-Total-Count, Link"));
    CHECK(raw_link(port, at(1)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(2) +
                                       ">; rel=\"next\", <" + base + at(3) + ">; rel=\"last\"");
    const Reply second = fetch_reply(port, at(2));
    CHECK(ids_in(second.json) ==
          std::vector<std::string>(served.begin() + 10, served.begin() + 20));
    CHECK(raw_link(port, at(2)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(1) +
                                       ">; rel=\"prev\", <" + base + at(3) + ">; rel=\"next\", <" +
                                       base + at(3) + ">; rel=\"last\"");
    const Reply third = fetch_reply(port, at(3));
    CHECK(ids_in(third.json) == std::vector<std::string>(served.begin() + 20, served.end()));
    CHECK(raw_link(port, at(3)) == "<" + base + at(1) + ">; rel=\"first\", <" + base + at(2) +
                                       ">; rel=\"prev\", <" + base + at(3) + ">; rel=\"last\"");
    // Past the end: nothing, and an empty Link.
    CHECK(fetch_reply(port, at(4)).json.Size() == 0);
    CHECK(raw_link(port, at(4)).empty());
    CHECK(header(at(4), "X-Total-Count") == std::optional<std::string>("25"));

    // One page holds every record: `Link: ` with nothing in it.
    const std::string single = "/v1/list?_page=1&_limit=25&_sort=updatedAt";
    CHECK(fetch_reply(port, single).json.Size() == 25);
    CHECK(raw_link(port, single).empty());
    // _limit alone: the first records, X-Total-Count, no Link.
    CHECK(ids_in(fetch_reply(port, "/v1/list?_limit=5").json) ==
          std::vector<std::string>(created.begin(), created.begin() + 5));
    CHECK(header("/v1/list?_limit=5", "X-Total-Count") == std::optional<std::string>("25"));
    CHECK_FALSE(header("/v1/list?_limit=5", "Link"));
    // _page that is not a number is page 1; _limit that is not one is 10.
    CHECK(fetch_reply(port, "/v1/list?_page=two&_limit=x").json.Size() == 10);
    // Newest first.
    CHECK(ids_in(fetch_reply(port, "/v1/list?_page=1&_limit=5&_sort=updatedAt&_order=DESC").json) ==
          std::vector<std::string>(served.rbegin(), served.rbegin() + 5));
    // A sort the mock cannot do is refused, naming it.
    const Reply by_name = fetch_reply(port, "/v1/list?_sort=name");
    CHECK(by_name.status == 400);
    CHECK(by_name.body == R"({"error":"_sort: the mock sorts by updatedAt only, not \"name\""})");

    // updatedAt_gte is inclusive: the records at that instant come again.
    const std::string& from = records[12].cursor;
    std::size_t k = 12;
    while (k > 0 && records[k - 1].updated == records[12].updated) --k;
    const Reply since = fetch_reply(
        port, "/v1/list?_page=1&_limit=100&_sort=updatedAt&" + query("updatedAt_gte", from));
    CHECK(ids_in(since.json) ==
          std::vector<std::string>(served.begin() + static_cast<long>(k), served.end()));
  }

  TEST_CASE("link_header on the users: records under data, page_size as the default per_page") {
    Options options;
    options.users = 45;
    options.paging = PagingStyle::LinkHeader;
    options.page_size = 20;
    MockApi api(options);
    const int port = api.start();
    const auto users = api.store().snapshot();
    std::vector<std::string> seen;
    std::string next = api.base_url();
    for (int guard = 0; guard < 10 && !next.empty(); ++guard) {
      const Reply page = fetch_url(next);
      const auto ids = ids_in(page["data"]);
      CHECK(ids.size() == (seen.size() < 40 ? 20u : 5u));
      seen.insert(seen.end(), ids.begin(), ids.end());
      const auto links = page.links();
      next = links.count("next") ? links.at("next") : "";
    }
    CHECK(seen == ids_of(users));
    (void)port;
  }

  TEST_CASE("next_url pages as Fivetran's next_page_url, and as Microsoft Graph") {
    MockApi api;
    const int port = api.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(port);

    SUBCASE("Fivetran") {
      add_list(api, 95, paged(PagingStyle::NextUrl), "data", "updated_since");
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00Z");
      CHECK(first.keys() ==
            std::vector<std::string>{"data", "total_items", "page", "per_page", "next_page_url"});
      CHECK(first["total_items"].GetInt() == 95);
      CHECK(first["page"].GetInt() == 1);
      CHECK(first["per_page"].GetInt() == 10);
      CHECK(text_of(first["next_page_url"]) ==
            base + "/v1/list?updated_since=2024-01-01T00:00:00Z&page=2");
      CHECK(first.link_headers.empty());

      std::vector<std::string> seen;
      std::string next = base + "/v1/list?per_page=50&updated_since=2024-01-01T00:00:00Z";
      int pages = 0;
      while (!next.empty() && pages < 10) {
        const Reply page = fetch_url(next);
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        CHECK(page["per_page"].GetInt() == 50);
        next = page["next_page_url"].IsNull() ? "" : text_of(page["next_page_url"]);
        ++pages;
      }
      CHECK(pages == 2);
      CHECK(seen == served);

      CHECK(fetch_reply(port, "/v1/list?per_page=51").body ==
            R"({"error":"per_page must be between 1 and 50, not 51"})");
      CHECK(fetch_reply(port, "/v1/list?per_page=0").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=10")["data"].Size() == 5);
      CHECK(fetch_reply(port, "/v1/list?page=10")["next_page_url"].IsNull());
      CHECK(fetch_reply(port, "/v1/list?page=11")["data"].Size() == 0);

      ServingOptions larger = paged(PagingStyle::NextUrl);
      larger.max_page_size = 200;
      larger.page_size = 30;
      api.set_serving("/v1/list", larger);
      CHECK(fetch_reply(port, "/v1/list")["data"].Size() == 30);
      CHECK(fetch_reply(port, "/v1/list?per_page=95")["next_page_url"].IsNull());
      CHECK(fetch_reply(port, "/v1/list?per_page=201").status == 400);
    }
    SUBCASE("Graph") {
      ServingOptions graph = paged(PagingStyle::NextUrl);
      graph.next_field = "@odata.nextLink";
      add_list(api, 25, graph, "value");
      const Reply first = fetch_reply(port, "/v1/list?per_page=20");
      CHECK(first.keys() == std::vector<std::string>{"value", "total_items", "page", "per_page",
                                                     "@odata.nextLink"});
      CHECK(first["value"].Size() == 20);
      const Reply last = fetch_url(text_of(first["@odata.nextLink"]));
      CHECK(last["value"].Size() == 5);
      CHECK(last["@odata.nextLink"].IsNull());
    }
  }

  TEST_CASE("token pages as HubSpot: after and limit, paging.next until the last page") {
    MockApi api;
    const int port = api.start();
    add_list(api, 42, paged(PagingStyle::Token), "results");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?archived=false");
    CHECK(first.keys() == std::vector<std::string>{"results", "paging"});
    CHECK(first["results"].Size() == 10);
    const auto& next = first["paging"]["next"];
    CHECK(text_of(next["after"]) == tsync::mock::base64_encode("10\n"));
    CHECK(text_of(next["link"]) ==
          "?after=" + tsync::mock::percent_encoded(text_of(next["after"])));

    std::vector<std::string> seen;
    std::string after;
    int pages = 0;
    while (pages < 20) {
      const Reply page = fetch_reply(
          port, "/v1/list?limit=8" + (after.empty() ? "" : "&" + query("after", after)));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["results"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (!page.json.HasMember("paging")) break;
      after = text_of(page["paging"]["next"]["after"]);
    }
    CHECK(pages == 6);
    CHECK(seen == served);

    CHECK(fetch_reply(port, "/v1/list?after=%21%21").body ==
          R"({"error":"after is not a paging token of this list: \"!!\""})");
    CHECK(fetch_reply(port, "/v1/list?after=" + tsync::mock::base64_encode("ten")).status == 400);
    CHECK(fetch_reply(port, "/v1/list?limit=101").body ==
          R"({"error":"limit must be between 1 and 100, not 101"})");
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    CHECK(fetch_reply(port, "/v1/list?limit=100")["results"].Size() == 42);
  }

  TEST_CASE("last_record pages as Stripe: newest first, starting_after, has_more") {
    MockApi api;
    const int port = api.start();
    ServingOptions stripe = paged(PagingStyle::LastRecord);
    stripe.order = Order::NewestFirst;
    stripe.strict = true;
    add_list(api, 33, stripe, "data", "");
    const auto served = ids_of(api.records("/v1/list").snapshot());

    const Reply first = fetch_reply(port, "/v1/list?limit=10");
    CHECK(first.keys() == std::vector<std::string>{"object", "url", "has_more", "data"});
    CHECK(text_of(first["object"]) == "list");
    CHECK(text_of(first["url"]) == "/v1/list");
    CHECK(first["has_more"].GetBool());

    std::vector<std::string> seen;
    std::string starting_after;
    int pages = 0;
    while (pages < 20) {
      const Reply page = fetch_reply(
          port, "/v1/list?limit=10" +
                    (starting_after.empty() ? "" : "&starting_after=" + starting_after));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (!page["has_more"].GetBool()) break;
      starting_after = ids.back();
    }
    CHECK(pages == 4);
    CHECK(seen == reversed(served));

    CHECK(fetch_reply(port, "/v1/list?starting_after=999").body ==
          R"({"error":{"type":"invalid_request_error","message":"No such object: '999'"}})");
    CHECK(
        fetch_reply(port, "/v1/list?limit=101").body ==
        R"({"error":{"type":"invalid_request_error","message":"limit must be between 1 and 100, not 101"}})");
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    // No updated filter: since is a parameter like any unknown one.
    CHECK(
        fetch_reply(port, "/v1/list?since=2024-01-01T00:00:00Z").body ==
        R"({"error":{"type":"invalid_request_error","message":"Received unknown parameter: since"}})");
    CHECK(fetch_reply(port, "/v1/list?ending_before=3").status == 400);
    CHECK(api.since_log("/v1/list").back().empty());

    // The last page: has_more false; the oldest record starts nothing.
    const Reply last = fetch_reply(port, "/v1/list?starting_after=" + served[1]);
    CHECK(ids_in(last["data"]) == std::vector<std::string>{served[0]});
    CHECK_FALSE(last["has_more"].GetBool());
    const Reply after_oldest = fetch_reply(port, "/v1/list?starting_after=" + served[0]);
    CHECK(after_oldest["data"].Size() == 0);
    CHECK_FALSE(after_oldest["has_more"].GetBool());
  }

  TEST_CASE("offset and page_number page as Fivetran's") {
    MockApi api;
    const int port = api.start();

    SUBCASE("offset") {
      add_list(api, 57, paged(PagingStyle::Offset));
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list");
      CHECK(first.keys() == std::vector<std::string>{"data", "offset", "limit", "total"});
      CHECK(first["offset"].GetInt() == 0);
      CHECK(first["limit"].GetInt() == 10);
      CHECK(first["total"].GetInt() == 57);
      std::vector<std::string> seen;
      std::size_t offset = 0;
      int pages = 0;
      while (pages < 20) {
        const Reply page = fetch_reply(port, "/v1/list?limit=25&offset=" + std::to_string(offset));
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        ++pages;
        offset = page["offset"].GetUint64() + ids.size();
        if (offset >= page["total"].GetUint64()) break;
      }
      CHECK(pages == 3);
      CHECK(seen == served);
      CHECK(fetch_reply(port, "/v1/list?offset=80")["data"].Size() == 0);
      CHECK(fetch_reply(port, "/v1/list?limit=51").body ==
            R"({"error":"limit must be between 1 and 50, not 51"})");
      CHECK(fetch_reply(port, "/v1/list?offset=-1").status == 400);
    }
    SUBCASE("page_number") {
      add_list(api, 57, paged(PagingStyle::PageNumber));
      const auto served = ids_of(api.records("/v1/list").snapshot());
      const Reply first = fetch_reply(port, "/v1/list?per_page=20");
      CHECK(first.keys() ==
            std::vector<std::string>{"data", "page", "page_size", "total_pages", "total_items"});
      CHECK(first["page"].GetInt() == 1);
      CHECK(first["page_size"].GetInt() == 20);
      CHECK(first["total_pages"].GetInt() == 3);
      CHECK(first["total_items"].GetInt() == 57);
      std::vector<std::string> seen;
      for (int number = 1;; ++number) {
        const Reply page = fetch_reply(port, "/v1/list?per_page=20&page=" + std::to_string(number));
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        if (page["page"].GetInt() >= page["total_pages"].GetInt() || number > 10) break;
      }
      CHECK(seen == served);
      CHECK(fetch_reply(port, "/v1/list")["data"].Size() == 10);
      CHECK(fetch_reply(port, "/v1/list?per_page=51").status == 400);
      CHECK(fetch_reply(port, "/v1/list?page=0").status == 400);
    }
  }

  TEST_CASE(
      "keyset pages as Fivetran's: since first, then scroll_param alone, never splitting an "
      "instant") {
    MockApi api;
    const int port = api.start();
    ServingOptions keyset = paged(PagingStyle::Keyset);
    keyset.since_mode = tsync::mock::SinceMode::Inclusive;
    add_list(api, 1000, keyset, "data", "updated_since");
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);
    std::map<std::string, tsync::Instant> instant_of;
    for (const auto& r : records) instant_of[r.id] = r.updated;

    const Reply first = fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00.000Z");
    CHECK(first.keys() == std::vector<std::string>{"data", "scroll_param"});
    std::vector<std::string> seen;
    std::string scroll = text_of(first["scroll_param"]);
    const auto first_ids = ids_in(first["data"]);
    CHECK(first_ids.size() >= 50);
    CHECK(tsync::mock::base64_decode(scroll) ==
          std::optional<std::string>(records[first_ids.size() - 1].cursor));
    seen = first_ids;
    int pages = 1;
    while (pages < 40) {
      const Reply page = fetch_reply(port, "/v1/list?" + query("scroll_param", scroll));
      REQUIRE(page.status == 200);
      const auto ids = ids_in(page["data"]);
      REQUIRE_FALSE(ids.empty());
      // Strictly after the last page's instant, and extended over ties.
      CHECK(instant_of[ids.front()] > instant_of[seen.back()]);
      if (ids.size() > 50) CHECK(instant_of[ids[49]] == instant_of[ids.back()]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      ++pages;
      if (page["scroll_param"].IsNull()) break;
      scroll = text_of(page["scroll_param"]);
    }
    CHECK(seen == served);
    CHECK(pages <= 20);
    std::size_t ties = 0;
    for (std::size_t i = 1; i < records.size(); ++i)
      ties += records[i - 1].updated == records[i].updated;
    CHECK(ties > 10);  // instants a page of exactly 50 would have split

    const Reply both =
        fetch_reply(port, "/v1/list?updated_since=2024-01-01T00:00:00.000Z&scroll_param=" +
                              tsync::mock::base64_encode(records[0].cursor));
    CHECK(both.status == 400);
    CHECK(both.body == R"({"error":"updated_since and scroll_param cannot be used together"})");
    CHECK(fetch_reply(port, "/v1/list?scroll_param=bm90IGEgdGltZQ").status == 400);

    ServingOptions page_size = keyset;
    page_size.page_size = 300;
    api.set_serving("/v1/list", page_size);
    CHECK(fetch_reply(port, "/v1/list")["data"].Size() >= 300);
    keyset.order = Order::NewestFirst;
    CHECK_THROWS_WITH(api.set_serving("/v1/list", keyset),
                      R"(order: "newest_first" cannot page with keyset (it pages in ascending )"
                      R"(order only))");
  }

  TEST_CASE("strict endpoints refuse a parameter they do not know, naming it, in every style") {
    const std::vector<std::pair<PagingStyle, std::string>> styles{
        {PagingStyle::None, ""},
        {PagingStyle::LinkHeader, "page=1&per_page=5"},
        {PagingStyle::NextUrl, "page=1&per_page=5"},
        {PagingStyle::Token, "limit=5&after=" + tsync::mock::base64_encode("5\n")},
        {PagingStyle::LastRecord, "limit=5&starting_after=3"},
        {PagingStyle::Offset, "offset=5&limit=5"},
        {PagingStyle::PageNumber, "page=2&per_page=5"},
        {PagingStyle::Keyset, "scroll_param=" + tsync::mock::base64_encode("0")}};
    for (const auto& [style, known] : styles) {
      CAPTURE(tsync::mock::paging_style_name(style));
      MockApi api;
      const int port = api.start();
      ServingOptions serving = paged(style);
      serving.strict = true;
      EndpointSpec spec;
      spec.path = "/v1/list";
      spec.records = 30;
      spec.schema.key = KeyKind::Integer;
      spec.schema.cursor_format = CursorFormat::UnixMillis;
      spec.required_params = {{"api_version", "2"}};
      spec.serving = serving;
      api.add_endpoint(spec);
      const std::string base = "/v1/list?api_version=2";
      CHECK(fetch_reply(port, base + (known.empty() ? "" : "&" + known)).status == 200);
      if (style != PagingStyle::Keyset) CHECK(fetch_reply(port, base + "&since=0").status == 200);
      const Reply refused = fetch_reply(port, base + "&colour=red");
      CHECK(refused.status == 400);
      CHECK(
          refused.body ==
          (style == PagingStyle::LastRecord
               ? R"({"error":{"type":"invalid_request_error","message":"Received unknown parameter: colour"}})"
               : R"({"error":"unknown parameter: colour"})"));
      // Another style's parameter is unknown too; required parameters still apply.
      CHECK(fetch_reply(port, base + (style == PagingStyle::Token ? "&offset=1" : "&after=1"))
                .status == 400);
      CHECK(fetch_reply(port, "/v1/list").status == 400);

      serving.strict = false;
      api.set_serving("/v1/list", serving);
      CHECK(fetch_reply(port, base + "&colour=red").status == 200);
    }
  }

  TEST_CASE("repeat: every next link, URL, token and scroll value leads to the page just served") {
    MockApi api;
    const int port = api.start();
    const auto first_ids = [&](const Reply& reply, const char* member) {
      return ids_in(member ? reply[member] : reply.json);
    };
    SUBCASE("link_header") {
      ServingOptions serving = paged(PagingStyle::LinkHeader);
      serving.repeat = true;
      add_list(api, 20, serving, "");
      const Reply first = fetch_reply(port, "/v1/list?per_page=5&page=2");
      const Reply again = fetch_url(first.links().at("next"));
      CHECK(first.links().at("next").find("page=2") != std::string::npos);
      CHECK(first_ids(again, nullptr) == first_ids(first, nullptr));
      // Even a one-page answer and the last page point at themselves.
      CHECK(fetch_reply(port, "/v1/list?per_page=50").links().count("next") == 1);
    }
    SUBCASE("next_url") {
      ServingOptions serving = paged(PagingStyle::NextUrl);
      serving.repeat = true;
      add_list(api, 20, serving);
      const Reply first = fetch_reply(port, "/v1/list?per_page=5&page=4");
      REQUIRE(first["next_page_url"].IsString());
      const Reply again = fetch_url(text_of(first["next_page_url"]));
      CHECK(first_ids(again, "data") == first_ids(first, "data"));
    }
    SUBCASE("token") {
      ServingOptions serving = paged(PagingStyle::Token);
      serving.repeat = true;
      add_list(api, 20, serving, "results");
      const Reply first = fetch_reply(port, "/v1/list?limit=5");
      const std::string after = text_of(first["paging"]["next"]["after"]);
      const Reply second = fetch_reply(port, "/v1/list?limit=5&" + query("after", after));
      CHECK(first_ids(second, "results") == first_ids(first, "results"));
      CHECK(text_of(second["paging"]["next"]["after"]) == after);
    }
    SUBCASE("last_record, offset and page_number serve the first page whatever they are asked") {
      for (const PagingStyle style :
           {PagingStyle::LastRecord, PagingStyle::Offset, PagingStyle::PageNumber}) {
        CAPTURE(tsync::mock::paging_style_name(style));
        MockApi one;
        const int one_port = one.start();
        ServingOptions serving = paged(style);
        serving.repeat = true;
        add_list(one, 20, serving);
        const Reply first = fetch_reply(one_port, "/v1/list?limit=5&per_page=5");
        const Reply later =
            fetch_reply(one_port, "/v1/list?limit=5&per_page=5&offset=5&page=3&starting_after=7");
        CHECK(first_ids(later, "data") == first_ids(first, "data"));
        if (style == PagingStyle::LastRecord) {
          CHECK(later["has_more"].GetBool());
          CHECK(fetch_reply(one_port, "/v1/list?limit=50")["has_more"].GetBool());
        }
      }
    }
    SUBCASE("keyset") {
      ServingOptions serving = paged(PagingStyle::Keyset);
      serving.repeat = true;
      serving.page_size = 5;
      add_list(api, 40, serving);
      const Reply first = fetch_reply(port, "/v1/list");
      const Reply again =
          fetch_reply(port, "/v1/list?" + query("scroll_param", text_of(first["scroll_param"])));
      CHECK(first_ids(again, "data") == first_ids(first, "data"));
      CHECK(text_of(again["scroll_param"]) == text_of(first["scroll_param"]));
      const auto records = api.records("/v1/list").snapshot();
      const Reply later = fetch_reply(port, "/v1/list?" + query("since", records[9].cursor));
      const Reply later_again =
          fetch_reply(port, "/v1/list?" + query("scroll_param", text_of(later["scroll_param"])));
      CHECK(first_ids(later_again, "data") == first_ids(later, "data"));
      CHECK(first_ids(later, "data").front() != first_ids(first, "data").front());
    }
  }

  TEST_CASE("next links and next URLs: another origin, or relative") {
    MockApi other;
    const int other_port = other.start(0, "127.0.0.2");
    const std::string other_origin = "http://127.0.0.2:" + std::to_string(other_port);
    CHECK(other.base_url() == other_origin + "/incremental/timestamp");
    CHECK(other.url("/v1/list") == other_origin + "/v1/list");
    add_list(other, 20, paged(PagingStyle::NextUrl));

    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::NextUrl);
    serving.next_origin = other_origin;
    add_list(api, 20, serving);
    const Reply first = fetch_reply(port, "/v1/list?per_page=5");
    const std::string next = text_of(first["next_page_url"]);
    CHECK(next == other_origin + "/v1/list?per_page=5&page=2");
    // The other origin serves the same records (same spec), and logs the request.
    const Reply second = fetch_url(next);
    CHECK(second["data"].Size() == 5);
    CHECK(other.target_log() == std::vector<std::string>{"/v1/list?per_page=5&page=2"});

    serving.paging = PagingStyle::LinkHeader;
    api.set_serving("/v1/list", serving);
    CHECK(fetch_reply(port, "/v1/list?per_page=5").links().at("next") ==
          other_origin + "/v1/list?per_page=5&page=2");
    serving.relative_next = true;
    api.set_serving("/v1/list", serving);
    CHECK(fetch_reply(port, "/v1/list?per_page=5").links().at("last") ==
          "/v1/list?per_page=5&page=4");
    serving.paging = PagingStyle::NextUrl;
    api.set_serving("/v1/list", serving);
    CHECK(text_of(fetch_reply(port, "/v1/list?per_page=5")["next_page_url"]) ==
          "/v1/list?per_page=5&page=2");

    serving.next_origin = "127.0.0.2:80";
    CHECK_THROWS_WITH(
        api.set_serving("/v1/list", serving),
        R"(next_origin: "127.0.0.2:80" is not an origin such as http://127.0.0.2:8080)");
  }

  TEST_CASE("orders: ascending, newest first and by key, after since") {
    MockApi api;
    const int port = api.start();
    add_list(api, 60, paged(PagingStyle::Offset));
    api.records("/v1/list").mutate(10, 5);  // creation order is no longer cursor order
    const auto records = api.records("/v1/list").snapshot();
    const auto served = ids_of(records);
    auto by_key = served;
    std::sort(by_key.begin(), by_key.end(), [](const std::string& a, const std::string& b) {
      return std::stoi(a) < std::stoi(b);
    });
    REQUIRE(by_key != served);
    const auto all = [&](const std::string& extra) {
      std::vector<std::string> seen;
      for (std::size_t offset = 0; offset < 100; offset += 50) {
        const Reply page =
            fetch_reply(port, "/v1/list?limit=50&offset=" + std::to_string(offset) + extra);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
      }
      return seen;
    };
    ServingOptions serving = paged(PagingStyle::Offset);
    CHECK(all("") == served);
    serving.order = Order::NewestFirst;
    api.set_serving("/v1/list", serving);
    CHECK(all("") == reversed(served));
    serving.order = Order::ByKey;
    api.set_serving("/v1/list", serving);
    CHECK(all("") == by_key);

    // After since: the same orders of fewer records.
    const auto& pivot = records[29];
    std::set<std::string> newer;
    for (const auto& r : records)
      if (r.updated > pivot.updated) newer.insert(r.id);
    std::vector<std::string> by_key_newer;
    for (const auto& id : by_key)
      if (newer.count(id)) by_key_newer.push_back(id);
    CHECK(all("&" + query("since", pivot.cursor)) == by_key_newer);
    CHECK(fetch_reply(port, "/v1/list?" + query("since", pivot.cursor))["total"].GetUint64() ==
          newer.size());
    serving.order = Order::NewestFirst;
    api.set_serving("/v1/list", serving);
    const auto newest = all("&" + query("since", pivot.cursor));
    CHECK(newest == reversed(std::vector<std::string>(served.end() - newer.size(), served.end())));
  }

  TEST_CASE("the users page in every style, newest first and by key too") {
    Options options;
    options.users = 70;
    MockApi api(options);
    const int port = api.start();
    const auto initial = api.store().snapshot();
    api.store().mutate(10, 3);
    const auto users = api.store().snapshot();
    std::vector<std::string> served;
    for (const auto& u : users) served.push_back(u.id);

    options.paging = PagingStyle::LastRecord;
    options.order = Order::NewestFirst;
    api.set_options(options);
    std::vector<std::string> seen;
    std::string starting_after;
    for (int guard = 0; guard < 20; ++guard) {
      const Reply page = fetch_reply(
          port, std::string(tsync::mock::kUsersPath) + "?limit=9" +
                    (starting_after.empty() ? "" : "&starting_after=" + starting_after));
      const auto ids = ids_in(page["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
      if (!page["has_more"].GetBool()) break;
      starting_after = ids.back();
    }
    CHECK(seen == reversed(served));

    options.paging = PagingStyle::PageNumber;
    options.order = Order::ByKey;
    api.set_options(options);
    seen.clear();
    for (int number = 1; number <= 8; ++number) {
      const auto ids =
          ids_in(fetch_reply(port, std::string(tsync::mock::kUsersPath) +
                                       "?per_page=10&page=" + std::to_string(number))["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    // By key (creation): the users first generated in their first order, changed
    // or not, then those added.
    REQUIRE(seen.size() == 73);
    CHECK(std::vector<std::string>(seen.begin(), seen.begin() + 70) == ids_of(initial));
    const std::set<std::string> old_ids(seen.begin(), seen.begin() + 70);
    for (std::size_t i = 70; i < 73; ++i) CHECK(old_ids.count(seen[i]) == 0);

    options.paging = PagingStyle::Keyset;
    options.order = Order::NewestFirst;
    CHECK_THROWS_AS(api.set_options(options), std::invalid_argument);
    CHECK_THROWS_AS(MockApi{options}, std::invalid_argument);
  }

  TEST_CASE("latency is slept before every data response") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::Offset);
    serving.latency = std::chrono::milliseconds(150);
    add_list(api, 10, serving);
    const auto started = std::chrono::steady_clock::now();
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(fetch_reply(port, "/v1/list?limit=0").status == 400);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    CHECK(elapsed >= std::chrono::milliseconds(300));
    CHECK(elapsed < std::chrono::seconds(5));
    httplib::Client client("127.0.0.1", port);
    const auto admin_started = std::chrono::steady_clock::now();
    CHECK(client.Get("/admin/stats"));
    CHECK(std::chrono::steady_clock::now() - admin_started < std::chrono::milliseconds(150));
  }

  TEST_CASE("one kept-alive connection carries hundreds of pages, and connections are counted") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving = paged(PagingStyle::Offset);
    add_list(api, 300, serving);
    CHECK(api.connection_count() == 0);
    {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      for (int k = 0; k < 300; ++k) {
        const auto result = client.Get("/v1/list?limit=1&offset=" + std::to_string(k));
        REQUIRE(result);
        CHECK(result->status == 200);
      }
      CHECK(client.Get("/admin/stats"));
      CHECK(api.connection_count() == 1);
    }
    // A client without keep-alive: one connection per request.
    httplib::Client once("127.0.0.1", port);
    CHECK(once.Get("/v1/list"));
    CHECK(once.Get("/v1/list"));
    CHECK(api.connection_count() == 3);
    CHECK(api.request_count() == 302);
  }

  TEST_CASE("the request hook runs before each data request's records are chosen") {
    MockApi api;
    const int port = api.start();
    add_list(api, 30, paged(PagingStyle::PageNumber));
    const auto before = api.records("/v1/list").snapshot();
    std::vector<std::size_t> calls;
    api.set_request_hook([&](std::size_t number) {
      calls.push_back(number);
      if (number == 2) api.records("/v1/list").touch({before[0].id, before[1].id});
      if (number == 3) {
        tsync::mock::Fault busy;
        busy.status = 503;
        api.push_fault(busy);
      }
    });
    const Reply first = fetch_reply(port, "/v1/list?page=1");
    CHECK(ids_in(first["data"]).front() == before[0].id);
    // Touched by the hook of request 2, before its records were chosen: now last.
    const Reply last = fetch_reply(port, "/v1/list?page=3");
    CHECK(ids_in(last["data"]).back() == before[1].id);
    CHECK(fetch_reply(port, "/v1/list?page=2").status == 503);
    CHECK(fetch_reply(port, "/admin/stats?endpoint=/v1/list").status == 200);  // not a data request
    CHECK(calls == std::vector<std::size_t>{1, 2, 3});
    api.set_request_hook(nullptr);
    CHECK(fetch_reply(port, "/v1/list?page=2").status == 200);
    CHECK(calls.size() == 3);
  }

  TEST_CASE("the target and Authorization of every data request are logged as received") {
    Options options;
    options.users = 5;
    MockApi api(options);
    const int port = api.start();
    add_list(api, 5, paged(PagingStyle::Token), "results");
    fetch_reply(port, "/v1/list?limit=2&after=Mgo%3D", {{"Authorization", "Bearer abc"}});
    fetch_reply(port, "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z");
    fetch_reply(port, "/v1/list?limit=0", {{"Authorization", "Basic dTpw"}});
    fetch_reply(port, "/admin/stats", {{"Authorization", "Bearer admin"}});
    CHECK(api.target_log() ==
          std::vector<std::string>{"/v1/list?limit=2&after=Mgo%3D",
                                   "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z",
                                   "/v1/list?limit=0"});
    CHECK(api.authorization_log() == std::vector<std::string>{"Bearer abc", "", "Basic dTpw"});
  }

  TEST_CASE("touch gives exactly the named records new versions after every cursor so far") {
    SUBCASE("generic records") {
      RecordStore store(every_kind_spec(0).schema, 50, 4);
      const auto before = store.snapshot();
      const tsync::Instant latest = store.latest();
      store.touch({before[7].id, "no such id", before[3].id, before[7].id});
      const auto after = store.snapshot();
      REQUIRE(after.size() == 50);
      CHECK(std::set<std::string>{after[48].id, after[49].id} ==
            std::set<std::string>{before[7].id, before[3].id});
      CHECK(after[48].updated > latest);
      for (std::size_t i = 0; i < 48; ++i) {
        CHECK(after[i].updated <= latest);
        CHECK(after[i].json == before[i < 3 ? i : i < 6 ? i + 1 : i + 2].json);
      }
      for (const auto& r : after)
        if (r.id == before[7].id) CHECK(r.json != before[7].json);
      const auto removed = store.remove(1);
      store.touch(removed);  // a removed record is not served again
      CHECK(store.snapshot().size() == 49);
      CHECK(store.record_index(before[3].id) == std::optional<std::uint32_t>(3));
      CHECK_FALSE(store.record_index("nope"));
    }
    SUBCASE("composite keys by account_id/id") {
      tsync::mock::RecordSchema schema;
      schema.key = KeyKind::Composite;
      RecordStore store(schema, 20, 4);
      const auto before = store.snapshot();
      const std::string key = std::to_string(*before[2].account_id) + "/" + before[2].id;
      store.touch({key});
      const auto after = store.snapshot();
      CHECK(after.back().id == before[2].id);
      CHECK(after.back().account_id == before[2].account_id);
    }
    SUBCASE("users") {
      UserStore store(40, 8);
      const auto before = store.snapshot();
      store.touch({before[5].id, before[0].id, "unknown"});
      const auto after = store.snapshot();
      REQUIRE(after.size() == 40);
      CHECK(std::set<std::string>{after[38].id, after[39].id} ==
            std::set<std::string>{before[5].id, before[0].id});
      CHECK(after[38].updated > before.back().updated);
      for (const auto& u : after)
        if (u.id == before[5].id) CHECK(u.job != before[5].job);
      UserStore twin(40, 8);
      twin.touch({before[5].id, before[0].id});
      CHECK(ids_of(twin.snapshot()) == ids_of(after));
      CHECK(store.record_index(before[5].id).has_value());
    }
  }

  TEST_CASE("endpoint specs read the paging keys, and name a bad one") {
    using tsync::mock::parse_endpoint_spec;
    const EndpointSpec spec = parse_endpoint_spec(
        "path=/v1/c,paging=last_record,order=newest_first,strict=true,latency_ms=25,"
        "repeat=true,next_field=@odata.nextLink,relative_next=true,max_page_size=500,"
        "since_param=,next_origin=http://127.0.0.2:8080");
    CHECK(spec.serving.paging == PagingStyle::LastRecord);
    CHECK(spec.serving.order == Order::NewestFirst);
    CHECK(spec.serving.strict);
    CHECK(spec.serving.latency == std::chrono::milliseconds(25));
    CHECK(spec.serving.repeat);
    CHECK(spec.serving.next_field == "@odata.nextLink");
    CHECK(spec.serving.relative_next);
    CHECK(spec.serving.max_page_size == 500);
    CHECK(spec.since_param.empty());
    CHECK(spec.serving.next_origin == "http://127.0.0.2:8080");
    for (const char* name : {"none", "link_header", "next_url", "token", "last_record", "offset",
                             "page_number", "keyset"}) {
      const auto style = tsync::mock::paging_style_from_name(name);
      REQUIRE(style);
      CHECK(tsync::mock::paging_style_name(*style) == name);
      CHECK(parse_endpoint_spec(std::string("path=/x,paging=") + name).serving.paging == *style);
    }
    CHECK(parse_endpoint_spec("path=/x,order=by_key").serving.order == Order::ByKey);
    CHECK(parse_endpoint_spec("path=/x,order=ascending").serving.order == Order::Ascending);

    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,paging=cursor"),
                      R"(paging: "cursor" is not none, link_header, next_url, token, last_record, )"
                      R"(offset, page_number, keyset or json_server)");
    CHECK(parse_endpoint_spec("path=/x,records_path=,paging=json_server").serving.paging ==
          PagingStyle::JsonServer);
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,paging=json_server"),
                      "records_path: must be empty with paging=json_server (json-server answers "
                      "a bare array)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,order=oldest"),
                      R"(order: "oldest" is not ascending, newest_first or by_key)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,strict=yes"),
                      R"(strict: "yes" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,repeat=1"),
                      R"(repeat: "1" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,relative_next=no"),
                      R"(relative_next: "no" is not true or false)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,latency_ms=-5"),
                      R"(latency_ms: "-5" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_page_size=lots"),
                      R"(max_page_size: "lots" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,next_field="), "next_field: must not be empty");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,next_origin=ftp://h"),
                      R"(next_origin: "ftp://h" is not an origin such as http://127.0.0.2:8080)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,records_path=,paging=token"),
                      "records_path: must not be empty with paging=token (its paging fields are "
                      "in the body object)");
    CHECK(parse_endpoint_spec("path=/x,records_path=,paging=link_header").records_path.empty());
    CHECK_THROWS_WITH(
        parse_endpoint_spec("path=/x,paging=keyset,order=by_key"),
        R"(order: "by_key" cannot page with keyset (it pages in ascending order only))");
    CHECK(std::string(tsync::mock::kEndpointSpecHelp).find("paging=none|link_header") !=
          std::string::npos);
  }

  TEST_CASE("tsync-mock-api pages the users and the --endpoint records as told") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "30", "--port", "0", "--paging", "offset",
                       "--page-size", "7", "--order", "newest_first", "--strict", "--latency-ms",
                       "1", "--max-page-size", "12", "--endpoint",
                       "path=/v1/c,records=9,key=integer,paging=last_record,since_param=,"
                       "order=newest_first,page_size=4"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 30 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    child.read_line();
    const Reply users = fetch_reply(port, "/incremental/timestamp");
    CHECK(users["data"].Size() == 7);
    CHECK(users["limit"].GetInt() == 7);
    CHECK(users["total"].GetInt() == 30);
    CHECK(fetch_reply(port, "/incremental/timestamp?limit=12")["data"].Size() == 12);
    CHECK(fetch_reply(port, "/incremental/timestamp?limit=13").status == 400);
    CHECK(fetch_reply(port, "/incremental/timestamp?colour=red").status == 400);
    const Reply orders = fetch_reply(port, "/v1/c");
    CHECK(ids_in(orders["data"]) == std::vector<std::string>{"9", "8", "7", "6"});
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--paging", "cursor"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--paging") != std::string::npos);
    const auto keyset =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--paging", "keyset", "--order", "by_key"});
    CHECK(keyset.exit_code == 1);
    CHECK(keyset.err ==
          "tsync-mock-api: error: order: \"by_key\" cannot page with keyset (it pages in "
          "ascending order only)\n");
  }
}

namespace {

using tsync::mock::AuthRequirement;
using tsync::mock::OAuthOptions;

// The status, the headers that matter here and the body of one answer, whatever
// its body is.
struct Raw {
  int status = 0;
  std::string body, content_type;
  std::string challenge;  // WWW-Authenticate
  std::string cache_control, retry_after;
  rapidjson::Document json;  // the body, when it is JSON

  const rapidjson::Value& operator[](const char* name) const {
    REQUIRE(json.IsObject());
    REQUIRE(json.HasMember(name));
    return json[name];
  }
  bool has(const char* name) const { return json.IsObject() && json.HasMember(name); }
  std::string text(const char* name) const { return text_of((*this)[name]); }
};

Raw read_raw(const httplib::Result& result) {
  REQUIRE(result);
  Raw raw;
  raw.status = result->status;
  raw.body = result->body;
  raw.content_type = result->get_header_value("Content-Type");
  raw.challenge = result->get_header_value("WWW-Authenticate");
  raw.cache_control = result->get_header_value("Cache-Control");
  raw.retry_after = result->get_header_value("Retry-After");
  if (raw.content_type.rfind("application/json", 0) == 0) {
    raw.json.Parse(raw.body.c_str(), raw.body.size());
    REQUIRE_FALSE(raw.json.HasParseError());
  }
  return raw;
}

Raw raw_get(int port, const std::string& target, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_raw(client.Get(target, headers));
}

Raw raw_post(int port, const std::string& path, const std::string& body,
             const std::string& content_type, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_raw(client.Post(path, headers, body, content_type));
}

// A POST to the token endpoint with the form `form`.
Raw token_request(int port, const std::string& form, const httplib::Headers& headers = {}) {
  return raw_post(port, tsync::mock::kTokenPath, form, "application/x-www-form-urlencoded",
                  headers);
}

// The form of a client_credentials grant with the default client in the body.
const std::string kClientBody = "client_id=tsync-client&client_secret=client-secret-1234";

std::string basic_header(const std::string& user, const std::string& password) {
  return "Basic " + tsync::mock::base64_encode(user + ":" + password);
}

// A session token from the login endpoint; REQUIREs that it answers one.
std::string log_in(int port, const std::string& username, const std::string& password) {
  const Raw answer =
      raw_post(port, tsync::mock::kLoginPath,
               R"({"username": ")" + username + R"(", "password": ")" + password + R"("})",
               "application/json");
  REQUIRE(answer.status == 200);
  return answer.text("token");
}

// An access token from a client_credentials grant; REQUIREs that it answers one.
std::string access_token(int port) {
  const Raw answer = token_request(port, "grant_type=client_credentials&" + kClientBody);
  REQUIRE(answer.status == 200);
  return answer.text("access_token");
}

// Serves 5 records with integer keys at `path`, guarded by `auth`.
void add_guarded(MockApi& api, const std::string& path, const AuthRequirement& auth,
                 const ServingOptions& serving = {}) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = 5;
  spec.schema.key = KeyKind::Integer;
  spec.auth = auth;
  spec.serving = serving;
  api.add_endpoint(spec);
}

AuthRequirement requirement(AuthRequirement::Kind kind) {
  AuthRequirement auth;
  auth.kind = kind;
  return auth;
}

// The records of `answer`'s "data", counted.
std::size_t data_size(const Raw& answer) {
  REQUIRE(answer.status == 200);
  return answer["data"].Size();
}

const std::string kHtml = "text/html; charset=utf-8";

}  // namespace

TEST_SUITE("mock_api") {
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

  TEST_CASE("the playground's credentials: made at random, each kind apart, printed as it does") {
    std::mt19937_64 random(42);
    const auto c = tsync::mock::random_playground_credentials(random);
    CHECK(c.basic_username.size() == 17);
    CHECK(c.basic_username.substr(5) == "@example.com");
    CHECK(c.basic_password.size() == 8);
    CHECK(c.session_password.size() == 10);
    CHECK(c.bearer_token.size() == 36);
    CHECK(c.bearer_token[14] == '4');
    CHECK(c.api_key != c.bearer_token);
    CHECK(c.session_username != c.basic_username);
    const std::string table = tsync::mock::playground_credentials_table("http://127.0.0.1:5001", c);
    CHECK(table.find("Http Basic Auth                | GET http://127.0.0.1:5001/auth/http_basic"
                     "          | Username: " +
                     c.basic_username + " Password: " + c.basic_password) != std::string::npos);
    CHECK(table.find("| Username: " + c.session_username + "  Password: " + c.session_password) !=
          std::string::npos);
    MockApi api;
    const int port = api.start();
    for (auto& spec : tsync::mock::playground_auth_endpoints(c)) api.add_endpoint(std::move(spec));
    const auto get = [&](const std::string& path, const std::string& authorization) {
      return raw_get(port, path + "?since=2999-01-01T00:00:00Z",
                     {{"Authorization", authorization}});
    };
    CHECK(get("/auth/http_basic", basic_header(c.basic_username, c.basic_password)).status == 200);
    CHECK(get("/auth/http_basic", basic_header(c.basic_username, c.session_password)).status ==
          401);
    CHECK(get("/auth/http_bearer", "Bearer " + c.bearer_token).status == 200);
    const Raw keyed = get("/auth/api_key", "apiKey " + c.api_key);
    CHECK(keyed.status == 200);
    CHECK(keyed.json["data"].Size() == 20);  // whatever since says
    CHECK(get("/auth/session_token/data",
              "Token " + log_in(port, c.session_username, c.session_password))
              .status == 200);
  }

  TEST_CASE("sign-in faults are served by the login and token endpoints, in order") {
    MockApi api;
    const int port = api.start();
    AuthRequirement session = requirement(AuthRequirement::Kind::Session);
    session.username = "u";
    session.password = "p";
    add_guarded(api, "/v1/s", session);
    tsync::mock::Fault busy;
    busy.status = 503;
    busy.retry_after = "2";
    api.push_sign_in_fault(busy);
    tsync::mock::Fault html;
    html.kind = tsync::mock::Fault::Kind::RawBody;
    html.status = 502;
    html.body = "<html>Bad Gateway</html>";
    html.content_type = "text/html";
    api.push_sign_in_fault(html);
    CHECK(raw_get(port, "/v1/s").status == 401);  // a data request takes no sign-in fault
    const Raw first = token_request(port, "grant_type=client_credentials&" + kClientBody);
    CHECK(first.status == 503);
    CHECK(first.retry_after == "2");
    const Raw second = raw_post(port, tsync::mock::kLoginPath, R"({"username":"u","password":"p"})",
                                "application/json");
    CHECK(second.status == 502);
    CHECK(second.body == "<html>Bad Gateway</html>");
    CHECK(second.content_type == "text/html");
    CHECK(log_in(port, "u", "p").size() >= 32);
    CHECK(access_token(port).size() >= 32);
    CHECK(api.token_requests() == 2);
    CHECK(api.login_requests() == 2);
  }
}

TEST_SUITE("mock_api") {
  TEST_CASE("until: only records before it, in every paging style, with since or without") {
    MockApi api;
    const int port = api.start();
    ServingOptions serving;
    serving.until_param = "until";
    add_list(api, 100, serving);
    const auto served = api.records("/v1/list").snapshot();
    const tsync::Instant cut = served[60].updated, from = served[20].updated;
    std::vector<std::string> before, between;
    for (const auto& r : served) {
      if (r.updated < cut) before.push_back(r.id);
      if (r.updated > from && r.updated < cut) between.push_back(r.id);
    }
    const std::string until =
        query("until", tsync::mock::served_cursor_text(cut, CursorFormat::Iso8601));
    const std::string since =
        query("since", tsync::mock::served_cursor_text(from, CursorFormat::Iso8601));
    CHECK(ids_in(fetch_reply(port, "/v1/list?" + until)["data"]) == before);
    CHECK(ids_in(fetch_reply(port, "/v1/list?" + since + "&" + until)["data"]) == between);
    CHECK(
        fetch_reply(port, "/v1/list?until=" + since.substr(6) + "&since=" + until.substr(6))["data"]
            .Size() == 0);
    const Reply bad = fetch_reply(port, "/v1/list?until=yesterday");
    CHECK(bad.status == 400);
    CHECK(text_of(bad["error"]) == R"(until is not an ISO 8601 timestamp: "yesterday")");

    SUBCASE("pages of today's contract end at until") {
      serving.page_size = 7;
      serving.strict = true;
      api.set_serving("/v1/list", serving);
      std::vector<std::string> seen;
      std::string last;
      for (int guard = 0; guard < 30; ++guard) {
        const Reply page = fetch_reply(
            port, "/v1/list?" + until + (last.empty() ? "" : "&" + query("since", last)));
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        if (ids.empty()) break;
        seen.insert(seen.end(), ids.begin(), ids.end());
        last = text_of(page["data"][page["data"].Size() - 1]["updatedAt"]);
      }
      CHECK(seen == before);
    }
    SUBCASE("every paging style, in one page") {
      for (const PagingStyle style :
           {PagingStyle::LinkHeader, PagingStyle::NextUrl, PagingStyle::Token,
            PagingStyle::LastRecord, PagingStyle::Offset, PagingStyle::PageNumber,
            PagingStyle::Keyset}) {
        CAPTURE(tsync::mock::paging_style_name(style));
        ServingOptions o = paged(style);
        o.until_param = "until";
        o.page_size = 1000;
        o.max_page_size = 1000;
        o.strict = true;
        api.set_serving("/v1/list", o);
        const Reply page = fetch_reply(port, "/v1/list?" + since + "&" + until);
        REQUIRE(page.status == 200);
        CHECK(ids_in(page["data"]) == between);
        CHECK(page.link_headers.empty());
        if (style == PagingStyle::NextUrl) CHECK(page["next_page_url"].IsNull());
        if (style == PagingStyle::Token) CHECK_FALSE(page.json.HasMember("paging"));
        if (style == PagingStyle::LastRecord) CHECK_FALSE(page["has_more"].GetBool());
        if (style == PagingStyle::Offset) CHECK(page["total"].GetUint() == between.size());
        if (style == PagingStyle::PageNumber)
          CHECK(page["total_items"].GetUint() == between.size());
        if (style == PagingStyle::Keyset) CHECK(page["scroll_param"].IsNull());
      }
    }
    SUBCASE("keyset pages carry until beside scroll_param, to its end") {
      ServingOptions o = paged(PagingStyle::Keyset);
      o.until_param = "until";
      o.page_size = 9;
      api.set_serving("/v1/list", o);
      std::vector<std::string> seen;
      std::string target = "/v1/list?" + since + "&" + until;
      for (int guard = 0; guard < 30 && !target.empty(); ++guard) {
        const Reply page = fetch_reply(port, target);
        REQUIRE(page.status == 200);
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        target =
            page["scroll_param"].IsNull()
                ? ""
                : "/v1/list?" + query("scroll_param", text_of(page["scroll_param"])) + "&" + until;
      }
      CHECK(seen == between);
    }
    SUBCASE("next links keep until; by key, the same records") {
      ServingOptions o = paged(PagingStyle::LinkHeader);
      o.until_param = "until";
      o.order = Order::ByKey;
      api.set_serving("/v1/list", o);
      std::vector<std::string> seen;
      Reply page = fetch_reply(port, "/v1/list?per_page=6&" + since + "&" + until);
      for (int guard = 0; guard < 30; ++guard) {
        const auto ids = ids_in(page["data"]);
        seen.insert(seen.end(), ids.begin(), ids.end());
        const auto links = page.links();
        if (!links.count("next")) break;
        CHECK(links.at("next").find("&until=") != std::string::npos);
        page = fetch_url(links.at("next"));
      }
      CHECK(std::set<std::string>(seen.begin(), seen.end()) ==
            std::set<std::string>(between.begin(), between.end()));
      CHECK(seen.size() == between.size());
    }
  }

  TEST_CASE("max_range_seconds: both ends required, at most that far apart, else 400 saying so") {
    MockApi api;
    const int port = api.start();
    EndpointSpec spec;
    spec.path = "/api/v2/report";
    spec.records = 2000;
    spec.schema.key = KeyKind::Integer;
    spec.schema.cursor_format = CursorFormat::UnixSeconds;
    spec.since_param = "start_time";
    spec.serving.until_param = "end_time";
    spec.serving.max_range_seconds = 86400;
    spec.serving.since_mode = tsync::mock::SinceMode::Inclusive;
    spec.serving.page_size = 1000;  // today's contract: one answer holds a day
    api.add_endpoint(spec);
    const std::int64_t january = 1704067200;  // 2024-01-01T00:00:00Z
    const auto window = [&](std::int64_t start, std::int64_t end) {
      return fetch_reply(port, "/api/v2/report?start_time=" + std::to_string(start) +
                                   "&end_time=" + std::to_string(end));
    };
    CHECK(window(january, january + 86400).status == 200);
    const Reply longer = window(january, january + 86401);
    CHECK(longer.status == 400);
    CHECK(text_of(longer["error"]) ==
          "the range from start_time to end_time is longer than 86400 seconds: start_time and "
          "end_time must be at most 86400 seconds apart");
    for (const std::string target : {"/api/v2/report", "/api/v2/report?start_time=1704067200",
                                     "/api/v2/report?end_time=1704067200"}) {
      CAPTURE(target);
      const Reply missing = fetch_reply(port, target);
      CHECK(missing.status == 400);
      CHECK(text_of(missing["error"]) ==
            "start_time and end_time are both required, at most 86400 seconds apart");
    }
    // Daily windows [start, end) over January hold each of its records once.
    std::vector<std::string> seen, expected;
    for (std::int64_t day = 0; day < 31; ++day) {
      const auto ids = ids_in(window(january + day * 86400, january + (day + 1) * 86400)["data"]);
      seen.insert(seen.end(), ids.begin(), ids.end());
    }
    for (const auto& r : api.records("/api/v2/report").snapshot())
      if (r.updated.seconds < january + 31 * 86400) expected.push_back(r.id);
    CHECK(expected.size() > 31);
    CHECK(seen == expected);

    SUBCASE("in milliseconds, a millisecond too many is too long") {
      EndpointSpec millis;
      millis.path = "/v1/ms";
      millis.schema.cursor_format = CursorFormat::UnixMillis;
      millis.serving.until_param = "until";
      millis.serving.max_range_seconds = 60;
      api.add_endpoint(millis);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200000&until=1704067260000").status == 200);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200000&until=1704067260001").status == 400);
      CHECK(fetch_reply(port, "/v1/ms?since=1704067200999&until=1704067260999").status == 200);
    }
    SUBCASE("keyset: scroll_param stands for since on later pages") {
      EndpointSpec keyset;
      keyset.path = "/v1/k";
      keyset.schema.key = KeyKind::Integer;
      keyset.serving.paging = PagingStyle::Keyset;
      keyset.serving.page_size = 10;
      keyset.serving.until_param = "until";
      keyset.serving.max_range_seconds = 30 * 86400;
      api.add_endpoint(keyset);
      const std::string until = "&until=2024-03-31T00%3A00%3A00Z";
      std::string target = "/v1/k?since=2024-03-01T00%3A00%3A00Z" + until;
      std::size_t pages = 0, records = 0;
      for (; pages < 30 && !target.empty(); ++pages) {
        const Reply page = fetch_reply(port, target);
        REQUIRE(page.status == 200);
        records += page["data"].Size();
        target = page["scroll_param"].IsNull()
                     ? ""
                     : "/v1/k?" + query("scroll_param", text_of(page["scroll_param"])) + until;
      }
      CHECK(pages > 3);
      std::size_t expected_records = 0;
      for (const auto& r : api.records("/v1/k").snapshot())
        if (r.updated > instant("2024-03-01T00:00:00Z") &&
            r.updated < instant("2024-03-31T00:00:00Z"))
          ++expected_records;
      CHECK(records == expected_records);
      const std::string early =
          query("scroll_param", tsync::mock::base64_encode("2024-02-01T00:00:00.000Z"));
      const Reply too_long = fetch_reply(port, "/v1/k?" + early + until);
      CHECK(too_long.status == 400);
      CHECK(text_of(too_long["error"]) ==
            "the range from scroll_param to until is longer than 2592000 seconds: scroll_param "
            "and until must be at most 2592000 seconds apart");
      CHECK(fetch_reply(port, "/v1/k?" + early).status == 400);
    }
    SUBCASE("the users endpoint, through Options") {
      Options options;
      options.users = 50;
      options.until_param = "updated_before";
      options.max_range_seconds = 366 * 86400;
      MockApi users(options);
      const int users_port = users.start();
      CHECK(fetch_reply(users_port,
                        "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z"
                        "&updated_before=2025-01-01T00%3A00%3A00Z")["data"]
                .Size() == 50);
      CHECK(
          fetch_reply(users_port, "/incremental/timestamp?since=2024-01-01T00%3A00%3A00Z").status ==
          400);
    }
  }

  TEST_CASE("peak concurrency: requests in flight together, until their bodies are produced") {
    MockApi api;
    const int port = api.start();
    ServingOptions slow;
    slow.latency = std::chrono::milliseconds(400);
    add_list(api, 20, slow);
    CHECK(api.peak_concurrent_requests() == 0);
    const auto at_once = [&](int clients) {
      std::vector<std::thread> threads;
      std::atomic<int> answered{0};
      for (int k = 0; k < clients; ++k)
        threads.emplace_back([&] {
          httplib::Client client("127.0.0.1", port);
          client.set_read_timeout(10, 0);
          const auto result = client.Get("/v1/list");
          if (result && result->status == 200) ++answered;
        });
      for (auto& thread : threads) thread.join();
      return answered.load();
    };
    CHECK(at_once(8) == 8);
    CHECK(api.peak_concurrent_requests() == 8);
    CHECK(api.peak_requests_per_second() == 8);
    CHECK(api.peak_requests_per_second("/v1/list") == 8);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 0);
    api.reset_load_counters();
    CHECK(api.peak_concurrent_requests() == 0);
    CHECK(api.peak_requests_per_second() == 0);
    CHECK(api.peak_requests_per_second("/v1/list") == 0);

    SUBCASE("one after another: one in flight") {
      slow.latency = std::chrono::milliseconds(0);
      api.set_serving("/v1/list", slow);
      for (int k = 0; k < 3; ++k) CHECK(fetch_reply(port, "/v1/list").status == 200);
      CHECK(api.peak_concurrent_requests() == 1);
      CHECK(api.peak_requests_per_second() == 3);
    }
    SUBCASE("at least 32 at once") {
      slow.latency = std::chrono::milliseconds(1500);
      api.set_serving("/v1/list", slow);
      CHECK(at_once(40) == 40);
      CHECK(api.peak_concurrent_requests() >= 32);
    }
    SUBCASE("a body still being sent counts as in flight") {
      Options options;
      options.rate_limit_bytes_per_second = 200'000;  // the 1000 users' body takes over a second
      api.set_options(options);
      slow.latency = std::chrono::milliseconds(0);
      api.set_serving("/v1/list", slow);
      const std::size_t requests = api.request_count();
      std::thread reader([&] {
        httplib::Client client("127.0.0.1", port);
        const auto result = client.Get(tsync::mock::kUsersPath);
        CHECK(result);
        CHECK(result->body.size() > 200'000);
      });
      tsync::test::wait_until("the users' request", [&] { return api.request_count() > requests; });
      CHECK(fetch_reply(port, "/v1/list").status == 200);
      reader.join();
      CHECK(api.peak_concurrent_requests() == 2);
    }
  }

  TEST_CASE("peak requests per second: the most started within any one second, per endpoint") {
    Options options;
    options.users = 5;
    MockApi api(options);
    const int port = api.start();
    add_list(api, 5, {});
    for (int k = 0; k < 5; ++k) CHECK(fetch_reply(port, "/v1/list").status == 200);
    for (int k = 0; k < 2; ++k) CHECK(fetch_reply(port, tsync::mock::kUsersPath).status == 200);
    CHECK(fetch_reply(port, "/admin/stats").status == 200);  // not a data request
    CHECK(api.peak_requests_per_second() == 7);
    CHECK(api.peak_requests_per_second("/v1/list") == 5);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 2);
    CHECK(api.peak_requests_per_second("/v1/none") == 0);
    CHECK(api.peak_concurrent_requests() == 1);
    api.reset_load_counters();
    // Three requests 600 ms apart: no second holds more than two of them.
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(api.peak_requests_per_second() == 2);
    CHECK(api.peak_requests_per_second("/v1/list") == 2);
    CHECK(api.peak_requests_per_second(tsync::mock::kUsersPath) == 0);
  }

  TEST_CASE("sign-in text: form bodies decoded, credentials read from Authorization headers") {
    using Items = std::vector<std::pair<std::string, std::string>>;
    CHECK(tsync::mock::decode_form("a=1&b=x+y%21&&c&a=%3D") ==
          std::optional<Items>(Items{{"a", "1"}, {"b", "x y!"}, {"c", ""}, {"a", "="}}));
    CHECK(tsync::mock::decode_form("") == std::optional<Items>(Items{}));
    CHECK_FALSE(tsync::mock::decode_form("a=%2"));
    CHECK_FALSE(tsync::mock::decode_form("a=%g0"));
    CHECK(tsync::mock::form_decoded("my+app%3A") == std::optional<std::string>("my app:"));
    CHECK(tsync::mock::credentials_of("Bearer abc", "Bearer") == std::optional<std::string>("abc"));
    CHECK(tsync::mock::credentials_of("BEARER  abc", "Bearer") ==
          std::optional<std::string>("abc"));
    CHECK_FALSE(tsync::mock::credentials_of("Bearerabc", "Bearer"));
    CHECK_FALSE(tsync::mock::credentials_of("Bearer", "Bearer"));
    CHECK_FALSE(tsync::mock::credentials_of("Basic abc", "Bearer"));
    CHECK(tsync::mock::basic_credentials(basic_header("u", "p:q")) ==
          std::optional<std::pair<std::string, std::string>>({"u", "p:q"}));
    CHECK_FALSE(tsync::mock::basic_credentials("Basic " + tsync::mock::base64_encode("nocolon")));
    CHECK_FALSE(tsync::mock::basic_credentials("Basic %%%"));

    tsync::mock::TokenBook book;
    using Book = tsync::mock::TokenBook;
    const std::string session = book.issue(Book::Kind::Session, std::nullopt);
    const std::string access = book.issue(Book::Kind::Access, std::chrono::seconds(3600));
    const std::string spent = book.issue(Book::Kind::Access, std::chrono::seconds(0));
    CHECK(session.size() == 40);
    CHECK(session != access);
    CHECK(book.check(Book::Kind::Session, session) == Book::State::Valid);
    CHECK(book.check(Book::Kind::Access, session) == Book::State::Unknown);
    CHECK(book.check(Book::Kind::Access, access) == Book::State::Valid);
    CHECK(book.check(Book::Kind::Access, spent) == Book::State::Expired);
    CHECK(book.check(Book::Kind::Access, book.random_token()) == Book::State::Unknown);
    book.expire_all();
    CHECK(book.check(Book::Kind::Session, session) == Book::State::Expired);
    CHECK(book.check(Book::Kind::Access, access) == Book::State::Expired);
    const std::string later = book.issue(Book::Kind::Session, std::nullopt);
    CHECK(book.check(Book::Kind::Session, later) == Book::State::Valid);
  }

  TEST_CASE("auth specs and the window keys are read from the command-line form, mistakes named") {
    using tsync::mock::parse_auth_spec;
    using tsync::mock::parse_endpoint_spec;
    using Kind = AuthRequirement::Kind;
    CHECK(parse_auth_spec("none").kind == Kind::None);
    const AuthRequirement basic = parse_auth_spec("basic:alice:pa:ss");
    CHECK(basic.kind == Kind::Basic);
    CHECK(basic.username == "alice");
    CHECK(basic.password == "pa:ss");
    const AuthRequirement bearer = parse_auth_spec("bearer:tok:1");
    CHECK(bearer.kind == Kind::Bearer);
    CHECK(bearer.secret == "tok:1");
    const AuthRequirement header = parse_auth_spec("api_key:header:Authorization:apiKey :k:1");
    CHECK(header.kind == Kind::ApiKey);
    CHECK_FALSE(header.in_query);
    CHECK(header.name == "Authorization");
    CHECK(header.prefix == "apiKey ");
    CHECK(header.secret == "k:1");
    const AuthRequirement in_query = parse_auth_spec("api_key:query:api_key::k");
    CHECK(in_query.in_query);
    CHECK(in_query.name == "api_key");
    CHECK(in_query.prefix.empty());
    CHECK(in_query.secret == "k");
    const AuthRequirement session = parse_auth_spec("session:bob:pw");
    CHECK(session.kind == Kind::Session);
    CHECK(session.username == "bob");
    CHECK(session.password == "pw");
    CHECK(session.prefix == "Token ");
    CHECK(session.name == "Authorization");
    CHECK(parse_auth_spec("session:bob:pw:Bearer ").prefix == "Bearer ");
    CHECK(parse_auth_spec("oauth2").kind == Kind::OAuth2);
    const std::vector<std::pair<Kind, std::string>> names{
        {Kind::None, "none"},      {Kind::Bearer, "bearer"},   {Kind::Basic, "basic"},
        {Kind::ApiKey, "api_key"}, {Kind::Session, "session"}, {Kind::OAuth2, "oauth2"}};
    for (const auto& [kind, name] : names) CHECK(tsync::mock::auth_kind_name(kind) == name);

    const std::string kinds = " is not none, basic, bearer, api_key, session or oauth2";
    CHECK_THROWS_WITH(parse_auth_spec("digest:x"), ("\"digest\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_auth_spec(""), ("\"\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_auth_spec("basic:alice"), "basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_auth_spec("basic::pw"), "basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_auth_spec("bearer"), "bearer needs the form bearer:TOKEN");
    const char* api_key_form =
        "api_key needs the form api_key:header:NAME:PREFIX:KEY or api_key:query:NAME:PREFIX:KEY";
    CHECK_THROWS_WITH(parse_auth_spec("api_key:cookie:n::k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:header:X:k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:query:::k"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("api_key:query:n::"), api_key_form);
    CHECK_THROWS_WITH(parse_auth_spec("session:bob"),
                      "session needs the form session:USER:PASSWORD[:PREFIX]");
    CHECK_THROWS_WITH(parse_auth_spec("oauth2:x"), "oauth2 takes no parts after it");

    const EndpointSpec spec = parse_endpoint_spec(
        "path=/v1/r,until_param=end_time,max_range_seconds=86400,auth=api_key:query:key::abc");
    CHECK(spec.serving.until_param == "end_time");
    CHECK(spec.serving.max_range_seconds == 86400);
    CHECK(spec.auth.kind == Kind::ApiKey);
    CHECK(spec.auth.in_query);
    CHECK(spec.auth.name == "key");
    CHECK(spec.auth.secret == "abc");
    CHECK(parse_endpoint_spec("path=/x,auth=session:u:p:Bearer ").auth.prefix == "Bearer ");
    CHECK(parse_endpoint_spec("path=/x").auth.kind == Kind::None);
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,auth=basic:alice"),
                      "auth: basic needs the form basic:USER:PASSWORD");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,auth=kerberos"),
                      ("auth: \"kerberos\"" + kinds).c_str());
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_range_seconds=day"),
                      R"(max_range_seconds: "day" is not a whole number)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,max_range_seconds=60"),
                      "max_range_seconds: needs until_param (a range has two ends)");
    CHECK_THROWS_WITH(
        parse_endpoint_spec("path=/x,since_param=,until_param=u,max_range_seconds=60"),
        "max_range_seconds: needs since_param (a range has two ends)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/x,until_param=since"),
                      R"(until_param: "since" is the since parameter too)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/oauth/v1/token"),
                      R"(path: "/oauth/v1/token" is taken by the sign-in endpoints)");
    CHECK_THROWS_WITH(parse_endpoint_spec("path=/auth/session_token/login"),
                      R"(path: "/auth/session_token/login" is taken by the sign-in endpoints)");
    const std::string help = tsync::mock::kEndpointSpecHelp;
    CHECK(help.find("auth=none") != std::string::npos);
    CHECK(help.find("until_param=") != std::string::npos);
    CHECK(help.find("max_range_seconds=0") != std::string::npos);

    // What check_auth and check_serving refuse in-process.
    Options options;
    options.auth.kind = Kind::Basic;
    CHECK_THROWS_WITH(MockApi{options}, "auth: basic needs a username without ':'");
    options.auth.username = "a:b";
    CHECK_THROWS_WITH(MockApi{options}, "auth: basic needs a username without ':'");
    options.auth = requirement(Kind::Bearer);
    CHECK_THROWS_WITH(MockApi{options}, "auth: bearer needs a token");
    options.auth = requirement(Kind::ApiKey);
    options.auth.secret = "k";
    options.auth.in_query = true;
    options.auth.name.clear();
    CHECK_THROWS_WITH(MockApi{options}, "auth: api_key needs the name of its query parameter");
    options.auth = requirement(Kind::Session);
    options.auth.username = "u";
    options.auth.name.clear();
    CHECK_THROWS_WITH(MockApi{options}, "auth: session needs the name of the header of its token");
    options.auth = {};
    options.max_range_seconds = -1;
    CHECK_THROWS_WITH(MockApi{options}, "max_range_seconds: must not be negative");
    options.max_range_seconds = 0;
    options.until_param = "since";
    CHECK_THROWS_WITH(MockApi{options}, R"(until_param: "since" is the since parameter too)");
    MockApi api;
    options.until_param = "";
    options.max_range_seconds = 10;
    CHECK_THROWS_WITH(api.set_options(options),
                      "max_range_seconds: needs until_param (a range has two ends)");
  }

  TEST_CASE("tsync-mock-api signs in and checks ranges as its command line says") {
    proc::Child child({TSYNC_MOCK_BINARY,
                       "--users",
                       "12",
                       "--port",
                       "0",
                       "--auth",
                       "basic:alice:pa:ss",
                       "--until-param",
                       "updated_before",
                       "--max-range-seconds",
                       "315619200",
                       "--oauth-client-id",
                       "cli-client",
                       "--oauth-client-secret",
                       "cli-secret",
                       "--oauth-refresh-token",
                       "cli-refresh",
                       "--oauth-expires-in",
                       "60",
                       "--oauth-rotate",
                       "--endpoint",
                       "path=/v1/s,records=4,auth=session:bob:pw:Session ",
                       "--endpoint",
                       "path=/v1/o,records=3,auth=oauth2",
                       "--endpoint",
                       "path=/v1/k,records=2,auth=api_key:query:api_key::k-1"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 12 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() == "tsync-mock-api: serving 4 records at " + base + "/v1/s");
    CHECK(child.read_line() == "tsync-mock-api: serving 3 records at " + base + "/v1/o");
    CHECK(child.read_line() == "tsync-mock-api: serving 2 records at " + base + "/v1/k");
    CHECK(child.read_line() ==
          "tsync-mock-api: session logins at " + base + "/auth/session_token/login");
    CHECK(child.read_line() == "tsync-mock-api: OAuth2 tokens at " + base + "/oauth/v1/token");

    const std::string decade =
        "/incremental/"
        "timestamp?since=2020-01-01T00%3A00%3A00Z&updated_before=2030-01-01T00%3A00%3A00Z";
    const httplib::Headers alice{{"Authorization", basic_header("alice", "pa:ss")}};
    CHECK(raw_get(port, decade).status == 401);
    CHECK(data_size(raw_get(port, decade, alice)) == 12);
    CHECK(raw_get(port, "/incremental/timestamp", alice).status == 400);

    const std::string token = log_in(port, "bob", "pw");
    CHECK(data_size(raw_get(port, "/v1/s", {{"Authorization", "Session " + token}})) == 4);
    CHECK(raw_get(port, "/v1/s", {{"Authorization", "Token " + token}}).status == 401);

    const Raw refreshed = token_request(port,
                                        "grant_type=refresh_token&refresh_token=cli-refresh&client_"
                                        "id=cli-client&client_secret=cli-secret");
    REQUIRE(refreshed.status == 200);
    CHECK(refreshed["expires_in"].GetInt() == 60);
    CHECK(refreshed.text("refresh_token") != "cli-refresh");
    CHECK(token_request(port,
                        "grant_type=refresh_token&refresh_token=cli-refresh&client_id=cli-client&"
                        "client_secret=cli-secret")
              .text("error") == "invalid_grant");
    CHECK(data_size(raw_get(port, "/v1/o",
                            {{"Authorization", "Bearer " + refreshed.text("access_token")}})) == 3);
    CHECK(data_size(raw_get(port, "/v1/k?api_key=k-1")) == 2);
    CHECK(raw_get(port, "/v1/k").status == 401);
    child.signal(SIGTERM);
    const auto result = child.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("tsync-mock-api: stopped after 8 requests") != std::string::npos);

    const auto bad_auth = proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--auth", "basic:alice"});
    CHECK(bad_auth.exit_code == 2);
    CHECK(bad_auth.err ==
          "tsync-mock-api: error: --auth: basic needs the form basic:USER:PASSWORD\n");
    const auto bad_endpoint =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--endpoint", "path=/v1/x,auth=bearer"});
    CHECK(bad_endpoint.exit_code == 2);
    CHECK(bad_endpoint.err ==
          "tsync-mock-api: error: --endpoint \"path=/v1/x,auth=bearer\": auth: bearer needs the "
          "form bearer:TOKEN\n");
    const auto no_until =
        proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--max-range-seconds", "60"});
    CHECK(no_until.exit_code == 1);
    CHECK(no_until.err ==
          "tsync-mock-api: error: max_range_seconds: needs until_param (a range has two ends)\n");
    const auto negative = proc::run({TSYNC_MOCK_BINARY, "--oauth-expires-in", "-5"});
    CHECK(negative.exit_code != 0);
    CHECK(negative.err.find("--oauth-expires-in") != std::string::npos);
  }
}

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Checks that the users served at `port` are `count`, all updated after `from`
// and before `to` (Unix seconds), the first and the last within a day of either
// end.
void check_users_within(int port, std::size_t count, std::int64_t from, std::int64_t to) {
  const Answer answer = get(port, tsync::mock::kUsersPath);
  REQUIRE(answer.status == 200);
  REQUIRE(answer.size() == count);
  std::vector<std::int64_t> seconds;
  for (std::size_t i = 0; i < answer.size(); ++i)
    seconds.push_back(instant(member_text(answer[i], "updatedAt")).seconds);
  for (const std::int64_t at : seconds) {
    CHECK(at > from);
    CHECK(at < to);
  }
  CHECK(seconds.front() < from + 86400);
  CHECK(seconds.back() > to - 86400);
}

}  // namespace

TEST_SUITE("mock_api") {
  TEST_CASE("a timeline: 2024 by default, or the days before an instant, never past its end") {
    using tsync::mock::Timeline;
    using tsync::mock::TimestampStyle;
    // The default is 2024, as it always was.
    const auto year = UserStore(300, 9).snapshot();
    const auto same = UserStore(300, 9, TimestampStyle::Utc, tsync::mock::kYear2024).snapshot();
    REQUIRE(year.size() == 300);
    CHECK(ids_of(year) == ids_of(same));
    CHECK(year.front().updatedAt.rfind("2024-01-", 0) == 0);
    CHECK(year.back().updatedAt.rfind("2024-12-", 0) == 0);

    const tsync::Instant end{1'800'000'000, 0};
    SUBCASE("ten days before an instant: after its start, before its end") {
      const Timeline days = tsync::mock::days_before(end, 10);
      CHECK(days.start.seconds == end.seconds - 864000);
      CHECK(days.seconds == 864000);
      const auto users = UserStore(5000, 9, TimestampStyle::Fractional, days).snapshot();
      REQUIRE(users.size() == 5000);
      for (const auto& u : users) {
        CHECK(u.updated > days.start);
        CHECK(u.updated < end);
        CHECK(instant(u.createdAt) <= u.updated);
      }
      CHECK(users.front().updated.seconds < days.start.seconds + 86400);
      CHECK(users.back().updated.seconds > end.seconds - 86400);
    }
    SUBCASE("more users than the timeline's seconds: the last ones share its last millisecond") {
      const Timeline tight{tsync::Instant{end.seconds - 100, 0}, 100, true};
      const auto users = UserStore(300, 9, TimestampStyle::Fractional, tight).snapshot();
      REQUIRE(users.size() == 300);
      for (std::size_t i = 0; i < users.size(); ++i) {
        CHECK(users[i].updated < end);
        if (i > 0) CHECK(users[i - 1].updated <= users[i].updated);
      }
      CHECK(users.back().updated == tsync::Instant{end.seconds - 1, 999'000'000});
    }
    CHECK_THROWS_AS(tsync::mock::days_before(end, 0), std::invalid_argument);
  }

  TEST_CASE("updated_within_days: the users fall within the days before the mock started") {
    Options options;
    options.users = 400;
    options.updated_within_days = 3;
    const std::int64_t before = unix_now();
    MockApi api(options);
    const std::int64_t after = unix_now();
    check_users_within(api.start(), 400, before - 3 * 86400, after + 1);

    options.updated_within_days = -1;
    CHECK_THROWS_WITH_AS(MockApi{options},
                         "updated_within_days: must be a whole number from 0 to 36500",
                         std::invalid_argument);
  }

  TEST_CASE("tsync-mock-api --updated-within-days puts the users within those days") {
    const std::int64_t before = unix_now();
    proc::Child child(
        {TSYNC_MOCK_BINARY, "--users", "200", "--port", "0", "--updated-within-days", "2"});
    const std::string banner = child.read_line();
    const std::int64_t after = unix_now();
    const std::string prefix = "tsync-mock-api: serving 200 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    check_users_within(std::stoi(banner.substr(prefix.size())), 200, before - 2 * 86400, after + 1);
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--updated-within-days", "-1"});
    CHECK(refused.exit_code != 0);
    CHECK(refused.err.find("--updated-within-days") != std::string::npos);
  }
}

TEST_SUITE("mock_api") {
  TEST_CASE("GET /admin/load reports the peaks in flight and per second, of all or of one path") {
    Options options;
    options.users = 5;
    options.latency = std::chrono::milliseconds(300);
    MockApi api(options);
    const int port = api.start();
    EndpointSpec spec;
    spec.path = "/v1/list";
    spec.records = 5;
    api.add_endpoint(spec);
    CHECK(fetch_reply(port, "/admin/load").body ==
          R"({"peak_concurrent_requests":0,"peak_requests_per_second":0})");
    std::vector<std::thread> threads;
    for (int k = 0; k < 3; ++k)
      threads.emplace_back([port] {
        httplib::Client client("127.0.0.1", port);
        CHECK(client.Get(tsync::mock::kUsersPath));
      });
    for (auto& thread : threads) thread.join();
    CHECK(fetch_reply(port, "/v1/list").status == 200);
    CHECK(api.peak_concurrent_requests() == 3);
    CHECK(fetch_reply(port, "/admin/load").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":4})");
    CHECK(fetch_reply(port, "/admin/load?endpoint=/incremental/timestamp").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":3})");
    CHECK(fetch_reply(port, "/admin/load?endpoint=/v1/list").body ==
          R"({"peak_concurrent_requests":3,"peak_requests_per_second":1})");
    const Reply unknown = fetch_reply(port, "/admin/load?endpoint=/v1/none");
    CHECK(unknown.status == 404);
    CHECK(unknown.body == R"({"error":"no endpoint at \"/v1/none\""})");
    CHECK(api.request_count() == 4);  // /admin/load is not a data request
  }
}
