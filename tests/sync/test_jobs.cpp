// SPDX-License-Identifier: Apache-2.0
// End to end: requests in flight (max_concurrency) across the streams of a run
// and the windows of a stream. Windows read in parallel store every record
// exactly with each kind of paging; max_concurrency 1 asks in exactly the
// sequential order; streams run at once give the same replica as one at a
// time; a failing window or stream does not stop the others; the per-stream
// rate and a 429's Retry-After hold across requests in flight; SIGKILL,
// SIGTERM and max_run_seconds leave the invariant intact.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <httplib.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "config/config.hpp"
#include "replica/table_writer.hpp"
#include "source/http_client.hpp"
#include "support/e2e_support.hpp"
#include "support/local_server.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"
#include "sync/sync.hpp"

using tsync::mock::EndpointSpec;
using tsync::mock::PagingStyle;
using tsync::mock::RecordStore;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Windows of 30 days, from a first sync at kStart to the second the run started.
constexpr long long kWindow = 30LL * 86400;
constexpr const char* kStart = "2023-12-01T00:00:00Z";

// The seconds since the epoch now, by the wall clock (a run's windows end at
// the second it started).
long long wall_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string url_encoded(const std::string& text) {
  std::string out;
  tsync::append_url_encoded(out, text);
  return out;
}

std::string iso(long long seconds) {
  return tsync::format_cursor(tsync::CursorFormat::Iso8601, tsync::Instant{seconds, 0});
}

// An endpoint of `records` records over 2024 with integer ids and an ISO 8601
// updatedAt that takes start_time (inclusive) and end_time (exclusive) at most
// `window` seconds apart, pages as `paging` says in pages of 10, and answers each
// request after `latency`.
EndpointSpec windowed_endpoint(const std::string& path, PagingStyle paging, milliseconds latency,
                               std::size_t records = 300, std::uint64_t seed = 3,
                               long long window = kWindow) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = records;
  spec.seed = seed;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.since_param = "start_time";
  spec.serving.paging = paging;
  spec.serving.page_size = 10;
  spec.serving.strict = true;
  spec.serving.since_mode = tsync::mock::SinceMode::Inclusive;
  spec.serving.until_param = "end_time";
  spec.serving.max_range_seconds = window;
  spec.serving.latency = latency;
  if (paging == PagingStyle::Token) spec.records_path = "results";
  if (paging == PagingStyle::LinkHeader) spec.records_path = "";
  // Without a pagination a window is one request: the API answers it whole.
  if (paging == PagingStyle::None) spec.serving.page_size = 0;
  return spec;
}

// The stream's members that read windowed_endpoint with `paging`.
std::string pagination_of(PagingStyle paging) {
  switch (paging) {
    case PagingStyle::Offset:
      return R"(, "pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
                 "limit": 10, "total_path": "total"})";
    case PagingStyle::PageNumber:
      return R"(, "pagination": {"type": "page", "param": "page", "size_param": "per_page",
                 "size": 10, "total_pages_path": "total_pages"})";
    case PagingStyle::Token:
      return R"(, "records_path": "results", "params": {"limit": "10"},
                 "pagination": {"type": "token", "path": "paging.next.after", "param": "after"})";
    case PagingStyle::LinkHeader:
      return R"(, "records_path": "", "params": {"per_page": "10"},
                 "pagination": {"type": "link_header"})";
    default:
      return "";
  }
}

// A windowed stream (a JSON object) named `name` at `url`.
std::string windowed_stream(const std::string& name, const std::string& url, PagingStyle paging,
                            const std::string& extra = "", long long window = kWindow) {
  return R"({"name": ")" + name + R"(", "url": ")" + url +
         R"(", "since_param": "start_time", "until_param": "end_time", "window_seconds": )" +
         std::to_string(window) + pagination_of(paging) + extra + "}";
}

// An endpoint without windows: `records` records over 2024 with integer ids,
// read after since (exclusive) in responses of at most 25 records, each
// answered after `latency`; with PagingStyle::Offset, in pages of 25.
EndpointSpec plain_endpoint(const std::string& path, std::size_t records, std::uint64_t seed,
                            milliseconds latency, PagingStyle paging = PagingStyle::None) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = records;
  spec.seed = seed;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.schema.fields = {{"title", tsync::mock::FieldKind::String},
                        {"qty", tsync::mock::FieldKind::Integer}};
  spec.serving.paging = paging;
  spec.serving.page_size = 25;
  spec.serving.latency = latency;
  return spec;
}

// The stream (a JSON object) that reads plain_endpoint at `url`.
std::string plain_stream(const std::string& name, const std::string& url,
                         PagingStyle paging = PagingStyle::None, const std::string& extra = "") {
  std::string members = R"({"name": ")" + name + R"(", "url": ")" + url + "\"";
  if (paging == PagingStyle::Offset)
    members += R"(, "pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
                   "limit": 25, "total_path": "total"})";
  else  // answers of at most 25 along since, never splitting an instant
    members += R"(, "pagination": {"type": "since"})";
  return members + extra + "}";
}

// The JSON text of a configuration of `streams` (JSON objects, comma-separated)
// into `db` with at most `concurrency` requests in flight; `top` adds top-level
// members (each starting with a comma).
std::string config_text(const std::string& db, int concurrency, const std::string& streams,
                        const std::string& top = "") {
  return R"({"database": ")" + db +
         R"(", "retry_base_seconds": 0.01, "max_retries": 2, "timeout_seconds": 5,
         "sorted_apply_rows": 7, "checkpoint_rows": 40, "start_timestamp": ")" +
         kStart + R"(", "max_concurrency": )" + std::to_string(concurrency) + top +
         R"(, "streams": [)" + streams + "]}";
}

tsync::Config concurrent_config(const std::string& db, int concurrency, const std::string& streams,
                                const std::string& top = "") {
  return tsync::parse_config(config_text(db, concurrency, streams, top), "test configuration");
}

// Records what a sync reports, from whichever thread reports it.
class SafeObserver : public tsync::SyncObserver {
 public:
  void on_request(const std::string& url) override {
    const std::lock_guard lock(mutex_);
    urls_.push_back(url);
  }
  void on_retry(const std::string& reason, double wait, int, int) override {
    const std::lock_guard lock(mutex_);
    retries_.push_back(reason);
    waits_.push_back(wait);
  }
  std::vector<std::string> retries() const {
    const std::lock_guard lock(mutex_);
    return retries_;
  }
  std::vector<double> waits() const {
    const std::lock_guard lock(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> urls_, retries_;
  std::vector<double> waits_;
};

std::vector<tsync::SyncReport> sync_all(const tsync::Config& config) {
  SafeObserver observer;
  return tsync::run_streams(config, {}, observer);
}

// When tsync let each request start, by the endpoint path in its URL: stamped
// as the observer hears of it, a moment after the rate limiter's grant. The
// mock's own count of requests per second holds the time each request took to
// reach it too, which on a busy machine can bunch requests the limiter spaced.
class StartTimes : public tsync::SyncObserver {
 public:
  void on_request(const std::string& url) override {
    const Clock::time_point now = Clock::now();
    const std::lock_guard lock(mutex_);
    for (const std::string& path : paths_)
      if (url.find(path + "?") != std::string::npos) starts_[path].push_back(now);
  }
  explicit StartTimes(std::vector<std::string> paths) : paths_(std::move(paths)) {}

  // The most requests of `path` started within any `window`.
  std::size_t peak(const std::string& path, Clock::duration window) {
    const std::lock_guard lock(mutex_);
    std::vector<Clock::time_point>& starts = starts_[path];
    std::sort(starts.begin(), starts.end());
    std::size_t most = 0;
    for (std::size_t first = 0, last = 0; last < starts.size(); ++last) {
      while (starts[last] - starts[first] >= window) ++first;
      most = std::max(most, last - first + 1);
    }
    return most;
  }
  std::size_t count(const std::string& path) {
    const std::lock_guard lock(mutex_);
    return starts_[path].size();
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> paths_;
  std::map<std::string, std::vector<Clock::time_point>> starts_;
};

std::string cursor_of(const std::string& db, const std::string& stream) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT last_timestamp FROM _state WHERE stream = ?1");
  q.bind(1, stream);
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

// Every row of `table` in key order, each value with its SQLite type; tsync's
// own bookkeeping columns left out.
std::vector<std::string> dump(const std::string& db, const std::string& table) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT * FROM " + e2e::quoted(table) + " ORDER BY id");
  std::vector<std::string> rows;
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < q.getColumnCount(); ++i) {
      const std::string name = q.getColumnName(i);
      if (name.rfind("_tsync", 0) == 0) continue;
      const SQLite::Column value = q.getColumn(i);
      row += name + "=" +
             (value.isNull() ? std::string("NULL")
                             : std::to_string(value.getType()) + ":" + value.getString()) +
             "|";
    }
    rows.push_back(row);
  }
  return rows;
}

// The invariant of DESIGN.md for one stream: if its cursor is C, every record
// of `store` with a cursor value <= C is in `table`, at least as new.
void check_invariant(const std::string& db, const std::string& stream, const std::string& table,
                     const RecordStore& store) {
  CAPTURE(stream);
  SQLite::Database d(db, SQLite::OPEN_READWRITE);  // a killed run's WAL is recovered
  REQUIRE(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
  std::string cursor;
  {
    SQLite::Statement q(d, "SELECT last_timestamp FROM _state WHERE stream = ?1");
    q.bind(1, stream);
    if (q.executeStep() && !q.getColumn(0).isNull()) cursor = q.getColumn(0).getString();
  }
  if (cursor.empty()) return;
  const auto c = tsync::parse_timestamp(cursor);
  REQUIRE_MESSAGE(c, "the saved cursor is not a timestamp: " << cursor);
  const bool has_table = d.tableExists(table);
  for (const auto& record : store.snapshot()) {
    if (record.raw || record.updated > *c) continue;
    REQUIRE_MESSAGE(has_table, "record " << record.id << " is covered by cursor " << cursor
                                         << " but there is no table " << table);
    SQLite::Statement q(d, "SELECT updatedAt FROM " + e2e::quoted(table) + " WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(std::stoll(record.id)));
    REQUIRE_MESSAGE(q.executeStep(), "record " << record.id << " (" << record.cursor
                                               << ") is covered by cursor " << cursor
                                               << " but not in the replica");
    CHECK(q.getColumn(0).getString() >= e2e::normalised(record.cursor));
  }
}

// A loopback proxy in front of the mock: a rule may answer a request itself
// (a fault for one window, a 429), the others are forwarded to the mock. It
// logs when each request came and when it was answered.
class Proxy {
 public:
  struct Answer {
    int status = 0;  // 0: forward to the mock
    std::string retry_after;
  };
  using Rule = std::function<Answer(const httplib::Request&)>;
  struct Hit {
    Clock::time_point at, answered;
    std::string target;
    int status = 0;
  };

  Proxy(const tsync::mock::MockApi& api, Rule rule) : rule_(std::move(rule)) {
    const std::string origin = api.url("");
    upstream_port_ = std::stoi(origin.substr(origin.rfind(':') + 1));
    server_.http.new_task_queue = [] { return new httplib::ThreadPool(32); };
    server_.http.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
      serve(request, response);
    });
    server_.start();
  }

  std::string url(const std::string& path) const { return server_.url(path); }
  std::vector<Hit> hits() const {
    const std::lock_guard lock(mutex_);
    return hits_;
  }

 private:
  void serve(const httplib::Request& request, httplib::Response& response) {
    Hit hit;
    hit.at = Clock::now();
    hit.target = request.target;
    const Answer answer = rule_(request);
    if (answer.status != 0) {
      response.status = answer.status;
      if (!answer.retry_after.empty()) response.set_header("Retry-After", answer.retry_after);
      response.set_content(R"({"error": "refused by the test's proxy"})", "application/json");
    } else {
      httplib::Client client("127.0.0.1", upstream_port_);
      client.set_url_encode(false);
      client.set_read_timeout(10, 0);
      const auto upstream = client.Get(request.target.c_str());
      if (!upstream) {
        response.status = 502;
        response.set_content(R"({"error": "the mock did not answer"})", "application/json");
      } else {
        response.status = upstream->status;
        for (const char* name : {"Link", "Retry-After"})
          if (upstream->has_header(name))
            response.set_header(name, upstream->get_header_value(name));
        response.set_content(upstream->body, upstream->get_header_value("Content-Type").c_str());
      }
    }
    hit.status = response.status;
    hit.answered = Clock::now();
    const std::lock_guard lock(mutex_);
    hits_.push_back(std::move(hit));
  }

  Rule rule_;
  int upstream_port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Hit> hits_;
  tsync::test::LocalServer server_;  // last: stopped before the rest is destroyed
};

// The value of query parameter `name` in a request target, as sent, or "".
std::string param_of(const std::string& target, const std::string& name) {
  const auto query = target.find('?');
  if (query == std::string::npos) return "";
  std::size_t at = query + 1;
  while (at < target.size()) {
    const auto end = std::min(target.find('&', at), target.size());
    const std::string pair = target.substr(at, end - at);
    if (pair.rfind(name + "=", 0) == 0) return pair.substr(name.size() + 1);
    at = end + 1;
  }
  return "";
}

// The window a request asks for: its start_time and end_time, in seconds.
struct Range {
  std::int64_t start = 0, end = 0;
};

// On the proxy's threads: asserts nothing, {0, 0} for a request without both.
Range range_of(const httplib::Request& request) {
  const auto start = tsync::parse_timestamp(request.get_param_value("start_time"));
  const auto end = tsync::parse_timestamp(request.get_param_value("end_time"));
  if (!start || !end) return {};
  return {start->seconds, end->seconds};
}

Range range_of(const std::string& target) {
  auto decoded = [&](const char* name) {
    const auto instant =
        tsync::parse_timestamp(httplib::detail::decode_url(param_of(target, name), false));
    REQUIRE_MESSAGE(instant, "no " << name << " in " << target);
    return instant->seconds;
  };
  return {decoded("start_time"), decoded("end_time")};
}

// Four streams of the mock synced together: two read in windows (offset pages,
// and one request a window), two without (asking again with each newer since,
// and offset pages from one since), every response answered after `latency`.
struct Fleet {
  struct Member {
    std::string name, path;
    std::string stream;  // its object in the configuration
    EndpointSpec spec;   // how the mock serves it
  };
  std::vector<Member> members;

  // The configuration's stream objects, comma-separated.
  std::string streams() const {
    std::string text;
    for (const Member& member : members) text += (text.empty() ? "" : ", ") + member.stream;
    return text;
  }
};

Fleet four_streams(tsync::mock::MockApi& api, milliseconds latency, std::size_t plain_records) {
  Fleet fleet;
  auto add = [&](const EndpointSpec& spec, bool windowed, PagingStyle paging) {
    const std::string name = spec.path.substr(spec.path.rfind('/') + 1);
    const std::string url = api.add_endpoint(spec);
    fleet.members.push_back(
        {name, spec.path,
         windowed ? windowed_stream(name, url, paging) : plain_stream(name, url, paging), spec});
  };
  add(windowed_endpoint("/v1/events", PagingStyle::Offset, latency, 300, 3), true,
      PagingStyle::Offset);
  add(windowed_endpoint("/v1/logs", PagingStyle::None, latency, 200, 4), true, PagingStyle::None);
  add(plain_endpoint("/v1/orders", plain_records, 5, latency), false, PagingStyle::None);
  add(plain_endpoint("/v1/items", plain_records, 6, latency, PagingStyle::Offset), false,
      PagingStyle::Offset);
  return fleet;
}

// Every stream of the fleet answered after `latency` from now on.
void set_latency(tsync::mock::MockApi& api, const Fleet& fleet, milliseconds latency) {
  for (const auto& member : fleet.members) {
    tsync::mock::ServingOptions serving = member.spec.serving;
    serving.latency = latency;
    api.set_serving(member.path, serving);
  }
}

void check_invariants(const std::string& db, tsync::mock::MockApi& api, const Fleet& fleet) {
  for (const auto& member : fleet.members)
    check_invariant(db, member.name, member.name, api.records(member.path));
}

void check_tables_equal(const std::string& db, tsync::mock::MockApi& api, const Fleet& fleet) {
  for (const auto& member : fleet.members) {
    CAPTURE(member.name);
    e2e::check_table_equals(db, member.name, api.records(member.path));
  }
}

// Starts `args`, kills it with SIGKILL after `delay`, and returns its exit
// status (128 + SIGKILL when the kill found it still running).
int run_killed(const std::vector<std::string>& args, milliseconds delay) {
  proc::Child child(args);
  std::this_thread::sleep_for(delay);
  child.signal(SIGKILL);
  return child.wait().exit_code;
}

std::string write_file(const e2e::ScratchDir& dir, const std::string& name,
                       const std::string& text) {
  const std::string path = dir.file(name);
  std::ofstream(path) << text;
  return path;
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

}  // namespace

TEST_SUITE("sync_concurrency") {
  TEST_CASE("concurrency: windows read in parallel store every record exactly, for each paging") {
    const std::vector<std::pair<std::string, PagingStyle>> cases{
        {"offset", PagingStyle::Offset},
        {"page", PagingStyle::PageNumber},
        {"token", PagingStyle::Token},
        {"link header", PagingStyle::LinkHeader},
        {"one request a window", PagingStyle::None},
    };
    for (const auto& [name, paging] : cases) {
      CAPTURE(name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url =
          api.add_endpoint(windowed_endpoint("/v1/events", paging, milliseconds(25)));
      const auto config =
          concurrent_config(dir.file("replica.db"), 4, windowed_stream("events", url, paging));
      const long long before = wall_seconds();
      const auto reports = sync_all(config);
      const long long after = wall_seconds();
      REQUIRE(reports.size() == 1);
      REQUIRE_MESSAGE(reports[0].status == "ok", reports[0].error);
      e2e::check_table_equals(config.database, "events", api.records("/v1/events"));
      // The cursor stands just below the end of the last window, the second
      // the run started.
      const auto cursor = tsync::parse_timestamp(cursor_of(config.database, "events"));
      REQUIRE(cursor);
      CHECK(cursor->seconds >= before - 1);
      CHECK(cursor->seconds <= after - 1);
      // Windows overlapped, and never more than four requests at once.
      CHECK(api.peak_concurrent_requests() >= 2);
      CHECK(api.peak_concurrent_requests() <= 4);
      for (const std::string& target : api.target_log()) {
        CHECK(target.find("start_time=") != std::string::npos);
        CHECK(target.find("end_time=") != std::string::npos);
      }
    }
  }

  TEST_CASE("concurrency: max_concurrency 1 asks in exactly the sequential order") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string events =
        api.add_endpoint(windowed_endpoint("/v1/events", PagingStyle::Offset, milliseconds(2)));
    const std::string orders = api.add_endpoint(
        plain_endpoint("/v1/orders", 120, 5, milliseconds(2), PagingStyle::Offset));
    const auto config =
        concurrent_config(dir.file("replica.db"), 1,
                          windowed_stream("events", events, PagingStyle::Offset) + ", " +
                              plain_stream("orders", orders, PagingStyle::Offset));
    const long long before = wall_seconds();
    const auto reports = sync_all(config);
    const long long after = wall_seconds();
    REQUIRE(reports.size() == 2);
    CHECK(reports[0].stream == "events");
    CHECK(reports[1].stream == "orders");
    REQUIRE_MESSAGE(reports[0].status == "ok", reports[0].error);
    REQUIRE_MESSAGE(reports[1].status == "ok", reports[1].error);
    CHECK(api.peak_concurrent_requests() == 1);

    // The expected requests: the first stream's windows in time order, each
    // window's pages in order (offset 0 first, then by 10 while records
    // remain), then the second stream's pages.
    auto expected_for = [&](long long now) {
      std::vector<std::string> targets;
      const auto truth = api.records("/v1/events").snapshot();
      const long long first = tsync::parse_timestamp(kStart)->seconds;
      // Each window starts a second before the end of the one before it.
      for (long long start = first, end = 0; end < now; start = end - 1) {
        end = std::min(start + kWindow, now);
        std::size_t n = 0;
        for (const auto& r : truth)
          n += r.updated >= tsync::Instant{start, 0} && r.updated < tsync::Instant{end, 0};
        const std::string window = "/v1/events?start_time=" + url_encoded(iso(start)) +
                                   "&end_time=" + url_encoded(iso(end));
        std::size_t offset = 0;
        do {
          targets.push_back(window + "&offset=" + std::to_string(offset) + "&limit=10");
          offset += 10;
        } while (offset < n);
      }
      const std::string since = "/v1/orders?since=" + url_encoded(kStart);
      for (std::size_t offset = 0; offset < 120; offset += 25)
        targets.push_back(since + "&offset=" + std::to_string(offset) + "&limit=25");
      return targets;
    };
    const auto actual = api.target_log();
    bool matched = false;
    for (long long now = before; now <= after && !matched; ++now)
      matched = actual == expected_for(now);
    if (!matched) {
      std::string got, want;
      for (const auto& t : actual) got += t + "\n";
      for (const auto& t : expected_for(before)) want += t + "\n";
      FAIL_CHECK("requests asked:\n" << got << "expected:\n" << want);
    }
  }

  TEST_CASE("concurrency: four streams at once give the same replica as one at a time") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Fleet fleet = four_streams(api, milliseconds(30), 150);
    const auto parallel = concurrent_config(dir.file("parallel.db"), 4, fleet.streams());
    const auto reports = sync_all(parallel);
    REQUIRE(reports.size() == 4);
    for (std::size_t i = 0; i < reports.size(); ++i) {
      CHECK(reports[i].stream == fleet.members[i].name);  // configuration order
      CHECK_MESSAGE(reports[i].status == "ok", reports[i].error);
    }
    check_tables_equal(parallel.database, api, fleet);
    // Streams and windows overlapped, never more than four requests at once.
    CHECK(api.peak_concurrent_requests() >= 2);
    CHECK(api.peak_concurrent_requests() <= 4);

    api.reset_load_counters();
    set_latency(api, fleet, milliseconds(5));  // the same data, sooner
    const auto sequential = concurrent_config(dir.file("sequential.db"), 1, fleet.streams());
    const auto one_by_one = sync_all(sequential);
    REQUIRE(one_by_one.size() == 4);
    for (const auto& report : one_by_one) CHECK_MESSAGE(report.status == "ok", report.error);
    CHECK(api.peak_concurrent_requests() == 1);
    for (std::size_t i = 0; i < fleet.members.size(); ++i) {
      const std::string& name = fleet.members[i].name;
      CAPTURE(name);
      CHECK(dump(parallel.database, name) == dump(sequential.database, name));
      CHECK(reports[i].counters.rows_new == one_by_one[i].counters.rows_new);
      // A plain stream's cursor is its newest record in both replicas; a
      // windowed one's is below the second its run started, which differs.
      if (name == "orders" || name == "items")
        CHECK(cursor_of(parallel.database, name) == cursor_of(sequential.database, name));
    }
  }

  TEST_CASE("concurrency: full passes of four streams at once mark what each API removed") {
    for (const int concurrency : {4, 1}) {
      CAPTURE(concurrency);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const Fleet fleet = four_streams(api, milliseconds(5), 150);
      const auto config =
          concurrent_config(dir.file("replica.db"), concurrency, fleet.streams());
      for (const auto& report : sync_all(config)) CHECK_MESSAGE(report.status == "ok", report.error);
      std::map<std::string, std::set<std::string>> removed;
      for (const auto& member : fleet.members) {
        const auto ids = api.records(member.path).remove(3);
        removed[member.name].insert(ids.begin(), ids.end());
      }
      SafeObserver observer;
      const auto reports = tsync::run_streams(config, {}, observer, true);
      REQUIRE(reports.size() == fleet.members.size());
      for (std::size_t i = 0; i < reports.size(); ++i) {
        const std::string& name = fleet.members[i].name;
        CAPTURE(name);
        CHECK_MESSAGE(reports[i].status == "ok", reports[i].error);
        CHECK(reports[i].full);
        CHECK(reports[i].counters.rows_deleted == 3);
        SQLite::Database d(config.database, SQLite::OPEN_READONLY);
        SQLite::Statement q(d, "SELECT id FROM " + e2e::quoted(name) +
                                   " WHERE _tsync_deleted_at IS NOT NULL ORDER BY id");
        std::set<std::string> marked;
        while (q.executeStep()) marked.insert(q.getColumn(0).getString());
        CHECK(marked == removed[name]);
        CHECK_FALSE(std::filesystem::exists(tsync::seen_path_of(config.database, name)));
      }
    }
  }

  TEST_CASE("concurrency: a window failing in the middle keeps the cursor below it") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    api.add_endpoint(windowed_endpoint("/v1/events", PagingStyle::Offset, milliseconds(20)));
    // Every request of the window that holds this instant (the fifth window of
    // 30 days, or the one a shorter cut puts there) fails, past the retries.
    const long long held = tsync::parse_timestamp(kStart)->seconds + 4 * kWindow;
    std::atomic<bool> failing{true};
    Proxy proxy(api, [&](const httplib::Request& request) {
      Proxy::Answer answer;
      const Range range = range_of(request);
      if (failing && range.start <= held && held < range.end) answer.status = 500;
      return answer;
    });
    const auto config =
        concurrent_config(dir.file("replica.db"), 4,
                          windowed_stream("events", proxy.url("/v1/events"), PagingStyle::Offset));
    const auto reports = sync_all(config);
    REQUIRE(reports.size() == 1);
    const auto& report = reports[0];
    // The failed window, as its requests asked for it: the first try and two
    // retries.
    std::vector<Range> refused;
    for (const auto& hit : proxy.hits())
      if (hit.status == 500) refused.push_back(range_of(hit.target));
    REQUIRE(refused.size() == 3);
    const Range failed = refused[0];
    for (const Range& range : refused) {
      CHECK(range.start == failed.start);
      CHECK(range.end == failed.end);
    }
    CHECK(report.status == "error");
    CHECK(report.exit_code == tsync::kExitError);
    CHECK(report.error.find("1 window failed") != std::string::npos);
    CHECK(report.error.find("window " + iso(failed.start)) != std::string::npos);
    // The cursor: where the failed window starts, a second below the end of
    // the window before it, covering the windows before it.
    const auto cursor = tsync::parse_timestamp(cursor_of(config.database, "events"));
    REQUIRE(cursor);
    CHECK(cursor->seconds == failed.start);
    check_invariant(config.database, "events", "events", api.records("/v1/events"));
    // The windows after it were read: their rows are stored, the failed
    // window's are not.
    std::size_t later = 0, stored_later = 0, inside = 0, stored_inside = 0;
    for (const auto& r : api.records("/v1/events").snapshot()) {
      const bool stored =
          count(config.database, "SELECT count(*) FROM events WHERE id = " + r.id) == 1;
      if (r.updated.seconds >= failed.end) {
        ++later;
        stored_later += stored;
      } else if (r.updated.seconds >= failed.start) {
        ++inside;
        stored_inside += stored;
      }
    }
    CHECK(later > 100);
    CHECK(stored_later == later);
    CHECK(inside > 0);
    CHECK(stored_inside == 0);

    // The fault gone, the next run reads from the cursor on: the failed window
    // and those after it (none before it), and completes exactly.
    failing = false;
    const std::size_t asked_before = proxy.hits().size();
    const auto next = sync_all(config);
    REQUIRE(next.size() == 1);
    REQUIRE_MESSAGE(next[0].status == "ok", next[0].error);
    e2e::check_table_equals(config.database, "events", api.records("/v1/events"));
    const auto hits = proxy.hits();
    REQUIRE(hits.size() > asked_before);
    std::int64_t earliest = failed.end;
    for (std::size_t i = asked_before; i < hits.size(); ++i)
      earliest = std::min(earliest, range_of(hits[i].target).start);
    CHECK(earliest >= failed.start - 1);
    CHECK(earliest <= failed.start);
  }

  TEST_CASE("concurrency: a failing stream does not stop the others") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Fleet fleet = four_streams(api, milliseconds(20), 150);
    // A stream whose URL the API does not know (404), second in the list.
    Fleet listed = fleet;
    listed.members.insert(listed.members.begin() + 1,
                          {"missing", "/v1/missing",
                           plain_stream("missing", api.url("/v1/missing")), EndpointSpec{}});
    const auto config = concurrent_config(dir.file("replica.db"), 4, listed.streams());
    const auto reports = sync_all(config);
    REQUIRE(reports.size() == 5);
    const std::vector<std::string> order{"events", "missing", "logs", "orders", "items"};
    for (std::size_t i = 0; i < reports.size(); ++i) {
      CAPTURE(order[i]);
      CHECK(reports[i].stream == order[i]);
      if (order[i] == "missing") continue;
      CHECK_MESSAGE(reports[i].status == "ok", reports[i].error);
      CHECK(reports[i].exit_code == tsync::kExitOk);
    }
    CHECK(reports[1].status == "error");
    CHECK(reports[1].exit_code == tsync::kExitError);
    CHECK(reports[1].error.find("404") != std::string::npos);
    CHECK(cursor_of(config.database, "missing") == "");
    check_tables_equal(config.database, api, fleet);
  }

  TEST_CASE("concurrency: max_requests_per_second holds across requests in flight") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    // Six windows of 200 days, pages of 10: about 15 requests for events;
    // the stream "orders" in 11 responses of 25.
    constexpr long long kLong = 200LL * 86400;
    const std::string events = api.add_endpoint(
        windowed_endpoint("/v1/events", PagingStyle::Offset, milliseconds(50), 100, 3, kLong));
    const std::string orders =
        api.add_endpoint(plain_endpoint("/v1/orders", 250, 5, milliseconds(50)));
    // Eight in flight allowed; events at the top-level rate of 5 a second,
    // orders at its own 4.
    const auto config = concurrent_config(
        dir.file("replica.db"), 8,
        windowed_stream("events", events, PagingStyle::Offset, "", kLong) + ", " +
            plain_stream("orders", orders, PagingStyle::None, R"(, "max_requests_per_second": 4)"),
        R"(, "max_requests_per_second": 5)");
    StartTimes starts({"/v1/events", "/v1/orders"});
    const auto started = Clock::now();
    const auto reports = tsync::run_streams(config, {}, starts);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    REQUIRE(reports.size() == 2);
    for (const auto& report : reports) REQUIRE_MESSAGE(report.status == "ok", report.error);
    e2e::check_table_equals(config.database, "events", api.records("/v1/events"));
    e2e::check_table_equals(config.database, "orders", api.records("/v1/orders"));
    // Within any second less 100 ms for the moment between the limiter's grant
    // and the stamp: a limit one request too lax (starts 167 or 200 ms apart)
    // puts one more in 900 ms.
    CHECK(starts.count("/v1/events") == api.since_log("/v1/events").size());
    CHECK(starts.peak("/v1/events", milliseconds(900)) <= 5);
    CHECK(starts.peak("/v1/orders", milliseconds(900)) <= 4);
    const auto events_requests = static_cast<double>(api.since_log("/v1/events").size());
    const auto orders_requests = static_cast<double>(api.since_log("/v1/orders").size());
    REQUIRE(events_requests >= 10);
    REQUIRE(orders_requests >= 10);
    CHECK(seconds >= (events_requests - 1) / 5.0 * 0.95);
    // Both streams at once: a run about as long as the slower stream alone,
    // not both one after another.
    CHECK(seconds < (events_requests / 5.0 + orders_requests / 4.0) * 0.8);
  }

  TEST_CASE("concurrency: a 429 with Retry-After pauses every request of the stream") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    api.add_endpoint(windowed_endpoint("/v1/events", PagingStyle::Offset, milliseconds(40)));
    // The first request of a window from the third on (of 30 days) gets 429,
    // Retry-After: 1.
    const long long third = tsync::parse_timestamp(kStart)->seconds + 2 * kWindow;
    std::atomic<bool> refused{false};
    Proxy proxy(api, [&](const httplib::Request& request) {
      Proxy::Answer answer;
      if (range_of(request).start >= third && !refused.exchange(true)) {
        answer.status = 429;
        answer.retry_after = "1";
      }
      return answer;
    });
    const auto config =
        concurrent_config(dir.file("replica.db"), 4,
                          windowed_stream("events", proxy.url("/v1/events"), PagingStyle::Offset));
    SafeObserver observer;
    const auto reports = tsync::run_streams(config, {}, observer);
    REQUIRE(reports.size() == 1);
    REQUIRE_MESSAGE(reports[0].status == "ok", reports[0].error);
    e2e::check_table_equals(config.database, "events", api.records("/v1/events"));
    CHECK(refused);
    CHECK(reports[0].counters.retries == 1);
    const auto waits = observer.waits();
    REQUIRE(waits.size() == 1);
    CHECK(waits[0] >= 0.99);

    // After the 429 was answered, no request of the stream came for the second
    // it asked (a request sent just before tsync read the 429 may arrive a
    // little after it); then the run went on.
    const auto hits = proxy.hits();
    const auto it = std::find_if(hits.begin(), hits.end(),
                                 [](const Proxy::Hit& hit) { return hit.status == 429; });
    REQUIRE(it != hits.end());
    const Clock::time_point refused_at = it->answered;
    std::size_t during = 0, after = 0;
    for (const auto& hit : hits) {
      if (hit.at > refused_at + milliseconds(150) && hit.at < refused_at + milliseconds(950))
        ++during;
      if (hit.at >= refused_at + milliseconds(950)) ++after;
    }
    CHECK(during == 0);
    CHECK(after >= 5);
  }

  TEST_CASE("concurrency: SIGKILL at random moments of a concurrent multi-stream sync") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Fleet fleet = four_streams(api, milliseconds(30), 600);
    const std::string db = dir.file("replica.db");
    const std::string config =
        write_file(dir, "configuration.json", config_text(db, 4, fleet.streams()));
    std::mt19937 random(20261205);
    std::uniform_int_distribution<int> delay_ms(40, 1200);
    int kills = 0;
    bool finished = false;
    for (int round = 0; round < 10; ++round) {
      CAPTURE(round);
      // New versions for the streams without windows (those of windowed
      // streams would land below a finished run's cursor, in the past).
      if (round % 3 == 2) {
        api.records("/v1/orders").mutate(60, 20);
        api.records("/v1/items").mutate(60, 20);
      }
      // A run that got to the end leaves little to kill: start the next one
      // over from the beginning.
      if (finished) REQUIRE(proc::run({TSYNC_BINARY, "reset", "--config", config}).exit_code == 0);
      const int code = run_killed({TSYNC_BINARY, "sync", "--quiet", "--config", config},
                                  milliseconds(delay_ms(random)));
      finished = code == 0;
      if (code == 128 + SIGKILL) ++kills;
      check_invariants(db, api, fleet);
    }
    CHECK(kills >= 5);
    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config});
    CHECK_MESSAGE(done.exit_code == 0, done.err);
    check_tables_equal(db, api, fleet);
    check_invariants(db, api, fleet);
  }

  TEST_CASE("concurrency: SIGTERM stops every request at a safe point") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    // Each stream without windows is a chain of 25 responses of 60 ms: none
    // can end before the signal.
    const Fleet fleet = four_streams(api, milliseconds(60), 600);
    const std::string db = dir.file("replica.db");
    const std::string config =
        write_file(dir, "configuration.json", config_text(db, 4, fleet.streams()));
    proc::Child child({TSYNC_BINARY, "sync", "--config", config});
    // Two requests a stream started: each stream has read a page whole.
    tsync::test::wait_until("eight requests", [&] { return api.request_count() >= 8; });
    const auto signalled = Clock::now();
    child.signal(SIGTERM);
    const auto r = child.wait();
    const double stopping = std::chrono::duration<double>(Clock::now() - signalled).count();
    CHECK(r.exit_code == 128 + SIGTERM);
    CHECK(r.err.find("interrupted by SIGTERM") != std::string::npos);
    // One summary line per stream, each saying it was interrupted.
    for (const auto& member : fleet.members) {
      CAPTURE(member.name);
      std::size_t lines = 0;
      for (std::size_t at = 0; at < r.err.size();) {
        const std::size_t end = std::min(r.err.find('\n', at), r.err.size());
        const std::string line = r.err.substr(at, end - at);
        if (line.rfind(member.name + ": ", 0) == 0 && line.find(" rows (") != std::string::npos) {
          ++lines;
          CHECK(line.size() >= 11);
          CHECK(line.substr(line.size() - 11) == "interrupted");
        }
        at = end + 1;
      }
      CHECK(lines == 1);
    }
    CHECK(stopping < 3);
    check_invariants(db, api, fleet);
    std::int64_t rows = 0;
    for (const auto& member : fleet.members)
      if (SQLite::Database(db, SQLite::OPEN_READONLY).tableExists(member.name))
        rows += count(db, "SELECT count(*) FROM " + member.name);
    CHECK(rows > 0);
    CHECK(count(db, "SELECT count(*) FROM _sync_log WHERE status = 'ok'") == 0);
    CHECK(count(db, "SELECT count(*) FROM _sync_log WHERE status = 'interrupted'") >= 1);

    set_latency(api, fleet, milliseconds(5));
    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config});
    CHECK_MESSAGE(done.exit_code == 0, done.err);
    check_tables_equal(db, api, fleet);
  }

  TEST_CASE("concurrency: max_run_seconds stops every stream at a safe point") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    // Each stream without windows is a chain of 13 responses of 150 ms.
    const Fleet fleet = four_streams(api, milliseconds(150), 300);
    const std::string db = dir.file("replica.db");
    const auto config = concurrent_config(db, 4, fleet.streams(), R"(, "max_run_seconds": 1)");
    const auto started = Clock::now();
    const auto reports = sync_all(config);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    CHECK(seconds < 2.5);
    // One report per stream, in configuration order: every stream was under
    // way and stopped at the deadline.
    REQUIRE(reports.size() == fleet.members.size());
    for (std::size_t i = 0; i < reports.size(); ++i) {
      CAPTURE(fleet.members[i].name);
      CHECK(reports[i].stream == fleet.members[i].name);
      CHECK(reports[i].status == "error");
      CHECK(reports[i].exit_code == tsync::kExitError);
      CHECK(reports[i].error.find("the run passed max_run_seconds = 1") != std::string::npos);
    }
    CHECK(count(db, "SELECT count(*) FROM _sync_log WHERE status = 'error'") == 4);
    check_invariants(db, api, fleet);

    set_latency(api, fleet, milliseconds(5));
    const auto unlimited = concurrent_config(db, 4, fleet.streams());
    const auto next = sync_all(unlimited);
    REQUIRE(next.size() == 4);
    for (const auto& report : next) CHECK_MESSAGE(report.status == "ok", report.error);
    check_tables_equal(db, api, fleet);
  }
}
