// SPDX-License-Identifier: Apache-2.0
// Readers beside a sync: the sqlite3 shell, with no busy timeout, as a user
// runs it, reading the replica while tsync creates it, writes it and closes it.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include "replica/replica.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"

namespace {

// The sqlite3 shell on PATH; empty when there is none.
std::string sqlite3_shell() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  for (std::size_t start = 0; start <= dirs.size();) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/sqlite3";
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Runs the shell on `db` in a loop, one process per read as a user's script
// does, until stop() is called; every read that failed is kept with its error.
class ShellReader {
 public:
  ShellReader(std::string shell, std::string db)
      : shell_(std::move(shell)), db_(std::move(db)), thread_([this] { run(); }) {}
  ~ShellReader() { stop(); }

  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int reads() const { return reads_; }
  int user_reads() const { return user_reads_; }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  void run() {
    bool user_table = false;
    while (!stopping_) {
      // The first read happens as soon as the file is there.
      if (!exists(db_)) {
        std::this_thread::yield();
        continue;
      }
      // Until the sync has made the stream's table, the reader asks what every
      // replica holds from the start, and whether the table is there yet.
      const std::string sql = user_table ? "SELECT count(*) FROM user"
                                         : "SELECT count(*) FROM _state; SELECT count(*) FROM "
                                           "sqlite_schema WHERE name = 'user'";
      const proc::Result r = proc::run({shell_, db_, sql});
      ++reads_;
      if (r.exit_code != 0 || !r.err.empty()) {
        failures_.push_back("exit " + std::to_string(r.exit_code) + ": " + r.err);
        continue;
      }
      if (user_table) ++user_reads_;
      if (!user_table && r.out.size() >= 2 && r.out.compare(r.out.size() - 2, 2, "1\n") == 0)
        user_table = true;
    }
  }

  std::string shell_, db_;
  std::atomic<bool> stopping_{false};
  int reads_ = 0, user_reads_ = 0;
  std::vector<std::string> failures_;
  std::thread thread_;
};

mode_t file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::vector<std::string> names_in(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void add_rows(tsync::Replica& replica, int from, int to) {
  SQLite::Transaction transaction(replica.db());
  replica.db().exec("CREATE TABLE IF NOT EXISTS t (x INTEGER)");
  for (int i = from; i < to; ++i)
    replica.db().exec("INSERT INTO t VALUES (" + std::to_string(i) + ")");
  transaction.commit();
}

}  // namespace

TEST_SUITE("readers") {
  TEST_CASE(
      "closing the replica empties its log without removing it: the file alone holds "
      "every commit") {
    e2e::ScratchDir dir;
    const std::string path = dir.file("replica.db");
    {
      tsync::Replica replica(path);
      add_rows(replica, 0, 5000);
    }
    // The last connection to close would take an exclusive lock to remove
    // the log and its index; a reader opening then is refused.
    REQUIRE(exists(path + "-wal"));
    CHECK(std::filesystem::file_size(path + "-wal") == 0);
    CHECK(exists(path + "-shm"));
    // A copy of the file alone, as a backup takes it, has every row.
    e2e::ScratchDir elsewhere;
    std::filesystem::copy_file(path, elsewhere.file("copy.db"));
    SQLite::Database copy(elsewhere.file("copy.db"), SQLite::OPEN_READONLY);
    CHECK(copy.execAndGet("SELECT count(*) FROM t").getInt() == 5000);
  }

  TEST_CASE(
      "a reader still reading older pages when the replica closes keeps them, and the "
      "next close empties the log") {
    e2e::ScratchDir dir;
    const std::string path = dir.file("replica.db");
    auto replica = std::make_unique<tsync::Replica>(path);
    add_rows(*replica, 0, 100);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    reader.exec("BEGIN");
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 100);
    add_rows(*replica, 100, 3000);
    replica.reset();  // waits Replica::kCloseWaitMs for the reader, then gives up
    CHECK(std::filesystem::file_size(path + "-wal") > 0);
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 100);
    reader.exec("COMMIT");
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == 3000);

    replica = std::make_unique<tsync::Replica>(path);
    CHECK(replica->db().execAndGet("SELECT count(*) FROM t").getInt() == 3000);
    replica.reset();
    CHECK(std::filesystem::file_size(path + "-wal") == 0);
  }

  TEST_CASE("a new replica takes the place of the empty file a reader's shell left, private") {
    e2e::ScratchDir dir;
    const std::string path = dir.file("replica.db");
    std::ofstream{path};  // what `sqlite3 replica.db 'select ...'` leaves before any sync
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    {
      tsync::Replica replica(path);
      CHECK(replica.db().execAndGet("PRAGMA journal_mode").getString() == "wal");
    }
    CHECK(file_mode(path) == 0600);
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    CHECK(reader.execAndGet("SELECT count(*) FROM _state").getInt() == 0);
    // Nothing of the making is left beside it.
    CHECK(names_in(dir.path()) ==
          std::vector<std::string>{"replica.db", "replica.db-shm", "replica.db-wal"});
  }

  TEST_CASE("a log left beside a replica that is gone is not read into the new one") {
    e2e::ScratchDir dir;
    const std::string path = dir.file("replica.db");
    // Another database's log, with a committed table in it, under the name
    // the new replica's log will have.
    SQLite::Database other(dir.file("other.db"), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL");
    other.exec("CREATE TABLE stale (x); INSERT INTO stale VALUES (1)");
    REQUIRE(std::filesystem::file_size(dir.file("other.db-wal")) > 0);
    std::filesystem::copy_file(dir.file("other.db-wal"), path + "-wal");

    tsync::Replica replica(path);
    CHECK(replica.db()
              .execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'stale'")
              .getInt() == 0);
    CHECK(replica.db().execAndGet("SELECT count(*) FROM _state").getInt() == 0);
  }

  TEST_CASE(
      "the sqlite3 shell with no busy timeout is never refused while syncs create, write "
      "and close the replica on a busy machine") {
    const std::string shell = sqlite3_shell();
    if (shell.empty()) {
      MESSAGE("skipped: no sqlite3 shell on PATH (Debian: apt-get install sqlite3)");
      return;
    }
    e2e::Scene scene(20000);
    auto& [dir, api] = scene;
    const std::string db = dir.file("replica.db");
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << "{\"base_url\": \"" << api.base_url() << "\"}";

    // Both cores busy, as on the machine where readers were refused.
    std::vector<std::unique_ptr<proc::Child>> hogs;
    const unsigned cores = std::clamp(std::thread::hardware_concurrency(), 2u, 8u);
    for (unsigned i = 0; i < cores; ++i)
      hogs.push_back(std::make_unique<proc::Child>(
          std::vector<std::string>{"/bin/sh", "-c", "while :; do :; done"}));

    ShellReader reader(shell, db);
    // The first sync creates the replica; each later one opens it, writes the
    // changed users and closes it.
    for (int round = 0; round < 4; ++round) {
      if (round > 0) api.store().mutate(3000, 1000);
      const auto r = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db});
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    reader.stop();
    hogs.clear();

    e2e::check_replica_equals(db, api);
    INFO(reader.reads() << " reads, " << reader.user_reads() << " of them of the user table");
    CHECK(reader.user_reads() > 0);
    std::string failed;
    for (const std::string& f : reader.failures()) failed += f;
    CHECK_MESSAGE(reader.failures().empty(), reader.failures().size()
                                                 << " of " << reader.reads() << " reads failed:\n"
                                                 << failed);
  }
}
