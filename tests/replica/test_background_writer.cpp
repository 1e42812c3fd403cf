// SPDX-License-Identifier: Apache-2.0
// The writer thread: work is done in order, nothing handed over after the last
// commit survives a fault, and a failure on the thread reaches the caller.
#include <doctest/doctest.h>

#include <string>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "replica/background_writer.hpp"
#include "replica/replica.hpp"
#include "support/support.hpp"

namespace {

using tsync::BackgroundWriter;
using tsync::Cursor;
using tsync::Replica;
using tsync::ReplicaWriter;
using tsync::test::make_user;
using tsync::test::TempDir;
using tsync::test::user_table;
using tsync::test::UserRecord;

Cursor cursor_at(const std::string& text) { return Cursor{text, tsync::test::instant_of(text)}; }

std::int64_t count_rows(const std::string& path, const std::string& where = "1") {
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  return reader.execAndGet("SELECT count(*) FROM user WHERE " + where).getInt64();
}

std::string saved_cursor(const std::string& path) {
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(reader, "SELECT last_timestamp FROM _state WHERE stream = 'user'");
  return q.executeStep() && !q.getColumn(0).isNull() ? q.getColumn(0).getString() : "";
}

// A user whose timestamp grows with n, one second apart.
UserRecord numbered_user(int n) {
  const std::string second = std::to_string(n % 60), minute = std::to_string((n / 60) % 60),
                    hour = std::to_string(n / 3600);
  auto two = [](const std::string& s) { return s.size() == 1 ? "0" + s : s; };
  return make_user("u" + std::to_string(n),
                   "2024-01-01T" + two(hour) + ":" + two(minute) + ":" + two(second) + "Z");
}

}  // namespace

TEST_SUITE("background_writer") {
  TEST_CASE("rows, rejects and commits are written in order and counted") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    {
      BackgroundWriter background(writer);
      const int rows =
          static_cast<int>(BackgroundWriter::kBatchRows * BackgroundWriter::kMaxBatches * 3 + 7);
      for (int n = 0; n < rows; ++n) background.upsert(numbered_user(n));
      background.reject("{\"name\":\"x\"}", "no id");
      CHECK(background.uncommitted_rows() == rows + 1);
      const Cursor c = cursor_at("2024-01-01T23:59:59Z");
      background.commit(&c, {});
      CHECK(background.uncommitted_rows() == 0);
      background.upsert(numbered_user(0));  // a replay: no change
      background.commit(nullptr, {});
      background.drain();

      const auto cursors = background.take_committed_cursors();
      REQUIRE(cursors.size() == 1);
      CHECK(cursors[0].text == c.text);
      CHECK(background.take_committed_cursors().empty());
      CHECK(background.counters().rows_new == rows);
      CHECK(background.counters().rows_rejected == 1);
      CHECK(writer.committed().rows_new == rows);
      CHECK(writer.cursor() == c.text);
      CHECK(count_rows(path) == rows);
      CHECK(saved_cursor(path) == c.text);
    }
    writer.finish("ok", "", {});
  }

  TEST_CASE("settle drops what was handed over after the last commit and keeps what came before") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    const int before =
        static_cast<int>(BackgroundWriter::kBatchRows + 88);  // a queued batch and a partial one
    {
      BackgroundWriter background(writer);
      for (int n = 0; n < before; ++n) background.upsert(numbered_user(n));
      const Cursor c = cursor_at("2024-01-01T01:00:00Z");
      background.commit(&c, {});
      for (int n = before; n < before + 700; ++n) background.upsert(numbered_user(n));
      background.settle();
      CHECK(background.uncommitted_rows() == 0);
      writer.rollback();
      CHECK(count_rows(path) == before);
      CHECK(saved_cursor(path) == c.text);

      // The writer goes on after a settle, as a retry does.
      background.upsert(numbered_user(5000));
      background.commit(nullptr, {});
      background.drain();
    }
    CHECK(count_rows(path) == before + 1);
    CHECK(count_rows(path, "id = 'u5000'") == 1);
    writer.finish("ok", "", {});
  }

  TEST_CASE("a failure on the thread is rethrown to the caller and nothing after it is written") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    const Cursor c = cursor_at("2024-01-01T00:00:09Z");
    {
      BackgroundWriter background(writer);
      for (int n = 0; n < 10; ++n) background.upsert(numbered_user(n));
      background.commit(&c, {});
      background.drain();
      const auto pages = replica.db().execAndGet("PRAGMA page_count").getInt64();
      replica.db().exec("PRAGMA max_page_count = " + std::to_string(pages + 4));

      auto write_a_lot = [&] {
        for (int n = 100; n < 100000; ++n) {
          UserRecord big = numbered_user(n);
          big[UserRecord::kAddress].set(std::string(20000, 'x'));
          background.upsert(big);
        }
        background.drain();
      };
      REQUIRE_THROWS_WITH_AS(write_a_lot(), doctest::Contains("database or disk is full"),
                             tsync::Error);
      // Still failed: nothing more is taken.
      CHECK_THROWS_AS(background.commit(nullptr, {}), tsync::Error);
      CHECK_THROWS_AS(background.settle(), tsync::Error);
      background.settle_quietly();
    }
    writer.finish("error", "disk full", {});
    CHECK(count_rows(path) == 10);
    CHECK(saved_cursor(path) == c.text);
  }

  TEST_CASE("destroying it with work queued stops the thread, the writer rolls the work back") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    Replica replica(path);
    ReplicaWriter writer(replica, "user", user_table(), std::nullopt);
    {
      BackgroundWriter background(writer);
      for (int n = 0; n < 3000; ++n) background.upsert(numbered_user(n));
    }
    writer.finish("interrupted", "", {});
    CHECK(count_rows(path) == 0);
  }
}
