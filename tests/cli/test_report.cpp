// SPDX-License-Identifier: Apache-2.0
// What a person reads of a run: the summary line and `tsync status`.
#include <doctest/doctest.h>

#include <sstream>

#include "cli/console.hpp"
#include "cli/report.hpp"
#include "common/error_text.hpp"

namespace {

tsync::RunRecord run(std::int64_t id, const std::string& stream, const std::string& status) {
  tsync::RunRecord r;
  r.run_id = id;
  r.stream = stream;
  r.started_at = "2024-05-01T10:00:00.000Z";
  r.status = status;
  return r;
}

}  // namespace

TEST_SUITE("report") {
  TEST_CASE("a change token is shortened in -v lines and summaries, a timestamp is not") {
    const std::string token(80, 'x');
    const std::string url = "https://graph.example/v1.0/users/delta?$deltatoken=" + token + "&a=1";
    const std::string shown = tsync::shortened_url(url);
    CHECK(shown.find(token) == std::string::npos);
    CHECK(shown.rfind("https://graph.example/v1.0/users/delta?$deltatoken=xxx", 0) == 0);
    CHECK(shown.substr(shown.size() - 4) == "&a=1");
    CHECK(tsync::shortened_url("http://h/x?since=2024-01-01T00:00:00Z&per_page=10") ==
          "http://h/x?since=2024-01-01T00:00:00Z&per_page=10");
    tsync::SyncReport report;
    report.stream = "users";
    report.run_id = 1;
    report.status = "ok";
    report.cursor_after = "https://graph.example/v1.0/users/delta?$deltatoken=" + token;
    CHECK(tsync::summary_line(report).find(token) == std::string::npos);
  }

  TEST_CASE("counts take their noun's number") {
    CHECK(tsync::counted(0, "row", "rows") == "0 rows");
    CHECK(tsync::counted(1, "row", "rows") == "1 row");
    CHECK(tsync::counted(1234, "retry", "retries") == "1,234 retries");
  }

  TEST_CASE("the summary line says 1 row and 1 request") {
    tsync::SyncReport r;
    r.stream = "user";
    r.status = "ok";
    r.counters.rows_new = 1;
    r.counters.requests = 1;
    r.counters.retries = 1;
    r.seconds = 0.25;
    CHECK(tsync::summary_line(r) ==
          "user: 1 row (1 new, 0 updated, 0 rejected) in 0.25 s; cursor (none) -> (none); "
          "1 request (1 retried)");
  }

  TEST_CASE("streams that failed alike are said once, others each on their own") {
    auto failed = [](const std::string& stream, const std::string& error) {
      tsync::SyncReport r;
      r.stream = stream;
      r.status = error.empty() ? "ok" : "error";
      r.error = error;
      return r;
    };
    const std::string refused = "POST http://h/login: HTTP 401: wrong password";
    const std::vector<tsync::SyncReport> reports{
        failed("a", "GET http://h/x?kind=a&since=2024-01-01T00%3A00%3A00Z: HTTP 400"),
        failed("b", refused),
        failed("c", ""),
        failed("d", "GET http://h/x?kind=d&since=2024-02-01T00%3A00%3A00Z: HTTP 400"),
        failed("e", refused),
        failed("f", "GET http://h/y?since=2024-01-01T00%3A00%3A00Z: HTTP 500")};
    CHECK(tsync::stream_errors(reports, true) ==
          std::vector<std::string>{"streams a and d: GET http://h/x?kind=…&since=…: HTTP 400",
                                   "streams b and e: " + refused, "", "", "",
                                   "f: GET http://h/y?since=2024-01-01T00%3A00%3A00Z: HTTP 500"});
    CHECK(tsync::stream_errors({reports[1]}, false) == std::vector<std::string>{refused});
    const std::vector<tsync::SyncReport> three{failed("a", refused), failed("b", refused),
                                               failed("c", refused)};
    CHECK(tsync::stream_errors(three, true).front() == "streams a, b and c: " + refused);
  }

  TEST_CASE("status names each run's stream, says died runs so, and keeps lines short") {
    std::vector<tsync::StreamStatus> streams(1);
    streams[0].stream = "orders";
    streams[0].table = "orders";
    streams[0].rows = 1;
    auto ok = run(3, "orders", "ok");
    ok.rows_new = 20;
    ok.requests = 1;
    auto died = run(2, "user", "died");
    died.error =
        "found running at 2024-05-01T11:00:00.000Z by the next sync (pid 42): the process ended "
        "without finishing (killed, or the machine stopped)";
    auto failed = run(1, "events", "error");
    failed.error = "3 windows failed alike: x (first a, last c)" + std::string(tsync::kEachInFull) +
                   "a: " + std::string(3000, 'x') + "\nb: x\nc: x";
    failed.warning = std::string(2000, 'w');
    const std::string text = tsync::status_text("r.db", streams, {ok, died, failed});
    INFO(text);
    CHECK(text.find("  orders: 1 row, 0 rejected, cursor ") != std::string::npos);
    CHECK(text.find("  #3 orders 2024-05-01T10:00:00.000Z ok: 20 new, 0 updated, 0 rejected, "
                    "1 request\n") != std::string::npos);
    CHECK(text.find("  #2 user 2024-05-01T10:00:00.000Z died: 0 new, 0 updated, 0 rejected, "
                    "0 requests\n      found running at 2024-05-01T11:00:00.000Z by the next "
                    "sync (pid 42)") != std::string::npos);
    CHECK(text.find("  #1 events 2024-05-01T10:00:00.000Z error: ") != std::string::npos);
    CHECK(text.find("\n      3 windows failed alike: x (first a, last c) (each in full: --json, "
                    "or _sync_log)\n") != std::string::npos);
    CHECK(text.find("b: x") == std::string::npos);
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) CHECK(line.size() <= tsync::kMaxLineChars);
    CHECK(text.find("      warning: www") != std::string::npos);

    // --json keeps every detail.
    const std::string json = tsync::status_json("r.db", streams, {ok, died, failed});
    CHECK(json.find("\"status\":\"died\"") != std::string::npos);
    CHECK(json.find("\\nb: x\\nc: x") != std::string::npos);
    CHECK(json.find(std::string(2000, 'w')) != std::string::npos);
  }
}
