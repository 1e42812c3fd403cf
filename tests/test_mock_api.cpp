#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <string>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include "http_client.hpp"
#include "mock/mock_api.hpp"
#include "mock/user_generator.hpp"
#include "process.hpp"
#include "timestamp.hpp"

using tsync::mock::MockApi;
using tsync::mock::Options;
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
}
