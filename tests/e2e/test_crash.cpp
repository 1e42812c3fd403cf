// SPDX-License-Identifier: Apache-2.0
// The invariant under SIGKILL: a sync killed at random moments during a large,
// slowly served response always leaves a sound replica whose cursor covers
// only what it holds; a last run then brings it level with the API.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "replica/table_writer.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

using tsync::mock::MockApi;
using tsync::mock::Options;

namespace {

void check_sound(const std::string& db, MockApi& api) {
  SQLite::Database d(db, SQLite::OPEN_READWRITE);
  CHECK(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
  const std::string cursor = e2e::saved_cursor(db);
  if (cursor.empty()) return;
  const auto c = *tsync::parse_timestamp(cursor);
  const auto rows = e2e::read_rows(db);
  std::size_t covered = 0;
  for (const auto& u : api.store().snapshot()) {
    if (u.updated > c) continue;
    ++covered;
    const auto it = rows.find(u.id);
    REQUIRE_MESSAGE(it != rows.end(), "user " << u.id << " (" << u.updatedAt
                                              << ") is covered by cursor " << cursor
                                              << " but not in the replica");
    CHECK(it->second.updatedAt >= e2e::normalised(u.updatedAt));
  }
  CHECK(rows.size() >= covered);
}

// Starts `args`, kills it with SIGKILL after `delay`, and returns its exit
// status (128 + SIGKILL when the kill found it still running).
int run_killed(const std::vector<std::string>& args, std::chrono::milliseconds delay) {
  proc::Child child(args);
  std::this_thread::sleep_for(delay);
  child.signal(SIGKILL);
  return child.wait().exit_code;
}

// Points SQLite's temporary files (a staged transaction's rows and sorts) of
// the processes started meanwhile at `dir`, so a test can see what is left.
class TempFilesIn {
 public:
  explicit TempFilesIn(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    ::setenv("SQLITE_TMPDIR", dir_.c_str(), 1);
  }
  ~TempFilesIn() { ::unsetenv("SQLITE_TMPDIR"); }
  TempFilesIn(const TempFilesIn&) = delete;
  TempFilesIn& operator=(const TempFilesIn&) = delete;
  // SQLite unlinks its temporary files as it opens them: a killed sync leaves none.
  bool empty() const { return std::filesystem::is_empty(dir_); }

 private:
  std::string dir_;
};

// How many indexes the replica at `db` has yet to build (_deferred_index); -1
// while the replica or that table is not there yet.
int deferred_indexes(const std::string& db) {
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    return d.execAndGet("SELECT count(*) FROM _deferred_index").getInt();
  } catch (const SQLite::Exception&) {
    return -1;
  }
}

bool has_index(const std::string& db, const std::string& name) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1");
  q.bind(1, name);
  q.executeStep();
  return q.getColumn(0).getInt() == 1;
}

}  // namespace

TEST_SUITE("crash") {
  TEST_CASE("a first load builds the cursor's index once, at its end") {
    e2e::Scene scene(150000);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 60000;  // commits of 60,000 and 60,000 rows, then the rest

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.status == "ok");
    CHECK(observer.checkpoints.size() >= 2);
    CHECK(has_index(config.database, "user_updatedAt"));
    CHECK(deferred_indexes(config.database) == 0);
    SQLite::Database d(config.database, SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
    SQLite::Statement plan(d, "EXPLAIN QUERY PLAN SELECT id FROM user ORDER BY updatedAt LIMIT 5");
    REQUIRE(plan.executeStep());
    CHECK(plan.getColumn(3).getString().find("user_updatedAt") != std::string::npos);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("SIGKILL in a first load whose indexes wait for its end: the next sync builds them") {
    e2e::Scene scene(150000);
    auto& [dir, api] = scene;
    // The response stops for a minute past its first 100,000 users (about 28
    // MB): the load has committed its first 60,000 rows without the cursor's
    // index, and waits there for the kill.
    tsync::mock::Fault stall;
    stall.kind = tsync::mock::Fault::Kind::Stall;
    stall.after_bytes = 28000000;
    stall.stall = std::chrono::milliseconds(60000);
    api.push_fault(stall);
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << "{\"base_url\": \"" << api.base_url()
                          << "\", \"checkpoint_rows\": 60000, \"timeout_seconds\": 120}";
    const std::string db = dir.file("replica.db");

    proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db});
    tsync::test::wait_until("the load's first commit, which leaves the cursor's index to its end",
                            [&] { return deferred_indexes(db) > 0; });
    child.signal(SIGKILL);
    CHECK(child.wait().exit_code == 128 + SIGKILL);
    check_sound(db, api);
    CHECK(e2e::read_rows(db).size() >= 60000);
    CHECK_FALSE(has_index(db, "user_updatedAt"));
    CHECK(deferred_indexes(db) == 1);

    const auto next = proc::run({TSYNC_BINARY, "sync", "--config", config, "--db", db});
    CHECK(next.exit_code == 0);
    CHECK(next.err.find("built the index user.user_updatedAt") != std::string::npos);
    CHECK(has_index(db, "user_updatedAt"));
    CHECK(deferred_indexes(db) == 0);
    e2e::check_replica_equals(db, api);
    check_sound(db, api);
  }

  TEST_CASE("SIGKILL at random moments never breaks the invariant") {
    Options options;
    options.users = 12000;
    options.rate_limit_bytes_per_second = 1500000;  // ~2.3 s for the whole response
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    // Row by row, and staged: applied in key order at each commit; with a page
    // cache of 1 MiB, the staged rows past 256 KiB go through sorted runs in the
    // temporary file.
    std::string apply, more;
    SUBCASE("row by row") { apply = "0"; }
    SUBCASE("staged") { apply = "40"; }
    SUBCASE("staged through sorted runs in the temporary file") {
      apply = "40";
      more = ", \"cache_size_mib\": 1";
    }
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << "{\"base_url\": \"" << api.base_url()
                          << "\", \"checkpoint_rows\": 300, \"retry_base_seconds\": 0.01, "
                          << "\"sorted_apply_rows\": " << apply << more << "}";
    const std::string db = dir.file("replica.db");
    const TempFilesIn temp(dir.file("tmp"));
    std::mt19937 random(20261123);
    std::uniform_int_distribution<int> delay_ms(30, 1800);

    int kills = 0;
    bool finished = false;
    for (int round = 0; round < 12; ++round) {
      if (round % 4 == 3) api.store().mutate(200, 50);
      // A run that got to the end leaves little to kill: start the next one over
      // from the beginning, which also replays every stored row.
      if (finished)
        REQUIRE(proc::run({TSYNC_BINARY, "reset", "--config", config, "--db", db}).exit_code == 0);
      const int code = run_killed({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db},
                                  std::chrono::milliseconds(delay_ms(random)));
      finished = code == 0;
      if (code == 128 + SIGKILL) ++kills;
      CAPTURE(round);
      check_sound(db, api);
      CHECK(temp.empty());
    }
    CHECK(kills >= 6);

    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db});
    CHECK(done.exit_code == 0);
    e2e::check_replica_equals(db, api);
    check_sound(db, api);
  }

  TEST_CASE("SIGKILL while new fields become columns never breaks the invariant") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    tsync::mock::EndpointSpec spec;
    spec.path = "/v1/events";
    spec.records = 6000;
    spec.schema.key = tsync::mock::KeyKind::Integer;
    spec.schema.cursor_field = "ts";
    spec.schema.cursor_format = tsync::mock::CursorFormat::UnixMillis;
    spec.schema.fields = {{"kind", tsync::mock::FieldKind::String}};
    spec.serving.rate_limit_bytes_per_second = 600000;  // about 1.5 s for the first response
    const std::string url = api.add_endpoint(spec);
    tsync::mock::RecordStore& store = api.records("/v1/events");
    // The newest records bring one new field after another: the later part of
    // each response adds a column every 60 records.
    int next_field = 0;
    auto grow = [&] {
      for (int i = 0; i < 15; ++i) {
        store.add_field({"extra_" + std::to_string(next_field++), tsync::mock::FieldKind::Integer});
        store.mutate(60, 0);
      }
    };
    grow();
    const std::string config = dir.file("configuration.json");
    const std::string db = dir.file("replica.db");
    // Staged transactions: new columns go into the staging table as they come.
    std::ofstream(config) << R"({"database": ")" << db << R"(", "checkpoint_rows": 200,
        "sorted_apply_rows": 30, "retry_base_seconds": 0.01, "streams": [{"name": "events", "url": ")"
                          << url << R"(", "cursor_field": "ts", "cursor_format": "unix_millis"}]})";

    // Every record with a cursor <= the saved one is in the table, at least as
    // new, with a column for each of its fields.
    auto check_sound_events = [&] {
      SQLite::Database d(db, SQLite::OPEN_READONLY);
      REQUIRE(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
      SQLite::Statement q(d, "SELECT last_timestamp FROM _state WHERE stream = 'events'");
      if (!q.executeStep() || q.getColumn(0).isNull()) return;
      const std::int64_t cursor = std::stoll(q.getColumn(0).getString());
      const auto columns = e2e::column_of_field(d, "events");
      for (const auto& record : store.snapshot()) {
        if (std::stoll(record.cursor) > cursor) continue;
        SQLite::Statement row(d, "SELECT ts FROM events WHERE id = ?1");
        row.bind(1, static_cast<std::int64_t>(std::stoll(record.id)));
        REQUIRE_MESSAGE(row.executeStep(), "record " << record.id << " is covered by cursor "
                                                     << cursor << " but not in the replica");
        CHECK(row.getColumn(0).getInt64() >= std::stoll(record.cursor));
        for (const auto& [field, value] : e2e::truth_fields(record.json))
          CHECK_MESSAGE(columns.count(field) == 1, "no column for " << field);
      }
    };

    std::mt19937 random(20261125);
    std::uniform_int_distribution<int> delay_ms(20, 1400);
    int kills = 0;
    bool finished = false;
    for (int round = 0; round < 10; ++round) {
      if (round % 3 == 2) grow();
      if (finished) REQUIRE(proc::run({TSYNC_BINARY, "reset", "--config", config}).exit_code == 0);
      const int code = run_killed({TSYNC_BINARY, "sync", "--quiet", "--config", config},
                                  std::chrono::milliseconds(delay_ms(random)));
      finished = code == 0;
      if (code == 128 + SIGKILL) ++kills;
      CAPTURE(round);
      check_sound_events();
    }
    CHECK(kills >= 5);
    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config});
    CHECK(done.exit_code == 0);
    e2e::check_table_equals(db, "events", store);
  }

  TEST_CASE("SIGKILL during full passes never marks deleted a row the API still holds") {
    Options options;
    options.users = 12000;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << "{\"base_url\": \"" << api.base_url()
                          << "\", \"checkpoint_rows\": 300, \"retry_base_seconds\": 0.01, "
                          << "\"sorted_apply_rows\": 40}";
    const std::string db = dir.file("replica.db");
    const TempFilesIn temp(dir.file("tmp"));
    REQUIRE(
        proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db}).exit_code ==
        0);
    const auto removed = api.store().remove(300);
    const std::set<std::string> gone(removed.begin(), removed.end());
    options.rate_limit_bytes_per_second = 1500000;
    api.set_options(options);

    auto marked = [&] {
      std::set<std::string> ids;
      SQLite::Database d(db, SQLite::OPEN_READONLY);
      const bool has_column = d.execAndGet(
                                   "SELECT count(*) FROM pragma_table_info('user') WHERE name = "
                                   "'_tsync_deleted_at'")
                                  .getInt() > 0;
      if (!has_column) return ids;
      SQLite::Statement q(d, "SELECT id FROM user WHERE _tsync_deleted_at IS NOT NULL");
      while (q.executeStep()) ids.insert(q.getColumn(0).getString());
      return ids;
    };
    std::mt19937 random(20261126);
    std::uniform_int_distribution<int> delay_ms(30, 2000);
    int kills = 0;
    for (int round = 0; round < 8; ++round) {
      const int code =
          run_killed({TSYNC_BINARY, "sync", "--full", "--quiet", "--config", config, "--db", db},
                     std::chrono::milliseconds(delay_ms(random)));
      if (code == 128 + SIGKILL) ++kills;
      CAPTURE(round);
      check_sound(db, api);
      for (const std::string& id : marked())
        CHECK_MESSAGE(gone.count(id) == 1,
                      "user " << id << " is marked deleted but the API holds it");
      CHECK(temp.empty());
    }
    CHECK(kills >= 5);
    api.set_options(Options{});
    const auto done =
        proc::run({TSYNC_BINARY, "sync", "--full", "--quiet", "--config", config, "--db", db});
    CHECK(done.exit_code == 0);
    CHECK(marked() == gone);
    check_sound(db, api);
    CHECK_FALSE(std::filesystem::exists(tsync::seen_path_of(db, "user")));  // a killed pass's file is gone
  }
}
