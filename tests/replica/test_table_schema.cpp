// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "replica/replica_test_support.hpp"
#include "replica/table_schema.hpp"
#include "support/support.hpp"

using tsync::ColumnType;
using tsync::Record;
using tsync::ValueKind;

using tsync::test::make_record;

TEST_SUITE("table_schema") {
  TEST_CASE("a column added in a transaction that rolls back is added again later") {
    tsync::test::TempDir dir;
    tsync::Replica replica(dir.file("replica.db"));
    tsync::ReplicaWriter writer(replica, "t", spec_of("t"), std::nullopt);
    const Record with_phone = make_record({{"id", ValueKind::String, "a"},
                                           {"updatedAt", ValueKind::String, "2024-01-15T10:00:00Z"},
                                           {"phone", ValueKind::String, "555"}});
    writer.upsert(with_phone);
    writer.rollback();
    auto columns = [&] {
      return replica.db()
          .execAndGet("SELECT count(*) FROM pragma_table_info('t') WHERE name = 'phone'")
          .getInt();
    };
    CHECK(columns() == 0);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _columns WHERE field = 'phone'").getInt() ==
          0);
    writer.upsert(with_phone);
    writer.commit(nullptr, {});
    CHECK(columns() == 1);
    CHECK(value_of(replica.db(), "t", "phone", "a") ==
          std::pair<std::string, std::string>{"text", "555"});
  }

  TEST_CASE("a table keeps its declared types when the configuration stops declaring them") {
    tsync::test::TempDir dir;
    tsync::Replica replica(dir.file("replica.db"));
    {
      tsync::ReplicaWriter writer(replica, "t", spec_of("t", {{"seen", ColumnType::UtcDatetime}}),
                                  std::nullopt);
      writer.finish("ok", "", {});
    }
    tsync::ReplicaWriter writer(replica, "t", spec_of("t"), std::nullopt);
    writer.upsert(make_record({{"id", ValueKind::String, "a"},
                               {"updatedAt", ValueKind::String, "2024-01-15T10:00:00Z"},
                               {"seen", ValueKind::String, "2024-01-01T01:00:00+01:00"}}));
    writer.commit(nullptr, {});
    CHECK(value_of(replica.db(), "t", "seen", "a").second == "2024-01-01T00:00:00.000000000Z");
  }

  TEST_CASE("a table whose primary key is not the stream's is refused with a way out") {
    tsync::test::TempDir dir;
    tsync::Replica replica(dir.file("replica.db"));
    { tsync::ReplicaWriter writer(replica, "t", spec_of("t"), std::nullopt); }
    tsync::TableSpec other = spec_of("t");
    other.primary_key = {"account_id", "id"};
    CHECK_THROWS_WITH_AS(tsync::ReplicaWriter(replica, "t2", other, std::nullopt),
                         "table t has the primary key (id) but the stream's primary_key is "
                         "(account_id, id); name another table for the stream, or drop this one "
                         "to sync it afresh",
                         tsync::Error);
  }

  TEST_CASE("a replica made before streams is read as the user stream's table") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    {
      // The version 1 layout: the user table made by schema.sql, no _columns.
      SQLite::Database old(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      old.exec(
          "CREATE TABLE user (id TEXT PRIMARY KEY NOT NULL, name TEXT, email TEXT, address TEXT,"
          " company TEXT, job TEXT, updatedAt TEXT NOT NULL, createdAt TEXT);"
          "CREATE TABLE _state (stream TEXT PRIMARY KEY NOT NULL, last_timestamp TEXT,"
          " last_timestamp_utc TEXT, saved_at TEXT);"
          "CREATE TABLE _rejected (rowid INTEGER PRIMARY KEY, stream TEXT NOT NULL, raw TEXT NOT "
          "NULL, reason TEXT NOT NULL, rejected_at TEXT NOT NULL, UNIQUE (stream, raw));"
          "CREATE TABLE _sync_log (run_id INTEGER PRIMARY KEY, stream TEXT NOT NULL, started_at "
          "TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, rows_new INTEGER NOT NULL "
          "DEFAULT 0, rows_updated INTEGER NOT NULL DEFAULT 0, rows_rejected INTEGER NOT NULL "
          "DEFAULT 0, requests INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0, "
          "bytes INTEGER NOT NULL DEFAULT 0, cursor_before TEXT, cursor_after TEXT, error TEXT);"
          "INSERT INTO user VALUES ('u1', 'Ada', NULL, NULL, NULL, NULL,"
          " '2024-01-15T10:30:00.000000000Z', NULL);"
          "INSERT INTO _state VALUES ('user', '2024-01-15T10:30:00Z',"
          " '2024-01-15T10:30:00.000000000Z', '2024-01-16T00:00:00Z');"
          "PRAGMA user_version = 1;");
    }
    {
      // `tsync status` reads it as it is, without changing it.
      const auto old = tsync::Replica::open_existing(path);
      const auto streams = old->status();
      REQUIRE(streams.size() == 1);
      CHECK(streams[0].table == "user");
      CHECK(streams[0].rows == 1);
      CHECK(old->recent_runs(5).empty());
      CHECK(old->schema_version() == 1);
    }
    tsync::Replica replica(path);
    CHECK(replica.db().execAndGet("PRAGMA user_version").getInt() == 2);
    CHECK(replica.db().execAndGet("SELECT table_name FROM _state").getString() == "user");
    REQUIRE(replica.cursor("user").has_value());
    tsync::ReplicaWriter writer(replica, "user", tsync::test::user_table(), replica.cursor("user"));
    writer.upsert(tsync::test::make_user("u2", "2024-01-16T00:00:00Z", "Bo"));
    writer.upsert(make_record({{"id", ValueKind::String, "u3"},
                               {"updatedAt", ValueKind::String, "2024-01-16T00:00:00Z"},
                               {"phone", ValueKind::String, "555"}}));
    writer.commit(nullptr, {});
    CHECK(replica.db().execAndGet("SELECT count(*) FROM user").getInt() == 3);
    CHECK(replica.db().execAndGet("SELECT phone FROM user WHERE id = 'u3'").getString() == "555");
    CHECK(replica.db()
              .execAndGet("SELECT count(*) FROM _columns WHERE table_name = 'user'")
              .getInt() == 9);
  }
}
