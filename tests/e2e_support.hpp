#pragma once
// Helpers for end-to-end tests: a replica in a temp dir synced from the
// in-process mock API, and comparison of the replica with the mock's truth.

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "config.hpp"
#include "mock/mock_api.hpp"
#include "support.hpp"
#include "sync.hpp"
#include "timestamp.hpp"

namespace e2e {

// A private temp dir, removed with everything in it.
using ScratchDir = tsync::test::TempDir;

// The set-up of most end-to-end tests: a scratch dir and a started mock API.
// Tests bind its parts by name: `auto& [dir, api] = scene;`.
struct Scene {
  explicit Scene(const tsync::mock::Options& options) : api(options) { api.start(); }
  explicit Scene(std::size_t users) : Scene(with_users(users)) {}

  ScratchDir dir;
  tsync::mock::MockApi api;

 private:
  static tsync::mock::Options with_users(std::size_t users) {
    tsync::mock::Options options;
    options.users = users;
    return options;
  }
};

// Records what a sync reported, for assertions.
class RecordingObserver : public tsync::SyncObserver {
 public:
  void on_request(const std::string& url) override { urls.push_back(url); }
  void on_retry(const std::string& reason, double wait, int, int) override {
    retries.push_back(reason);
    waits.push_back(wait);
  }
  void on_checkpoint(const tsync::Cursor& cursor, const tsync::RunCounters&) override {
    checkpoints.push_back(cursor.text);
  }
  std::vector<std::string> urls, retries, checkpoints;
  std::vector<double> waits;
};

inline tsync::Config config_for(const tsync::mock::MockApi& api, const ScratchDir& dir) {
  tsync::Config config;
  config.streams = {tsync::user_stream(api.base_url())};
  config.database = dir.file("replica.db");
  config.timeout_seconds = 2;
  config.retry_base_seconds = 0.01;
  config.max_retries = 3;
  return config;
}

struct Row {
  std::string name, email, address, company, job, updatedAt, createdAt;
};

inline std::map<std::string, Row> read_rows(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(
      db, "SELECT id, name, email, address, company, job, updatedAt, createdAt FROM user");
  std::map<std::string, Row> rows;
  while (q.executeStep()) {
    auto text = [&](int i) { return q.getColumn(i).getString(); };
    rows[text(0)] = Row{text(1), text(2), text(3), text(4), text(5), text(6), text(7)};
  }
  return rows;
}

inline std::string normalised(const std::string& api_text) {
  const auto instant = tsync::parse_timestamp(api_text);
  REQUIRE_MESSAGE(instant, "mock served an unparseable timestamp: " << api_text);
  return tsync::format_utc(*instant);
}

// The replica holds exactly the mock's users, field by field.
inline void check_replica_equals(const std::string& db_path,
                                 const tsync::mock::MockApi& api_const) {
  auto& api = const_cast<tsync::mock::MockApi&>(api_const);
  const auto truth = api.store().snapshot();
  const auto rows = read_rows(db_path);
  REQUIRE(rows.size() == truth.size());
  for (const auto& u : truth) {
    const auto it = rows.find(u.id);
    REQUIRE_MESSAGE(it != rows.end(), "missing id " << u.id);
    const Row& r = it->second;
    CHECK(r.name == u.name);
    CHECK(r.email == u.email);
    CHECK(r.address == u.address);
    CHECK(r.company == u.company);
    CHECK(r.job == u.job);
    CHECK(r.updatedAt == normalised(u.updatedAt));
    CHECK(r.createdAt == normalised(u.createdAt));
  }
}

inline std::string saved_cursor(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT last_timestamp FROM _state WHERE stream = 'user'");
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

// How many of the mock's users have updatedAt <= `cursor` (a timestamp's text).
inline std::int64_t users_covered(tsync::mock::MockApi& api, const std::string& cursor) {
  const auto instant = tsync::parse_timestamp(cursor);
  REQUIRE_MESSAGE(instant, "not a timestamp: " << cursor);
  std::int64_t n = 0;
  for (const auto& u : api.store().snapshot()) n += u.updated <= *instant ? 1 : 0;
  return n;
}

// The API's text of the newest updatedAt among the mock's users.
inline std::string newest_text(tsync::mock::MockApi& api) {
  const auto truth = api.store().snapshot();
  REQUIRE(!truth.empty());
  return truth.back().updatedAt;
}

}  // namespace e2e
