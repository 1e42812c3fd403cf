// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "replica/replica_test_support.hpp"
#include "support/support.hpp"

namespace {

using tsync::Replica;
using tsync::ReplicaWriter;
using tsync::test::TempDir;
using tsync::test::user_table;

// Sets the process umask for the lifetime of the object.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

}  // namespace

TEST_SUITE("replica_file") {
  TEST_CASE("a new replica is private, in WAL mode, with the documented schema") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    ScopedUmask umask(022);  // a file created without care would be 0644
    Replica replica(path);

    CHECK(file_mode(path) == 0600);
    REQUIRE(std::filesystem::exists(path + "-wal"));
    CHECK(file_mode(path + "-wal") == 0600);
    REQUIRE(std::filesystem::exists(path + "-shm"));
    CHECK(file_mode(path + "-shm") == 0600);

    CHECK(replica.db().execAndGet("PRAGMA journal_mode").getString() == "wal");
    SQLite::Database reader = open_reader(path);
    CHECK(reader.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(count(reader, "PRAGMA user_version") == 2);
    CHECK(count(reader, "SELECT count(*) FROM sqlite_schema WHERE name = 'user'") == 0);

    // The user stream's table is made by its first run, as the seed's schema.
    { ReplicaWriter writer(replica, "user", user_table(), std::nullopt); }
    std::vector<std::string> tables;
    SQLite::Statement list(reader,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
    while (list.executeStep()) tables.push_back(list.getColumn(0).getString());
    CHECK(tables == std::vector<std::string>{"_columns", "_deferred_index", "_deleted", "_partition",
                                             "_rejected", "_state", "_sync_log", "user"});

    std::vector<std::string> columns;
    SQLite::Statement info(reader, "SELECT name, pk FROM pragma_table_info('user') ORDER BY cid");
    while (info.executeStep()) {
      columns.push_back(info.getColumn(0).getString());
      CHECK(info.getColumn(1).getInt() == (columns.back() == "id" ? 1 : 0));
    }
    CHECK(columns == std::vector<std::string>{"id", "name", "email", "address", "company", "job",
                                              "updatedAt", "createdAt"});

    CHECK(count(reader,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                "name = 'user_updatedAt' AND tbl_name = 'user'") == 1);
    CHECK(reader.execAndGet("SELECT name FROM pragma_index_info('user_updatedAt')").getString() ==
          "updatedAt");
    CHECK(count(reader,
                "SELECT count(*) FROM pragma_table_info('_state') WHERE "
                "(name = 'stream' AND pk = 1) OR name = 'last_timestamp'") == 2);
  }

  TEST_CASE("a replica made by a newer tsync is refused untouched") {
    TempDir dir;
    const std::string path = dir.file("replica.db");
    { Replica replica(path); }
    {
      SQLite::Database raw(path, SQLite::OPEN_READWRITE);
      raw.exec("PRAGMA user_version = 3");
    }
    REQUIRE_THROWS_WITH_AS(Replica{path},
                           (path + ": made by a newer tsync (schema version 3); upgrade tsync to "
                                   "use it")
                               .c_str(),
                           tsync::Error);
    SQLite::Database reader = open_reader(path);
    CHECK(count(reader, "PRAGMA user_version") == 3);
  }

  TEST_CASE("a file that is not a database is refused, named, and left untouched") {
    TempDir dir;
    const std::string path = dir.file("notes.txt");
    std::string content;
    for (int i = 0; i < 200; ++i) content += "this is not a database, it is a shopping list\n";
    {
      std::ofstream out(path, std::ios::binary);
      out << content;
    }
    const std::string expected =
        path +
        ": file is not a database (this file is not a tsync replica; name another with --db)";

    SUBCASE("Replica") { REQUIRE_THROWS_WITH_AS(Replica{path}, expected.c_str(), tsync::Error); }
    SUBCASE("open_existing") {
      REQUIRE_THROWS_WITH_AS(Replica::open_existing(path), expected.c_str(), tsync::Error);
    }
    CHECK(read_file(path) == content);
    CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  }
}  // TEST_SUITE("replica_file")
