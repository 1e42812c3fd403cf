// SPDX-License-Identifier: Apache-2.0
// End to end: the worked configuration for json-server 0.17.4 of
// docs/paging.md, read from that page itself and run by the tsync binary against the mock's
// json_server paging (an empty `Link: ` on a one-page answer, first/prev/last
// on the last page, an inclusive updatedAt_gte) as a nightly job runs it: a
// first sync, nights with fewer and more changes than a page, and a full pass
// that marks the records the API removed; the replica compared with the mock's
// truth record by record after each.
#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "support/e2e_support.hpp"
#include "support/process.hpp"

using tsync::mock::EndpointSpec;

namespace {

// Where the documented configuration expects json-server.
constexpr const char* kReadmeOrigin = "http://127.0.0.1:3000";
constexpr const char* kPath = "/users";

// The text of the first ```json block after the line of docs/paging.md that
// starts with `heading`.
std::string readme_block(const std::string& heading) {
  std::ifstream in(std::string(TSYNC_SOURCE_DIR) + "/docs/paging.md");
  REQUIRE_MESSAGE(in, "cannot read docs/paging.md");
  std::string line, block;
  bool found = false, inside = false;
  while (std::getline(in, line)) {
    if (!found) {
      found = line.rfind(heading, 0) == 0;
    } else if (!inside) {
      inside = line == "```json";
    } else if (line == "```") {
      return block;
    } else {
      block += line + "\n";
    }
  }
  FAIL("docs/paging.md has no ```json block after a line starting with \"" << heading << "\"");
  return "";
}

// The documented stream with its URL on the mock's origin instead.
std::string readme_stream(const std::string& origin) {
  std::string stream = readme_block("json-server 0.17.4 (");
  const std::size_t at = stream.find(kReadmeOrigin);
  REQUIRE_MESSAGE(at != std::string::npos,
                  "the documented json-server URL is not on " << kReadmeOrigin << ": " << stream);
  return stream.replace(at, std::string(kReadmeOrigin).size(), origin);
}

// 250 records with integer ids, as json-server keeps them, paged as json-server
// 0.17.4 pages them.
EndpointSpec json_server_users() {
  EndpointSpec spec;
  spec.path = kPath;
  spec.records = 250;
  spec.seed = 17;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.schema.fields = {{"name", tsync::mock::FieldKind::String}};
  spec.records_path = "";
  spec.since_param = "updatedAt_gte";
  spec.serving.since_mode = tsync::mock::SinceMode::Inclusive;
  spec.serving.paging = tsync::mock::PagingStyle::JsonServer;
  return spec;
}

// The ids of the rows marked deleted.
std::set<std::string> marked(const std::string& db) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id FROM users WHERE _tsync_deleted_at IS NOT NULL");
  std::set<std::string> ids;
  while (q.executeStep()) ids.insert(q.getColumn(0).getString());
  return ids;
}

// The live rows of the replica hold exactly the API's records: checked on a
// copy without the rows marked deleted.
void check_live_rows(const e2e::ScratchDir& dir, const std::string& db,
                     const tsync::mock::RecordStore& store) {
  const std::string copy = dir.file("live.db");
  std::remove(copy.c_str());
  {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    d.exec("VACUUM INTO '" + copy + "'");
  }
  {
    SQLite::Database d(copy, SQLite::OPEN_READWRITE);
    d.exec("DELETE FROM users WHERE _tsync_deleted_at IS NOT NULL");
  }
  e2e::check_table_equals(copy, "users", store);
}

}  // namespace

TEST_SUITE("json_server") {
  TEST_CASE("docs/paging.md's json-server configuration: nightly runs of any size and a full pass") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    api.add_endpoint(json_server_users());
    tsync::mock::RecordStore& truth = api.records(kPath);
    const std::string db = dir.file("replica.db");
    const std::string config = dir.file("configuration.json");
    {
      std::ofstream out(config);
      out << R"({"database": ")" << db << R"(", "timeout_seconds": 10, "streams": [)"
          << readme_stream(api.url("")) << "]}";
    }
    // Runs tsync as cron would and returns the requests it made.
    auto run = [&](bool full) {
      const std::size_t before = api.target_log().size();
      std::vector<std::string> args = {TSYNC_BINARY, "sync", "--config", config};
      if (full) args.emplace_back("--full");
      const proc::Result result = proc::run(args);
      INFO("stdout: " << result.out);
      INFO("stderr: " << result.err);
      REQUIRE(result.exit_code == 0);
      return api.target_log().size() - before;
    };
    const auto cursor = [&] {
      return e2e::text_of(db, "SELECT last_timestamp FROM _state WHERE stream = 'users'");
    };
    const auto newest = [&] { return e2e::normalised(truth.snapshot().back().cursor); };

    // The first run: three pages of 100, the last one's Link only first, prev and last.
    CHECK(run(false) == 3);
    e2e::check_table_equals(db, "users", truth);
    CHECK(e2e::normalised(cursor()) == newest());

    // A night with fewer changes than a page: one page under an empty Link.
    truth.mutate(10, 5);
    CHECK(run(false) == 1);
    e2e::check_table_equals(db, "users", truth);
    CHECK(e2e::normalised(cursor()) == newest());
    // Nothing changed: the records at the cursor come again (at or after), alone.
    CHECK(run(false) == 1);
    e2e::check_table_equals(db, "users", truth);

    // A night with more changes than a page.
    truth.mutate(120, 40);
    CHECK(run(false) == 2);
    e2e::check_table_equals(db, "users", truth);
    CHECK(e2e::normalised(cursor()) == newest());

    // The weekly full pass marks what the API removed, and only that.
    const std::vector<std::string> removed = truth.remove(30);
    truth.mutate(5, 0);
    CHECK(run(true) == 3);
    CHECK(marked(db) == std::set<std::string>(removed.begin(), removed.end()));
    check_live_rows(dir, db, truth);
    CHECK(e2e::normalised(cursor()) == newest());
    CHECK(run(false) == 1);
    CHECK(marked(db).size() == 30);
    check_live_rows(dir, db, truth);
  }
}
