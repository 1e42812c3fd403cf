// SPDX-License-Identifier: Apache-2.0
// End to end: paged APIs shaped like GitHub, Stripe, HubSpot, Microsoft Graph
// and the Fivetran playground, synced from the mock and compared with its truth
// record by record; data that changes between pages, ties longer than a page,
// APIs that page forever, next links to another origin, full passes over pages
// and kills in the middle of a long chain.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "sync/sync.hpp"

using tsync::mock::EndpointSpec;
using tsync::mock::KeyKind;
using tsync::mock::Order;
using tsync::mock::PagingStyle;
using tsync::mock::SinceMode;

namespace {

constexpr const char* kPath = "/v1/items";

// 200 records with UUID ids, cursor updatedAt (ISO 8601), one extra field.
EndpointSpec items(PagingStyle paging, Order order, std::size_t records = 200) {
  EndpointSpec spec;
  spec.path = kPath;
  spec.records = records;
  spec.seed = 11;
  spec.schema.key = KeyKind::Uuid;
  spec.schema.fields = {{"title", tsync::mock::FieldKind::String}};
  spec.serving.paging = paging;
  spec.serving.order = order;
  spec.serving.strict = true;
  return spec;
}

// A configuration with one stream "items" at `url` with the members given;
// `top` adds top-level members (each ending with a comma).
tsync::Config paged_config(const e2e::ScratchDir& dir, const std::string& url,
                           const std::string& members, const std::string& top = "") {
  return tsync::parse_config(R"({"database": ")" + dir.file("replica.db") +
                                 R"(", )" + top + R"( "timeout_seconds": 5, "retry_base_seconds": 0.01,
                                 "max_retries": 2, "sorted_apply_rows": 7,
                                 "streams": [{"name": "items", "url": ")" +
                                 url + "\", " + members + "}]}",
                             "test configuration");
}

struct Style {
  const char* name;
  PagingStyle paging;
  std::string records_path;
  std::string since_param;  // "" for none
  std::string members;      // the stream's keys for it
  std::size_t page_size;
  std::string next_field = "next_page_url";
};

// Every paging style docs/paging.md documents, shaped like the API it names.
std::vector<Style> styles() {
  return {
      {"GitHub: Link header, bare array", PagingStyle::LinkHeader, "", "since",
       R"("records_path": "", "params": {"per_page": "30"}, "pagination": {"type": "link_header"})",
       30},
      {"Fivetran next_page_url", PagingStyle::NextUrl, "data", "updated_since",
       R"("since_param": "updated_since", "params": {"per_page": "25"},
          "pagination": {"type": "next_url", "path": "next_page_url"})",
       25},
      {"Microsoft Graph: @odata.nextLink", PagingStyle::NextUrl, "value", "since",
       R"("records_path": "value", "params": {"per_page": "40"},
          "pagination": {"type": "next_url", "path": ["@odata.nextLink"]})",
       40, "@odata.nextLink"},
      {"HubSpot: token at paging.next.after", PagingStyle::Token, "results", "since",
       R"("records_path": "results", "params": {"limit": "35"},
          "pagination": {"type": "token", "path": "paging.next.after", "param": "after"})",
       35},
      {"Stripe: last record, no since", PagingStyle::LastRecord, "data", "",
       R"("since_param": null, "params": {"limit": "45"},
          "pagination": {"type": "last_record", "field": "id", "param": "starting_after",
                         "has_more_path": "has_more"})",
       45},
      {"Fivetran offset with total", PagingStyle::Offset, "data", "updated_since",
       R"("since_param": "updated_since", "pagination": {"type": "offset", "param": "offset",
          "limit_param": "limit", "limit": 50, "total_path": "total"})",
       50},
      {"offset without total", PagingStyle::Offset, "data", "since",
       R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
          "limit": 40})",
       40},
      {"Fivetran page_number", PagingStyle::PageNumber, "data", "updated_since",
       R"("since_param": "updated_since", "pagination": {"type": "page", "param": "page",
          "size_param": "per_page", "size": 30, "total_pages_path": "total_pages"})",
       30},
      {"Fivetran keyset: scroll_param, since on the first request only", PagingStyle::Keyset,
       "data", "updated_since",
       R"("since_param": "updated_since", "pagination": {"type": "token", "path": "scroll_param",
          "param": "scroll_param", "repeat_since": false})",
       50},
  };
}

EndpointSpec spec_for(const Style& style, Order order, std::size_t records = 200) {
  EndpointSpec spec = items(style.paging, order, records);
  spec.records_path = style.records_path;
  spec.since_param = style.since_param;
  spec.serving.page_size = style.page_size;
  spec.serving.next_field = style.next_field;
  return spec;
}

std::string saved(const std::string& db) {
  return e2e::text_of(db, "SELECT last_timestamp FROM _state WHERE stream = 'items'");
}

std::int64_t rows(const std::string& db) {
  return std::stoll(e2e::text_of(db, "SELECT count(*) FROM items"));
}

// Runs the configuration's streams and returns the one report.
tsync::SyncReport sync_once(const tsync::Config& config, bool full = false) {
  e2e::RecordingObserver observer;
  auto reports = tsync::run_streams(config, {}, observer, full);
  REQUIRE(reports.size() == 1);
  return reports[0];
}

}  // namespace

TEST_SUITE("sync_paging") {
  TEST_CASE("every paging style and order stores every record exactly") {
    for (const Style& style : styles()) {
      for (const Order order : {Order::Ascending, Order::NewestFirst, Order::ByKey}) {
        if (style.paging == PagingStyle::Keyset && order != Order::Ascending) continue;
        CAPTURE(style.name);
        CAPTURE(static_cast<int>(order));
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        const std::string url = api.add_endpoint(spec_for(style, order));
        const auto config = paged_config(dir, url, style.members);

        const auto first = sync_once(config);
        REQUIRE_MESSAGE(first.status == "ok", first.error);
        CHECK(first.warning.empty());
        CHECK(first.counters.rows_new == 200);
        CHECK(first.counters.requests >= 4);
        e2e::check_table_equals(config.database, "items", api.records(kPath));
        // The cursor is the newest value the chain brought.
        CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);

        // Changes and additions come on the next run, whatever the order.
        api.records(kPath).mutate(30, 25);
        const auto second = sync_once(config);
        REQUIRE_MESSAGE(second.status == "ok", second.error);
        CHECK(second.counters.rows_new == 25);
        CHECK(second.counters.rows_updated == 30);
        e2e::check_table_equals(config.database, "items", api.records(kPath));
        CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);

        // Nothing new: one chain, nothing written, against inclusive APIs too.
        const auto third = sync_once(config);
        CHECK(third.status == "ok");
        CHECK(third.counters.rows_new == 0);
        CHECK(third.counters.rows_updated == 0);
      }
    }
  }

  TEST_CASE("since inclusive or exclusive: both read every record") {
    for (const SinceMode mode : {SinceMode::Inclusive, SinceMode::Exclusive}) {
      CAPTURE(static_cast<int>(mode));
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const Style style = styles()[5];  // offset with total
      EndpointSpec spec = spec_for(style, Order::Ascending);
      spec.serving.since_mode = mode;
      const std::string url = api.add_endpoint(spec);
      const auto config = paged_config(dir, url, style.members);
      REQUIRE(sync_once(config).status == "ok");
      api.records(kPath).mutate(10, 10);
      REQUIRE(sync_once(config).status == "ok");
      e2e::check_table_equals(config.database, "items", api.records(kPath));
    }
  }

  TEST_CASE("ties longer than a page are all read, with since inclusive or exclusive") {
    for (const SinceMode mode : {SinceMode::Inclusive, SinceMode::Exclusive}) {
      for (const Style& style : {styles()[0], styles()[5], styles()[7]}) {
        CAPTURE(style.name);
        CAPTURE(static_cast<int>(mode));
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        EndpointSpec spec = spec_for(style, Order::Ascending, 80);
        spec.serving.since_mode = mode;
        const std::string url = api.add_endpoint(spec);
        // 120 records at one instant, more than two pages of any style here.
        const tsync::Instant tie = api.records(kPath).latest();
        for (int i = 0; i < 120; ++i)
          api.records(kPath).add_raw(
              R"({"id": "tie-)" + std::to_string(i) + R"(", "title": "t", "updatedAt": ")" +
                  tsync::mock::served_cursor_text(tsync::Instant{tie.seconds + 5, 0},
                                                  tsync::CursorFormat::Iso8601) +
                  "\"}",
              tsync::Instant{tie.seconds + 5, 0});
        const auto config = paged_config(dir, url, style.members);
        const auto report = sync_once(config);
        REQUIRE_MESSAGE(report.status == "ok", report.error);
        CHECK(rows(config.database) == 200);
        CHECK(std::stoll(e2e::text_of(config.database,
                                      "SELECT count(*) FROM items WHERE id LIKE 'tie-%'")) == 120);
        // A second run (the cursor at the tie) loses nothing and finds nothing new.
        const auto again = sync_once(config);
        CHECK(again.status == "ok");
        CHECK(again.counters.rows_new == 0);
        CHECK(rows(config.database) == 200);
      }
    }
  }

  TEST_CASE("data changing between pages never moves the cursor past a record it skipped") {
    for (const Style& style : {styles()[5], styles()[6], styles()[7], styles()[0]}) {
      CAPTURE(style.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(spec_for(style, Order::Ascending));
      // One page at a time (test_fetch_ahead.cpp moves data under pages in flight).
      const auto config = paged_config(dir, url, style.members, R"("max_concurrency": 1,)");
      // Once page 2 has been served, five records of page 1 are updated: they
      // move to the end, and the pages after slide back by five, so five
      // records are never served to this chain.
      const auto truth = api.records(kPath).snapshot();
      std::vector<std::string> page_one;
      for (std::size_t i = 0; i < 5; ++i) page_one.push_back(truth[i].id);
      const std::size_t requests_before = api.request_count();
      api.set_request_hook([&api, page_one, requests_before](std::size_t n) {
        if (n == requests_before + 3) api.records(kPath).touch(page_one);
      });
      const auto report = sync_once(config);
      api.set_request_hook(nullptr);
      CHECK(report.status == "ok");
      CHECK(report.warning.find("came twice with a newer updatedAt while the pages were read (") !=
            std::string::npos);
      for (const std::string& id : page_one) CHECK(report.warning.find(id) != std::string::npos);
      // The cursor stays where the run began (none yet): the records that slid
      // back are asked for again by the next run.
      CHECK(rows(config.database) < 200);
      CHECK(saved(config.database).empty());
      const auto next = sync_once(config);
      REQUIRE_MESSAGE(next.status == "ok", next.error);
      CHECK(next.warning.empty());
      e2e::check_table_equals(config.database, "items", api.records(kPath));
      CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
    }
  }

  TEST_CASE("an API that pages forever is stopped with an error naming the stream") {
    for (const Style& style : {styles()[0], styles()[1], styles()[3], styles()[6], styles()[7]}) {
      CAPTURE(style.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      EndpointSpec spec = spec_for(style, Order::Ascending);
      spec.serving.repeat = true;
      const std::string url = api.add_endpoint(spec);
      // One page at a time (test_fetch_ahead.cpp has pages asked ahead).
      const auto config = paged_config(dir, url, style.members, R"("max_concurrency": 1,)");
      const auto report = sync_once(config);
      CHECK(report.status == "error");
      CHECK(report.exit_code == tsync::kExitError);
      CHECK(report.error.find("stream \"items\": pagination") != std::string::npos);
      CHECK(api.request_count() <= 6);
      // What was read is kept; the cursor did not move.
      CHECK(rows(config.database) == static_cast<std::int64_t>(style.page_size));
      CHECK(saved(config.database).empty());
    }
  }

  TEST_CASE("transient faults in the middle of a chain: the chain resumes and stays exact") {
    for (const Style& style : {styles()[0], styles()[3], styles()[5], styles()[7]}) {
      CAPTURE(style.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(spec_for(style, Order::Ascending));
      // One page at a time, so that the faults fall on the pages named.
      const auto config = paged_config(dir, url, style.members, R"("max_concurrency": 1,)");
      // A 503 on page 3, and page 5 cut after 300 bytes of its body.
      api.set_request_hook([&api](std::size_t n) {
        if (n == 3) api.push_fault({});
        if (n == 6) {
          tsync::mock::Fault drop;
          drop.kind = tsync::mock::Fault::Kind::DropAfterBytes;
          drop.after_bytes = 300;
          api.push_fault(drop);
        }
      });
      const auto report = sync_once(config);
      api.set_request_hook(nullptr);
      REQUIRE_MESSAGE(report.status == "ok", report.error);
      CHECK(report.counters.retries == 2);
      CHECK(report.warning.empty());
      e2e::check_table_equals(config.database, "items", api.records(kPath));
      CHECK(saved(config.database) == api.records(kPath).snapshot().back().cursor);
    }
  }

  TEST_CASE("a permanent fault on a later page: exit 1, the cursor does not move") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Style style = styles()[5];
    const std::string url = api.add_endpoint(spec_for(style, Order::Ascending));
    // One page at a time: the third request is the page at offset 100.
    const auto config = paged_config(dir, url, style.members, R"("max_concurrency": 1,)");
    api.set_request_hook([&api](std::size_t n) {
      if (n == 3) {
        tsync::mock::Fault bad;
        bad.kind = tsync::mock::Fault::Kind::RawBody;
        bad.status = 200;
        bad.body = R"({"data": [{"id": "x", "updatedAt": "2024-01-01T00:00:00Z"} {]})";
        api.push_fault(bad);
      }
    });
    const auto report = sync_once(config);
    api.set_request_hook(nullptr);
    CHECK(report.status == "error");
    CHECK(report.exit_code == tsync::kExitError);
    CHECK(report.error.find("offset=100") != std::string::npos);
    CHECK(report.error.find("response body at byte") != std::string::npos);
    CHECK(saved(config.database).empty());
    // Nothing of the bad page is stored.
    CHECK(e2e::text_of(config.database, "SELECT count(*) FROM items WHERE id = 'x'") == "0");
    // The next run reads the chain again and completes it.
    const auto next = sync_once(config);
    REQUIRE_MESSAGE(next.status == "ok", next.error);
    e2e::check_table_equals(config.database, "items", api.records(kPath));
  }

  TEST_CASE("a configured has_more or total path missing from the body is an error") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(spec_for(styles()[5], Order::Ascending));
    const auto config = paged_config(dir, url, R"("since_param": "updated_since",
        "pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
                       "limit": 50, "total_path": "meta.total"})");
    const auto report = sync_once(config);
    CHECK(report.status == "error");
    CHECK(report.error ==
          "stream \"items\": pagination (offset): the response has no \"meta.total\" (check the "
          "path in the configuration: a wrong path must not end the pages early)");
    CHECK(saved(config.database).empty());
  }

  TEST_CASE("pages share one connection") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    EndpointSpec spec = spec_for(styles()[6], Order::Ascending, 3000);
    const std::string url = api.add_endpoint(spec);
    // One page at a time (pages asked ahead have a connection each).
    const auto config = paged_config(dir, url, R"("pagination": {"type": "offset",
        "param": "offset", "limit_param": "limit", "limit": 10})", R"("max_concurrency": 1,)");
    const auto report = sync_once(config);
    REQUIRE_MESSAGE(report.status == "ok", report.error);
    CHECK(report.counters.requests == 301);
    CHECK(rows(config.database) == 3000);
    CHECK(api.connection_count() <= 3);
  }

  TEST_CASE("a next link to another origin is followed without the token") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    tsync::mock::MockApi other;
    int port = 0;
    try {
      port = other.start(0, "127.0.0.2");
    } catch (const std::exception& e) {
      MESSAGE("127.0.0.2 cannot be bound here: " << e.what());
      return;
    }
    EndpointSpec spec = spec_for(styles()[0], Order::Ascending);
    other.add_endpoint(spec);
    spec.serving.next_origin = "http://127.0.0.2:" + std::to_string(port);
    const std::string url = api.add_endpoint(spec);
    ::setenv("TSYNC_PAGING_TOKEN", "paging-secret-token", 1);
    const auto config = paged_config(
        dir, url,
        R"("token_env": "TSYNC_PAGING_TOKEN", "records_path": "", "params": {"per_page": "30"},
           "pagination": {"type": "link_header"})");
    const auto report = sync_once(config);
    ::unsetenv("TSYNC_PAGING_TOKEN");
    REQUIRE_MESSAGE(report.status == "ok", report.error);
    CHECK(rows(config.database) == 200);
    const auto own = api.authorization_log();
    REQUIRE(own.size() == 1);
    CHECK(own[0] == "Bearer paging-secret-token");
    const auto elsewhere = other.authorization_log();
    CHECK(elsewhere.size() == 6);
    for (const std::string& header : elsewhere) CHECK(header.empty());
  }

  TEST_CASE("a full pass over pages deletes what the API removed, and nothing when cut short") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Style style = styles()[3];  // HubSpot-like tokens
    const std::string url = api.add_endpoint(spec_for(style, Order::ByKey));
    const auto config = paged_config(dir, url, style.members);
    REQUIRE(sync_once(config).status == "ok");
    const auto removed = api.records(kPath).remove(12);
    // Rows not marked deleted (the column comes with the first deletion).
    const auto live = [&] {
      const bool marked = e2e::text_of(config.database,
                                       "SELECT count(*) FROM pragma_table_info('items') "
                                       "WHERE name = '_tsync_deleted_at'") == "1";
      return std::stoll(e2e::text_of(
          config.database, marked ? "SELECT count(*) FROM items WHERE _tsync_deleted_at IS NULL"
                                  : "SELECT count(*) FROM items"));
    };

    SUBCASE("a 500 on page 3, past the retries, deletes nothing") {
      const std::size_t start = api.request_count();
      api.set_request_hook([&api, start](std::size_t n) {
        if (n == start + 3) {
          for (int i = 0; i < 3; ++i) api.push_fault({});
        }
      });
      const auto cut = sync_once(config, true);
      api.set_request_hook(nullptr);
      CHECK(cut.status == "error");
      CHECK(cut.error.find("HTTP 503") != std::string::npos);
      CHECK(live() == 200);
    }
    SUBCASE("a whole pass deletes exactly the removed records") {
      const auto full = sync_once(config, true);
      REQUIRE_MESSAGE(full.status == "ok", full.error);
      CHECK(full.counters.rows_deleted == 12);
      CHECK(live() == 188);
      for (const std::string& id : removed)
        CHECK(e2e::text_of(config.database,
                           "SELECT _tsync_deleted_at IS NOT NULL FROM items "
                           "WHERE id = '" +
                               id + "'") == "1");
    }
  }

  // An offset endpoint that reports its total, of the suite's records, read once.
  tsync::Config synced_offset_endpoint(e2e::Scene& scene) {
    const Style style = styles()[5];
    const std::string url = scene.api.add_endpoint(spec_for(style, Order::Ascending));
    // One page at a time: the request hooks name pages by their order.
    auto config = paged_config(scene.dir, url, style.members, R"("max_concurrency": 1,)");
    REQUIRE(sync_once(config).status == "ok");
    return config;
  }

  TEST_CASE("a full pass whose pages moved under it deletes nothing") {
    e2e::Scene scene(0);
    auto& api = scene.api;
    const auto config = synced_offset_endpoint(scene);
    api.records(kPath).remove(3);
    const auto truth = api.records(kPath).snapshot();
    const std::vector<std::string> first{truth[0].id, truth[1].id};
    const std::size_t start = api.request_count();
    api.set_request_hook([&api, first, start](std::size_t n) {
      if (n == start + 2) api.records(kPath).touch(first);
    });
    const auto full = sync_once(config, true);
    api.set_request_hook(nullptr);
    CHECK(full.status == "ok");
    CHECK(full.warning.find("this full pass deletes nothing") != std::string::npos);
    CHECK(full.counters.rows_deleted == 0);
  }

  TEST_CASE("a key the API sends twice with the same version is its duplicate, not data moving") {
    e2e::Scene scene(0);
    auto& api = scene.api;
    const auto config = synced_offset_endpoint(scene);
    // Two records served twice, exactly as they are (an API that gave one id to
    // two records, or serves one twice), and three removed.
    const auto removed = api.records(kPath).remove(3);
    const auto served = api.records(kPath).snapshot();
    REQUIRE(served.size() == 197);
    const std::vector<tsync::mock::ServedRecord> twice{served[10], served[120]};
    for (const auto& record : twice) api.records(kPath).add_raw(record.json, record.updated);
    const auto full = sync_once(config, true);
    CHECK(full.status == "ok");
    CHECK(full.warning.find("2 records came twice with the same updatedAt (keys ") !=
          std::string::npos);
    CHECK(full.warning.find(twice[0].id) != std::string::npos);
    CHECK(full.warning.find(twice[1].id) != std::string::npos);
    CHECK(full.warning.find("the API sent one key for two records, or one record twice") !=
          std::string::npos);
    CHECK(full.warning.find("deletes nothing") == std::string::npos);
    CHECK(full.counters.rows_deleted == 3);
    CHECK(std::stoll(e2e::text_of(config.database,
                                  "SELECT count(*) FROM items WHERE _tsync_deleted_at IS NOT NULL")) ==
          3);
  }

  TEST_CASE("repeat_since false sends since on the first request only") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const Style style = styles()[8];  // the playground's keyset endpoint: 400 for both
    const std::string url = api.add_endpoint(spec_for(style, Order::Ascending));
    const auto config = paged_config(dir, url, style.members);
    REQUIRE(sync_once(config).status == "ok");
    const auto targets = api.target_log();
    REQUIRE(targets.size() == 4);
    CHECK(targets[0].find("updated_since=") != std::string::npos);
    for (std::size_t i = 1; i < targets.size(); ++i) {
      CHECK(targets[i].find("updated_since=") == std::string::npos);
      CHECK(targets[i].find("scroll_param=") != std::string::npos);
    }
  }

  TEST_CASE(
      "SIGKILL at random moments of a long paged sync, then a last run completes it exactly") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    EndpointSpec spec = spec_for(styles()[5], Order::Ascending, 3000);
    spec.serving.latency = std::chrono::milliseconds(15);
    const std::string url = api.add_endpoint(spec);
    const std::string config = dir.file("configuration.json");
    const std::string db = dir.file("replica.db");
    std::ofstream(config) << R"({"database": ")" << db
                          << R"(", "retry_base_seconds": 0.01, "sorted_apply_rows": 30,
        "max_concurrency": 1, "streams": [{"name": "items", "url": ")"
                          << url << R"(", "since_param": "updated_since",
        "pagination": {"type": "offset", "param": "offset", "limit_param": "limit",
                       "limit": 50, "total_path": "total"}}]})";
    std::mt19937 random(20261205);
    std::uniform_int_distribution<int> delay_ms(20, 900);
    int kills = 0;
    for (int round = 0; round < 8; ++round) {
      if (round % 3 == 2) api.records(kPath).mutate(40, 20);
      proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", config});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      child.signal(SIGKILL);
      if (child.wait().exit_code == 128 + SIGKILL) ++kills;
      // Whatever the moment, the cursor covers only what the replica holds.
      const std::string cursor = saved(db);
      if (cursor.empty()) continue;
      const auto c = *tsync::parse_timestamp(cursor);
      for (const auto& record : api.records(kPath).snapshot()) {
        if (record.updated > c) continue;
        CHECK(e2e::text_of(db, "SELECT count(*) FROM items WHERE id = '" + record.id + "'") == "1");
      }
    }
    CHECK(kills >= 5);
    const auto done = proc::run({TSYNC_BINARY, "sync", "--quiet", "--config", config});
    CHECK(done.exit_code == 0);
    e2e::check_table_equals(db, "items", api.records(kPath));
  }

  TEST_CASE("pagination mistakes stop the run before any request, exit 2") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(spec_for(styles()[5], Order::Ascending));
    const std::string config = dir.file("configuration.json");
    std::ofstream(config) << R"({"database": ")" << dir.file("replica.db")
                          << R"(", "streams": [{"name": "items", "url": ")" << url
                          << R"(", "pagination": {"type": "offset", "param": "offset"}}]})";
    const auto result = proc::run({TSYNC_BINARY, "sync", "--config", config});
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("stream \"items\": pagination: limit_param: missing") !=
          std::string::npos);
    CHECK(api.request_count() == 0);
    CHECK_FALSE(std::filesystem::exists(dir.file("replica.db")));
  }
}
