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
using tsync::RunCounters;
using tsync::test::make_user;
using tsync::test::TempDir;
using tsync::test::user_table;
using tsync::test::UserRecord;

}  // namespace

TEST_SUITE("replica_writer") {
  TEST_CASE("upsert inserts, updates newer versions and never goes back in time") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    SQLite::Database& db = replica.db();

    SUBCASE("a new id is inserted and counted as new") {
      const UserRecord user = make_user("u1", "2024-01-15T10:30:00Z", "Ada");
      writer.upsert(user);
      CHECK(writer.counters().rows_new == 1);
      CHECK(writer.counters().rows_updated == 0);
      CHECK(writer.uncommitted_rows() == 1);
      CHECK(stored_user(db, "u1") == expected_row(user));
      {
        SQLite::Database reader = open_reader(path);
        CHECK_FALSE(stored_user(reader, "u1").has_value());  // not committed yet
      }
      writer.commit(nullptr, {});
      SQLite::Database reader = open_reader(path);
      CHECK(stored_user(reader, "u1") == expected_row(user));
      CHECK(writer.committed().rows_new == 1);
    }

    SUBCASE("a newer version updates the row and is counted as updated") {
      writer.upsert(make_user("u1", "2024-01-15T10:30:00Z", "Old"));
      writer.commit(nullptr, {});
      const UserRecord newer = make_user("u1", "2024-01-15T10:30:01Z", "New");
      writer.upsert(newer);
      CHECK(writer.counters().rows_new == 1);
      CHECK(writer.counters().rows_updated == 1);
      CHECK(stored_user(db, "u1") == expected_row(newer));
      CHECK(count(db, "SELECT count(*) FROM user") == 1);
    }

    SUBCASE("an older version never overwrites a newer one") {
      const UserRecord newer = make_user("u1", "2024-01-15T10:30:01Z", "New");
      writer.upsert(newer);
      writer.upsert(make_user("u1", "2024-01-15T10:30:00Z", "Old"));
      CHECK(writer.counters().rows_new == 1);
      CHECK(writer.counters().rows_updated == 0);
      CHECK(stored_user(db, "u1") == expected_row(newer));
      writer.commit(nullptr, {});

      ReplicaWriter later(replica, "user", user_table(), std::nullopt);
      later.upsert(make_user("u1", "2023-12-31T23:59:59Z", "Older still"));
      CHECK(later.counters().rows_updated == 0);
      CHECK(stored_user(db, "u1") == expected_row(newer));
    }

    SUBCASE("versions are compared as instants, not as the API's text") {
      // "11:00:00+02:00" sorts after "10:30:00Z" as text but is 09:00Z: older.
      const UserRecord stored = make_user("u1", "2024-01-15T10:30:00Z", "Stored");
      writer.upsert(stored);
      writer.upsert(make_user("u1", "2024-01-15T11:00:00+02:00", "Older"));
      CHECK(writer.counters().rows_updated == 0);
      CHECK(stored_name(db, "u1") == "Stored");
      // "10:30:00.123Z" sorts before "10:30:00Z" as text but is newer.
      writer.upsert(make_user("u1", "2024-01-15T10:30:00.123Z", "Newer"));
      CHECK(writer.counters().rows_updated == 1);
      CHECK(stored_name(db, "u1") == "Newer");
      CHECK(stored_user(db, "u1").value()[UserRecord::kUpdatedAt] ==
            "2024-01-15T10:30:00.123000000Z");
    }

    SUBCASE("an identical replay changes nothing and counts nothing") {
      const UserRecord user = make_user("u1", "2024-01-15T10:30:00Z", "Ada");
      writer.upsert(user);
      writer.upsert(user);
      CHECK(writer.counters().rows_new == 1);
      CHECK(writer.counters().rows_updated == 0);
      writer.commit(nullptr, {});
      const int changes_before = sqlite3_total_changes(db.getHandle());

      ReplicaWriter replay(replica, "user", user_table(), std::nullopt);
      const int changes_after_start = sqlite3_total_changes(db.getHandle());
      CHECK(changes_after_start > changes_before);  // the run's log row
      replay.upsert(user);
      CHECK(replay.counters().rows_new == 0);
      CHECK(replay.counters().rows_updated == 0);
      CHECK(sqlite3_total_changes(db.getHandle()) == changes_after_start);
      CHECK(stored_user(db, "u1") == expected_row(user));
    }

    SUBCASE("the same updatedAt with different content updates") {
      writer.upsert(make_user("u1", "2024-01-15T10:30:00Z", "Ada"));
      UserRecord changed = make_user("u1", "2024-01-15T10:30:00Z", "Ada Lovelace");
      writer.upsert(changed);
      CHECK(writer.counters().rows_updated == 1);
      CHECK(stored_user(db, "u1") == expected_row(changed));

      changed[UserRecord::kJob].clear();  // a value becoming NULL is a change too
      writer.upsert(changed);
      CHECK(writer.counters().rows_updated == 2);
      CHECK(stored_user(db, "u1") == expected_row(changed));

      writer.upsert(changed);  // and replaying it is not
      CHECK(writer.counters().rows_updated == 2);
      CHECK(writer.counters().rows_new == 1);
    }
  }

  TEST_CASE("NULL fields are stored as NULL and empty text as empty text") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);

    UserRecord nulls = make_user("nulls", "2024-01-15T10:30:00Z");
    for (auto column : {UserRecord::kName, UserRecord::kEmail, UserRecord::kAddress,
                        UserRecord::kCompany, UserRecord::kJob, UserRecord::kCreatedAt})
      nulls[column].clear();
    UserRecord empties = make_user("empties", "2024-01-15T10:30:00Z");
    for (auto column : {UserRecord::kName, UserRecord::kEmail, UserRecord::kAddress,
                        UserRecord::kCompany, UserRecord::kJob})
      empties[column].set("");
    writer.upsert(nulls);
    writer.upsert(empties);
    writer.commit(nullptr, {});

    SQLite::Database reader = open_reader(replica.path());
    const auto stored_nulls = stored_user(reader, "nulls");
    REQUIRE(stored_nulls.has_value());
    CHECK(*stored_nulls == expected_row(nulls));
    CHECK_FALSE((*stored_nulls)[UserRecord::kName].has_value());
    CHECK_FALSE((*stored_nulls)[UserRecord::kCreatedAt].has_value());
    CHECK(count(reader,
                "SELECT count(*) FROM user WHERE name IS NULL AND email IS NULL AND "
                "address IS NULL AND company IS NULL AND job IS NULL AND "
                "createdAt IS NULL") == 1);
    CHECK(count(reader,
                "SELECT count(*) FROM user WHERE name = '' AND email = '' AND "
                "address = '' AND company = '' AND job = ''") == 1);
    CHECK(stored_user(reader, "empties") == expected_row(empties));
  }

  TEST_CASE("values are stored byte-exact: embedded NUL, any byte, 100 KB") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);

    using namespace std::string_literals;
    UserRecord user = make_user("id\0with NUL"s, "2024-01-15T10:30:00Z");
    user[UserRecord::kName].set("before\0after"s);
    user[UserRecord::kAddress].set(big_value('a'));
    user[UserRecord::kJob].set("caf\xc3\xa9 \xff\xfe not UTF-8");
    UserRecord prefix = make_user("id", "2024-01-15T10:30:00Z");  // a prefix of the id above
    writer.upsert(user);
    writer.upsert(prefix);
    CHECK(writer.counters().rows_new == 2);
    writer.commit(nullptr, {});

    SQLite::Database reader = open_reader(replica.path());
    CHECK(count(reader, "SELECT count(*) FROM user") == 2);
    const auto stored = stored_user(reader, "id\0with NUL"s);
    REQUIRE(stored.has_value());
    CHECK((*stored)[UserRecord::kId]->size() == 11);
    CHECK((*stored)[UserRecord::kName] == "before\0after"s);
    CHECK((*stored)[UserRecord::kAddress]->size() == 100 * 1024);
    CHECK((*stored)[UserRecord::kAddress] == big_value('a'));
    CHECK(*stored == expected_row(user));
    CHECK(stored_user(reader, "id") == expected_row(prefix));
    CHECK(count(reader,
                "SELECT count(*) FROM user WHERE typeof(name) = 'text' AND "
                "typeof(address) = 'text'") == 2);
  }

  TEST_CASE("reject keeps a record verbatim with its reason, once") {
    TempDir dir;
    Replica replica(dir.file("replica.db"));
    using namespace std::string_literals;
    const std::string raw = "{\"name\":\"no id\",\"note\":\"nul\0inside\"}"s;
    const std::string other = R"({"id":"7","updatedAt":"yesterday"})";
    {
      ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
      writer.reject(raw, "no id");
      writer.reject(raw, "no id");
      writer.reject(raw, "a different reason, same record");
      CHECK(writer.counters().rows_rejected == 1);
      writer.reject(other, "updatedAt: not a timestamp");
      CHECK(writer.counters().rows_rejected == 2);
      writer.commit(nullptr, {});
      writer.finish("ok", "", {});
    }
    SQLite::Database reader = open_reader(replica.path());
    CHECK(count(reader, "SELECT count(*) FROM _rejected") == 2);
    SQLite::Statement query(
        reader, "SELECT stream, raw, reason, rejected_at FROM _rejected ORDER BY rowid");
    REQUIRE(query.executeStep());
    CHECK(query.getColumn(0).getString() == "user");
    CHECK(column_bytes(query.getColumn(1)) == raw);
    CHECK(query.getColumn(2).getString() == "no id");
    CHECK(query.getColumn(3).getString().size() == 24);  // 2024-01-15T10:30:00.000Z
    REQUIRE(query.executeStep());
    CHECK(column_bytes(query.getColumn(1)) == other);
    CHECK(query.getColumn(2).getString() == "updatedAt: not a timestamp");
    query.reset();  // ends the reader's snapshot, so it sees later commits

    SUBCASE("a later run does not keep or count it again") {
      ReplicaWriter again(replica, "user", user_table(), std::nullopt);
      again.reject(raw, "no id");
      CHECK(again.counters().rows_rejected == 0);
      again.commit(nullptr, {});
      CHECK(count(reader, "SELECT count(*) FROM _rejected") == 2);
      CHECK(replica.recent_runs(1).at(0).rows_rejected == 0);
    }
    SUBCASE("the same text from another stream is kept for that stream") {
      tsync::TableSpec orders_table = user_table();
      orders_table.table = "orders";
      ReplicaWriter orders(replica, "orders", orders_table, std::nullopt);
      orders.reject(raw, "no id");
      CHECK(orders.counters().rows_rejected == 1);
      orders.commit(nullptr, {});
      CHECK(count(reader, "SELECT count(*) FROM _rejected WHERE stream = 'orders'") == 1);
    }
  }

  TEST_CASE("commit saves the rows, the cursor and the run's counters together") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    REQUIRE(writer.run_id() > 0);
    CHECK(writer.cursor().empty());
    {
      SQLite::Database reader = open_reader(path);
      SQLite::Statement run(reader,
                            "SELECT status, stream, cursor_before IS NULL, finished_at IS NULL, "
                            "started_at FROM _sync_log WHERE run_id = ?1");
      run.bind(1, static_cast<std::int64_t>(writer.run_id()));
      REQUIRE(run.executeStep());  // the run is visible from its start
      CHECK(run.getColumn(0).getString() == "running");
      CHECK(run.getColumn(1).getString() == "user");
      CHECK(run.getColumn(2).getInt() == 1);
      CHECK(run.getColumn(3).getInt() == 1);
      CHECK(run.getColumn(4).getString().size() == 24);
    }

    writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
    writer.upsert(make_user("b", "2024-01-15T10:30:00.5+02:00"));
    writer.reject("{}", "no id");

    SUBCASE("with a cursor") {
      const Cursor cursor = cursor_at("2024-01-15T12:30:00.5+02:00");
      RunCounters io;
      io.requests = 3;
      io.retries = 1;
      io.bytes = 12345;
      writer.commit(&cursor, io);
      CHECK(writer.uncommitted_rows() == 0);
      CHECK(writer.committed().rows_new == 2);
      CHECK(writer.committed().rows_rejected == 1);
      CHECK(writer.cursor() == "2024-01-15T12:30:00.5+02:00");

      SQLite::Database reader = open_reader(path);
      CHECK(count(reader, "SELECT count(*) FROM user") == 2);
      CHECK(count(reader, "SELECT count(*) FROM _rejected") == 1);
      SQLite::Statement state(
          reader,
          "SELECT last_timestamp, last_timestamp_utc, saved_at FROM _state WHERE stream = 'user'");
      REQUIRE(state.executeStep());
      CHECK(state.getColumn(0).getString() == "2024-01-15T12:30:00.5+02:00");  // as the API sent it
      CHECK(state.getColumn(1).getString() == "2024-01-15T10:30:00.500000000Z");
      CHECK(state.getColumn(2).getString().size() == 24);
      CHECK_FALSE(state.executeStep());

      SQLite::Statement run(reader,
                            "SELECT status, rows_new, rows_updated, rows_rejected, requests, "
                            "retries, bytes, cursor_after, finished_at IS NULL, error IS NULL "
                            "FROM _sync_log WHERE run_id = ?1");
      run.bind(1, static_cast<std::int64_t>(writer.run_id()));
      REQUIRE(run.executeStep());
      CHECK(run.getColumn(0).getString() == "running");
      CHECK(run.getColumn(1).getInt64() == 2);
      CHECK(run.getColumn(2).getInt64() == 0);
      CHECK(run.getColumn(3).getInt64() == 1);
      CHECK(run.getColumn(4).getInt64() == 3);
      CHECK(run.getColumn(5).getInt64() == 1);
      CHECK(run.getColumn(6).getInt64() == 12345);
      CHECK(run.getColumn(7).getString() == "2024-01-15T12:30:00.5+02:00");
      CHECK(run.getColumn(8).getInt() == 1);
      CHECK(run.getColumn(9).getInt() == 1);

      const auto saved = replica.cursor("user");
      REQUIRE(saved.has_value());
      CHECK(saved->text == cursor.text);
      CHECK(saved->instant == cursor.instant);

      // The next run starts from it.
      ReplicaWriter next(replica, "user", user_table(), saved);
      CHECK(next.cursor() == cursor.text);
      CHECK(replica.recent_runs(1).at(0).cursor_before == cursor.text);
    }

    SUBCASE("without a cursor: rows are saved, the cursor does not move") {
      writer.commit(nullptr, {});
      SQLite::Database reader = open_reader(path);
      CHECK(count(reader, "SELECT count(*) FROM user") == 2);
      CHECK_FALSE(saved_cursor_text(reader, "user").has_value());
      CHECK_FALSE(replica.cursor("user").has_value());
      CHECK(count(reader,
                  "SELECT count(*) FROM _sync_log WHERE cursor_after IS NULL AND "
                  "rows_new = 2") == 1);
    }
  }

  TEST_CASE("rollback discards everything since the last commit") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    const UserRecord a = make_user("a", "2024-01-15T10:00:00Z", "A1");
    writer.upsert(a);
    writer.upsert(make_user("b", "2024-01-15T10:01:00Z"));
    const Cursor c1 = cursor_at("2024-01-15T10:01:00Z");
    writer.commit(&c1, {});

    writer.upsert(make_user("c", "2024-01-15T10:02:00Z"));
    writer.upsert(make_user("a", "2024-01-15T10:03:00Z", "A2"));
    writer.reject("{\"bad\":1}", "no id");
    CHECK(writer.counters().rows_new == 3);
    CHECK(writer.counters().rows_updated == 1);
    CHECK(writer.uncommitted_rows() == 3);
    CHECK(count(replica.db(), "SELECT count(*) FROM user") == 3);

    writer.rollback();
    CHECK(sqlite3_get_autocommit(replica.db().getHandle()) != 0);  // no transaction left open
    CHECK(count(replica.db(), "SELECT count(*) FROM user") == 2);
    CHECK(stored_user(replica.db(), "a") == expected_row(a));
    CHECK(count(replica.db(), "SELECT count(*) FROM _rejected") == 0);
    CHECK(writer.counters().rows_new == 2);
    CHECK(writer.counters().rows_updated == 0);
    CHECK(writer.counters().rows_rejected == 0);
    CHECK(writer.uncommitted_rows() == 0);
    CHECK(writer.cursor() == c1.text);

    // The writer goes on after a rollback.
    writer.upsert(make_user("d", "2024-01-15T10:04:00Z"));
    writer.commit(nullptr, {});
    SQLite::Database reader = open_reader(path);
    CHECK(reader.execAndGet("SELECT group_concat(id, ',') FROM (SELECT id FROM user ORDER BY id)")
              .getString() == "a,b,d");
    CHECK(saved_cursor_text(reader, "user") == c1.text);
  }

  TEST_CASE("a writer destroyed without commit leaves the last commit") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
    {
      Replica replica(path);
      {
        ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
        writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
        writer.commit(&c1, {});
        writer.upsert(make_user("b", "2024-01-15T10:05:00Z"));
        writer.reject("{}", "no id");
        CHECK(count(replica.db(), "SELECT count(*) FROM user") == 2);
      }
      CHECK(sqlite3_get_autocommit(replica.db().getHandle()) != 0);
      CHECK(count(replica.db(), "SELECT count(*) FROM user") == 1);
    }
    SQLite::Database reader = open_reader(path);
    CHECK(count(reader, "SELECT count(*) FROM user WHERE id = 'a'") == 1);
    CHECK(count(reader, "SELECT count(*) FROM user") == 1);
    CHECK(count(reader, "SELECT count(*) FROM _rejected") == 0);
    CHECK(saved_cursor_text(reader, "user") == c1.text);
  }

  TEST_CASE("a process killed mid-transaction leaves the last commit") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        Replica replica(path);
        ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
        writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
        const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
        writer.commit(&c1, {});
        for (int i = 0; i < 50; ++i) {
          UserRecord big = make_user("b" + std::to_string(i), "2024-01-15T10:05:00Z");
          big[UserRecord::kAddress].set(big_value(static_cast<char>(i)));
          writer.upsert(big);  // 5 MB uncommitted, partly spilled to the WAL
        }
        ::kill(::getpid(), SIGKILL);
      } catch (...) {
      }
      ::_exit(3);
    }
    int wait_status = 0;
    REQUIRE(::waitpid(child, &wait_status, 0) == child);
    REQUIRE(WIFSIGNALED(wait_status));
    CHECK(WTERMSIG(wait_status) == SIGKILL);

    Replica replica(path);
    CHECK(count(replica.db(), "SELECT count(*) FROM user") == 1);
    CHECK(replica.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
    const auto cursor = replica.cursor("user");
    REQUIRE(cursor.has_value());
    CHECK(cursor->text == "2024-01-15T10:00:00Z");
    const auto runs = replica.recent_runs(1);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == "running");  // it never finished
    CHECK(runs[0].rows_new == 1);
  }

  TEST_CASE("a writer that cannot get the write lock says who holds it") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    tsync::ReplicaOptions options;
    options.busy_timeout_ms = 100;
    Replica replica(path, options);
    SQLite::Database other(path, SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    REQUIRE_THROWS_WITH_AS(ReplicaWriter(replica, "user", user_table(), std::nullopt),
                           (path + ": database is locked (another program holds a write lock on "
                                   "the replica)")
                               .c_str(),
                           tsync::Error);
    other.exec("ROLLBACK");
    CHECK_NOTHROW(ReplicaWriter(replica, "user", user_table(), std::nullopt));
  }

  TEST_CASE("finish records the run's status, end time and error") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    writer.upsert(make_user("a", "2024-01-15T10:00:00Z"));
    writer.commit(&c1, {});
    RunCounters io;
    io.requests = 2;
    io.retries = 1;
    io.bytes = 999;

    SUBCASE("ok") {
      writer.finish("ok", "", io);
      const auto runs = replica.recent_runs(5);
      REQUIRE(runs.size() == 1);
      CHECK(runs[0].run_id == writer.run_id());
      CHECK(runs[0].status == "ok");
      CHECK(runs[0].error.empty());
      CHECK(runs[0].finished_at.size() == 24);
      CHECK(runs[0].finished_at >= runs[0].started_at);
      CHECK(runs[0].rows_new == 1);
      CHECK(runs[0].requests == 2);
      CHECK(runs[0].retries == 1);
      CHECK(runs[0].bytes == 999);
      CHECK(runs[0].cursor_after == c1.text);
      SQLite::Database reader = open_reader(path);
      CHECK(count(reader,
                  "SELECT count(*) FROM _sync_log WHERE status = 'ok' AND error IS NULL "
                  "AND finished_at IS NOT NULL") == 1);
    }

    SUBCASE("error, with uncommitted rows") {
      writer.upsert(make_user("b", "2024-01-15T10:05:00Z"));
      writer.reject("{}", "no id");
      writer.finish("error", "GET http://127.0.0.1/users: HTTP 500 after 5 attempts", io);
      SQLite::Database reader = open_reader(path);
      CHECK(count(reader, "SELECT count(*) FROM user") == 1);  // b was not committed
      CHECK(count(reader, "SELECT count(*) FROM _rejected") == 0);
      CHECK(saved_cursor_text(reader, "user") == c1.text);
      const auto runs = replica.recent_runs(1);
      REQUIRE(runs.size() == 1);
      CHECK(runs[0].status == "error");
      CHECK(runs[0].error == "GET http://127.0.0.1/users: HTTP 500 after 5 attempts");
      CHECK(runs[0].finished_at.size() == 24);
      CHECK(runs[0].rows_new == 1);  // what was committed, not what was attempted
      CHECK(runs[0].rows_rejected == 0);
      CHECK(runs[0].cursor_after == c1.text);
    }

    SUBCASE("interrupted") {
      writer.finish("interrupted", "interrupted by SIGINT", io);
      const auto runs = replica.recent_runs(1);
      REQUIRE(runs.size() == 1);
      CHECK(runs[0].status == "interrupted");
      CHECK(runs[0].error == "interrupted by SIGINT");
      CHECK_FALSE(runs[0].finished_at.empty());
    }
  }

  TEST_CASE("a full disk fails the write and keeps the last commit") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    for (const char* id : {"a", "b", "c"}) writer.upsert(make_user(id, "2024-01-15T10:00:00Z"));
    const Cursor c1 = cursor_at("2024-01-15T10:00:00Z");
    writer.commit(&c1, {});

    const auto pages = count(replica.db(), "PRAGMA page_count");
    replica.db().exec("PRAGMA max_page_count = " + std::to_string(pages + 8));
    const auto write_a_lot = [&] {
      for (int i = 0; i < 200; ++i) {  // 20 MB, far beyond 8 more pages
        UserRecord big = make_user("big" + std::to_string(i), "2024-01-15T11:00:00Z");
        big[UserRecord::kAddress].set(big_value(static_cast<char>(i)));
        writer.upsert(big);
      }
    };
    const std::string expected =
        path +
        ": database or disk is full (free some disk space, beside the replica and in SQLite's "
        "temporary folder, where large syncs stage and sort their rows: SQLITE_TMPDIR, else "
        "TMPDIR, else /var/tmp or /tmp; the replica keeps its last committed state)";
    REQUIRE_THROWS_WITH_AS(write_a_lot(), expected.c_str(), tsync::Error);
    writer.finish("error", expected, {});

    SQLite::Database reader = open_reader(path);
    CHECK(count(reader, "SELECT count(*) FROM user") == 3);
    CHECK(count(reader, "SELECT count(*) FROM user WHERE id LIKE 'big%'") == 0);
    CHECK(saved_cursor_text(reader, "user") == c1.text);
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
    const auto runs = replica.recent_runs(1);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].status == "error");
    CHECK(runs[0].error == expected);
    CHECK(runs[0].rows_new == 3);
  }
}  // TEST_SUITE("replica_writer")
