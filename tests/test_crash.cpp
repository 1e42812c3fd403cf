// The invariant under SIGKILL: a sync killed at random moments during a large,
// slowly served response always leaves a sound replica whose cursor covers
// only what it holds; a last run then brings it level with the API.
#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include <SQLiteCpp/Database.h>

#include "e2e_support.hpp"
#include "process.hpp"

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

}  // namespace

TEST_SUITE("crash") {
  TEST_CASE("SIGKILL at random moments never breaks the invariant") {
    Options options;
    options.users = 12000;
    options.rate_limit_bytes_per_second = 1500000;  // ~2.3 s for the whole response
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << "{\"base_url\": \"" << api.base_url()
                          << "\", \"checkpoint_rows\": 300, \"retry_base_seconds\": 0.01}";
    const std::string db = dir.file("replica.db");
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
      proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      child.signal(SIGKILL);
      const auto r = child.wait();
      finished = r.exit_code == 0;
      if (r.exit_code == 128 + SIGKILL) ++kills;
      CAPTURE(round);
      check_sound(db, api);
    }
    CHECK(kills >= 6);

    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config, "--db", db});
    CHECK(done.exit_code == 0);
    e2e::check_replica_equals(db, api);
    check_sound(db, api);
  }
}
