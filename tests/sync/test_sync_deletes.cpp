// SPDX-License-Identifier: Apache-2.0
// End to end: deletions at the API reach the replica by a full pass (sync --full)
// or by tombstones, and never on a bad day.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "replica/table_writer.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"
#include "sync/sync.hpp"

using tsync::mock::Tombstone;

namespace {

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

// The ids of the user rows marked deleted.
std::set<std::string> marked(const std::string& db) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id FROM user WHERE _tsync_deleted_at IS NOT NULL");
  std::set<std::string> ids;
  while (q.executeStep()) ids.insert(q.getColumn(0).getString());
  return ids;
}

tsync::SyncReport sync_one(const tsync::Config& config, bool full) {
  e2e::RecordingObserver observer;
  auto reports = tsync::run_streams(config, {}, observer, full);
  REQUIRE(reports.size() == 1);
  return reports[0];
}

}  // namespace

TEST_SUITE("sync_deletes") {
  TEST_CASE("records deleted at the API are marked by a full pass, and only by one") {
    e2e::Scene scene(200);
    auto& [dir, api] = scene;
    const auto config = e2e::config_for(api, dir);
    REQUIRE(sync_one(config, false).status == "ok");
    const std::string cursor = e2e::saved_cursor(config.database);
    const auto removed = api.store().remove(20);
    REQUIRE(removed.size() == 20);

    auto report = sync_one(config, false);
    CHECK(report.counters.rows_deleted == 0);
    CHECK(count(config.database, "SELECT count(*) FROM user") == 200);

    report = sync_one(config, true);
    CHECK(report.status == "ok");
    CHECK(report.full);
    CHECK(report.counters.rows_deleted == 20);
    CHECK(report.counters.rows_new + report.counters.rows_updated == 0);
    CHECK(marked(config.database) == std::set<std::string>(removed.begin(), removed.end()));
    CHECK(count(config.database, "SELECT count(*) FROM user WHERE _tsync_deleted_at IS NULL") ==
          180);
    CHECK(count(config.database,
                "SELECT count(*) FROM user WHERE length(_tsync_deleted_at) = 30") == 20);
    CHECK(count(config.database, "SELECT rows_deleted FROM _sync_log ORDER BY run_id DESC") == 20);
    CHECK(e2e::saved_cursor(config.database) == cursor);  // never backwards
    CHECK_FALSE(std::filesystem::exists(tsync::seen_path_of(config.database, "user")));

    SUBCASE("a second full pass with nothing changed deletes nothing and rewrites no row") {
      const std::string before =
          e2e::text_of(config.database,
                       "SELECT group_concat(id || _tsync_deleted_at) FROM user "
                       "WHERE _tsync_deleted_at IS NOT NULL");
      report = sync_one(config, true);
      CHECK(report.status == "ok");
      CHECK(report.counters.rows_deleted == 0);
      CHECK(report.counters.rows_new + report.counters.rows_updated == 0);
      CHECK(e2e::text_of(config.database,
                         "SELECT group_concat(id || _tsync_deleted_at) FROM user "
                         "WHERE _tsync_deleted_at IS NOT NULL") == before);
    }
    SUBCASE("a deleted record that comes back is live again") {
      api.store().restore({removed[0], removed[1]});
      report = sync_one(config, false);
      CHECK(report.counters.rows_updated == 2);
      CHECK(marked(config.database).size() == 18);
      CHECK(marked(config.database).count(removed[0]) == 0);
    }
    SUBCASE("a record the API returns unchanged after it was marked is live again") {
      // As if the API had hidden it for a while: the next full pass sees it again.
      SQLite::Database d(config.database, SQLite::OPEN_READWRITE);
      d.exec(
          "UPDATE user SET _tsync_deleted_at = '2020-01-01T00:00:00.000000000Z' "
          "WHERE _tsync_deleted_at IS NULL AND rowid = (SELECT min(rowid) FROM user "
          "WHERE _tsync_deleted_at IS NULL)");
      report = sync_one(config, true);
      CHECK(report.counters.rows_updated == 1);
      CHECK(marked(config.database).size() == 20);
    }
  }

  TEST_CASE("a record the API still sends, but broken, is rejected and not taken for deleted") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    const auto config = e2e::config_for(api, dir);
    REQUIRE(sync_one(config, false).status == "ok");
    const auto removed = api.store().remove(2);
    // The first one is still sent, with an updatedAt no one can read.
    api.store().add_raw(R"({"id":")" + removed[0] + R"(","name":"broken","updatedAt":"soon"})",
                        tsync::Instant{1800000000, 0});
    const auto report = sync_one(config, true);
    CHECK(report.status == "ok");
    CHECK(report.counters.rows_deleted == 1);
    CHECK(marked(config.database) == std::set<std::string>{removed[1]});
    CHECK(count(config.database, "SELECT count(*) FROM _rejected") == 1);
  }

  TEST_CASE("a full pass that cannot make its seen-keys file says where and deletes nothing") {
    e2e::Scene scene(50);
    auto& [dir, api] = scene;
    const auto config = e2e::config_for(api, dir);
    REQUIRE(sync_one(config, false).status == "ok");
    api.store().remove(5);
    const std::string seen = tsync::seen_path_of(config.database, "user");
    std::filesystem::create_directories(seen + "/in-the-way");
    const auto report = sync_one(config, true);
    CHECK(report.status == "error");
    CHECK(report.exit_code == tsync::kExitError);
    CHECK(report.error.find(seen + ": cannot make the file where a full pass of user keeps the "
                                   "keys it has seen: ") == 0);
    CHECK(report.error.find("nothing was deleted)") != std::string::npos);
    CHECK(count(config.database,
                "SELECT count(*) FROM pragma_table_info('user') WHERE name = "
                "'_tsync_deleted_at'") == 0);
    std::filesystem::remove_all(seen);
    CHECK(sync_one(config, true).counters.rows_deleted == 5);
  }

  TEST_CASE("hard deletes remove the rows and keep their keys in _deleted") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    auto config = e2e::config_for(api, dir);
    config.streams[0].hard_delete = true;
    REQUIRE(sync_one(config, false).status == "ok");
    const auto removed = api.store().remove(7);
    const auto report = sync_one(config, true);
    CHECK(report.status == "ok");
    CHECK(report.counters.rows_deleted == 7);
    CHECK(count(config.database, "SELECT count(*) FROM user") == 93);
    SQLite::Database d(config.database, SQLite::OPEN_READONLY);
    SQLite::Statement q(d, "SELECT stream, key, length(deleted_at), run_id FROM _deleted");
    std::set<std::string> keys;
    while (q.executeStep()) {
      CHECK(q.getColumn(0).getString() == "user");
      keys.insert(q.getColumn(1).getString());
      CHECK(q.getColumn(2).getInt() == 30);
      CHECK(q.getColumn(3).getInt64() == report.run_id);
    }
    std::set<std::string> expected;
    for (const auto& id : removed) expected.insert("[\"" + id + "\"]");
    CHECK(keys == expected);
    CHECK(
        count(config.database,
              "SELECT count(*) FROM pragma_table_info('user') WHERE name = '_tsync_deleted_at'") ==
        0);
  }

  TEST_CASE("tombstones are applied as deletes, soft or hard, by any sync") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    tsync::mock::EndpointSpec spec;
    spec.path = "/v1/things";
    spec.records = 50;
    spec.schema.key = tsync::mock::KeyKind::Integer;
    spec.schema.fields = {{"label", tsync::mock::FieldKind::String}};
    const std::string url = api.add_endpoint(spec);
    tsync::mock::RecordStore& store = api.records("/v1/things");
    SUBCASE("deleted: true, soft") {
      const auto config = tsync::parse_config(R"({"database": ")" + dir.file("replica.db") +
                                                  R"(", "streams": [{"name": "things",
              "url": ")" + url + R"(", "delete_field": "deleted"}]})",
                                              "test");
      REQUIRE(sync_one(config, false).status == "ok");
      const auto removed = store.remove(5, Tombstone::Flag);
      const auto report = sync_one(config, false);
      CHECK(report.status == "ok");
      CHECK(report.counters.rows_deleted == 5);
      CHECK(
          count(
              config.database,
              "SELECT count(*) FROM things WHERE _tsync_deleted_at IS NOT NULL AND deleted = 1") ==
          5);
      // A replayed tombstone keeps the time the row was first marked.
      const std::string first =
          e2e::text_of(config.database, "SELECT max(_tsync_deleted_at) FROM things");
      tsync::Config again = config;
      again.streams[0].lookback_seconds = 400LL * 86400;
      CHECK(sync_one(again, false).counters.rows_deleted == 0);
      CHECK(e2e::text_of(config.database, "SELECT max(_tsync_deleted_at) FROM things") == first);
      store.restore({removed[0]});
      sync_one(config, false);
      CHECK(count(config.database,
                  "SELECT count(*) FROM things WHERE _tsync_deleted_at IS NOT NULL") == 4);
    }
    SUBCASE("deletedAt, hard") {
      const auto config = tsync::parse_config(R"({"database": ")" + dir.file("replica.db") +
                                                  R"(", "streams": [{"name": "things",
              "url": ")" + url + R"(", "delete_field": "deletedAt", "on_delete": "hard"}]})",
                                              "test");
      REQUIRE(sync_one(config, false).status == "ok");
      store.remove(3, Tombstone::At);
      const auto report = sync_one(config, false);
      CHECK(report.counters.rows_deleted == 3);
      CHECK(count(config.database, "SELECT count(*) FROM things") == 47);
      CHECK(count(config.database, "SELECT count(*) FROM _deleted WHERE stream = 'things'") == 3);
      CHECK(count(config.database, "SELECT count(*) FROM _deleted WHERE key LIKE '[%]'") == 3);
    }
  }

  TEST_CASE("a full pass that would delete too much, or got nothing, deletes nothing") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    const auto config = e2e::config_for(api, dir);
    REQUIRE(sync_one(config, false).status == "ok");
    SUBCASE("more than max_delete_fraction") {
      api.store().remove(60);
      const auto report = sync_one(config, true);
      CHECK(report.status == "error");
      CHECK(report.exit_code == tsync::kExitError);
      CHECK(report.error ==
            "the full pass would delete 60 of the 100 live rows of user (60.0%), more than "
            "max_delete_fraction = 0.5: nothing was deleted (if the API really removed them, "
            "raise max_delete_fraction for stream user and run --full again)");
      CHECK(count(config.database,
                  "SELECT count(*) FROM pragma_table_info('user') WHERE name = "
                  "'_tsync_deleted_at'") == 0);
      auto raised = config;
      raised.streams[0].max_delete_fraction = 0.6;
      CHECK(sync_one(raised, true).counters.rows_deleted == 60);
    }
    SUBCASE("an API that returned no record at all") {
      api.store().remove(100);
      const auto report = sync_one(config, true);
      CHECK(report.status == "error");
      CHECK(report.error.find("the full pass returned no record at all, and user holds 100 live "
                              "rows: nothing was deleted") == 0);
      CHECK(count(config.database, "SELECT count(*) FROM user") == 100);
    }
    SUBCASE("a pass cut by a fault") {
      tsync::mock::Options paged;
      paged.users = 100;
      paged.page_size = 30;
      api.set_options(paged);
      api.store().remove(5);
      tsync::mock::Fault none;  // the first page is served whole
      none.kind = tsync::mock::Fault::Kind::Stall;
      api.push_fault(none);
      tsync::mock::Fault cut;  // every attempt at the second is cut
      cut.kind = tsync::mock::Fault::Kind::DropAfterBytes;
      cut.after_bytes = 100;
      for (int i = 0; i < 4; ++i) api.push_fault(cut);
      const auto report = sync_one(config, true);
      CHECK(report.status == "error");
      CHECK(report.counters.rows_deleted == 0);
      CHECK(count(config.database,
                  "SELECT count(*) FROM pragma_table_info('user') WHERE name = "
                  "'_tsync_deleted_at'") == 0);
      CHECK_FALSE(std::filesystem::exists(tsync::seen_path_of(config.database, "user")));
    }
  }

  TEST_CASE("SIGTERM during a full pass deletes nothing, and --json counts deletions") {
    tsync::mock::Options options;
    options.users = 20000;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string db = dir.file("replica.db");
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << R"({"base_url": ")" << api.base_url() << R"(", "database": ")" << db
                          << R"(", "checkpoint_rows": 500})";
    REQUIRE(proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config}).exit_code == 0);
    api.store().remove(100);
    options.rate_limit_bytes_per_second = 400000;
    api.set_options(options);
    const std::size_t requests = api.request_count();
    proc::Child child({TSYNC_BINARY, "sync", "--full", "--quiet", "--config", config});
    tsync::test::wait_until("the full pass's first request",
                            [&] { return api.request_count() > requests; });
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 128 + SIGTERM);
    CHECK(count(db,
                "SELECT count(*) FROM pragma_table_info('user') WHERE name = "
                "'_tsync_deleted_at'") == 0);

    api.set_options(tsync::mock::Options{});
    const auto r = proc::run({TSYNC_BINARY, "sync", "--full", "--json", "--config", config});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\"rows_deleted\":100,\"full\":true") != std::string::npos);
    const auto status = proc::run({TSYNC_BINARY, "status", "--config", config});
    CHECK(status.out.find("user: 20,000 rows (100 marked deleted)") != std::string::npos);
    CHECK(status.out.find("100 deleted") != std::string::npos);
  }
}
