// SPDX-License-Identifier: Apache-2.0
// The tsync command line, run as a real process: exit codes, messages,
// --json, status and reset; runs killed outright (marked died by the next
// sync) or stopped by a closed output.
#include <doctest/doctest.h>

#include <pty.h>
#include <sys/stat.h>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include <rapidjson/document.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

using tsync::mock::MockApi;
using tsync::mock::Options;
using tsync::mock::PagingStyle;

namespace {

const std::string kTsync = TSYNC_BINARY;

std::string write_config(const e2e::ScratchDir& dir, const std::string& json) {
  const std::string path = dir.file("configuration.json");
  std::ofstream(path) << json;
  return path;
}

std::string config_json(const MockApi& api, const std::string& extra = "") {
  return "{\"base_url\": \"" + api.base_url() + "\", \"retry_base_seconds\": 0.01" + extra + "}";
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

rapidjson::Document parse_json(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << text);
  REQUIRE(doc.IsObject());
  return doc;
}

// What `sql` answers in the replica at `db`, once it exists, or "" when it
// cannot be read yet (a sync is creating it).
std::string peek(const std::string& db, const std::string& sql) {
  struct stat st {};
  if (::stat(db.c_str(), &st) != 0) return "";
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY, 5000);
    SQLite::Statement query(d, sql);
    return query.executeStep() ? query.getColumn(0).getString() : "";
  } catch (const SQLite::Exception&) {
    return "";  // no _sync_log yet
  }
}

// Waits until `done` holds, polling every 20 ms, for at most `limit`.
template <typename Predicate>
bool wait_for(Predicate done, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

TEST_SUITE("cli") {
  TEST_CASE("--version and --help exit 0, no subcommand is a usage error") {
    auto version = proc::run({kTsync, "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind(std::string("tsync ") + TSYNC_VERSION + "\n", 0) == 0);
    auto help = proc::run({kTsync, "--help"});
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("sync") != std::string::npos);
    auto none = proc::run({kTsync});
    CHECK(none.exit_code == tsync::kExitUsage);
    CHECK(none.err.rfind("tsync: error: ", 0) == 0);
  }

  TEST_CASE("configuration mistakes exit 2 before any file is created") {
    e2e::ScratchDir dir;
    std::string config, expected;
    SUBCASE("missing file") {
      config = dir.file("nope.json");
      expected = config + ": cannot read the configuration file";
    }
    SUBCASE("invalid JSON") {
      config = write_config(dir, "{\n  \"base_url\": \"http://127.0.0.1:1/x\",\n}\n");
      expected = "invalid JSON at line 3, column 1";
    }
    SUBCASE("no base_url") {
      config = write_config(dir, "{}");
      expected = "base_url: missing";
    }
    SUBCASE("not http") {
      config = write_config(dir, "{\"base_url\": \"ftp://127.0.0.1/x\"}");
      expected = "base_url: must be an http or https URL";
    }
    SUBCASE("negative number") {
      config = write_config(dir, "{\"base_url\": \"http://127.0.0.1:1/x\", \"max_retries\": -1}");
      expected = "max_retries: must be between 0 and 100, not -1";
    }
    SUBCASE("unknown key") {
      config = write_config(dir, "{\"base_url\": \"http://127.0.0.1:1/x\", \"databse\": \"a.db\"}");
      expected = "unknown key \"databse\"";
    }
    const auto r = proc::run({kTsync, "sync", "--config", config, "--db", dir.file("r.db")});
    CHECK(r.exit_code == tsync::kExitUsage);
    CHECK(r.err.rfind("tsync: error: ", 0) == 0);
    CHECK_MESSAGE(r.err.find(expected) != std::string::npos, r.err);
    CHECK(!exists(dir.file("r.db")));
    CHECK(!exists(dir.file("r.db.lock")));
  }

  TEST_CASE("a sync prints one summary line, creates the replica 0600, and exits 0") {
    e2e::Scene scene(250);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");

    const auto r = proc::run({kTsync, "sync", "--config", config, "--db", db});

    CHECK(r.exit_code == 0);
    CHECK(r.err == "");
    CHECK(r.out.rfind("user: 250 rows (250 new, 0 updated, 0 rejected) in ", 0) == 0);
    CHECK(r.out.find("; cursor (none) -> " + e2e::newest_text(api) + "; 2 requests\n") !=
          std::string::npos);
    struct stat st {};
    REQUIRE(::stat(db.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    e2e::check_replica_equals(db, api);

    const auto quiet = proc::run({kTsync, "sync", "--quiet", "--config", config, "--db", db});
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out == "");
    CHECK(quiet.err == "");
  }

  TEST_CASE("--json prints the run as one JSON object") {
    e2e::Scene scene(40);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");
    proc::run({kTsync, "sync", "--config", config, "--db", db});
    api.store().mutate(3, 2);

    const auto r = proc::run({kTsync, "sync", "--json", "--config", config, "--db", db});

    CHECK(r.exit_code == 0);
    const auto doc = parse_json(r.out);
    CHECK(std::string(doc["stream"].GetString()) == "user");
    CHECK(std::string(doc["status"].GetString()) == "ok");
    CHECK(doc["rows_new"].GetInt64() == 2);
    CHECK(doc["rows_updated"].GetInt64() == 3);
    CHECK(doc["rows_rejected"].GetInt64() == 0);
    CHECK(doc["requests"].GetInt64() == 2);
    CHECK(doc["retries"].GetInt64() == 0);
    CHECK(doc["bytes"].GetInt64() > 0);
    CHECK(doc["seconds"].IsNumber());
    CHECK(doc["cursor_before"].IsString());
    CHECK(std::string(doc["cursor_after"].GetString()) == e2e::newest_text(api));
    CHECK(doc["error"].IsNull());
  }

  TEST_CASE("an HTTP error exits 1 with the URL and status, and --json reports it") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    tsync::mock::Fault fault;
    fault.kind = tsync::mock::Fault::Kind::RawBody;
    fault.status = 403;
    fault.body = "forbidden";
    api.push_fault(fault);
    const std::string config = write_config(dir, config_json(api));

    const auto r =
        proc::run({kTsync, "sync", "--json", "--config", config, "--db", dir.file("r.db")});

    CHECK(r.exit_code == tsync::kExitError);
    CHECK(r.err.find("tsync: error: GET " + api.base_url() + "?since=") == 0);
    CHECK(r.err.find("HTTP 403: forbidden") != std::string::npos);
    const auto doc = parse_json(r.out);
    CHECK(std::string(doc["status"].GetString()) == "error");
    CHECK(std::string(doc["error"].GetString()).find("HTTP 403") != std::string::npos);
  }

  TEST_CASE("a sync while another holds the replica exits 75") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");
    tsync::SyncLock held(db);

    const auto r = proc::run({kTsync, "sync", "--config", config, "--db", db});

    CHECK(r.exit_code == tsync::kExitLocked);
    CHECK(r.err == "tsync: error: another tsync sync (pid " + std::to_string(::getpid()) +
                       ") holds " + db + "; try again when it has finished\n");
    CHECK(!exists(db));
  }

  TEST_CASE("a replica that cannot be written is a clear error and keeps what it holds") {
    e2e::Scene scene(30);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");
    const std::string lock = db + ".lock";
    const auto first = proc::run({kTsync, "sync", "--json", "--config", config, "--db", db});
    REQUIRE(first.exit_code == 0);
    const std::string cursor = parse_json(first.out)["cursor_after"].GetString();
    // The sync leaves its log empty beside the replica (closing without the
    // exclusive lock that would remove it).
    REQUIRE(std::filesystem::file_size(db + "-wal") == 0);
    api.store().mutate(5, 5);

    // As root, the sync runs as nobody in a folder it may not write; otherwise
    // the files and the folder themselves are made read-only.
    const bool root = ::geteuid() == 0;
    const std::optional<uid_t> as = root ? std::optional<uid_t>(65534) : std::nullopt;
    REQUIRE(::chmod(config.c_str(), 0644) == 0);
    REQUIRE(::chmod(lock.c_str(), 0666) == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0755) == 0);
    for (const char* suffix : {"", "-wal", "-shm"})
      REQUIRE(::chmod((db + suffix).c_str(), 0666) == 0);
    std::string expected;
    SUBCASE("the lock file") {
      REQUIRE(::chmod(lock.c_str(), 0444) == 0);
      expected = lock + ": cannot open the sync lock file: Permission denied";
    }
    SUBCASE("the replica") {
      REQUIRE(::chmod(db.c_str(), root ? 0644 : 0444) == 0);
      expected = db +
                 ": this user may not write the replica: Permission denied (check its owner "
                 "and permissions)";
    }
    SUBCASE("a -shm file left by another user") {
      std::ofstream(db + "-shm").put('\0');
      REQUIRE(::chmod((db + "-shm").c_str(), root ? 0644 : 0444) == 0);
      expected = db +
                 "-shm: this user may not write this file SQLite keeps beside the replica: "
                 "Permission denied (give it the replica's owner and permissions)";
    }
    SUBCASE("the folder") {
      if (!root) REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
      expected = dir.path().string() +
                 ": this user may not create files in the replica's folder: Permission denied "
                 "(SQLite keeps the replica's -wal and -shm files there)";
    }
    CAPTURE(expected);

    // nobody runs a copy of tsync in the scratch folder: the build folder may be
    // one that only root can reach (a clone in a private temporary folder).
    std::string binary = kTsync;
    if (root) {
      binary = dir.file("tsync-copy");
      std::filesystem::copy_file(kTsync, binary);
      REQUIRE(::chmod(binary.c_str(), 0755) == 0);
    }
    const auto text = proc::run({binary, "sync", "--config", config, "--db", db}, {}, "", as);
    const auto json =
        proc::run({binary, "sync", "--json", "--config", config, "--db", db}, {}, "", as);

    CHECK(text.exit_code == tsync::kExitError);
    CHECK(text.err == "tsync: error: " + expected + "\n");
    CHECK(text.out == "");  // no summary of a run that never began
    CHECK(json.exit_code == tsync::kExitError);
    const auto doc = parse_json(json.out);
    CHECK(std::string(doc["status"].GetString()) == "error");
    CHECK(std::string(doc["error"].GetString()) == expected);
    // Nothing was left behind that would stand in the way once access is given.
    CHECK(std::filesystem::file_size(db + "-wal") == 0);
    REQUIRE(::chmod(dir.path().c_str(), 0700) == 0);
    REQUIRE(::chmod(db.c_str(), 0600) == 0);
    CHECK(e2e::saved_cursor(db) == cursor);
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("SELECT count(*) FROM user").getInt64() == 30);
    CHECK(d.execAndGet("SELECT count(*) FROM _sync_log").getInt64() == 1);
  }

  TEST_CASE("a lock path that is a folder is named in the error") {
    e2e::Scene scene(5);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");
    REQUIRE(::mkdir((db + ".lock").c_str(), 0700) == 0);

    const auto r = proc::run({kTsync, "sync", "--config", config, "--db", db});

    CHECK(r.exit_code == tsync::kExitError);
    CHECK(r.err ==
          "tsync: error: " + db + ".lock: cannot open the sync lock file: Is a directory\n");
    CHECK(r.out == "");
    CHECK(!exists(db));
  }

  TEST_CASE("a sync killed mid-run is marked died by the next sync, and status shows it so") {
    Options options;
    options.users = 4000;
    options.rate_limit_bytes_per_second = 300000;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string db = dir.file("replica.db");
    const std::string config =
        write_config(dir, "{\"base_url\": \"" + api.base_url() +
                              "\", \"retry_base_seconds\": 0.01, \"checkpoint_rows\": 50}");

    proc::Child killed({kTsync, "sync", "--quiet", "--config", config, "--db", db});
    // Killed once the run has committed rows, while it reads on.
    REQUIRE(wait_for([&] {
      const std::string rows = peek(db, "SELECT rows_new FROM _sync_log WHERE run_id = 1");
      return !rows.empty() && std::stoll(rows) > 0;
    }));
    killed.signal(SIGKILL);
    REQUIRE(killed.wait().exit_code == 128 + SIGKILL);
    CHECK(peek(db, "SELECT status FROM _sync_log WHERE run_id = 1") == "running");
    // Before the next sync, status already tells it: no sync holds the lock.
    const auto before = proc::run({kTsync, "status", "--db", db});
    CHECK(before.out.find("#1 user ") != std::string::npos);
    CHECK(before.out.find(" died: ") != std::string::npos);
    CHECK(before.out.find("its process ended without finishing (killed, or the machine "
                          "stopped): no sync holds the replica's lock") != std::string::npos);
    CHECK(
        parse_json(proc::run({kTsync, "status", "--json", "--db", db}).out)["runs"][0]["status"] ==
        "died");

    options.rate_limit_bytes_per_second = 0;
    api.set_options(options);
    proc::Child next({kTsync, "sync", "--quiet", "--config", config, "--db", db});
    const auto done = next.wait();
    REQUIRE_MESSAGE(done.exit_code == 0, done.err);
    e2e::check_replica_equals(db, api);

    const auto status = proc::run({kTsync, "status", "--db", db});
    CHECK(status.exit_code == 0);
    INFO(status.out);
    CHECK(status.out.find("#2 user ") != std::string::npos);
    CHECK(status.out.find(" ok: ") != std::string::npos);
    const auto first = status.out.find("#1 user ");
    REQUIRE(first != std::string::npos);
    CHECK(status.out.find(" died: ", first) != std::string::npos);
    CHECK(status.out.find(" running: ") == std::string::npos);
    CHECK(status.out.find("sync running now") == std::string::npos);
    CHECK(status.out.find("found running at ") != std::string::npos);
    CHECK(status.out.find(" by the next sync (pid " + std::to_string(next.pid()) +
                          "): the process ended without finishing (killed, or the machine "
                          "stopped)") != std::string::npos);

    const auto json = parse_json(proc::run({kTsync, "status", "--json", "--db", db}).out);
    REQUIRE(json["runs"].Size() == 2);
    CHECK(std::string(json["runs"][1]["status"].GetString()) == "died");
    CHECK(std::string(json["runs"][1]["error"].GetString()).find("found running at ") == 0);
    CHECK(json["runs"][1]["finished_at"].IsNull());
    CHECK(std::string(json["runs"][0]["status"].GetString()) == "ok");

    // Marked once: a later sync leaves the row as it is.
    const std::string marked = peek(db, "SELECT error FROM _sync_log WHERE run_id = 1");
    REQUIRE(proc::run({kTsync, "sync", "--quiet", "--config", config, "--db", db}).exit_code == 0);
    CHECK(peek(db, "SELECT error FROM _sync_log WHERE run_id = 1") == marked);
  }

  TEST_CASE("a closed output stops a sync at a safe point: what was read is kept, exit 141") {
    Options options;
    options.users = 3000;
    options.paging = PagingStyle::Offset;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string db = dir.file("replica.db");
    // One stream, or two read at once (the default max_concurrency) from one API.
    std::vector<std::string> tables{"user"};
    SUBCASE("one stream") {}
    SUBCASE("two streams at once") { tables.push_back("user_copy"); }
    std::string streams;
    for (const std::string& table : tables)
      streams += std::string(streams.empty() ? "" : ", ") + "{\"name\": \"" + table +
                 "\", \"url\": \"" + api.base_url() +
                 "\", \"pagination\": {\"type\": \"offset\", \"param\": \"offset\", "
                 "\"limit_param\": \"limit\", \"limit\": 20, \"total_path\": \"total\"}}";
    const std::string config =
        write_config(dir, "{\"database\": \"" + db +
                              "\", \"retry_base_seconds\": 0.01, \"streams\": [" + streams + "]}");
    // The 15th request waits until the reader has gone: the run cannot end before.
    std::mutex mutex;
    std::condition_variable changed;
    bool closed = false;
    api.set_request_hook([&](std::size_t n) {
      if (n != 15) return;
      std::unique_lock lock(mutex);
      changed.wait_for(lock, std::chrono::seconds(60), [&] { return closed; });
    });

    // `tsync sync -v 2>&1 | head -20`: the reader takes 20 lines and exits.
    proc::Child child({kTsync, "sync", "-v", "--config", config});
    std::string seen;
    for (int i = 0; i < 20; ++i) seen += child.read_err_line() + "\n";
    child.close_err();
    {
      const std::lock_guard lock(mutex);
      closed = true;
    }
    changed.notify_all();
    const auto r = child.wait();
    api.set_request_hook(nullptr);
    INFO(seen);
    CHECK(seen.find(": GET http://127.0.0.1:") != std::string::npos);

    CHECK(r.exit_code == 128 + SIGPIPE);
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
    SQLite::Statement runs(d, "SELECT stream, status, error FROM _sync_log ORDER BY run_id");
    std::size_t logged = 0;
    while (runs.executeStep()) {
      ++logged;
      INFO(runs.getColumn(0).getString());
      CHECK(runs.getColumn(1).getString() == "interrupted");
      CHECK(runs.getColumn(2).getString() ==
            "stopped because its output was closed (the program reading tsync's output, such "
            "as head, exited); everything committed before it is kept");
    }
    CHECK(logged == tables.size());
    // The pages read before the stop are committed: at least the nine whose
    // next request the reader saw.
    std::int64_t kept = 0;
    for (const std::string& table : tables)
      kept += d.execAndGet("SELECT count(*) FROM " + table).getInt64();
    CHECK(kept >= 9 * 20);
    CHECK(kept < 3000 * static_cast<std::int64_t>(tables.size()));

    const auto next = proc::run({kTsync, "sync", "--config", config});
    CHECK_MESSAGE(next.exit_code == 0, next.err);
    const auto truth = api.store().snapshot();
    for (const std::string& table : tables) {
      std::map<std::string, std::string> stored;
      SQLite::Statement rows(d, "SELECT id, updatedAt FROM " + table);
      while (rows.executeStep())
        stored[rows.getColumn(0).getString()] = rows.getColumn(1).getString();
      CHECK(stored.size() == truth.size());
      for (const auto& u : truth) {
        const auto it = stored.find(u.id);
        REQUIRE_MESSAGE(it != stored.end(), "user " << u.id << " is not in " << table);
        CHECK(tsync::parse_timestamp(it->second) == u.updated);
      }
    }
  }

  TEST_CASE("status cuts a long error after masking its secrets, never through one") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    const std::string secret = "s3cr3t-t0ken-value-0123456789-abcdefghij";
    const std::string config =
        write_config(dir, config_json(api, ", \"token_env\": \"TSYNC_TEST_TOKEN\""));
    const std::string db = dir.file("replica.db");
    REQUIRE(
        proc::run({kTsync, "sync", "--config", config, "--db", db}, {"TSYNC_TEST_TOKEN=" + secret})
            .exit_code == 0);
    {
      // A text stored before this secret was the one configured: where a line
      // is cut (about 950 bytes in), the secret begins.
      SQLite::Database d(db, SQLite::OPEN_READWRITE);
      SQLite::Statement update(d, "UPDATE _sync_log SET error = ?1");
      update.bind(1, std::string(930, 'x') + secret + std::string(200, 'y'));
      update.exec();
    }
    const auto r = proc::run({kTsync, "status", "--config", config, "--db", db},
                             {"TSYNC_TEST_TOKEN=" + secret});
    INFO(r.out);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(secret.substr(0, 8)) == std::string::npos);
    CHECK(r.out.find("[redacted]yyy") != std::string::npos);
    CHECK(r.out.find("y… (cut; the whole text: --json, or _sync_log)\n") != std::string::npos);
  }

  TEST_CASE("SIGTERM and SIGINT stop a sync with 143 and 130, keeping committed rows") {
    Options options;
    options.users = 4000;
    options.rate_limit_bytes_per_second = 300000;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api, ", \"checkpoint_rows\": 50"));
    const std::string db = dir.file("replica.db");
    int sig = SIGTERM;
    SUBCASE("SIGTERM") { sig = SIGTERM; }
    SUBCASE("SIGINT") { sig = SIGINT; }

    proc::Child child({kTsync, "sync", "--config", config, "--db", db});
    tsync::test::wait_until("the sync's first committed rows",
                            [&] { return e2e::committed_rows(db, "user") > 0; });
    child.signal(sig);
    const auto r = child.wait();

    CHECK(r.exit_code == 128 + sig);
    CHECK(r.err.find(sig == SIGTERM ? "interrupted by SIGTERM" : "interrupted by SIGINT") !=
          std::string::npos);
    CHECK(r.err.find("user: ") != std::string::npos);  // the summary line
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("SELECT count(*) FROM user").getInt64() > 0);
    CHECK(d.execAndGet("SELECT status FROM _sync_log").getString() == "interrupted");
  }

  TEST_CASE(
      "status shows the cursor, rows, rejected count and recent runs, reset forgets the cursor") {
    e2e::Scene scene(30);
    auto& [dir, api] = scene;
    api.store().add_raw(R"({"id":"bad"})", api.store().snapshot()[3].updated);
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");
    proc::run({kTsync, "sync", "--config", config, "--db", db});

    const auto text = proc::run({kTsync, "status", "--db", db});
    CHECK(text.exit_code == 0);
    CHECK(text.out.find("user: 30 rows, 1 rejected, cursor " + e2e::newest_text(api)) !=
          std::string::npos);
    CHECK(text.out.find("#1 ") != std::string::npos);

    const auto json = proc::run({kTsync, "status", "--json", "--db", db});
    const auto doc = parse_json(json.out);
    REQUIRE(doc["streams"].Size() == 1);
    CHECK(doc["streams"][0]["rows"].GetInt64() == 30);
    CHECK(doc["streams"][0]["rejected"].GetInt64() == 1);
    CHECK(std::string(doc["streams"][0]["cursor"].GetString()) == e2e::newest_text(api));
    REQUIRE(doc["runs"].Size() == 1);
    CHECK(std::string(doc["runs"][0]["status"].GetString()) == "ok");

    const auto reset = proc::run({kTsync, "reset", "--db", db});
    CHECK(reset.exit_code == 0);
    CHECK(e2e::saved_cursor(db) == "");
    const auto resync = proc::run({kTsync, "sync", "--json", "--config", config, "--db", db});
    CHECK(parse_json(resync.out)["cursor_before"].IsNull());
    CHECK(api.since_log()[api.since_log().size() - 2] == "0001-01-01T00:00:00Z");

    const auto missing = proc::run({kTsync, "status", "--db", dir.file("none.db")});
    CHECK(missing.exit_code == tsync::kExitError);
    CHECK(missing.err.find("no such replica") != std::string::npos);
    CHECK(!exists(dir.file("none.db")));
  }

  TEST_CASE("a token from the environment is sent but never printed or stored") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    tsync::mock::Fault fault;
    fault.kind = tsync::mock::Fault::Kind::RawBody;
    fault.status = 401;
    fault.body = "unauthorized";
    api.push_fault(fault);
    const std::string secret = "s3cr3t-t0ken-value";
    const std::string config =
        write_config(dir, config_json(api, ", \"token_env\": \"TSYNC_TEST_TOKEN\""));
    const std::string db = dir.file("replica.db");

    const auto r = proc::run({kTsync, "sync", "--verbose", "--config", config, "--db", db},
                             {"TSYNC_TEST_TOKEN=" + secret});
    CHECK(r.exit_code == tsync::kExitError);
    CHECK(r.err.find("HTTP 401") != std::string::npos);
    CHECK(r.err.find("check the token in $TSYNC_TEST_TOKEN") != std::string::npos);
    const auto ok =
        proc::run({kTsync, "sync", "--verbose", "--json", "--config", config, "--db", db},
                  {"TSYNC_TEST_TOKEN=" + secret});
    CHECK(ok.exit_code == 0);
    for (const auto* text : {&r.out, &r.err, &ok.out, &ok.err})
      CHECK(text->find(secret) == std::string::npos);
    std::ifstream file(db, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)),
                            std::istreambuf_iterator<char>());
    CHECK(bytes.find(secret) == std::string::npos);

    const auto unset =
        proc::run({kTsync, "sync", "--config", config, "--db", dir.file("other.db")});
    CHECK(unset.exit_code == tsync::kExitUsage);
    CHECK(unset.err.find("token_env: environment variable TSYNC_TEST_TOKEN is not set") !=
          std::string::npos);
  }

  TEST_CASE("on a terminal a progress line is drawn and erased, on a pipe there is none") {
    Options options;
    options.users = 4000;
    options.rate_limit_bytes_per_second = 1000000;  // about 1.2 s for the response
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string config = write_config(dir, config_json(api));
    const std::string db = dir.file("replica.db");

    // The child's stdout and stderr are the slave side of a pseudo-terminal.
    std::vector<std::string> args{kTsync, "sync", "--config", config, "--db", db};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int master = -1;
    const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    std::string screen;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(master, buffer, sizeof buffer);
      if (n <= 0) break;  // EIO once the child has exited and closed the terminal
      screen.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(master);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    CAPTURE(screen);
    const auto first = screen.find("\r\033[Kuser: ");
    REQUIRE(first != std::string::npos);
    CHECK(screen.find(" rows/s, ", first) != std::string::npos);
    CHECK(screen.find(" MB/s", first) != std::string::npos);
    CHECK(screen.find("%, ETA ", first) != std::string::npos);  // the size is known
    // Erased before the summary line, which stays.
    const auto summary = screen.find("user: 4,000 rows (4,000 new, 0 updated, 0 rejected) in ");
    REQUIRE(summary != std::string::npos);
    CHECK(summary > first);
    CHECK(screen.compare(summary - 4, 4, "\r\033[K") == 0);

    // The same run on pipes: the summary alone.
    api.store().mutate(4000, 0);
    const auto piped = proc::run({kTsync, "sync", "--config", config, "--db", db});
    CHECK(piped.exit_code == 0);
    CHECK(piped.err == "");
    CHECK(piped.out.find('\r') == std::string::npos);
    CHECK(piped.out.find("\033") == std::string::npos);
    CHECK(piped.out.rfind("user: 4,000 rows (0 new, 4,000 updated, 0 rejected) in ", 0) == 0);
  }

  TEST_CASE("several streams: a line or a JSON object each, status and reset per stream") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    tsync::mock::EndpointSpec spec;
    spec.path = "/v1/orders";
    spec.records = 40;
    spec.schema.key = tsync::mock::KeyKind::Integer;
    spec.schema.cursor_field = "updated_at";
    spec.schema.cursor_format = tsync::mock::CursorFormat::UnixMillis;
    spec.schema.fields = {{"amount", tsync::mock::FieldKind::Float}};
    const std::string orders = api.add_endpoint(spec);
    const std::string db = dir.file("replica.db");
    auto config_with = [&](const std::string& orders_url) {
      return write_config(dir, R"({"database": ")" + db + R"(", "retry_base_seconds": 0.01,
          "max_retries": 0, "streams": [
          {"name": "user", "url": ")" +
                                   api.base_url() + R"("},
          {"name": "orders", "url": ")" +
                                   orders_url + R"(", "cursor_field": "updated_at",
           "cursor_format": "unix_millis"}]})");
    };
    const std::string config = config_with(orders);

    auto r = proc::run({kTsync, "sync", "--config", config});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("user: 100 rows (100 new") == 0);
    CHECK(r.out.find("\norders: 40 rows (40 new") != std::string::npos);

    api.records("/v1/orders").mutate(2, 1);
    r = proc::run({kTsync, "sync", "--config", config, "--json"});
    CHECK(r.exit_code == 0);
    const auto newline = r.out.find('\n');
    REQUIRE(newline != std::string::npos);
    const auto first = parse_json(r.out.substr(0, newline));
    const auto second = parse_json(r.out.substr(newline + 1));
    CHECK(std::string(first["stream"].GetString()) == "user");
    CHECK(first["rows_new"].GetInt() == 0);
    CHECK(std::string(second["stream"].GetString()) == "orders");
    CHECK(second["rows_new"].GetInt() == 1);
    CHECK(second["rows_updated"].GetInt() == 2);
    CHECK(second["all_rejected_responses"].GetInt() == 0);

    r = proc::run({kTsync, "sync", "--config", config, "--stream", "orders", "--json"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("\"stream\":\"orders\"") != std::string::npos);
    CHECK(r.out.find("\"stream\":\"user\"") == std::string::npos);

    r = proc::run({kTsync, "sync", "--config", config, "--stream", "nope"});
    CHECK(r.exit_code == tsync::kExitUsage);
    CHECK(r.err ==
          "tsync: error: --stream nope: no such stream in the configuration (it has: user, "
          "orders)\n");

    r = proc::run({kTsync, "status", "--config", config});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("  orders: 41 rows, 0 rejected, cursor ") != std::string::npos);
    CHECK(r.out.find("  user: 100 rows, 0 rejected, cursor ") != std::string::npos);

    r = proc::run({kTsync, "reset", "--config", config, "--stream", "orders"});
    CHECK(r.exit_code == 0);
    CHECK(r.out ==
          "orders: cursor forgotten; the next sync asks for every record again (rows are kept)\n");
    r = proc::run({kTsync, "status", "--config", config, "--json"});
    CHECK(r.out.find(R"("stream":"orders","table":"orders","cursor":null)") != std::string::npos);
    CHECK(r.out.find(R"("stream":"user","table":"user","cursor":null)") == std::string::npos);

    SUBCASE("a stream that fails is named, the others still sync, and the exit code is 1") {
      api.store().mutate(0, 3);
      r = proc::run({kTsync, "sync", "--config", config_with(api.url("/gone"))});
      CHECK(r.exit_code == tsync::kExitError);
      CHECK(r.out.find("user: 3 rows (3 new") == 0);
      CHECK(r.err.find("tsync: error: orders: GET " + api.url("/gone") + "?since=") == 0);
      CHECK(r.err.find("HTTP 404") != std::string::npos);
    }
    SUBCASE("a cursor_field that no record has: exit 1 and a warning, nothing stored") {
      const std::string wrong = write_config(
          dir, R"({"database": ")" + db + R"(", "streams": [{"name": "orders", "url": ")" + orders +
                   R"(", "cursor_field": "modified",
                   "cursor_format": "unix_millis"}]})");
      r = proc::run({kTsync, "sync", "--config", wrong, "--json"});
      CHECK(r.exit_code == tsync::kExitError);
      const auto report = parse_json(r.out);
      CHECK(std::string(report["status"].GetString()) == "error");
      CHECK(report["all_rejected_responses"].GetInt() == 1);
      CHECK(std::string(report["warning"].GetString()).find("every record of 1 response") == 0);
      CHECK(r.err.find("tsync: error: stored no record and rejected all 41 (the first because: "
                       "no modified)") == 0);
    }
  }

  TEST_CASE("a run past max_run_seconds stops at a safe point, keeps its checkpoints, exits 1") {
    Options options;
    options.users = 20000;
    options.rate_limit_bytes_per_second = 400000;  // about 10 s for the whole response
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const std::string config =
        write_config(dir, config_json(api,
                                      ", \"max_run_seconds\": 1, \"checkpoint_rows\": 200, "
                                      "\"database\": \"" +
                                          dir.file("replica.db") + "\""));
    const auto started = std::chrono::steady_clock::now();
    const auto r = proc::run({kTsync, "sync", "--config", config});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK(r.exit_code == tsync::kExitError);
    CHECK(seconds < 5);
    CHECK(r.err.find("tsync: error: the run passed max_run_seconds = 1 and stopped at a safe "
                     "point; everything committed before it is kept") == 0);
    SQLite::Database db(dir.file("replica.db"), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT status FROM _sync_log").getString() == "error");
    CHECK(db.execAndGet("SELECT error FROM _sync_log").getString().find("max_run_seconds") !=
          std::string::npos);
    const auto rows = db.execAndGet("SELECT count(*) FROM user").getInt64();
    CHECK(rows > 0);
    CHECK(rows < 20000);
    CHECK(e2e::users_covered(api, e2e::saved_cursor(dir.file("replica.db"))) <= rows);
  }

  TEST_CASE("tsync status names a sync that is running now") {
    e2e::Scene scene(200);
    auto& [dir, api] = scene;
    const std::string db = dir.file("replica.db");
    const std::string config =
        write_config(dir, config_json(api, ", \"database\": \"" + db + "\""));
    REQUIRE(proc::run({kTsync, "sync", "--config", config}).exit_code == 0);  // a first, quick one
    REQUIRE(proc::run({kTsync, "reset", "--config", config}).exit_code == 0);
    auto idle = proc::run({kTsync, "status", "--db", db, "--json"});
    CHECK(idle.out.find("\"running\":null") != std::string::npos);

    // The mock holds the sync's first request until the test has looked: by
    // then the sync holds the lock and has logged its run.
    tsync::test::Gate gate;
    api.set_request_hook([&gate](std::size_t) { gate.hold(); });
    proc::Child child({kTsync, "sync", "--quiet", "--config", config});
    gate.wait_for_arrival("the sync's first request");
    const auto seen = proc::run({kTsync, "status", "--db", db});
    CHECK(seen.out.find("sync running now: pid " + std::to_string(child.pid()) +
                        ", stream user since ") != std::string::npos);
    const auto json = proc::run({kTsync, "status", "--db", db, "--json"});
    CHECK(json.out.find("\"running\":{\"pid\":" + std::to_string(child.pid()) +
                        ",\"stream\":\"user\"") != std::string::npos);
    gate.open();
    CHECK(child.wait().exit_code == 0);
    api.set_request_hook(nullptr);
    const auto after = proc::run({kTsync, "status", "--db", db});
    CHECK(after.out.find("sync running now") == std::string::npos);
    e2e::check_replica_equals(db, api);
  }
}
