// SPDX-License-Identifier: Apache-2.0
// Readers beside a sync: the sqlite3 shell, with no busy timeout, as a user
// runs it, reading the replica while tsync creates it, writes it and closes it.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.hpp"
#include "process.hpp"

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

}  // namespace

TEST_SUITE("readers") {
  TEST_CASE("the sqlite3 shell with no busy timeout is never refused while syncs create, write "
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
    const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
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
    CHECK_MESSAGE(reader.failures().empty(),
                  reader.failures().size() << " of " << reader.reads() << " reads failed:\n"
                                           << failed);
  }
}
