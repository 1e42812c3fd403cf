#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include "http_client.hpp"
#include "mock/endpoint_spec.hpp"
#include "mock/mock_api.hpp"
#include "mock/record_store.hpp"
#include "mock/user_generator.hpp"
#include "process.hpp"
#include "timestamp.hpp"

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
    CHECK(result.out.find("tsync-mock-api: stopped after 1 requests") != std::string::npos);

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
