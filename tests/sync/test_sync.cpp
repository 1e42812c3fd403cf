// SPDX-License-Identifier: Apache-2.0
// End-to-end: the sync loop against the mock API on a loopback port, into a
// real replica file.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "replica/replica.hpp"
#include "support/e2e_support.hpp"
#include "support/local_server.hpp"

namespace {

// An API that answers at most `cap` records to any request, oldest first, and
// names no page (as many do by default): 500 users, 300 of them at one instant
// in the middle. Its since is exclusive or inclusive.
class CappedApi {
 public:
  static constexpr std::size_t kCap = 100;

  explicit CappedApi(bool inclusive) {
    for (int i = 0; i < 500; ++i) {
      const long long second = i < 100 ? 1704067200 + i : i < 400 ? 1704153600 : 1704240000 + i;
      char id[16];
      std::snprintf(id, sizeof id, "u%03d", i);
      users_.push_back({id, second});
    }
    server_.http.Get("/users", [this, inclusive](const httplib::Request& request,
                                                 httplib::Response& response) {
      ++requests_;
      const auto since = tsync::parse_timestamp(request.get_param_value("since"));
      std::string body = "{\"data\": [";
      std::size_t sent = 0;
      for (const User& u : users_) {
        if (since && (inclusive ? u.second < since->seconds : u.second <= since->seconds))
          continue;
        if (sent == kCap) break;
        body += (sent++ ? "," : "") + std::string("{\"id\": \"") + u.id +
                "\", \"updatedAt\": \"" + iso(u.second) + "\"}";
      }
      response.set_content(body + "]}", "application/json");
    });
    server_.start();
  }

  std::string url() const { return server_.url("/users"); }
  std::size_t users() const { return users_.size(); }
  // The users whose updatedAt is at or before `cursor`.
  std::vector<std::string> covered_by(const std::string& cursor) const {
    std::vector<std::string> ids;
    const auto c = tsync::parse_timestamp(cursor);
    for (const User& u : users_)
      if (c && u.second <= c->seconds) ids.push_back(u.id);
    return ids;
  }
  int requests() const { return requests_.load(); }

  static std::string iso(long long second) {
    return tsync::format_cursor(tsync::CursorFormat::Iso8601, tsync::Instant{second, 0});
  }

 private:
  struct User {
    std::string id;
    long long second;
  };
  std::vector<User> users_;
  std::atomic<int> requests_{0};
  tsync::test::LocalServer server_;  // last: stopped before the users go
};

}  // namespace

using tsync::mock::MockApi;
using tsync::mock::Options;

TEST_SUITE("sync") {
  TEST_CASE("a full sync stores every user field by field and saves the newest timestamp") {
    e2e::Scene scene(500);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.status == "ok");
    CHECK(report.counters.rows_new == 500);
    CHECK(report.counters.rows_updated == 0);
    CHECK(report.counters.requests == 2);
    CHECK(!report.cursor_before);
    e2e::check_replica_equals(config.database, api);
    CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));
    CHECK(report.cursor_after == e2e::newest_text(api));
    const auto since = api.since_log();
    REQUIRE(since.size() == 2);
    CHECK(since[0] == "0001-01-01T00:00:00Z");
    CHECK(since[1] == e2e::newest_text(api));
  }

  TEST_CASE("an incremental sync transfers only what changed and asks with the saved cursor") {
    e2e::Scene scene(300);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    tsync::run_sync(config, observer);
    const std::string first_cursor = e2e::saved_cursor(config.database);

    api.store().mutate(20, 7);
    const auto requests_before = api.since_log().size();
    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.counters.rows_new == 7);
    CHECK(report.counters.rows_updated == 20);
    CHECK(report.cursor_before == first_cursor);
    const auto since = api.since_log();
    REQUIRE(since.size() == requests_before + 2);
    CHECK(since[requests_before] == first_cursor);
    e2e::check_replica_equals(config.database, api);
    CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));
  }

  TEST_CASE("a sync with nothing new makes one request and writes no row") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    tsync::run_sync(config, observer);

    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.counters.requests == 1);
    CHECK(report.counters.rows_new + report.counters.rows_updated == 0);
    CHECK(report.cursor_before == report.cursor_after);
  }

  TEST_CASE("paged responses are followed until a page brings nothing newer") {
    Options options;
    options.users = 230;
    options.page_size = 50;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.streams.front().pagination.type = tsync::PagingType::Since;

    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.counters.rows_new == 230);
    CHECK(report.counters.requests >= 5);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("an API that caps its answers, with no pagination configured, fails and loses nothing") {
    bool inclusive = false;
    SUBCASE("exclusive since") {}
    SUBCASE("inclusive since") { inclusive = true; }
    CappedApi capped(inclusive);
    e2e::ScratchDir dir;
    tsync::Config config;
    config.streams = {tsync::user_stream(capped.url())};
    config.database = dir.file("replica.db");
    config.retry_base_seconds = 0.01;
    e2e::RecordingObserver observer;

    for (int run = 0; run < 2; ++run) {
      CAPTURE(run);
      const auto reports = tsync::run_streams(config, {}, observer);
      REQUIRE(reports.size() == 1);
      const tsync::SyncReport& report = reports.front();
      CHECK(report.status == "error");
      CHECK(report.exit_code == tsync::kExitError);
      CHECK(report.error.find("the API answered 100 records, as many as the answer before it") !=
            std::string::npos);
      CHECK(report.error.find("has no \"pagination\"") != std::string::npos);
      // The cursor covers only what was stored, whatever was stored after it.
      const std::string cursor = e2e::saved_cursor(config.database);
      REQUIRE_FALSE(cursor.empty());
      CHECK(cursor < "2024-01-02T00:00:00Z");  // below the instant an answer was cut in
      SQLite::Database d(config.database, SQLite::OPEN_READONLY);
      for (const std::string& id : capped.covered_by(cursor)) {
        SQLite::Statement q(d, "SELECT count(*) FROM user WHERE id = ?1");
        q.bind(1, id);
        q.executeStep();
        CHECK_MESSAGE(q.getColumn(0).getInt() == 1, id << " is covered by " << cursor);
      }
    }
  }

  TEST_CASE("pagination since: an API that pages along since without splitting an instant") {
    Options options;
    options.users = 230;
    options.page_size = 50;
    SUBCASE("exclusive") {}
    SUBCASE("inclusive") { options.since_mode = tsync::mock::SinceMode::Inclusive; }
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);

    SUBCASE("declared: read to the end, exact") {
      config.streams.front().pagination.type = tsync::PagingType::Since;
      const tsync::SyncReport report = tsync::run_sync(config, observer);
      CHECK(report.status == "ok");
      e2e::check_replica_equals(config.database, api);
      CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));
    }
    SUBCASE("not declared: answers of one size look capped") {
      const auto reports = tsync::run_streams(config, {}, observer);
      REQUIRE(reports.size() == 1);
      const tsync::SyncReport& report = reports.front();
      CHECK(report.status == "error");
      CHECK(report.error.find("\"pagination\": {\"type\": \"since\"}") != std::string::npos);
      CHECK(e2e::saved_cursor(config.database) < e2e::newest_text(api));
    }
  }

  TEST_CASE("servers whose since is inclusive or ignored still end with everything stored") {
    Options options;
    options.users = 120;
    SUBCASE("inclusive") { options.since_mode = tsync::mock::SinceMode::Inclusive; }
    SUBCASE("ignored") { options.since_mode = tsync::mock::SinceMode::Ignored; }
    SUBCASE("inclusive, paged") {
      options.since_mode = tsync::mock::SinceMode::Inclusive;
      options.page_size = 25;
    }
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    if (options.page_size > 0) config.streams.front().pagination.type = tsync::PagingType::Since;

    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.status == "ok");
    CHECK(report.counters.requests < 20);
    e2e::check_replica_equals(config.database, api);
    CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));

    api.store().mutate(3, 2);
    const tsync::SyncReport again = tsync::run_sync(config, observer);
    CHECK(again.counters.rows_new == 2);
    CHECK(again.counters.rows_updated == 3);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("an unsorted response is stored whole with the newest timestamp as cursor") {
    Options options;
    options.users = 400;
    options.unsorted = true;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 10;  // would checkpoint early if the order were trusted

    const tsync::SyncReport report = tsync::run_sync(config, observer);

    CHECK(report.counters.rows_new == 400);
    e2e::check_replica_equals(config.database, api);
    CHECK(e2e::saved_cursor(config.database) == e2e::newest_text(api));
    // Only the end of each response may move the cursor.
    CHECK(observer.checkpoints.size() <= 2);
  }

  TEST_CASE("timestamps with offsets are stored in UTC and the API's own text is the cursor") {
    Options options;
    options.users = 150;
    options.style = tsync::mock::TimestampStyle::Offset;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    tsync::run_sync(config, observer);

    e2e::check_replica_equals(config.database, api);
    const std::string cursor = e2e::saved_cursor(config.database);
    CHECK(cursor == e2e::newest_text(api));
    REQUIRE(cursor.size() > 6);
    const std::string zone = cursor.substr(cursor.size() - 6);  // the API's "+02:00", not "Z"
    CHECK((zone[0] == '+' || zone[0] == '-'));
    CHECK(zone[3] == ':');
    const auto rows = e2e::read_rows(config.database);
    for (const auto& [id, row] : rows) {
      CHECK(row.updatedAt.size() == tsync::kNormalisedWidth);
      CHECK(row.updatedAt.back() == 'Z');
    }
  }

  TEST_CASE("fractional seconds are kept to the nanosecond and compared as instants") {
    Options options;
    options.users = 150;
    options.style = tsync::mock::TimestampStyle::Fractional;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    tsync::run_sync(config, observer);
    e2e::check_replica_equals(config.database, api);
    api.store().mutate(5, 5);
    const auto report = tsync::run_sync(config, observer);
    CHECK(report.counters.rows_new == 5);
    CHECK(report.counters.rows_updated == 5);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("large sorted responses are checkpointed at changes of timestamp") {
    e2e::Scene scene(1000);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 100;

    tsync::run_sync(config, observer);

    // The rows each checkpoint covers, from the mock's truth.
    std::vector<std::int64_t> covered;
    for (const auto& text : observer.checkpoints) covered.push_back(e2e::users_covered(api, text));
    CAPTURE(covered.size());
    REQUIRE(covered.size() >= 5);
    CHECK(covered.back() == 1000);
    // checkpoint_rows at first; then, once the table holds more than that, as
    // many rows as it holds: 100, 200, 400, 800, then the end of the body.
    // Ties in updatedAt can only push a checkpoint a little later.
    std::int64_t before = 0;
    for (std::size_t i = 0; i + 1 < covered.size(); ++i) {
      CAPTURE(i);
      const std::int64_t interval = covered[i] - before;
      const std::int64_t due = std::max<std::int64_t>(100, before);
      CHECK(interval >= due);
      CHECK(interval <= due + 10);
      before = covered[i];
    }
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("the checkpoint interval grows with the rows the replica already holds") {
    e2e::Scene scene(600);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 50;
    tsync::run_sync(config, observer);  // 600 rows
    api.store().mutate(0, 1000);        // 1000 new users, newer than all

    observer.checkpoints.clear();
    tsync::run_sync(config, observer);

    // 600 rows already: no checkpoint before 600 more, then the end.
    REQUIRE(observer.checkpoints.size() == 2);
    const auto covered = e2e::users_covered(api, observer.checkpoints[0]);
    CHECK(covered >= 1200);
    CHECK(covered <= 1210);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("lookback_seconds asks from before the cursor but still stops") {
    e2e::Scene scene(200);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.streams.at(0).lookback_seconds = 3600;
    tsync::run_sync(config, observer);
    const std::string cursor = e2e::saved_cursor(config.database);
    const auto before = api.since_log().size();

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.counters.requests == 1);
    CHECK(report.counters.rows_new + report.counters.rows_updated == 0);
    const auto since = api.since_log();
    REQUIRE(since.size() == before + 1);
    CHECK(*tsync::parse_timestamp(since.back()) ==
          tsync::minus_seconds(*tsync::parse_timestamp(cursor), 3600));
    CHECK(e2e::saved_cursor(config.database) == cursor);
  }

  TEST_CASE("start_timestamp limits a first sync to newer records") {
    e2e::Scene scene(200);
    auto& [dir, api] = scene;
    const auto truth = api.store().snapshot();
    const std::string start = truth[99].updatedAt;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.streams.at(0).start_timestamp = start;

    tsync::run_sync(config, observer);

    CHECK(api.since_log().front() == start);
    const auto rows = e2e::read_rows(config.database);
    std::size_t expected = 0;
    for (const auto& u : truth)
      if (u.updated > *tsync::parse_timestamp(start)) ++expected;
    CHECK(rows.size() == expected);
  }

  TEST_CASE("reset forgets the cursor so the next sync reads everything again") {
    e2e::Scene scene(80);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    tsync::run_sync(config, observer);
    {
      tsync::Replica replica(config.database);
      CHECK(replica.reset_cursor("user"));
      CHECK(!replica.cursor("user"));
    }
    const auto report = tsync::run_sync(config, observer);
    CHECK(api.since_log()[api.since_log().size() - 2] == "0001-01-01T00:00:00Z");
    CHECK(report.counters.rows_new == 0);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("every run leaves one row in _sync_log with its counts") {
    e2e::Scene scene(60);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    tsync::run_sync(config, observer);
    api.store().mutate(4, 1);
    tsync::run_sync(config, observer);

    auto replica = tsync::Replica::open_existing(config.database);
    const auto runs = replica->recent_runs(10);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].status == "ok");
    CHECK(runs[0].rows_new == 1);
    CHECK(runs[0].rows_updated == 4);
    CHECK(runs[1].rows_new == 60);
    CHECK(runs[0].cursor_before == runs[1].cursor_after);
    CHECK(!runs[0].finished_at.empty());
  }
}
