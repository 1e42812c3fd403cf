// SPDX-License-Identifier: Apache-2.0
// End to end: pages of one chain asked ahead (max_concurrency above 1) with an
// offset, with or without a total, and with page numbers, in each order of
// the API: the replica exact and the same as one page at a time; data moving
// and totals changing while pages are in flight never move the cursor past a
// record the chain did not read; a fault on a middle page; the API's own
// duplicate across pages; the rate; max_concurrency 1 asking exactly as
// before; SIGKILL at random moments.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "config/config.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "sync/sync.hpp"

using tsync::mock::EndpointSpec;
using tsync::mock::Order;
using tsync::mock::PagingStyle;
using std::chrono::milliseconds;

namespace {

constexpr const char* kPath = "/v1/items";

struct Paging {
  const char* name;
  PagingStyle style;
  std::string members;  // the stream's pagination
};

// Each paging that can be asked ahead, shaped like the Fivetran playground, and
// GitHub's Link headers (a page number, and rel="last").
std::vector<Paging> pagings() {
  return {
      {"offset with total", PagingStyle::Offset,
       R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
          "limit": 20, "total_path": "total"})"},
      {"offset without total", PagingStyle::Offset,
       R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
          "limit": 20})"},
      {"page number with total pages", PagingStyle::PageNumber,
       R"("pagination": {"type": "page", "param": "page", "size_param": "per_page", "size": 20,
          "total_pages_path": "total_pages"})"},
      {"page number without total", PagingStyle::PageNumber,
       R"("pagination": {"type": "page", "param": "page", "size_param": "per_page",
          "size": 20})"},
      {"Link headers with rel=last", PagingStyle::LinkHeader,
       R"("params": {"per_page": "20"}, "pagination": {"type": "link_header"})"},
  };
}

// `records` records with integer ids and cursor updatedAt (ISO 8601), served
// in pages of 20 after `latency` each.
EndpointSpec items(const Paging& paging, Order order, std::size_t records,
                   milliseconds latency = milliseconds(10)) {
  EndpointSpec spec;
  spec.path = kPath;
  spec.records = records;
  spec.seed = 7;
  spec.records_path = "data";
  spec.since_param = "since";
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.schema.fields = {{"title", tsync::mock::FieldKind::String}};
  spec.serving.paging = paging.style;
  spec.serving.order = order;
  spec.serving.page_size = 20;
  spec.serving.latency = latency;
  spec.serving.strict = true;
  return spec;
}

std::string config_text(const e2e::ScratchDir& dir, const std::string& url, const Paging& paging,
                        int concurrency, const std::string& top = "") {
  return R"({"database": ")" + dir.file("replica.db") +
         R"(", "timeout_seconds": 5, "retry_base_seconds": 0.01, "max_retries": 3,
         "sorted_apply_rows": 7, "checkpoint_rows": 30, "max_concurrency": )" +
         std::to_string(concurrency) + top + R"(, "streams": [{"name": "items", "url": ")" + url +
         R"(", "records_path": "data", )" + paging.members + "}]}";
}

tsync::Config config_for(const e2e::ScratchDir& dir, const std::string& url, const Paging& paging,
                         int concurrency, const std::string& top = "") {
  return tsync::parse_config(config_text(dir, url, paging, concurrency, top), "test configuration");
}

// Records what a sync reports, from whichever thread reports it.
class Notes : public tsync::SyncObserver {
 public:
  void on_note(const std::string& text) override {
    const std::lock_guard lock(mutex_);
    notes_ += text + "\n";
  }
  std::string notes() {
    const std::lock_guard lock(mutex_);
    return notes_;
  }

 private:
  std::mutex mutex_;
  std::string notes_;
};

tsync::SyncReport sync_once(const tsync::Config& config, Notes* notes = nullptr) {
  Notes own;
  auto reports = tsync::run_streams(config, {}, notes ? *notes : own, false);
  REQUIRE(reports.size() == 1);
  return reports[0];
}

std::string saved(const std::string& db) {
  return e2e::text_of(db, "SELECT coalesce(last_timestamp, '') FROM _state WHERE stream = 'items'");
}

// DESIGN.md's invariant: every record of the API with a cursor value at or
// before the saved cursor is in the replica, at least as new.
void check_invariant(const std::string& db, const tsync::mock::RecordStore& store) {
  SQLite::Database d(db, SQLite::OPEN_READWRITE);  // a killed run's WAL is recovered
  REQUIRE(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
  std::string cursor;
  {
    SQLite::Statement q(d, "SELECT last_timestamp FROM _state WHERE stream = 'items'");
    if (q.executeStep() && !q.getColumn(0).isNull()) cursor = q.getColumn(0).getString();
  }
  if (cursor.empty()) return;
  const auto c = tsync::parse_timestamp(cursor);
  REQUIRE(c);
  for (const auto& record : store.snapshot()) {
    if (record.raw || record.updated > *c) continue;
    SQLite::Statement q(d, "SELECT updatedAt FROM items WHERE id = ?1");
    q.bind(1, static_cast<std::int64_t>(std::stoll(record.id)));
    REQUIRE_MESSAGE(q.executeStep(), "record " << record.id << " (" << record.cursor
                                               << ") is covered by cursor " << cursor
                                               << " but not in the replica");
    CHECK(q.getColumn(0).getString() >= e2e::normalised(record.cursor));
  }
}

// The query value of `name` in a request target ("" when absent).
std::string param_of(const std::string& target, const std::string& name) {
  for (const char before : {'?', '&'}) {
    const std::size_t at = target.find(before + name + "=");
    if (at == std::string::npos) continue;
    const std::size_t from = at + name.size() + 2;
    return target.substr(from, target.find('&', from) - from);
  }
  return "";
}

}  // namespace

TEST_SUITE("fetch ahead") {
  TEST_CASE("pages asked ahead: each paging and order stores every record exactly, in flight") {
    for (const Paging& paging : pagings()) {
      for (const Order order : {Order::Ascending, Order::NewestFirst, Order::ByKey}) {
        CAPTURE(paging.name);
        CAPTURE(static_cast<int>(order));
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        const std::string url = api.add_endpoint(items(paging, order, 430));
        const auto config = config_for(dir, url, paging, 4);

        const auto first = sync_once(config);
        REQUIRE_MESSAGE(first.status == "ok", first.error);
        CHECK(first.warning.empty());
        CHECK(first.counters.rows_new == 430);
        e2e::check_table_equals(config.database, "items", api.records(kPath));
        CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
        // 22 pages, the last short: several asked at once.
        CHECK(api.peak_concurrent_requests() >= 2);
        CHECK(api.peak_concurrent_requests() <= 4);
        CHECK(first.counters.requests >= 22);

        api.records(kPath).mutate(50, 45);
        const auto second = sync_once(config);
        REQUIRE_MESSAGE(second.status == "ok", second.error);
        CHECK(second.counters.rows_new == 45);
        CHECK(second.counters.rows_updated == 50);
        e2e::check_table_equals(config.database, "items", api.records(kPath));
        CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
      }
    }
  }

  TEST_CASE("pages asked ahead give the same replica as one page at a time") {
    for (const Paging& paging : pagings()) {
      CAPTURE(paging.name);
      std::vector<std::string> tables;
      for (const int concurrency : {1, 8}) {
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        const auto config =
            config_for(dir, api.add_endpoint(items(paging, Order::ByKey, 333)), paging,
                       concurrency);
        REQUIRE(sync_once(config).status == "ok");
        tables.push_back(e2e::text_of(
            config.database,
            "SELECT group_concat(id || '|' || title || '|' || updatedAt, ';') FROM "
            "(SELECT * FROM items ORDER BY id)"));
        tables.push_back(saved(config.database));
      }
      CHECK(tables[0] == tables[2]);
      CHECK(tables[1] == tables[3]);
    }
  }

  TEST_CASE("max_concurrency 1 asks the pages one at a time, in order, as before") {
    for (const Paging& paging : pagings()) {
      CAPTURE(paging.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const auto config =
          config_for(dir, api.add_endpoint(items(paging, Order::Ascending, 100)), paging, 1);
      REQUIRE(sync_once(config).status == "ok");
      const bool offset = paging.style == PagingStyle::Offset;
      const bool link = paging.style == PagingStyle::LinkHeader;
      std::vector<std::string> asked;
      for (const std::string& target : api.target_log())
        asked.push_back(param_of(target, offset ? "offset" : "page"));
      // Five full pages; without a total, a sixth, empty, ends the chain; the
      // first request of Link headers names no page.
      std::vector<std::string> expected;
      const bool total = link || paging.members.find("total") != std::string::npos;
      for (int i = 0; i < (total ? 5 : 6); ++i)
        expected.push_back(link && i == 0 ? "" : std::to_string(offset ? i * 20 : i + 1));
      CHECK(asked == expected);
      CHECK(api.peak_concurrent_requests() == 1);
    }
  }

  TEST_CASE("a chain of one short page asks nothing ahead") {
    const Paging paging = pagings()[1];
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const auto config =
        config_for(dir, api.add_endpoint(items(paging, Order::Ascending, 200)), paging, 8);
    REQUIRE(sync_once(config).status == "ok");
    api.records(kPath).mutate(3, 2);
    const std::size_t before = api.request_count();
    const auto night = sync_once(config);
    REQUIRE_MESSAGE(night.status == "ok", night.error);
    CHECK(night.counters.rows_new + night.counters.rows_updated == 5);
    CHECK(api.request_count() == before + 1);
    e2e::check_table_equals(config.database, "items", api.records(kPath));
  }

  TEST_CASE("data moving while pages are in flight never moves the cursor past a skipped record") {
    // At each moment of the chain, five records of its first page are
    // updated: they move (to the end, the start, or stay, by the API's order)
    // and the pages after slide. Whatever order the pages in flight were
    // served in, the cursor covers only records in the replica, and the next
    // run makes it exact.
    for (const Paging& paging : pagings()) {
      for (const Order order : {Order::Ascending, Order::NewestFirst}) {
        for (const std::size_t at : {2, 3, 5, 8}) {
          CAPTURE(paging.name);
          CAPTURE(static_cast<int>(order));
          CAPTURE(at);
          e2e::Scene scene(0);
          auto& [dir, api] = scene;
          const std::string url = api.add_endpoint(items(paging, order, 200));
          const auto config = config_for(dir, url, paging, 4);
          const auto truth = api.records(kPath).snapshot();
          std::vector<std::string> first_page;
          for (std::size_t i = 0; i < 5; ++i)
            first_page.push_back(truth[order == Order::NewestFirst ? truth.size() - 1 - i : i].id);
          api.set_request_hook([&api, first_page, at](std::size_t n) {
            if (n == at) api.records(kPath).touch(first_page);
          });
          Notes notes;
          const auto report = sync_once(config, &notes);
          api.set_request_hook(nullptr);
          REQUIRE_MESSAGE(report.status == "ok", report.error);
          check_invariant(config.database, api.records(kPath));
          const auto next = sync_once(config);
          REQUIRE_MESSAGE(next.status == "ok", next.error);
          check_invariant(config.database, api.records(kPath));
          // A run that found nothing moving leaves nothing to read again.
          const auto last = sync_once(config);
          REQUIRE_MESSAGE(last.status == "ok", last.error);
          e2e::check_table_equals(config.database, "items", api.records(kPath));
          CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
        }
      }
    }
  }

  TEST_CASE("a total that grows or shrinks mid-chain: the chain is read again in order") {
    for (const Paging& paging : {pagings()[0], pagings()[2], pagings()[4]}) {
      for (const bool grow : {true, false}) {
        CAPTURE(paging.name);
        CAPTURE(grow);
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        const std::string url = api.add_endpoint(items(paging, Order::ByKey, 300));
        const auto config = config_for(dir, url, paging, 4);
        api.set_request_hook([&api, grow](std::size_t n) {
          if (n != 4) return;
          if (grow)
            api.records(kPath).mutate(0, 30);
          else
            api.records(kPath).remove(30);
        });
        Notes notes;
        const auto report = sync_once(config, &notes);
        api.set_request_hook(nullptr);
        REQUIRE_MESSAGE(report.status == "ok", report.error);
        CHECK(notes.notes().find("read again one page at a time") != std::string::npos);
        check_invariant(config.database, api.records(kPath));
        if (grow) {
          // Read again in order after the change: every record is there.
          CHECK(e2e::committed_rows(config.database, "items") == 330);
          e2e::check_table_equals(config.database, "items", api.records(kPath));
        }
      }
    }
  }

  TEST_CASE("a fault on a middle page while later pages are in flight: retried, exact") {
    for (const Paging& paging : pagings()) {
      CAPTURE(paging.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(items(paging, Order::Ascending, 300));
      const auto config = config_for(dir, url, paging, 4);
      api.set_request_hook([&api](std::size_t n) {
        if (n == 4) api.push_fault({});
        if (n == 9) {
          tsync::mock::Fault drop;
          drop.kind = tsync::mock::Fault::Kind::DropAfterBytes;
          drop.after_bytes = 200;
          api.push_fault(drop);
        }
      });
      const auto report = sync_once(config);
      api.set_request_hook(nullptr);
      REQUIRE_MESSAGE(report.status == "ok", report.error);
      // The second fault may fall on a page dropped after the first.
      CHECK(report.counters.retries >= 1);
      CHECK(report.counters.retries <= 2);
      CHECK(report.warning.empty());
      e2e::check_table_equals(config.database, "items", api.records(kPath));
      CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
    }
  }

  TEST_CASE("a permanent fault on a page asked ahead: exit 1, nothing of it stored") {
    const Paging paging = pagings()[0];
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(items(paging, Order::Ascending, 300));
    const auto config = config_for(dir, url, paging, 4);
    api.set_request_hook([&api](std::size_t n) {
      if (n == 5) {
        tsync::mock::Fault bad;
        bad.kind = tsync::mock::Fault::Kind::RawBody;
        bad.status = 200;
        bad.body = R"({"data": [{"id": 999999, "updatedAt": "2024-01-01T00:00:00Z"} {]})";
        api.push_fault(bad);
      }
    });
    const auto report = sync_once(config);
    api.set_request_hook(nullptr);
    CHECK(report.status == "error");
    CHECK(report.exit_code == tsync::kExitError);
    CHECK(report.error.find("response body at byte") != std::string::npos);
    CHECK(saved(config.database).empty());
    CHECK(e2e::text_of(config.database, "SELECT count(*) FROM items WHERE id = 999999") == "0");
    const auto next = sync_once(config);
    REQUIRE_MESSAGE(next.status == "ok", next.error);
    e2e::check_table_equals(config.database, "items", api.records(kPath));
  }

  TEST_CASE("the API's own duplicate across pages asked ahead: settled in the same run") {
    const Paging paging = pagings()[1];
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(items(paging, Order::Ascending, 120));
    // The last record of the first page served again, exactly as it is, first
    // on the second page.
    const auto served = api.records(kPath).snapshot();
    api.records(kPath).add_raw(served[19].json, served[19].updated);
    const auto config = config_for(dir, url, paging, 4);
    Notes notes;
    const auto report = sync_once(config, &notes);
    REQUIRE_MESSAGE(report.status == "ok", report.error);
    CHECK(report.warning.find("1 record came twice with the same updatedAt (key " + served[19].id) !=
          std::string::npos);
    // Read again in order, the chain settled: the cursor moved.
    CHECK(notes.notes().find("read again one page at a time") != std::string::npos);
    CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
  }

  TEST_CASE("an API that ignores the offset or page is stopped with pages asked ahead too") {
    for (const Paging& paging : {pagings()[1], pagings()[3], pagings()[4]}) {
      CAPTURE(paging.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      EndpointSpec spec = items(paging, Order::Ascending, 200);
      spec.serving.repeat = true;
      const auto config = config_for(dir, api.add_endpoint(spec), paging, 4);
      const auto report = sync_once(config);
      CHECK(report.status == "error");
      CHECK(report.error.find("stream \"items\": pagination") != std::string::npos);
      // Three pages of repeats, and at most three asked past them.
      CHECK(api.request_count() <= 7);
      CHECK(e2e::committed_rows(config.database, "items") == 20);
      CHECK(saved(config.database).empty());
    }
  }

  TEST_CASE("max_requests_per_second holds for pages asked ahead") {
    const Paging paging = pagings()[0];
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(items(paging, Order::Ascending, 300, milliseconds(0)));
    const auto config = config_for(dir, url, paging, 8, R"(, "max_requests_per_second": 5)");
    const auto report = sync_once(config);
    REQUIRE_MESSAGE(report.status == "ok", report.error);
    e2e::check_table_equals(config.database, "items", api.records(kPath));
    CHECK(api.peak_requests_per_second(kPath) <= 6);
  }

  TEST_CASE("SIGKILL at random moments of a chain asked ahead, then exact") {
    const Paging paging = pagings()[0];
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url =
        api.add_endpoint(items(paging, Order::Ascending, 4000, milliseconds(20)));
    const std::string path = dir.file("configuration.json");
    std::ofstream(path) << config_text(dir, url, paging, 4);
    const std::string db = dir.file("replica.db");
    std::mt19937 random(20261207);
    std::uniform_int_distribution<int> delay_ms(30, 700);
    int kills = 0;
    bool finished = false;
    for (int round = 0; round < 8; ++round) {
      CAPTURE(round);
      if (round % 3 == 2) api.records(kPath).mutate(100, 30);
      // A run that got to the end leaves little to kill: start over.
      if (finished) REQUIRE(proc::run({TSYNC_BINARY, "reset", "--config", path}).exit_code == 0);
      proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", path});
      std::this_thread::sleep_for(milliseconds(delay_ms(random)));
      child.signal(SIGKILL);
      const int code = child.wait().exit_code;
      finished = code == 0;
      if (code == 128 + SIGKILL) ++kills;
      check_invariant(db, api.records(kPath));
    }
    CHECK(kills >= 4);
    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", path});
    CHECK_MESSAGE(done.exit_code == 0, done.err);
    e2e::check_table_equals(db, "items", api.records(kPath));
  }
}
