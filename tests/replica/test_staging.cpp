// SPDX-License-Identifier: Apache-2.0
// Staged transactions (ReplicaWriter::set_stage_after, TableWriter::stage):
// rows applied in key order at commit must leave exactly the table, the
// counters and the bookkeeping that row-by-row upserts leave.
#include <doctest/doctest.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "replica/sync_lock.hpp"
#include "support/support.hpp"

using tsync::ColumnType;
using tsync::Cursor;
using tsync::Record;
using tsync::ValueKind;

using tsync::test::make_record;

namespace {

tsync::TableSpec items_spec(bool hard_delete = false) {
  tsync::TableSpec spec;
  spec.table = "items";
  spec.columns = {{"qty", ColumnType::Int}, {"name", ColumnType::String}};
  spec.hard_delete = hard_delete;
  return spec;
}

// Every row of `table` as text, quote() per column, in key order.
std::vector<std::string> dump(SQLite::Database& db, const std::string& table) {
  std::vector<std::string> columns;
  {
    SQLite::Statement info(db, "SELECT name FROM pragma_table_info(?1) ORDER BY cid");
    info.bind(1, table);
    while (info.executeStep()) columns.push_back(info.getColumn(0).getString());
  }
  std::string select;
  // _tsync_deleted_at holds the run's start, which differs between runs: only
  // whether it is set is compared.
  for (const std::string& c : columns)
    select += (select.empty() ? "" : " || '|' || ") +
              (c == "_tsync_deleted_at" ? std::string("(\"_tsync_deleted_at\" IS NOT NULL)")
                                        : "quote(\"" + c + "\")");
  std::vector<std::string> rows;
  SQLite::Statement q(db, "SELECT " + select + " FROM \"" + table + "\" ORDER BY id");
  while (q.executeStep()) rows.push_back(q.getColumn(0).getString());
  return rows;
}

std::vector<std::string> dump_query(SQLite::Database& db, const std::string& sql) {
  std::vector<std::string> rows;
  SQLite::Statement q(db, sql);
  while (q.executeStep()) rows.push_back(q.getColumn(0).getString());
  return rows;
}

// A workload with every case the upsert rules tell apart: new keys, newer,
// older and same-instant versions, identical replays, keys repeated within one
// transaction, tombstones (inserted, updating, older, repeated), values of
// every kind, and fields that appear part-way (new columns).
std::vector<Record> workload(unsigned seed, int records) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::vector<Record> out;
  for (int i = 0; i < records; ++i) {
    const std::string id = "k" + std::to_string(pick(records / 3 + 1));
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2024-01-%02dT10:%02d:00Z", 1 + pick(3), pick(4));
    std::vector<std::tuple<std::string, ValueKind, std::string>> fields = {
        {"id", ValueKind::String, id}, {"updatedAt", ValueKind::String, stamp}};
    switch (pick(4)) {
      case 0:
        fields.emplace_back("qty", ValueKind::Integer, std::to_string(pick(3)));
        break;
      case 1:
        fields.emplace_back("qty", ValueKind::String, "many");
        break;
      case 2:
        fields.emplace_back("qty", ValueKind::Null, "");
        break;
      default:
        break;  // no qty: NULL
    }
    fields.emplace_back("name", ValueKind::String, "n" + std::to_string(pick(2)));
    // A field named like SQLite's own row number: staging keeps arrival order anyway.
    if (pick(3) == 0) fields.emplace_back("rowid", ValueKind::Integer, std::to_string(pick(1000)));
    if (i > records / 3 && pick(3) == 0) fields.emplace_back("price", ValueKind::Real, "2.50");
    if (i > records / 2 && pick(4) == 0)
      fields.emplace_back("tags", ValueKind::Json,
                          "[\"a\",{\"b\":" + std::to_string(pick(2)) + "}]");
    if (i > 2 * records / 3 && pick(5) == 0) fields.emplace_back("active", ValueKind::Bool, "true");
    out.push_back(make_record(fields, pick(6) == 0));
    if (pick(8) == 0) out.push_back(out.back());  // an identical replay
  }
  return out;
}

struct Outcome {
  std::vector<std::string> rows, columns, deleted;
  std::vector<tsync::RunCounters> commits;
};

// Applies `records` with stage_after (0: row by row), committing every `every`
// records, and returns the table, _columns, _deleted and each commit's counters.
// With stage_memory, staged rows past that many bytes go through sorted runs
// in the temporary file (runs_written counts them).
Outcome run(const std::string& path, const std::vector<Record>& records, std::int64_t stage_after,
            std::size_t every, bool hard_delete = false, std::size_t stage_memory = 0,
            std::size_t* runs_written = nullptr, tsync::TableSpec spec = {}) {
  std::filesystem::remove(path);
  tsync::Replica replica(path);
  if (spec.table.empty()) spec = items_spec(hard_delete);
  const std::string table = spec.table;
  tsync::ReplicaWriter writer(replica, "items", std::move(spec), std::nullopt);
  writer.set_stage_after(stage_after);
  writer.set_stage_memory(stage_memory);
  Outcome out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    writer.upsert(records[i]);
    if (runs_written && ((i + 1) % every == 0 || i + 1 == records.size()))
      *runs_written += writer.staged_runs();
    if ((i + 1) % every == 0 || i + 1 == records.size()) {
      writer.commit(nullptr, {});
      out.commits.push_back(writer.committed());
    }
  }
  out.rows = dump(replica.db(), table);
  out.columns =
      dump_query(replica.db(),
                 "SELECT field || '|' || column_name || '|' || coalesce(declared_type, '') "
                 "FROM _columns WHERE table_name = '" + table + "' ORDER BY field");
  out.deleted = dump_query(replica.db(), "SELECT key FROM _deleted ORDER BY key");
  return out;
}

void check_same(const Outcome& staged, const Outcome& direct) {
  CHECK(staged.rows == direct.rows);
  CHECK(staged.columns == direct.columns);
  CHECK(staged.deleted == direct.deleted);
  REQUIRE(staged.commits.size() == direct.commits.size());
  for (std::size_t i = 0; i < staged.commits.size(); ++i) {
    CAPTURE(i);
    CHECK(staged.commits[i].rows_new == direct.commits[i].rows_new);
    CHECK(staged.commits[i].rows_updated == direct.commits[i].rows_updated);
    CHECK(staged.commits[i].rows_deleted == direct.commits[i].rows_deleted);
    CHECK(staged.commits[i].rows_unchanged == direct.commits[i].rows_unchanged);
  }
}

// Every index of items, "name: sql", by name.
std::vector<std::string> index_schema(SQLite::Database& db) {
  return dump_query(db,
                    "SELECT name || ': ' || coalesce(sql, '') FROM sqlite_schema "
                    "WHERE type = 'index' AND tbl_name = 'items' ORDER BY name");
}

// More rows than the staged apply under which the table's indexes are kept in place.
constexpr int kManyRows = 60000;

// `n` rows of items from id `from` on: one a second from midnight, qty i % 7,
// a name of their own.
void write_items(tsync::ReplicaWriter& writer, int from, int n) {
  for (int i = 0; i < n; ++i) {
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2024-01-01T%02d:%02d:%02dZ", i / 3600 % 24, i / 60 % 60,
                  i % 60);
    writer.upsert(make_record({{"id", ValueKind::String, "id" + std::to_string(from + n - i)},
                               {"updatedAt", ValueKind::String, stamp},
                               {"qty", ValueKind::Integer, std::to_string(i % 7)},
                               {"name", ValueKind::String, "name" + std::to_string(from + i)}}));
  }
}

// A replica whose items writer stages every row after the first.
struct StagedItems {
  tsync::test::TempDir dir;
  std::string path = dir.file("replica.db");
  tsync::Replica replica{path};
  tsync::ReplicaWriter writer{replica, "items", items_spec(), std::nullopt};
  StagedItems() { writer.set_stage_after(1); }
};

}  // namespace

TEST_SUITE("staging") {
  TEST_CASE("staged transactions leave the table and counters that row-by-row upserts leave") {
    tsync::test::TempDir dir;
    for (unsigned seed : {1u, 2u, 3u}) {
      CAPTURE(seed);
      const std::vector<Record> records = workload(seed, 600);
      for (std::size_t every : {std::size_t(50), std::size_t(1000)}) {
        CAPTURE(every);
        const Outcome direct = run(dir.file("direct.db"), records, 0, every);
        REQUIRE(direct.rows.size() > 100);
        for (std::int64_t after : {1, 20}) {
          CAPTURE(after);
          check_same(run(dir.file("staged.db"), records, after, every), direct);
        }
      }
    }
  }

  TEST_CASE("staged rows merged from many sorted runs leave what row-by-row upserts leave") {
    tsync::test::TempDir dir;
    for (unsigned seed : {4u, 5u}) {
      CAPTURE(seed);
      const std::vector<Record> records = workload(seed, 3000);
      for (std::size_t every : {std::size_t(700), std::size_t(5000)}) {
        CAPTURE(every);
        const Outcome direct = run(dir.file("direct.db"), records, 0, every);
        std::size_t runs = 0;
        // 4 KiB of rows a run: a run holds a few dozen of them.
        check_same(run(dir.file("staged.db"), records, 1, every, false, 4096, &runs), direct);
        CHECK(runs > 10);
      }
    }
    const std::vector<Record> records = workload(6, 2000);
    check_same(run(dir.file("staged.db"), records, 1, 400, true, 4096),
               run(dir.file("direct.db"), records, 0, 400, true));
  }

  TEST_CASE("keys that SQLite holds for equal stay in arrival order however they were sent") {
    // An integer id in a TEXT key column is its digits, and a text id in an
    // INTEGER key column may be a number: staging must not put a later version
    // of one row before an earlier one at the same instant.
    tsync::test::TempDir dir;
    // JSON: a TEXT column that takes an integer as one (STRING binds its digits).
    for (const ColumnType key_type :
         {ColumnType::String, ColumnType::Json, ColumnType::Long, ColumnType::Any}) {
      CAPTURE(static_cast<int>(key_type));
      tsync::TableSpec spec;
      spec.table = "keyed";
      spec.columns = {{"id", key_type}, {"name", ColumnType::String}};
      std::mt19937 rng(11);
      std::vector<Record> records;
      for (int i = 0; i < 900; ++i) {
        const int k = static_cast<int>(rng() % 40);
        const auto kind = rng() % 3;
        std::vector<std::tuple<std::string, ValueKind, std::string>> fields = {
            {"id",
             kind == 0   ? ValueKind::Integer
             : kind == 1 ? ValueKind::String
                         : ValueKind::Real,
             kind == 2 ? std::to_string(k) + ".0" : std::to_string(k)},
            {"updatedAt", ValueKind::String, "2024-01-01T00:00:00Z"},
            {"name", ValueKind::String, "v" + std::to_string(i)}};
        records.push_back(make_record(fields));
      }
      std::size_t runs = 0;
      const Outcome direct = run(dir.file("direct.db"), records, 0, 300, false, 0, nullptr, spec);
      REQUIRE_FALSE(direct.rows.empty());
      check_same(run(dir.file("staged.db"), records, 1, 300, false, 2048, &runs, spec), direct);
    }
  }

  TEST_CASE("hard deletes between staged rows remove what came before them") {
    tsync::test::TempDir dir;
    const std::vector<Record> records = workload(7, 400);
    const Outcome direct = run(dir.file("direct.db"), records, 0, 90, true);
    REQUIRE_FALSE(direct.deleted.empty());
    check_same(run(dir.file("staged.db"), records, 1, 90, true), direct);
  }

  TEST_CASE("a rollback drops the staged rows, and staging starts afresh") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    auto item = [](const std::string& id, const std::string& at,
                   std::vector<std::tuple<std::string, ValueKind, std::string>> more = {}) {
      std::vector<std::tuple<std::string, ValueKind, std::string>> fields = {
          {"id", ValueKind::String, id}, {"updatedAt", ValueKind::String, at}};
      fields.insert(fields.end(), more.begin(), more.end());
      return make_record(fields);
    };
    writer.upsert(item("a", "2024-01-01T00:00:00Z"));
    writer.upsert(item("b", "2024-01-01T00:00:00Z", {{"colour", ValueKind::String, "red"}}));
    writer.rollback();
    CHECK(writer.counters().rows_new == 0);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == 0);

    writer.upsert(item("c", "2024-01-01T00:00:00Z"));
    writer.upsert(item("d", "2024-01-01T00:00:00Z", {{"size", ValueKind::Integer, "3"}}));
    const Cursor at{"2024-01-01T00:00:00Z", tsync::test::instant_of("2024-01-01T00:00:00Z")};
    writer.commit(&at, {});
    CHECK(writer.committed().rows_new == 2);
    CHECK(dump_query(reader, "SELECT id || ':' || quote(size) FROM items ORDER BY id") ==
          std::vector<std::string>{"c:NULL", "d:3"});
    // The rolled-back field never became a column; no staging table is left.
    CHECK(reader.execAndGet("SELECT count(*) FROM pragma_table_info('items') WHERE name = 'colour'")
              .getInt() == 0);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM temp.sqlite_schema").getInt() == 0);
  }

  TEST_CASE(
      "a large staged apply to a table that holds rows builds its plain indexes again, in the "
      "same transaction") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    tsync::Replica replica(path);
    {
      // A first run: the table holds a row, so the next run is not its first load.
      tsync::ReplicaWriter first(replica, "items", items_spec(), std::nullopt);
      first.upsert(make_record({{"id", ValueKind::String, "id0"},
                                {"updatedAt", ValueKind::String, "2023-12-31T00:00:00Z"},
                                {"name", ValueKind::String, "name-first"}}));
      first.commit(nullptr, {});
    }
    replica.db().exec("CREATE INDEX items_qty ON items (qty) WHERE qty IS NOT NULL");
    replica.db().exec("CREATE UNIQUE INDEX items_name ON items (name)");
    const std::vector<std::string> before = index_schema(replica.db());
    REQUIRE(before.size() == 4);  // the key's, the cursor's, and the two above

    tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
    writer.set_stage_after(1);
    const int n = kManyRows;
    write_items(writer, 1, n);
    writer.commit(nullptr, {});
    CHECK(writer.committed().rows_new == n);
    CHECK(index_schema(replica.db()) == before);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 0);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(reader
              .execAndGet("SELECT count(*) FROM items INDEXED BY items_updatedAt "
                          "WHERE updatedAt >= '2024-01-01T16:00:00'")
              .getInt() == n - 16 * 3600);
    CHECK(reader.execAndGet("SELECT count(*) FROM items INDEXED BY items_qty WHERE qty = 3")
              .getInt() == n / 7 + (n % 7 > 3 ? 1 : 0));
  }

  TEST_CASE("a transaction after a staged one takes the write lock only when it needs the database") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    write_items(writer, 0, 10);
    writer.commit(nullptr, {});
    // Staged from its first row, on known columns: the writer holds no lock, so
    // that the checkpointer can finish and the next transaction write the log
    // from its start again.
    write_items(writer, 10, 10);
    SQLite::Database other(path, SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    other.exec("ROLLBACK");
    // A new field becomes a column, in the transaction, which begins there.
    writer.upsert(make_record({{"id", ValueKind::String, "colourful"},
                               {"updatedAt", ValueKind::String, "2024-01-02T00:00:00Z"},
                               {"colour", ValueKind::String, "red"}}));
    CHECK_THROWS_AS(other.exec("BEGIN IMMEDIATE"), SQLite::Exception);
    writer.commit(nullptr, {});
    CHECK(writer.committed().rows_new == 21);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM items").getInt() == 21);
    CHECK(replica.db().execAndGet("SELECT colour FROM items WHERE id = 'colourful'").getString() ==
          "red");

    // Staged without the database, then rolled back: nothing of them is kept.
    write_items(writer, 30, 5);
    writer.rollback();
    write_items(writer, 40, 5);
    writer.commit(nullptr, {});
    CHECK(replica.db().execAndGet("SELECT count(*) FROM items").getInt() == 26);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM items WHERE id = 'id33'").getInt() == 0);
  }

  TEST_CASE("a first load leaves its plain indexes to the end of the run and builds them once") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    replica.db().exec("CREATE INDEX items_qty ON items (qty) WHERE qty IS NOT NULL");
    replica.db().exec("CREATE UNIQUE INDEX items_name ON items (name)");
    const std::vector<std::string> before = index_schema(replica.db());
    REQUIRE(before.size() == 4);
    const std::vector<std::string> deferred = {
        "items|items_qty|CREATE INDEX items_qty ON items (qty) WHERE qty IS NOT NULL",
        "items|items_updatedAt|CREATE INDEX \"items_updatedAt\" ON \"items\" (\"updatedAt\")"};
    const auto pending = [&] {
      return dump_query(replica.db(),
                        "SELECT table_name || '|' || name || '|' || sql FROM _deferred_index "
                        "ORDER BY name");
    };

    const int n = kManyRows;
    write_items(writer, 0, n);
    writer.commit(nullptr, {});
    // Committed without the plain indexes, which _deferred_index holds; the
    // key's index and the unique one the user added stay.
    CHECK(pending() == deferred);
    CHECK(index_schema(replica.db()) ==
          std::vector<std::string>{before[0], before[3]});  // items_name, the key's
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == n);

    // The next commit of the same load doubles the table, without them.
    write_items(writer, n, n);
    writer.commit(nullptr, {});
    CHECK(writer.committed().rows_new == 2 * n);
    CHECK(pending() == deferred);
    CHECK(index_schema(replica.db()).size() == 2);

    writer.build_indexes();
    CHECK(index_schema(replica.db()) == before);
    CHECK(pending().empty());
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(reader
              .execAndGet("SELECT count(*) FROM items INDEXED BY items_updatedAt "
                          "WHERE updatedAt >= '2024-01-01T16:00:00'")
              .getInt() == 2 * (n - 16 * 3600));
    CHECK(reader.execAndGet("SELECT count(*) FROM items INDEXED BY items_qty WHERE qty = 3")
              .getInt() == 2 * (n / 7 + (n % 7 > 3 ? 1 : 0)));
    writer.build_indexes();  // nothing left to build
    CHECK(index_schema(replica.db()) == before);
  }

  TEST_CASE("a first load's apply that fails keeps the indexes it dropped, and defers none") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    replica.db().exec("CREATE UNIQUE INDEX items_name ON items (name)");
    const std::vector<std::string> before = index_schema(replica.db());
    write_items(writer, 0, kManyRows);
    writer.upsert(make_record({{"id", ValueKind::String, "twin"},
                               {"updatedAt", ValueKind::String, "2024-01-02T00:00:00Z"},
                               {"name", ValueKind::String, "name0"}}));  // breaks items_name
    CHECK_THROWS_AS(writer.commit(nullptr, {}), tsync::Error);
    CHECK(index_schema(replica.db()) == before);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 0);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM items").getInt() == 0);
  }

  TEST_CASE("the indexes a first load left unbuilt are built by the end of a failed run") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    tsync::Replica replica(path);
    std::string status;
    bool built = false;
    SUBCASE("a run that failed builds them") {
      status = "error";
      built = true;
    }
    SUBCASE("a run that was interrupted leaves them to the next sync") { status = "interrupted"; }
    tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
    writer.set_stage_after(1);
    const std::vector<std::string> before = index_schema(replica.db());
    write_items(writer, 0, kManyRows);
    writer.commit(nullptr, {});
    REQUIRE(index_schema(replica.db()).size() == 1);  // the key's
    writer.finish(status, "the API failed", {});
    CHECK(index_schema(replica.db()).size() == (built ? 2U : 1U));
    if (built) CHECK(index_schema(replica.db()) == before);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _deferred_index").getInt() ==
          (built ? 0 : 1));
  }

  TEST_CASE("the indexes a killed first load left unbuilt are built by the next sync first") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    std::vector<std::string> before;
    {
      tsync::Replica replica(path);
      tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
      writer.set_stage_after(1);
      before = index_schema(replica.db());
      write_items(writer, 0, kManyRows);
      writer.commit(nullptr, {});
      // The process ends here, as a kill would end it: no finish(), no build.
    }
    const tsync::SyncLock lock(path);
    tsync::Replica replica(path);
    REQUIRE(index_schema(replica.db()).size() == 1);
    // An index the user made meanwhile under a deferred name is kept as it is.
    replica.db().exec(
        "INSERT INTO _deferred_index VALUES ('items', 'items_mine', 'CREATE INDEX items_mine "
        "ON items (qty)')");
    replica.db().exec("CREATE INDEX items_mine ON items (name)");
    CHECK(replica.build_deferred_indexes(lock) ==
          std::vector<std::string>{"items.items_updatedAt"});
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 0);
    CHECK(replica.db()
              .execAndGet("SELECT sql FROM sqlite_schema WHERE name = 'items_mine'")
              .getString() == "CREATE INDEX items_mine ON items (name)");
    replica.db().exec("DROP INDEX items_mine");
    CHECK(index_schema(replica.db()) == before);
    CHECK(replica.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(replica.build_deferred_indexes(lock).empty());
  }

  TEST_CASE("an index that cannot be built at an ok run's end fails the run and keeps its rows") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    const std::vector<std::string> before = index_schema(replica.db());
    write_items(writer, 0, kManyRows);
    const Cursor at{"2024-01-02T00:00:00Z", tsync::test::instant_of("2024-01-02T00:00:00Z")};
    writer.commit(&at, {});
    // Something else now stands under the deferred index's name.
    replica.db().exec("CREATE TABLE \"items_updatedAt\" (x)");
    std::string message;
    try {
      writer.build_indexes();
    } catch (const tsync::Error& e) {
      message = e.what();
    }
    CHECK(message.find("cannot build the index items.items_updatedAt") != std::string::npos);
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find("already a table named items_updatedAt") != std::string::npos);
    CHECK(message.find("the next sync builds it") != std::string::npos);
    // The rows and the cursor stay committed; the index waits in _deferred_index.
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == kManyRows);
    CHECK(reader.execAndGet("SELECT last_timestamp FROM _state").getString() ==
          "2024-01-02T00:00:00Z");
    CHECK(reader.execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 1);
    writer.finish("error", message, {});  // tries again, fails again, says nothing more
    CHECK(reader.execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 1);
    CHECK(reader.execAndGet("SELECT status FROM _sync_log").getString() == "error");
    replica.db().exec("DROP TABLE \"items_updatedAt\"");
    const tsync::SyncLock lock(path);
    CHECK(replica.build_deferred_indexes(lock) ==
          std::vector<std::string>{"items.items_updatedAt"});
    CHECK(index_schema(replica.db()) == before);
  }

  TEST_CASE("an index that cannot be built at a sync's start stops it and changes nothing") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    {
      tsync::Replica replica(path);
      tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
      writer.set_stage_after(1);
      write_items(writer, 0, kManyRows);
      writer.commit(nullptr, {});
      // Killed here: the cursor's index waits in _deferred_index.
    }
    const tsync::SyncLock lock(path);
    tsync::Replica replica(path);
    replica.db().exec(
        "INSERT INTO _deferred_index VALUES ('items', 'items_vanished', "
        "'CREATE INDEX items_vanished ON items (no_such_column)')");
    std::string message;
    try {
      replica.build_deferred_indexes(lock);
    } catch (const tsync::Error& e) {
      message = e.what();
    }
    CHECK(message.find("cannot build the index items.items_vanished") != std::string::npos);
    CHECK(message.find("no such column: no_such_column") != std::string::npos);
    CHECK(message.find("the next sync tries again") != std::string::npos);
    CHECK(message.find("delete its row from _deferred_index") != std::string::npos);
    // The cursor's index, built before it in the same transaction, was rolled back with it.
    CHECK(index_schema(replica.db()).size() == 1);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _deferred_index").getInt() == 2);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM items").getInt() == kManyRows);
    // As the message says: without that row, the next sync's start builds the rest.
    replica.db().exec("DELETE FROM _deferred_index WHERE name = 'items_vanished'");
    CHECK(replica.build_deferred_indexes(lock) ==
          std::vector<std::string>{"items.items_updatedAt"});
    CHECK(replica.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  }

  TEST_CASE(
      "a staged apply that breaks a unique index the user added fails and keeps the last commit") {
    StagedItems scene;
    auto& [dir, path, replica, writer] = scene;
    replica.db().exec("CREATE UNIQUE INDEX items_name ON items (name)");
    writer.upsert(make_record({{"id", ValueKind::String, "a"},
                               {"updatedAt", ValueKind::String, "2024-01-01T00:00:00Z"},
                               {"name", ValueKind::String, "same"}}));
    writer.upsert(make_record({{"id", ValueKind::String, "b"},
                               {"updatedAt", ValueKind::String, "2024-01-01T00:00:00Z"},
                               {"name", ValueKind::String, "same"}}));
    const Cursor at{"2024-01-01T00:00:00Z", tsync::test::instant_of("2024-01-01T00:00:00Z")};
    CHECK_THROWS_AS(writer.commit(&at, {}), tsync::Error);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == 0);
    CHECK(reader.execAndGet("SELECT count(*) FROM _state WHERE last_timestamp IS NOT NULL")
              .getInt() == 0);
  }

  TEST_CASE(
      "staged rows that find no room for their temporary file fail the commit, which keeps "
      "nothing") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    const Cursor c1{"2024-01-01T00:00:00Z", tsync::test::instant_of("2024-01-01T00:00:00Z")};
    auto item = [](int i, const std::string& at) {
      return make_record({{"id", ValueKind::String, "id" + std::to_string(i)},
                          {"updatedAt", ValueKind::String, at},
                          {"name", ValueKind::String, std::string(300, 'x')}});
    };
    {
      tsync::Replica replica(path);
      tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
      writer.upsert(item(0, c1.text));
      writer.commit(&c1, {});
    }
    // No file of the child may grow past 4 MB: the staged rows' would.
    const auto outcome = tsync::test::run_with_file_limit(4 << 20, [&] {
      tsync::Replica replica(path);
      tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
      writer.set_stage_after(1);
      for (int i = 1; i <= 40000; ++i) writer.upsert(item(i, "2024-01-02T00:00:00Z"));
      const Cursor c2{"2024-01-02T00:00:00Z", tsync::test::instant_of("2024-01-02T00:00:00Z")};
      writer.commit(&c2, {});
    });
    const std::string& message = outcome.message;
    CAPTURE(message);
    CHECK(outcome.exited == 3);
    CHECK(message.find(path + ": ") == 0);
    CHECK(message.find("SQLITE_TMPDIR") != std::string::npos);
    CHECK(message.find("the replica keeps its last committed state") != std::string::npos);

    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == 1);
    CHECK(
        reader.execAndGet("SELECT last_timestamp FROM _state WHERE stream = 'items'").getString() ==
        c1.text);
  }

  TEST_CASE("a staged apply whose runs cannot be read back fails the commit, which keeps nothing") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("replica.db");
    const std::string tmp = dir.file("tmp");
    std::filesystem::create_directory(tmp);
    const char* before = std::getenv("SQLITE_TMPDIR");
    const std::string saved = before ? before : "";
    ::setenv("SQLITE_TMPDIR", tmp.c_str(), 1);
    const Cursor c1{"2024-01-01T00:00:00Z", tsync::test::instant_of("2024-01-01T00:00:00Z")};
    const Cursor c2{"2024-01-02T00:00:00Z", tsync::test::instant_of("2024-01-02T00:00:00Z")};
    std::string message;
    {
      tsync::Replica replica(path);
      tsync::ReplicaWriter writer(replica, "items", items_spec(), std::nullopt);
      writer.upsert(make_record({{"id", ValueKind::String, "first"},
                                 {"updatedAt", ValueKind::String, c1.text}}));
      writer.commit(&c1, {});
      writer.set_stage_after(1);
      writer.set_stage_memory(4096);
      for (int i = 0; i < 3000; ++i)
        writer.upsert(make_record({{"id", ValueKind::String, "id" + std::to_string(i)},
                                   {"updatedAt", ValueKind::String, c2.text},
                                   {"name", ValueKind::String, std::string(100, 'x')}}));
      REQUIRE(writer.staged_runs() > 2);
      // Cut the runs' file short, as a failing disk would.
      REQUIRE(tsync::test::cut_short_the_file_in(tmp));
      try {
        writer.commit(&c2, {});
      } catch (const tsync::Error& e) {
        message = e.what();
      }
    }
    if (before)
      ::setenv("SQLITE_TMPDIR", saved.c_str(), 1);
    else
      ::unsetenv("SQLITE_TMPDIR");
    CAPTURE(message);
    CHECK(message.find(path + ": reading a large transaction's staged rows") == 0);
    CHECK(message.find("the replica keeps its last committed state") != std::string::npos);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(reader.execAndGet("SELECT count(*) FROM items").getInt() == 1);
    CHECK(
        reader.execAndGet("SELECT last_timestamp FROM _state WHERE stream = 'items'").getString() ==
        c1.text);
  }
}
