// SPDX-License-Identifier: Apache-2.0
// End to end, as a user runs it: an API that echoes the secrets it was sent, in
// error bodies, URL-encoded, or across a redirect to another host, can never make
// tsync write a byte of a secret anywhere: stdout, stderr, the replica, its -wal
// and -shm files.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "source/http_client.hpp"
#include "support/e2e_support.hpp"
#include "support/local_server.hpp"
#include "support/process.hpp"

using tsync::test::LocalServer;

namespace {

// Secrets with characters that URL encoding and JSON escaping change.
const std::string kToken = "s3cr3t/t0ken+value=42";
const std::string kKey = "k3y \"quoted\" value";

std::string url_encoded(const std::string& text) {
  std::string out;
  tsync::append_url_encoded(out, text);
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Fails the test if any form of either secret is in `text`.
void check_clean(const std::string& text, const std::string& where) {
  CAPTURE(where);
  for (const std::string& secret : {kToken, kKey}) {
    CHECK_MESSAGE(text.find(secret) == std::string::npos, "the secret is in " << where);
    CHECK_MESSAGE(text.find(url_encoded(secret)) == std::string::npos,
                  "the URL-encoded secret is in " << where);
  }
  CHECK(text.find("s3cr3t") == std::string::npos);
  CHECK(text.find("k3y") == std::string::npos);
}

// An API whose every answer shows the secrets it received.
struct EchoingApi {
  LocalServer server;
  std::string seen;  // the headers of the last request

  EchoingApi() {
    auto echo = [this](const httplib::Request& request) {
      seen =
          request.get_header_value("Authorization") + " | " + request.get_header_value("X-Api-Key");
      return seen;
    };
    server.http.Get("/unauthorized", [echo](const httplib::Request& req, httplib::Response& res) {
      res.status = 401;
      res.set_content("{\"error\":\"bad token " + echo(req) + "\"}", "application/json");
    });
    server.http.Get("/broken", [echo](const httplib::Request& req, httplib::Response& res) {
      res.status = 500;
      res.set_content("debug: headers were " + echo(req), "text/plain");
    });
    server.http.Get("/encoded", [echo](const httplib::Request& req, httplib::Response& res) {
      res.status = 400;
      res.set_content("retry with ?token=" + url_encoded(echo(req)), "text/plain");
    });
    server.http.Get("/data", [echo](const httplib::Request& req, httplib::Response& res) {
      echo(req);
      res.set_content(R"({"data":[{"id":"1","updatedAt":"2024-01-15T10:30:00Z","name":"Ada"}]})",
                      "application/json");
    });
    server.start();
  }
};

struct Run {
  proc::Result result;
  std::string db;
};

// Runs `tsync sync --verbose` (and --json) with both secrets in the environment
// against `url`, then checks every byte it wrote.
Run sync_against(const e2e::ScratchDir& dir, const std::string& url, bool json = false) {
  const std::string db = dir.file("replica.db");
  const std::string config = dir.file("configuration.json");
  std::ofstream(config) << R"({"database": ")" << db << R"(", "retry_base_seconds": 0.01,
      "max_retries": 1, "timeout_seconds": 2, "token_env": "TSYNC_TEST_TOKEN",
      "streams": [{"name": "user", "url": ")"
                        << url << R"(", "headers": {"X-Api-Key": {"env": "TSYNC_TEST_KEY"}}}]})";
  std::vector<std::string> args{TSYNC_BINARY, "sync", "--config", config};
  args.push_back(json ? "--json" : "--verbose");
  Run run{proc::run(args, {"TSYNC_TEST_TOKEN=" + kToken, "TSYNC_TEST_KEY=" + kKey}), db};
  check_clean(run.result.out, "stdout");
  check_clean(run.result.err, "stderr");
  for (const char* suffix : {"", "-wal", "-shm"}) check_clean(read_all(db + suffix), db + suffix);
  const auto status = proc::run({TSYNC_BINARY, "status", "--db", db});
  check_clean(status.out + status.err, "tsync status");
  return run;
}

}  // namespace

TEST_SUITE("secrets") {
  TEST_CASE("error bodies that echo the secrets never put them in any output or file") {
    EchoingApi api;
    e2e::ScratchDir dir;
    SUBCASE("401 with the Authorization header in its body") {
      const Run run = sync_against(dir, api.server.url("/unauthorized"));
      CHECK(run.result.exit_code == tsync::kExitError);
      CHECK(api.seen == "Bearer " + kToken + " | " + kKey);  // they were sent
      CHECK(run.result.err.find("HTTP 401: {\"error\":\"bad token Bearer [redacted] | "
                                "[redacted]\"} (stream \"user\": the API refused the bearer "
                                "token: check the token in $TSYNC_TEST_TOKEN)") !=
            std::string::npos);
      SQLite::Database db(run.db, SQLite::OPEN_READONLY);
      CHECK(db.execAndGet("SELECT error FROM _sync_log").getString().find("[redacted]") !=
            std::string::npos);
    }
    SUBCASE("500, retried, with the headers in a plain-text body; --json too") {
      const Run run = sync_against(dir, api.server.url("/broken"), true);
      CHECK(run.result.exit_code == tsync::kExitError);
      CHECK(run.result.out.find("[redacted]") != std::string::npos);
      CHECK(run.result.err.find("gave up after 2 attempts") != std::string::npos);
    }
    SUBCASE("a body that echoes them URL-encoded") {
      const Run run = sync_against(dir, api.server.url("/encoded"));
      CHECK(run.result.exit_code == tsync::kExitError);
      CHECK(run.result.err.find("?token=Bearer%20[redacted]%20%7C%20[redacted]") !=
            std::string::npos);
    }
    SUBCASE("a successful sync keeps the data and no secret") {
      const Run run = sync_against(dir, api.server.url("/data"));
      CHECK(run.result.exit_code == 0);
      SQLite::Database db(run.db, SQLite::OPEN_READONLY);
      CHECK(db.execAndGet("SELECT name FROM user WHERE id = '1'").getString() == "Ada");
    }
  }

  TEST_CASE("a redirect to another host receives neither the token nor a secret header") {
    EchoingApi api;
    LocalServer other;
    std::string other_saw = "(not asked)";
    other.http.Get("/elsewhere", [&](const httplib::Request& req, httplib::Response& res) {
      other_saw = req.get_header_value("Authorization") + "|" + req.get_header_value("X-Api-Key");
      res.set_content(R"({"data":[{"id":"2","updatedAt":"2024-01-15T10:30:00Z"}]})",
                      "application/json");
    });
    if (!other.start_on("127.0.0.2")) {
      MESSAGE("cannot listen on 127.0.0.2: skipping the cross-host redirect test");
      return;
    }
    api.server.http.Get("/moved", [&](const httplib::Request&, httplib::Response& res) {
      res.set_redirect(other.url("/elsewhere"), 302);
    });
    e2e::ScratchDir dir;
    const Run run = sync_against(dir, api.server.url("/moved"));
    CHECK(run.result.exit_code == 0);
    CHECK(other_saw == "|");
    SQLite::Database db(run.db, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("SELECT count(*) FROM user").getInt() == 1);
  }

  TEST_CASE("a stalled body is cut, retried and reported without a secret") {
    LocalServer server;
    server.http.Get("/trickle", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider(
          "application/json; charset=utf-8", [](std::size_t offset, httplib::DataSink& sink) {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            if (!sink.is_writable()) return false;
            const std::string body = R"({"data":[)";
            if (offset < body.size())
              sink.write(&body[offset], 1);
            else
              sink.write(" ", 1);
            return true;
          });
    });
    server.start();
    e2e::ScratchDir dir;
    const std::string db = dir.file("replica.db");
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << R"({"database": ")" << db << R"(", "retry_base_seconds": 0.01,
        "max_retries": 1, "timeout_seconds": 1, "min_bytes_per_second": 100,
        "token_env": "TSYNC_TEST_TOKEN", "base_url": ")"
                          << server.url("/trickle") << R"("})";
    const auto started = std::chrono::steady_clock::now();
    const auto r =
        proc::run({TSYNC_BINARY, "sync", "--config", config}, {"TSYNC_TEST_TOKEN=" + kToken});
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    CHECK(r.exit_code == tsync::kExitError);
    CHECK(r.err.find("transfer stalled") != std::string::npos);
    CHECK(r.err.find("below min_bytes_per_second = 100") != std::string::npos);
    CHECK(r.err.find("retry 1 of 1") != std::string::npos);
    CHECK(r.err.find("gave up after 2 attempts") != std::string::npos);
    CHECK(seconds < 15);
    check_clean(r.out + r.err, "output");
  }

  TEST_CASE("a rejected record's reason is masked, its raw text kept as sent") {
    LocalServer server;
    server.http.Get("/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"data":[{"id":"1","updatedAt":")" + kToken + R"("}]})",
                      "application/json");
    });
    server.start();
    e2e::ScratchDir dir;
    const std::string db = dir.file("replica.db");
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << R"({"database": ")" << db << R"(", "token_env": "TSYNC_TEST_TOKEN",
        "base_url": ")" << server.url("/data")
                          << R"("})";
    const auto r = proc::run({TSYNC_BINARY, "sync", "--verbose", "--config", config},
                             {"TSYNC_TEST_TOKEN=" + kToken});
    CHECK(r.exit_code == tsync::kExitError);  // everything was rejected
    check_clean(r.out + r.err, "output");
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    CHECK(d.execAndGet("SELECT reason FROM _rejected").getString() ==
          "updatedAt is not an ISO 8601 timestamp: \"[redacted]\"");
    CHECK(d.execAndGet("SELECT raw FROM _rejected").getString().find(kToken) != std::string::npos);
  }

  TEST_CASE("login and token requests ask for JSON") {
    LocalServer server;
    std::vector<std::string> accepts;
    server.http.Post("/login", [&](const httplib::Request& req, httplib::Response& res) {
      accepts.push_back("login: " + req.get_header_value("Accept"));
      res.set_content(R"({"token": "session-token-1234"})", "application/json");
    });
    server.http.Post("/token", [&](const httplib::Request& req, httplib::Response& res) {
      accepts.push_back("token: " + req.get_header_value("Accept"));
      res.set_content("access_token=access-token-5678&token_type=bearer",
                      "application/x-www-form-urlencoded");
    });
    server.http.Get("/data", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"data":[{"id":"1","updatedAt":"2024-01-15T10:30:00Z"}]})",
                      "application/json");
    });
    server.start();
    e2e::ScratchDir dir;
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << R"({"database": ")" << dir.file("replica.db") << R"(", "streams": [
        {"name": "a", "url": ")"
                          << server.url("/data") << R"(", "auth": {"type": "session",
         "login_url": ")" << server.url("/login")
                          << R"(", "body": {"password": {"env": "T_LP"}},
         "token_path": "token"}},
        {"name": "b", "url": ")"
                          << server.url("/data") << R"(", "auth": {"type": "oauth2",
         "token_url": ")" << server.url("/token")
                          << R"(", "grant": "client_credentials",
         "client_id_env": "T_CID", "client_secret_env": "T_CS"}}]})";
    const auto r = proc::run({TSYNC_BINARY, "sync", "--config", config},
                             {"T_LP=login-pw-1", "T_CID=client-1", "T_CS=client-secret-1"});
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    std::sort(accepts.begin(), accepts.end());  // the two streams run at once
    CHECK(accepts ==
          std::vector<std::string>{"login: application/json", "token: application/json"});
    CHECK(r.out.find("a: 1 row ") != std::string::npos);
    CHECK(r.out.find("b: 1 row ") != std::string::npos);
  }
}
