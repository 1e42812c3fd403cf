// SPDX-License-Identifier: Apache-2.0
// End to end: a stream read in windows of time (since and until on every page),
// against a mock that refuses ranges longer than the window; a window that fails
// in the middle; a run with nothing new; the per-stream request rate.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "common/error_text.hpp"
#include "common/errors.hpp"
#include "config/config.hpp"
#include "source/http_client.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "sync/sync.hpp"

using tsync::mock::EndpointSpec;
using tsync::mock::PagingStyle;

namespace {

constexpr const char* kPath = "/v1/events";
constexpr long long kWindow = 30LL * 86400;  // the API takes at most 30 days a query

// 300 records over 2024 (the mock spreads them so), read in windows of 30 days
// from 2024-01-01 to now, since inclusive and until exclusive.
EndpointSpec events(PagingStyle paging) {
  EndpointSpec spec;
  spec.path = kPath;
  spec.records = 300;
  spec.seed = 3;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.since_param = "start_time";
  spec.serving.paging = paging;
  spec.serving.page_size = 10;
  spec.serving.strict = true;
  spec.serving.since_mode = tsync::mock::SinceMode::Inclusive;
  spec.serving.until_param = "end_time";
  spec.serving.max_range_seconds = kWindow;
  return spec;
}

// One request at a time, windows in time order: these tests count and order
// the requests (test_sync_concurrency.cpp reads windows at once).
std::string windows_json(const e2e::ScratchDir& dir, const std::string& url,
                         const std::string& pagination, const std::string& extra = "") {
  return R"({"database": ")" + dir.file("replica.db") +
         R"(", "retry_base_seconds": 0.01, "max_retries": 2, "timeout_seconds": 5,
          "max_concurrency": 1,
          "start_timestamp": "2024-01-01T00:00:00Z", "streams": [{"name": "events", "url": ")" +
         url + R"(", "since_param": "start_time", "until_param": "end_time",
          "window_seconds": )" +
         std::to_string(kWindow) + (pagination.empty() ? "" : ", " + pagination) + extra + "}]}";
}

tsync::Config windows_config(const e2e::ScratchDir& dir, const std::string& url,
                             const std::string& pagination, const std::string& extra = "") {
  return tsync::parse_config(windows_json(dir, url, pagination, extra), "test configuration");
}

tsync::SyncReport sync_once(const tsync::Config& config) {
  e2e::RecordingObserver observer;
  auto reports = tsync::run_streams(config, {}, observer);
  REQUIRE(reports.size() == 1);
  return reports[0];
}

std::string saved(const std::string& db) {
  return e2e::text_of(db, "SELECT last_timestamp FROM _state WHERE stream = 'events'");
}

}  // namespace

TEST_SUITE("sync_windows") {
  TEST_CASE("windows with each kind of paging store every record exactly") {
    struct Case {
      const char* name;
      PagingStyle paging;
      std::string pagination;
    };
    const std::vector<Case> cases{
        {"offset", PagingStyle::Offset,
         R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
            "limit": 10, "total_path": "total"})"},
        {"page", PagingStyle::PageNumber,
         R"("pagination": {"type": "page", "param": "page", "size_param": "per_page",
            "size": 10, "total_pages_path": "total_pages"})"},
        {"token", PagingStyle::Token,
         R"("records_path": "results", "params": {"limit": "10"},
            "pagination": {"type": "token", "path": "paging.next.after", "param": "after"})"},
        {"link header", PagingStyle::LinkHeader,
         R"("records_path": "", "params": {"per_page": "10"},
            "pagination": {"type": "link_header"})"},
        {"one request a window", PagingStyle::None, ""},
    };
    for (const Case& c : cases) {
      CAPTURE(c.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      EndpointSpec spec = events(c.paging);
      if (c.paging == PagingStyle::Token) spec.records_path = "results";
      if (c.paging == PagingStyle::LinkHeader) spec.records_path = "";
      // Without a pagination a window is one request: the API answers it whole.
      if (c.paging == PagingStyle::None) spec.serving.page_size = 0;
      const std::string url = api.add_endpoint(spec);
      const auto config = windows_config(dir, url, c.pagination);
      const auto report = sync_once(config);
      REQUIRE_MESSAGE(report.status == "ok", report.error);
      e2e::check_table_equals(config.database, "events", api.records(kPath));
      // Every request carried both bounds, 30 days apart at most (the mock
      // refuses more), and the cursor stands just below the last window's end.
      for (const std::string& target : api.target_log()) {
        CHECK(target.find("start_time=") != std::string::npos);
        CHECK(target.find("end_time=") != std::string::npos);
      }
      const auto cursor = tsync::parse_timestamp(saved(config.database));
      REQUIRE(cursor);
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      CHECK(cursor->seconds <= now);
      CHECK(cursor->seconds >= now - 60);

      // Every window and page of the run went over one connection.
      CHECK(api.connection_count() <= 2);

      // Nothing new: the next run asks one window only.
      const std::size_t before = api.target_log().size();
      const auto again = sync_once(config);
      CHECK(again.status == "ok");
      CHECK(again.counters.rows_new == 0);
      CHECK(api.target_log().size() == before + 1);
    }
  }

  TEST_CASE("a window failing in the middle: the cursor stops before it, later rows stay") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(events(PagingStyle::Offset));
    const auto config = windows_config(dir, url, R"("pagination": {"type": "offset",
        "param": "offset", "limit_param": "limit", "limit": 10, "total_path": "total"})");
    // Find the fifth window's start: 2024-01-01 plus four windows.
    const tsync::Instant first = *tsync::parse_timestamp("2024-01-01T00:00:00Z");
    // Each window starts a second before the end of the one before it.
    const tsync::Instant fifth{first.seconds + 4 * kWindow - 4, 0};
    const std::string fifth_text = tsync::format_cursor(tsync::CursorFormat::Iso8601, fifth);
    std::string encoded;
    tsync::append_url_encoded(encoded, fifth_text);
    // Count the requests of the first four windows from a run of a twin API.
    std::size_t before_fifth = 0;
    {
      e2e::Scene twin(0);
      auto& [twin_dir, twin_api] = twin;
      const std::string twin_url = twin_api.add_endpoint(events(PagingStyle::Offset));
      const auto twin_config =
          windows_config(twin_dir, twin_url, R"("pagination": {"type": "offset",
          "param": "offset", "limit_param": "limit", "limit": 10, "total_path": "total"})");
      REQUIRE(sync_once(twin_config).status == "ok");
      for (const std::string& target : twin_api.target_log()) {
        if (target.find("start_time=" + encoded) != std::string::npos) break;
        ++before_fifth;
      }
    }
    REQUIRE(before_fifth > 4);
    // The fifth window's first request fails three times: past max_retries.
    api.set_request_hook([&api, before_fifth](std::size_t n) {
      if (n == before_fifth + 1)
        for (int i = 0; i < 3; ++i) api.push_fault({});
    });
    const auto report = sync_once(config);
    api.set_request_hook(nullptr);
    CHECK(report.status == "error");
    CHECK(report.error.find("1 window failed") != std::string::npos);
    CHECK(report.error.find("window " + fifth_text) != std::string::npos);
    // The cursor: just below the fourth window's end, which is where the fifth
    // starts, covering the four before it.
    const auto cursor = tsync::parse_timestamp(saved(config.database));
    REQUIRE(cursor);
    CHECK(cursor->seconds == fifth.seconds);
    // The windows after it were read: their rows are stored.
    const auto truth = api.records(kPath).snapshot();
    std::size_t later = 0, stored_later = 0;
    for (const auto& r : truth) {
      if (r.updated.seconds < fifth.seconds + kWindow) continue;
      ++later;
      stored_later +=
          e2e::text_of(config.database, "SELECT count(*) FROM events WHERE id = " + r.id) == "1";
    }
    CHECK(later > 0);
    CHECK(stored_later == later);
    // The next run reads the fifth window and those after it, and completes.
    const auto next = sync_once(config);
    REQUIRE_MESSAGE(next.status == "ok", next.error);
    e2e::check_table_equals(config.database, "events", api.records(kPath));
  }

  TEST_CASE("windows refused alike make one short error line, and --json and _sync_log keep each") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(events(PagingStyle::Offset));
    const std::string json = windows_json(dir, url, R"("pagination": {"type": "offset",
        "param": "offset", "limit_param": "limit", "limit": 10, "total_path": "total"})");
    const auto config = tsync::parse_config(json, "test configuration");
    const std::string path = dir.file("configuration.json");
    std::ofstream(path) << json;
    // Every request is refused with the same 400: each window fails at its first page.
    api.set_request_hook([&api](std::size_t) {
      tsync::mock::Fault refused;
      refused.status = 400;
      api.push_fault(refused);
    });
    const auto run = proc::run({TSYNC_BINARY, "sync", "--config", path});
    const auto as_json = proc::run({TSYNC_BINARY, "sync", "--json", "--config", path});
    api.set_request_hook(nullptr);
    const std::size_t windows = api.target_log().size() / 2;  // two runs, one request a window
    REQUIRE(windows > 20);
    const tsync::Instant first = *tsync::parse_timestamp("2024-01-01T00:00:00Z");
    // Each window after the first starts a second before the one before it ends.
    auto window_start = [&](std::size_t i) {
      return tsync::format_cursor(
          tsync::CursorFormat::Iso8601,
          tsync::Instant{first.seconds + static_cast<std::int64_t>(i) * (kWindow - 1), 0});
    };
    auto window_text = [&](std::size_t i) { return "window " + window_start(i) + " .. "; };

    CHECK(run.exit_code == tsync::kExitError);
    std::istringstream lines(run.err);
    std::string line, error_line;
    while (std::getline(lines, line)) {
      CHECK(line.size() <= tsync::kMaxLineChars);
      if (line.rfind("tsync: error: ", 0) == 0) error_line = line;
    }
    INFO(run.err);
    CHECK(error_line.rfind("tsync: error: " + std::to_string(windows) + " windows failed alike (",
                           0) == 0);
    CHECK(error_line.find("?start_time=…&end_time=…&offset=…&limit=…: HTTP 400") !=
          std::string::npos);
    CHECK(error_line.find("(first " + window_text(0)) != std::string::npos);
    CHECK(error_line.find(", last " + window_text(windows - 1)) != std::string::npos);
    CHECK(error_line.find("(each in full: --json, or _sync_log)") != std::string::npos);
    CHECK(error_line.size() < 700);

    // --json and _sync_log: every window's error, its URL whole.
    rapidjson::Document doc;
    doc.Parse(as_json.out.c_str());
    REQUIRE(doc.IsObject());
    const std::string whole = doc["error"].GetString();
    const std::string logged =
        e2e::text_of(config.database, "SELECT error FROM _sync_log ORDER BY run_id DESC LIMIT 1");
    CHECK(logged == whole);
    for (std::size_t i = 0; i < windows; ++i) {
      std::string encoded;
      tsync::append_url_encoded(encoded, window_start(i));
      CHECK(whole.find("\n" + window_text(i)) != std::string::npos);
      CHECK(whole.find("?start_time=" + encoded + "&end_time=") != std::string::npos);
    }

    // tsync status: the run's error, short.
    const auto status = proc::run({TSYNC_BINARY, "status", "--db", config.database});
    CHECK(status.out.find("#2 events ") != std::string::npos);
    std::istringstream shown(status.out);
    while (std::getline(shown, line)) CHECK(line.size() <= tsync::kMaxLineChars);
    CHECK(status.out.find(std::to_string(windows) + " windows failed alike") != std::string::npos);
    CHECK(status.out.find("?start_time=2024") == std::string::npos);
  }

  TEST_CASE("the request rate of a stream is honoured as the API measures it") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(events(PagingStyle::Offset));
    const auto config = windows_config(dir, url,
                                       R"("pagination": {"type": "offset", "param": "offset",
        "limit_param": "limit", "limit": 10, "total_path": "total"})",
                                       R"(, "max_requests_per_second": 10)");
    const auto started = std::chrono::steady_clock::now();
    const auto report = sync_once(config);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_MESSAGE(report.status == "ok", report.error);
    CHECK(api.peak_requests_per_second(kPath) <= 10);
    const auto requests = static_cast<double>(api.target_log().size());
    CHECK(seconds >= (requests - 1) / 10.0 * 0.95);
    e2e::check_table_equals(config.database, "events", api.records(kPath));
  }

  TEST_CASE("window settings are checked before anything runs") {
    auto error_of = [](const std::string& members, const std::string& top = "") {
      try {
        tsync::parse_config(
            R"({)" + top + R"("streams": [{"name": "e", "url": "http://h/e", )" + members + "}]}",
            "cfg.json");
      } catch (const tsync::ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    };
    const std::string at = "cfg.json: stream \"e\": ";
    CHECK(error_of(R"("window_seconds": 86400, "until_param": "until")") ==
          at + "window_seconds: needs start_timestamp (here or at the top level): a first sync "
               "from year 1 in windows would take millions of requests");
    CHECK(error_of(R"("window_seconds": 0, "until_param": "until",
                      "start_timestamp": "2024-01-01T00:00:00Z")") ==
          at + "window_seconds: must be between 1 and 3162240000, not 0");
    CHECK(error_of(R"("until_param": "until")") ==
          at + "until_param: is for windows of time: set window_seconds too");
    CHECK(error_of(R"("window_seconds": 60, "start_timestamp": "2024-01-01T00:00:00Z")") ==
          at + "window_seconds: needs until_param, the parameter that carries a window's end");
    CHECK(error_of(R"("max_requests_per_second": 0)") ==
          at + "max_requests_per_second: must be a number above 0 (requests a second)");
    CHECK(error_of("\"table\": \"e\"", R"("max_requests_per_second": -1, )") ==
          "cfg.json: max_requests_per_second: must be a number above 0 (requests a second)");
    CHECK(error_of(R"("window_seconds": 60, "until_param": "until",
                      "start_timestamp": "2024-01-01T00:00:00Z")") == "(no error)");
  }
}
