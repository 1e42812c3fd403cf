// SPDX-License-Identifier: Apache-2.0
// End-to-end faults: transient HTTP faults are retried, permanent ones stop the
// run with a clear message, and the replica always stays at a committed
// checkpoint that honours the invariant.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>

#include <SQLiteCpp/Database.h>

#include <httplib.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

using tsync::mock::Fault;
using tsync::mock::MockApi;
using tsync::mock::Options;

namespace {

Fault status_fault(int status, std::string retry_after = "") {
  Fault f;
  f.kind = Fault::Kind::Status;
  f.status = status;
  f.retry_after = std::move(retry_after);
  return f;
}

Fault body_fault(Fault::Kind kind, std::size_t after_bytes) {
  Fault f;
  f.kind = kind;
  f.after_bytes = after_bytes;
  return f;
}

Fault raw_fault(int status, std::string body, std::string type = "application/json") {
  Fault f;
  f.kind = Fault::Kind::RawBody;
  f.status = status;
  f.body = std::move(body);
  f.content_type = std::move(type);
  return f;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

// The invariant: every user of the mock with updatedAt <= the saved cursor is
// in the replica, at least as new.
void check_invariant(const std::string& db, MockApi& api) {
  const std::string cursor = e2e::saved_cursor(db);
  if (cursor.empty()) return;
  const auto c = *tsync::parse_timestamp(cursor);
  const auto rows = e2e::read_rows(db);
  for (const auto& u : api.store().snapshot()) {
    if (u.updated > c) continue;
    const auto it = rows.find(u.id);
    REQUIRE_MESSAGE(it != rows.end(), "user " << u.id << " at " << u.updatedAt
                                              << " is covered by cursor " << cursor
                                              << " but missing");
    CHECK(it->second.updatedAt >= e2e::normalised(u.updatedAt));
  }
}

}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("transient statuses are retried and the sync completes") {
    e2e::Scene scene(100);
    auto& [dir, api] = scene;
    int status = 503;
    SUBCASE("503") { status = 503; }
    SUBCASE("500") { status = 500; }
    SUBCASE("502") { status = 502; }
    SUBCASE("429") { status = 429; }
    api.push_fault(status_fault(status));
    api.push_fault(status_fault(status));
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.counters.retries == 2);
    REQUIRE(observer.retries.size() == 2);
    CHECK(observer.retries[0].find("HTTP " + std::to_string(status)) != std::string::npos);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("Retry-After is honoured") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    std::string retry_after = "1";
    SUBCASE("in seconds") { retry_after = "2"; }
    SUBCASE("as an HTTP date") {
      // Three seconds ahead, so that whole-second rounding still leaves two.
      const std::time_t at = std::time(nullptr) + 3;
      std::tm utc{};
      ::gmtime_r(&at, &utc);
      char text[64];
      std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
      retry_after = text;
    }
    CAPTURE(retry_after);
    api.push_fault(status_fault(429, retry_after));
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);  // retry_base_seconds 0.01

    const auto started = std::chrono::steady_clock::now();
    tsync::run_sync(config, observer);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    REQUIRE(observer.waits.size() == 1);
    CHECK(observer.waits[0] >= 2.0);
    CHECK(observer.waits[0] <= 3.5);
    CHECK(elapsed >= 2.0);
  }

  TEST_CASE("retries are bounded and the message names the URL, the status and the attempts") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    for (int i = 0; i < 10; ++i) api.push_fault(status_fault(503));
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.max_retries = 2;

    tsync::SyncReport report;
    REQUIRE_THROWS_WITH_AS(tsync::run_sync(config, observer, report), doctest::Contains("HTTP 503"),
                           tsync::Error);
    try {
      tsync::run_sync(config, observer, report);
    } catch (const tsync::Error& e) {
      const std::string what = e.what();
      CHECK(what.find("GET " + api.base_url() + "?since=") == 0);
      CHECK(what.find("gave up after 3 attempts") != std::string::npos);
      CHECK(e.exit_code() == tsync::kExitError);
    }
    CHECK(report.status == "error");
    CHECK(count(config.database, "SELECT count(*) FROM user") == 0);
    CHECK(count(config.database, "SELECT count(*) FROM _sync_log WHERE status = 'error'") == 2);
  }

  TEST_CASE("retry_budget_seconds stops retrying before a wait would exceed it") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    api.push_fault(status_fault(503));
    api.push_fault(status_fault(503, "30"));  // the server asks for more than the budget left
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.retry_budget_seconds = 5;

    const auto started = std::chrono::steady_clock::now();
    std::string what;
    try {
      tsync::run_sync(config, observer);
    } catch (const tsync::Error& e) {
      what = e.what();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    CAPTURE(what);
    CHECK(what.find("HTTP 503") != std::string::npos);
    CHECK(what.find("(gave up: waiting 30.0 s more, after 0.0 s of retries, would exceed "
                    "retry_budget_seconds = 5)") != std::string::npos);
    CHECK(observer.retries.size() == 1);  // the first 503 was retried, the second was not
    CHECK(elapsed < 5);                   // and it did not wait the 30 s
    CHECK(count(config.database, "SELECT count(*) FROM user") == 0);
  }

  TEST_CASE("other 4xx statuses stop at once with the status and the body's text") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    api.push_fault(raw_fault(404, "{\"error\":\"no such endpoint\"}"));
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    REQUIRE_THROWS_WITH_AS(tsync::run_sync(config, observer),
                           ("GET " + api.base_url() +
                            "?since=0001-01-01T00%3A00%3A00Z: HTTP 404: {\"error\":\"no such "
                            "endpoint\"} (check the stream's url)")
                               .c_str(),
                           tsync::PermanentError);
    CHECK(observer.retries.empty());
    CHECK(api.request_count() == 1);
  }

  TEST_CASE("an HTML page with status 200 is a permanent error at byte 0") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    api.push_fault(raw_fault(200, "<html><body>Maintenance</body></html>", "text/html"));
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    REQUIRE_THROWS_WITH_AS(
        tsync::run_sync(config, observer),
        doctest::Contains("HTTP 200 (text/html): response body at byte 0: Invalid value."),
        tsync::PermanentError);
    CHECK(count(config.database, "SELECT count(*) FROM user") == 0);
  }

  TEST_CASE("bodies of the wrong shape name what is wrong") {
    e2e::Scene scene(20);
    auto& [dir, api] = scene;
    std::string body, expected;
    SUBCASE("no data") {
      body = "{\"items\": []}";
      expected = "response body at byte 13: the body has no \"data\" array";
    }
    SUBCASE("data not an array") {
      body = "{\"data\": {\"id\": 1}}";
      expected = "response body at byte 10: \"data\" is not an array";
    }
    SUBCASE("element not an object") {
      body = "{\"data\": [\"x\"]}";
      expected = "response body at byte 13: data[0] is not an object";
    }
    SUBCASE("malformed") {
      body = "{\"data\": [{\"id\": \"1\" \"name\": 2}]}";
      expected = "response body at byte 21: Missing a comma or '}' after an object member.";
    }
    api.push_fault(raw_fault(200, body));
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    REQUIRE_THROWS_WITH_AS(tsync::run_sync(config, observer), doctest::Contains(expected.c_str()),
                           tsync::PermanentError);
  }

  TEST_CASE("a malformed body keeps the checkpoints before the fault and nothing after") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    const auto truth = api.store().snapshot();
    // Six good records, exactly as the API serves them, then garbage.
    std::string body = "{\"data\": [";
    for (int i = 0; i < 6; ++i) {
      const auto& u = truth[static_cast<std::size_t>(i)];
      body += (i ? "," : "") + tsync::mock::render_user(u);
    }
    body += ", {\"id\": \"broken\", \"updatedAt\": ";
    api.push_fault(raw_fault(200, body + "}]}"));
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 2;

    CHECK_THROWS_AS(tsync::run_sync(config, observer), tsync::PermanentError);

    REQUIRE(!observer.checkpoints.empty());
    const std::string cursor = e2e::saved_cursor(config.database);
    CHECK(cursor == observer.checkpoints.back());
    const auto rows = e2e::read_rows(config.database);
    CHECK(rows.count("broken") == 0);
    // Exactly the records up to the last checkpoint are stored.
    std::size_t covered = 0;
    for (int i = 0; i < 6; ++i)
      if (truth[static_cast<std::size_t>(i)].updated <= *tsync::parse_timestamp(cursor)) ++covered;
    CHECK(rows.size() == covered);
    check_invariant(config.database, api);

    // The next run starts from that checkpoint and completes.
    const auto report = tsync::run_sync(config, observer);
    CHECK(report.cursor_before == cursor);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("a body cut short is retried from the last committed checkpoint") {
    e2e::Scene scene(2000);
    auto& [dir, api] = scene;
    Fault::Kind kind = Fault::Kind::DropAfterBytes;
    SUBCASE("connection dropped") { kind = Fault::Kind::DropAfterBytes; }
    SUBCASE("Content-Length mismatch") { kind = Fault::Kind::TruncateBody; }
    api.push_fault(body_fault(kind, 150000));
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 100;

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.counters.retries == 1);
    REQUIRE(observer.retries.size() == 1);
    const auto since = api.since_log();
    REQUIRE(since.size() >= 3);
    // The retry asked from a checkpoint taken before the fault, not from the start.
    CHECK(since[1] != since[0]);
    CHECK(std::find(observer.checkpoints.begin(), observer.checkpoints.end(), since[1]) !=
          observer.checkpoints.end());
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("a stalled body times out and is retried") {
    e2e::Scene scene(300);
    auto& [dir, api] = scene;
    Fault stall = body_fault(Fault::Kind::Stall, 2000);
    stall.stall = std::chrono::milliseconds(4000);
    api.push_fault(stall);
    e2e::RecordingObserver observer;
    auto config = e2e::config_for(api, dir);
    config.timeout_seconds = 1;

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.counters.retries == 1);
    REQUIRE(observer.retries.size() == 1);
    CHECK(observer.retries[0].find("no data for too long") != std::string::npos);
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("connection refused is retried, then reported") {
    e2e::ScratchDir dir;
    int port = 0;
    {
      Options options;
      options.users = 1;
      MockApi api(options);
      port = api.start();
    }  // stopped: nothing listens on the port now
    tsync::Config config;
    config.streams = {
        tsync::user_stream("http://127.0.0.1:" + std::to_string(port) + "/incremental/timestamp")};
    config.database = dir.file("replica.db");
    config.max_retries = 1;
    config.retry_base_seconds = 0.01;
    e2e::RecordingObserver observer;
    REQUIRE_THROWS_WITH_AS(tsync::run_sync(config, observer),
                           doctest::Contains("gave up after 2 attempts"), tsync::Error);
    CHECK(observer.retries.size() == 1);
  }

  TEST_CASE("bad records are kept in _rejected and their neighbours are stored") {
    e2e::Scene scene(50);
    auto& [dir, api] = scene;
    const auto truth = api.store().snapshot();
    const auto middle = truth[25].updated;
    api.store().add_raw(R"({"name":"no id","updatedAt":"2024-03-01T00:00:00Z"})", middle);
    api.store().add_raw(R"({"id":"x1","updatedAt":"yesterday"})", middle);
    api.store().add_raw(R"({"id":"x2"})", middle);
    api.store().add_raw(R"({"id":{"nested":true},"updatedAt":"2024-03-01T00:00:00Z"})", middle);
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    const auto report = tsync::run_sync(config, observer);

    CHECK(report.counters.rows_rejected == 4);
    CHECK(report.counters.rows_new == 50);
    e2e::check_replica_equals(config.database, api);
    SQLite::Database db(config.database, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT raw, reason FROM _rejected ORDER BY rowid");
    std::vector<std::pair<std::string, std::string>> rejected;
    while (q.executeStep())
      rejected.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    REQUIRE(rejected.size() == 4);
    CHECK(rejected[0] == std::pair<std::string, std::string>(
                             R"({"name":"no id","updatedAt":"2024-03-01T00:00:00Z"})", "no id"));
    CHECK(rejected[1].second == "updatedAt is not an ISO 8601 timestamp: \"yesterday\"");
    CHECK(rejected[2].second == "no updatedAt");
    CHECK(rejected[3].second == "id is not a string or a number");

    // Served again (lookback), they are not kept twice.
    auto replay = config;
    replay.streams.at(0).lookback_seconds = 400LL * 86400;
    const auto again = tsync::run_sync(replay, observer);
    CHECK(again.counters.rows_rejected == 0);
    CHECK(count(config.database, "SELECT count(*) FROM _rejected") == 4);
  }

  TEST_CASE("hostile strings are stored byte-exact") {
    e2e::Scene scene(5);
    auto& [dir, api] = scene;
    const auto at = api.store().snapshot()[2].updated;
    const std::string big(100 * 1024, 'x');
    api.store().add_raw(R"({"id":"h1","name":"Robert'); DROP TABLE user;--","email":"\"quoted\"",)"
                        R"("job":"emoji \ud83d\ude00 ok","address":"nul\u0000inside","company":")" +
                            big + R"(","updatedAt":"2024-01-01T00:00:00Z"})",
                        at);
    api.store().add_raw(R"({"id":42,"name":["a",{"b":null}],"updatedAt":"2024-01-01T00:00:00Z"})",
                        at);
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);

    tsync::run_sync(config, observer);

    SQLite::Database db(config.database, SQLite::OPEN_READONLY);
    SQLite::Statement q(db, "SELECT name, email, job, address, company FROM user WHERE id = 'h1'");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getString() == "Robert'); DROP TABLE user;--");
    CHECK(q.getColumn(1).getString() == "\"quoted\"");
    CHECK(q.getColumn(2).getString() == "emoji \xF0\x9F\x98\x80 ok");
    CHECK(std::string(static_cast<const char*>(q.getColumn(3).getBlob()),
                      static_cast<std::size_t>(q.getColumn(3).getBytes())) ==
          std::string("nul\0inside", 10));
    CHECK(q.getColumn(4).getString() == big);
    SQLite::Statement n(db, "SELECT name FROM user WHERE id = '42'");
    REQUIRE(n.executeStep());
    CHECK(n.getColumn(0).getString() == R"(["a",{"b":null}])");
  }

  TEST_CASE("a second sync on the same replica is refused without touching it") {
    e2e::Scene scene(10);
    auto& [dir, api] = scene;
    e2e::RecordingObserver observer;
    const auto config = e2e::config_for(api, dir);
    tsync::run_sync(config, observer);
    const auto runs_before = count(config.database, "SELECT count(*) FROM _sync_log");

    tsync::SyncLock held(config.database);
    try {
      tsync::run_sync(config, observer);
      FAIL("the second sync ran");
    } catch (const tsync::LockedError& e) {
      CHECK(std::string(e.what()).find("pid " + std::to_string(::getpid())) != std::string::npos);
      CHECK(e.exit_code() == tsync::kExitLocked);
    }
    CHECK(count(config.database, "SELECT count(*) FROM _sync_log") == runs_before);
  }

  TEST_CASE("SIGINT stops the sync, keeping what was committed") {
    Options options;
    options.users = 3000;
    options.rate_limit_bytes_per_second = 400000;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    // SIGINT comes once the sync has written rows.
    struct ProgressObserver : e2e::RecordingObserver {
      std::atomic<std::int64_t> written{0};
      void on_progress(const tsync::RunCounters& counters, std::uint64_t,
                       std::optional<std::uint64_t>) override {
        written = counters.rows_new;
      }
    } observer;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 50;
    tsync::install_interrupt_handlers();
    std::thread interrupter([&observer] {
      const auto limit = std::chrono::steady_clock::now() + tsync::test::kEventLimit;
      while (observer.written == 0 && std::chrono::steady_clock::now() < limit)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::raise(SIGINT);
    });
    tsync::SyncReport report;
    CHECK_THROWS_AS(tsync::run_sync(config, observer, report), tsync::Interrupted);
    interrupter.join();
    tsync::clear_interrupt();

    CHECK(report.status == "interrupted");
    const auto rows = e2e::read_rows(config.database);
    CHECK(rows.size() > 0);
    CHECK(rows.size() < 3000);
    check_invariant(config.database, api);
    CHECK(count(config.database, "SELECT count(*) FROM _sync_log WHERE status = 'interrupted'") ==
          1);
    CHECK(count(config.database, "SELECT rows_new FROM _sync_log") ==
          static_cast<std::int64_t>(rows.size()));

    api.set_options(Options{});
    const auto resumed = tsync::run_sync(config, observer);
    CHECK(resumed.status == "ok");
    e2e::check_replica_equals(config.database, api);
  }

  TEST_CASE("a reader never sees 'database is locked' while a sync writes") {
    e2e::Scene scene(20000);
    auto& [dir, api] = scene;
    auto config = e2e::config_for(api, dir);
    config.checkpoint_rows = 500;
    {
      // The replica and the user stream's (empty) table, as a first run makes them.
      tsync::Replica create(config.database);
      tsync::ReplicaWriter table(create, "user", config.streams.at(0).table_spec(), std::nullopt);
      table.finish("ok", "", {});
    }

    std::atomic<bool> done{false};
    std::atomic<int> reads{0};
    std::string reader_error;
    // The reader opens once the sync is writing: a connection opening while
    // another one rebuilds the WAL index (the first to open after the last one
    // closed) may be told to wait, which is opening, not reading.
    struct WritingObserver : e2e::RecordingObserver {
      std::atomic<bool> writing{false};
      void on_progress(const tsync::RunCounters&, std::uint64_t,
                       std::optional<std::uint64_t>) override {
        writing = true;
      }
    } writing_observer;
    std::thread reader([&] {
      try {
        while (!writing_observer.writing && !done)
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        SQLite::Database db(config.database, SQLite::OPEN_READONLY);
        while (!done) {
          db.execAndGet("SELECT count(*) FROM user").getInt64();
          ++reads;
        }
      } catch (const std::exception& e) {
        reader_error = e.what();
      }
    });
    tsync::run_sync(config, writing_observer);
    done = true;
    reader.join();
    CHECK(reader_error == "");
    CHECK(reads > 0);
  }

  TEST_CASE("https: the certificate is verified, and ca_file trusts a private one") {
    e2e::ScratchDir dir;
    const std::string cert = dir.file("cert.pem"), key = dir.file("key.pem");
    const auto made =
        proc::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days",
                   "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
    REQUIRE_MESSAGE(made.exit_code == 0, made.err);

    httplib::SSLServer server(cert.c_str(), key.c_str());
    REQUIRE(server.is_valid());
    server.Get(
        "/incremental/timestamp", [](const httplib::Request& request, httplib::Response& response) {
          const bool first = request.get_param_value("since") == "0001-01-01T00:00:00Z";
          response.set_content(
              first ? R"({"data":[{"id":"1","name":"Ada","updatedAt":"2024-01-01T00:00:00Z"}]})"
                    : R"({"data":[]})",
              "application/json");
        });
    const int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    std::thread listener([&] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    tsync::Config config;
    config.streams = {
        tsync::user_stream("https://127.0.0.1:" + std::to_string(port) + "/incremental/timestamp")};
    config.database = dir.file("replica.db");
    config.retry_base_seconds = 0.01;
    e2e::RecordingObserver observer;

    SUBCASE("a certificate no CA vouches for is refused at once") {
      REQUIRE_THROWS_WITH_AS(tsync::run_sync(config, observer),
                             doctest::Contains("SSL certificate problem"), tsync::PermanentError);
      CHECK(observer.retries.empty());
      CHECK(count(config.database, "SELECT count(*) FROM user") == 0);
    }
    SUBCASE("ca_file names the CA to trust") {
      config.ca_file = cert;
      const auto report = tsync::run_sync(config, observer);
      CHECK(report.counters.rows_new == 1);
      CHECK(e2e::saved_cursor(config.database) == "2024-01-01T00:00:00Z");
    }
    server.stop();
    listener.join();
  }
}
