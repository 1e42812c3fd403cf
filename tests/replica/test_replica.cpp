// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "replica/replica_test_support.hpp"
#include "support/support.hpp"
#include "support/wait.hpp"

namespace {

using tsync::Cursor;
using tsync::Replica;
using tsync::ReplicaWriter;
using tsync::test::make_user;
using tsync::test::TempDir;
using tsync::test::user_table;
using tsync::test::UserRecord;

}  // namespace

TEST_SUITE("replica") {
  TEST_CASE("opening a replica again keeps its rows, cursor and mode") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    {
      Replica replica(path);
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      writer.upsert(make_user("a", "2024-01-15T10:30:00Z"));
      const Cursor cursor = cursor_at("2024-01-15T10:30:00Z");
      writer.commit(&cursor, {});
      writer.finish("ok", "", {});
    }
    Replica again(path);
    CHECK(count(again.db(), "SELECT count(*) FROM user") == 1);
    CHECK(count(again.db(), "PRAGMA user_version") == 2);
    const auto cursor = again.cursor("user");
    REQUIRE(cursor.has_value());
    CHECK(cursor->text == "2024-01-15T10:30:00Z");
    CHECK(file_mode(path) == 0600);
  }

  TEST_CASE("a reader can read while a sync writes, and does not block its commit (WAL)") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    tsync::ReplicaOptions options;
    options.cache_size_mib = 1;     // the writer spills its transaction to the file
    options.busy_timeout_ms = 200;  // and does not wait long for a lock
    Replica replica(path, options);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    writer.upsert(make_user("first", "2024-01-15T10:00:00Z"));
    writer.commit(nullptr, {});

    for (int i = 0; i < 30; ++i) {
      UserRecord big = make_user("big" + std::to_string(i), "2024-01-15T10:05:00Z");
      big[UserRecord::kAddress].set(big_value(static_cast<char>(i)));
      writer.upsert(big);
    }
    REQUIRE(writer.uncommitted_rows() == 30);

    SQLite::Database reader = open_reader(path);  // no busy timeout: a lock fails at once
    std::int64_t seen = -1;
    CHECK_NOTHROW(seen = count(reader, "SELECT count(*) FROM user"));
    CHECK(seen == 1);

    SQLite::Statement open_read(reader, "SELECT id FROM user");
    REQUIRE(open_read.executeStep());  // holds a read snapshot across the commit
    CHECK_NOTHROW(writer.commit(nullptr, {}));
    CHECK_FALSE(open_read.executeStep());  // its snapshot still has the one row
    open_read.reset();
    CHECK(count(reader, "SELECT count(*) FROM user") == 31);
  }

  TEST_CASE("recent_runs lists the newest run first, up to the limit") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));
    CHECK(replica.recent_runs(10).empty());
    std::optional<Cursor> before;
    const char* statuses[] = {"ok", "error", "interrupted"};
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 3; ++i) {
      ReplicaWriter writer(replica, "user", user_table(), before);
      for (int j = 0; j <= i; ++j)
        writer.upsert(make_user("r" + std::to_string(i) + "-" + std::to_string(j),
                                "2024-01-1" + std::to_string(i + 1) + "T00:00:00Z"));
      const Cursor cursor = cursor_at("2024-01-1" + std::to_string(i + 1) + "T00:00:00Z");
      writer.commit(&cursor, {});
      writer.finish(statuses[i], i == 1 ? "boom" : "", {});
      ids.push_back(writer.run_id());
      before = cursor;
    }
    const auto runs = replica.recent_runs(10);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].run_id == ids[2]);
    CHECK(runs[1].run_id == ids[1]);
    CHECK(runs[2].run_id == ids[0]);
    CHECK(runs[0].status == "interrupted");
    CHECK(runs[1].status == "error");
    CHECK(runs[1].error == "boom");
    CHECK(runs[2].status == "ok");
    CHECK(runs[0].rows_new == 3);
    CHECK(runs[2].rows_new == 1);
    CHECK(runs[2].cursor_before.empty());
    CHECK(runs[1].cursor_before == runs[2].cursor_after);
    CHECK(runs[0].cursor_before == "2024-01-12T00:00:00Z");
    CHECK(runs[0].cursor_after == "2024-01-13T00:00:00Z");
    CHECK(runs[0].stream == "user");

    const auto latest = replica.recent_runs(2);
    REQUIRE(latest.size() == 2);
    CHECK(latest[0].run_id == ids[2]);
    CHECK(latest[1].run_id == ids[1]);
    CHECK(replica.recent_runs(0).empty());
  }

  TEST_CASE("cursor") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);

    SUBCASE("none before the first commit") { CHECK_FALSE(replica.cursor("user").has_value()); }
    SUBCASE("a stored cursor that is not a timestamp is reported") {
      replica.db().exec(
          "INSERT INTO _state (stream, last_timestamp) VALUES ('user', 'yesterday noon')");
      REQUIRE_THROWS_WITH_AS(
          replica.cursor("user"),
          (path + ": the saved cursor of user is not a timestamp: \"yesterday "
                  "noon\" (run `tsync reset --stream user` to sync it from the start again)")
              .c_str(),
          tsync::Error);
    }
    SUBCASE("one stream's cursor is not another's") {
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      const Cursor c1 = cursor_at("2024-01-15T10:00:00+01:00");
      writer.commit(&c1, {});
      CHECK_FALSE(replica.cursor("orders").has_value());
      const auto cursor = replica.cursor("user");
      REQUIRE(cursor.has_value());
      CHECK(cursor->text == "2024-01-15T10:00:00+01:00");
      CHECK(cursor->instant == tsync::test::instant_of("2024-01-15T09:00:00Z"));
    }
  }

  TEST_CASE("reset_cursor forgets the cursor and keeps the rows") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    {
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
      const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
      writer.commit(&c1, {});
      writer.finish("ok", "", {});
    }
    REQUIRE(replica.cursor("user").has_value());
    CHECK(replica.reset_cursor("user"));
    CHECK_FALSE(replica.cursor("user").has_value());
    SQLite::Database reader = open_reader(path);
    CHECK(count(reader, "SELECT count(*) FROM user") == 1);
    CHECK(count(reader,
                "SELECT count(*) FROM _state WHERE stream = 'user' AND "
                "last_timestamp IS NULL AND last_timestamp_utc IS NULL") == 1);
  }

  TEST_CASE("reset_cursor returns false when there is no cursor") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));

    SUBCASE("a stream never synced") { CHECK_FALSE(replica.reset_cursor("user")); }
    SUBCASE("a cursor already reset") {
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
      writer.commit(&c1, {});
      REQUIRE(replica.reset_cursor("user"));
      CHECK_FALSE(replica.reset_cursor("user"));
    }
  }

  TEST_CASE("status counts rows and rejected records per stream") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));
    CHECK(replica.status().empty());
    {
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
      writer.upsert(make_user("b", "2024-01-15T10:01:00Z"));
      writer.upsert(make_user("c", "2024-01-15T10:02:00Z"));
      writer.reject("{}", "no id");
      writer.reject("{\"id\":1}", "no updatedAt");
      const Cursor c1 = cursor_at("2024-01-15T10:02:00Z");
      writer.commit(&c1, {});
      writer.finish("ok", "", {});
    }
    auto status = replica.status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].stream == "user");
    REQUIRE(status[0].cursor.has_value());
    CHECK(*status[0].cursor == "2024-01-15T10:02:00Z");
    CHECK(status[0].saved_at.size() == 24);
    CHECK(status[0].rows == 3);
    CHECK(status[0].rejected == 2);

    replica.reset_cursor("user");
    status = replica.status();
    REQUIRE(status.size() == 1);
    CHECK_FALSE(status[0].cursor.has_value());
    CHECK(status[0].rows == 3);
  }

  TEST_CASE("open_existing reads a replica without creating or changing anything") {
    TempDir dir;
    const std::string path = dir.file("replica.db");

    SUBCASE("a missing replica") {
      REQUIRE_THROWS_WITH_AS(
          Replica::open_existing(path),
          (path + ": no such replica (run `tsync sync` first, or name one with --db)").c_str(),
          tsync::Error);
      CHECK_FALSE(std::filesystem::exists(path));
    }
    SUBCASE("an existing replica, closed") {
      {
        Replica replica(path);
        ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
        writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
        const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
        writer.commit(&c1, {});
        writer.finish("ok", "", {});
      }
      const auto replica = Replica::open_existing(path);
      const auto status = replica->status();
      REQUIRE(status.size() == 1);
      CHECK(status[0].rows == 1);
      CHECK(replica->cursor("user").value().text == "2024-01-15T10:00:00Z");
      CHECK(replica->recent_runs(5).size() == 1);
      CHECK_THROWS_AS(replica->db().exec("DELETE FROM user"), SQLite::Exception);
    }
    SUBCASE("a replica another connection is writing") {
      Replica writing(path);
      ReplicaWriter writer(writing, "user", user_table(), std::nullopt);
      writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
      writer.commit(nullptr, {});
      writer.upsert(make_user("b", "2024-01-15T10:01:00Z"));  // uncommitted
      const auto replica = Replica::open_existing(path);
      CHECK(count(replica->db(), "SELECT count(*) FROM user") == 1);
    }
  }
}  // TEST_SUITE("replica")
