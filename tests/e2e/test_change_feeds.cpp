// SPDX-License-Identifier: Apache-2.0
// End to end: the change-feed configurations of docs/change-feeds.md, read
// from that page and run by the tsync binary against the mock's feeds: a
// first read, nights of changes and removals (soft and hard), a token that
// expired, and SIGKILL at a seeded request, each replica compared with the
// mock's truth.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "support/e2e_support.hpp"
#include "support/process.hpp"

namespace {

const std::vector<std::string> kEnv{"GRAPH_TOKEN=graph-token-1", "GOOGLE_TOKEN=google-token-1"};

// The stream marked `<!-- tested: NAME -->` in docs/change-feeds.md, its
// API's origin replaced by the mock's, in a configuration of its own.
std::string documented_feed(const std::string& name, const std::string& origin,
                            const std::string& db, const std::string& extra = "") {
  std::ifstream in(std::string(TSYNC_SOURCE_DIR) + "/docs/change-feeds.md");
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t marker = text.find("<!-- tested: " + name + " -->\n```json\n");
  REQUIRE_MESSAGE(marker != std::string::npos, "no configuration marked " << name);
  const std::size_t start = text.find("```json\n", marker) + 8;
  std::string stream = text.substr(start, text.find("```", start) - start);
  for (const std::string api : {"https://graph.microsoft.com", "https://www.googleapis.com",
                                "https://acme.zendesk.com"})
    for (std::size_t at; (at = stream.find(api)) != std::string::npos;)
      stream.replace(at, api.size(), origin);
  if (!extra.empty()) stream.insert(stream.rfind('}'), ", " + extra);
  return R"({"database": ")" + db + R"(", "retry_base_seconds": 0.01, "streams": [)" + stream +
         "]}";
}

std::string origin_of(const tsync::mock::MockApi& api) {
  const std::string url = api.base_url();
  return url.substr(0, url.find('/', 8));
}

struct Feed {
  const e2e::ScratchDir& dir;
  std::string db() const { return dir.file("replica.db"); }
  std::string path() const { return dir.file("configuration.json"); }
  void write(const std::string& config) const { std::ofstream(path()) << config; }
  proc::Result sync(bool full = false) const {
    std::vector<std::string> args{TSYNC_BINARY, "sync", "--config", path()};
    if (full) args.push_back("--full");
    return proc::run(args, kEnv);
  }
  // The run killed with SIGKILL as the mock takes its `nth` request from now.
  proc::Result killed_sync(tsync::mock::MockApi& api, std::size_t nth) const {
    std::atomic<pid_t> pid{0};
    const std::size_t at = api.request_count() + nth;
    api.set_request_hook([&](std::size_t number) {
      if (number == at && pid.load() > 0) ::kill(pid.load(), SIGKILL);
    });
    proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", path()}, kEnv);
    pid = child.pid();
    const proc::Result r = child.wait();
    api.set_request_hook(nullptr);
    return r;
  }
  std::string cursor(const std::string& stream) const {
    return e2e::text_of(db(), "SELECT last_timestamp FROM _state WHERE stream = '" + stream + "'");
  }
};

// Whether a row is marked deleted, as SQL: a table gets _tsync_deleted_at
// with its first deleted row.
std::string deleted_mark(SQLite::Database& d, const std::string& table) {
  SQLite::Statement q(d, "SELECT count(*) FROM pragma_table_info(?1) "
                         "WHERE name = '_tsync_deleted_at'");
  q.bind(1, table);
  q.executeStep();
  return q.getColumn(0).getInt() == 1 ? "_tsync_deleted_at IS NOT NULL" : "0";
}

// The ids of `table`'s live rows and of its rows marked deleted.
struct Rows {
  std::set<std::int64_t> live, deleted;
};
Rows rows_of(const std::string& db, const std::string& table) {
  Rows out;
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id, " + deleted_mark(d, table) + " FROM " + e2e::quoted(table));
  while (q.executeStep())
    (q.getColumn(1).getInt() ? out.deleted : out.live).insert(q.getColumn(0).getInt64());
  return out;
}

// The mock's Zendesk tickets: live ones by id with their generated_timestamp.
std::map<std::int64_t, std::int64_t> zendesk_truth(tsync::mock::MockApi& api) {
  std::map<std::int64_t, std::int64_t> out;
  for (const auto& t : api.zendesk().tickets()) out[t.id] = t.generated_timestamp;
  return out;
}

void check_zendesk(const Feed& feed, tsync::mock::MockApi& api) {
  const auto truth = zendesk_truth(api);
  std::map<std::int64_t, std::int64_t> stored;
  SQLite::Database d(feed.db(), SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id, generated_timestamp FROM tickets WHERE NOT (" +
                             deleted_mark(d, "tickets") + ")");
  while (q.executeStep()) stored[q.getColumn(0).getInt64()] = q.getColumn(1).getInt64();
  CHECK(stored == truth);
  const auto deleted = api.zendesk().deleted();
  const Rows rows = rows_of(feed.db(), "tickets");
  CHECK(rows.deleted == std::set<std::int64_t>(deleted.begin(), deleted.end()));
}

// id -> `field` of each served JSON object.
std::map<std::string, std::string> truth_of(const std::vector<std::string>& served,
                                            const std::string& field) {
  std::map<std::string, std::string> out;
  for (const std::string& json : served) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    REQUIRE(d.IsObject());
    const auto f = d.FindMember(field.c_str());
    out[d["id"].GetString()] = f == d.MemberEnd() || f->value.IsNull() ? "" : f->value.GetString();
  }
  return out;
}

// id -> `field` of the live rows of `table`, and the ids of its deleted rows.
std::pair<std::map<std::string, std::string>, std::set<std::string>> stored_of(
    const std::string& db, const std::string& table, const std::string& field) {
  std::map<std::string, std::string> live;
  std::set<std::string> deleted;
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id, " + e2e::quoted(field) + ", " + deleted_mark(d, table) +
                             " FROM " + e2e::quoted(table));
  while (q.executeStep()) {
    if (q.getColumn(2).getInt())
      deleted.insert(q.getColumn(0).getString());
    else
      live[q.getColumn(0).getString()] = q.getColumn(1).getString();
  }
  return {live, deleted};
}

tsync::mock::Options small_mock() {
  tsync::mock::Options options;
  options.users = 10;
  return options;
}

}  // namespace

TEST_SUITE("change feeds") {
  TEST_CASE("docs' Zendesk cursor export: first read, nightly changes and deletes, the cursor saved per page") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::ZendeskOptions zendesk;
    zendesk.tickets = 230;
    api.serve_zendesk(zendesk);
    const Feed feed{dir};
    // Pages of 50 instead of the docs' 1000: the export takes several.
    std::string config = documented_feed("zendesk", origin_of(api), feed.db());
    config.replace(config.find("\"1000\""), 6, "\"50\"");
    feed.write(config);
    auto r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_zendesk(feed, api);
    const std::string first_cursor = feed.cursor("tickets");
    CHECK_FALSE(first_cursor.empty());

    // A night: changes, a new ticket, two deleted; one request brings them.
    api.zendesk().update(7);
    api.zendesk().add_ticket();
    const auto live = api.zendesk().tickets();
    api.zendesk().delete_ticket(live[3].id);
    api.zendesk().delete_ticket(live[10].id);
    const std::size_t before = api.request_count();
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(api.request_count() - before == 1);
    CHECK(r.out.find("2 deleted") != std::string::npos);
    check_zendesk(feed, api);
    CHECK(feed.cursor("tickets") != first_cursor);

    // Nothing changed: one request, nothing written.
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.find("0 rows") != std::string::npos);
    check_zendesk(feed, api);
  }

  TEST_CASE("a cursor export killed at any request resumes after the last page committed") {
    for (const std::size_t nth : {1, 2, 3, 4, 5}) {
      CAPTURE(nth);
      e2e::Scene scene(small_mock());
      auto& [dir, api] = scene;
      tsync::mock::ZendeskOptions zendesk;
      zendesk.tickets = 120;
      api.serve_zendesk(zendesk);
      const Feed feed{dir};
      std::string config = documented_feed("zendesk", origin_of(api), feed.db());
      config.replace(config.find("\"1000\""), 6, "\"25\"");
      feed.write(config);
      const proc::Result killed = feed.killed_sync(api, nth);
      CHECK((killed.exit_code == 128 + SIGKILL || killed.exit_code == 0));
      const std::size_t before = api.request_count();
      const auto r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_zendesk(feed, api);
      // The rerun asked at most for the five pages of the export again (the
      // pages after the last one committed, whose commit may trail the next
      // request).
      CHECK(api.request_count() - before <= 5);
    }
  }

  TEST_CASE("docs' Graph users delta: first read, changes, removals for good and soft, restores, an expired token") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GraphOptions graph;
    graph.users = 230;
    graph.page = 50;
    api.serve_graph(graph);
    const Feed feed{dir};
    feed.write(documented_feed("graph", origin_of(api), feed.db()));
    const std::vector<std::string> select{"displayName", "mail", "jobTitle"};
    std::set<std::string> removed;
    auto check = [&] {
      const auto [live, deleted] = stored_of(feed.db(), "users", "jobTitle");
      CHECK(live == truth_of(api.graph().live(select), "jobTitle"));
      CHECK(deleted == removed);
    };
    auto r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check();
    CHECK(feed.cursor("users").find("$deltatoken=") != std::string::npos);
    // Users have no time of their own: each row holds when it was read, in
    // tsync's own column.
    CHECK(e2e::text_of(feed.db(), "SELECT count(*) FROM pragma_table_info('users') "
                                  "WHERE name = '_tsync_read_at'") == "1");
    // The summary shows the delta link shortened, not whole.
    CHECK(r.out.find(feed.cursor("users")) == std::string::npos);

    // A night: changes, new users, two removed for good and two soft-deleted;
    // one request brings them all.
    api.graph().mutate(7, 3);
    for (const std::string& id : api.graph().remove(2, true)) removed.insert(id);
    const std::vector<std::string> soft = api.graph().remove(2, false);
    removed.insert(soft.begin(), soft.end());
    std::size_t before = api.request_count();
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(api.request_count() - before == 1);
    CHECK(r.out.find("4 deleted") != std::string::npos);
    check();

    // The soft-deleted users come back.
    api.graph().restore(soft);
    for (const std::string& id : soft) removed.erase(id);
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check();

    // The token expires; meanwhile three users go for good, and nothing in a
    // delta says so: the read from the beginning is a full pass that marks them.
    api.graph().expire_tokens();
    for (const std::string& id : api.graph().remove(3, true)) removed.insert(id);
    api.graph().mutate(5, 0);
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK((r.out + r.err).find("the change token has expired") != std::string::npos);
    check();
    // And the next night is a delta again.
    api.graph().mutate(2, 0);
    before = api.request_count();
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(api.request_count() - before == 1);
    check();
  }

  TEST_CASE("a Graph delta killed at any request is read again from its last whole token, exact") {
    for (const std::size_t nth : {1, 2, 3, 4}) {
      CAPTURE(nth);
      e2e::Scene scene(small_mock());
      auto& [dir, api] = scene;
      tsync::mock::GraphOptions graph;
      graph.users = 150;
      graph.page = 40;
      api.serve_graph(graph);
      const Feed feed{dir};
      feed.write(documented_feed("graph", origin_of(api), feed.db()));
      auto r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      const std::string token = feed.cursor("users");
      api.graph().mutate(60, 30);  // two pages of changes
      const proc::Result killed = feed.killed_sync(api, nth);
      CHECK((killed.exit_code == 128 + SIGKILL || killed.exit_code == 0));
      // A read cut short never moves the token.
      if (killed.exit_code != 0) CHECK(feed.cursor("users") == token);
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      const auto [live, deleted] = stored_of(feed.db(), "users", "jobTitle");
      CHECK(live == truth_of(api.graph().live({"displayName", "mail", "jobTitle"}), "jobTitle"));
      CHECK(deleted.empty());
    }
  }

  TEST_CASE("docs' Google Calendar events: sync tokens, cancelled events, an expired token, hard deletes") {
    for (const bool hard : {false, true}) {
      CAPTURE(hard);
      e2e::Scene scene(small_mock());
      auto& [dir, api] = scene;
      tsync::mock::GoogleOptions google;
      google.events = 180;
      api.serve_google(google);
      const Feed feed{dir};
      std::string config = documented_feed("google", origin_of(api), feed.db(),
                                           hard ? R"("on_delete": "hard")" : "");
      config.replace(config.find("\"250\""), 5, "\"40\"");
      feed.write(config);
      std::set<std::string> cancelled;
      auto check = [&] {
        const auto [live, deleted] = stored_of(feed.db(), "events", "updated");
        std::map<std::string, std::string> truth = truth_of(api.google().live(), "updated");
        for (auto& [id, updated] : truth) updated = e2e::normalised(updated);  // as stored
        CHECK(live == truth);
        if (!hard) CHECK(deleted == cancelled);
        if (hard) {
          CHECK(deleted.empty());
          // Each key in _deleted is a cancelled event's (one cancelled before
          // the replica ever held it leaves no key).
          SQLite::Database d(feed.db(), SQLite::OPEN_READONLY);
          SQLite::Statement q(d, "SELECT json_extract(key, '$[0]') FROM _deleted");
          std::size_t keys = 0;
          while (q.executeStep()) {
            ++keys;
            CHECK(cancelled.count(q.getColumn(0).getString()) == 1);
          }
          CHECK(keys + 2 >= cancelled.size());
        }
      };
      auto r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check();

      api.google().mutate(6, 2);
      for (const std::string& id : api.google().cancel(3)) cancelled.insert(id);
      const std::size_t before = api.request_count();
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      CHECK(api.request_count() - before == 1);
      check();

      // Expired: read again whole (cancelled events are not in a full read),
      // and two events cancelled meanwhile are found by the full pass.
      api.google().expire_tokens();
      for (const std::string& id : api.google().cancel(2)) cancelled.insert(id);
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      CHECK((r.out + r.err).find("the change token has expired") != std::string::npos);
      check();
    }
  }

  TEST_CASE("tsync check names a feed whose answer gives no way on") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    api.serve_graph({});
    const Feed feed{dir};
    std::string config = documented_feed("graph", origin_of(api), feed.db());
    config.replace(config.find(R"({"type": "delta_link"})"), 22,
                   R"({"type": "delta_link", "next_path": "next", "delta_path": "delta"})");
    feed.write(config);
    const proc::Result r = proc::run({TSYNC_BINARY, "check", "--config", feed.path()}, kEnv);
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("problem: change_feed delta_link: the answer has neither \"next\" nor "
                     "\"delta\"") != std::string::npos);
  }

  TEST_CASE("a read from the beginning refused as expired too is an error, not a loop") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    api.serve_graph({});
    const Feed feed{dir};
    // 400 counted as expired: a first read of a wrong URL (Graph answers 400
    // for an unknown segment) is refused alike.
    std::string config = documented_feed("graph", origin_of(api), feed.db());
    config.replace(config.find("/v1.0/users/delta"), 17, "/v1.0/usrs/delta");
    config.replace(config.find(R"({"type": "delta_link"})"), 22,
                   R"({"type": "delta_link", "expired_statuses": [400, 410]})");
    feed.write(config);
    const std::size_t before = api.request_count();
    const auto r = feed.sync();
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(r.err.find("refused as expired too") != std::string::npos, r.err);
    CHECK(api.request_count() - before == 1);
  }

  TEST_CASE("three feeds beside a since stream, one request at a time and four, nightly and --full, killed once") {
    for (const int concurrency : {1, 4}) {
      CAPTURE(concurrency);
      e2e::Scene scene(small_mock());
      auto& [dir, api] = scene;
      tsync::mock::GraphOptions graph;
      graph.users = 90;
      graph.page = 20;
      api.serve_graph(graph);
      tsync::mock::GoogleOptions google;
      google.events = 70;
      google.page = 15;
      api.serve_google(google);
      tsync::mock::ZendeskOptions zendesk;
      zendesk.tickets = 80;
      api.serve_zendesk(zendesk);
      const Feed feed{dir};
      auto stream_of = [&](const std::string& name) {
        const std::string whole = documented_feed(name, origin_of(api), feed.db());
        const std::size_t start = whole.find("\"streams\": [") + 12;
        return whole.substr(start, whole.rfind(']') - start);
      };
      std::string zendesk_stream = stream_of("zendesk");
      zendesk_stream.replace(zendesk_stream.find("\"1000\""), 6, "\"20\"");
      feed.write(R"({"database": ")" + feed.db() + R"(", "retry_base_seconds": 0.01, )" +
                 R"("max_concurrency": )" + std::to_string(concurrency) + R"(, "streams": [)" +
                 stream_of("graph") + ", " + stream_of("google") + ", " + zendesk_stream +
                 R"(, {"name": "user", "url": ")" + api.base_url() +
                 R"(", "columns": {"createdAt": "UTC_DATETIME"}}]})");
      const std::vector<std::string> select{"displayName", "mail", "jobTitle"};
      auto check_all = [&] {
        const auto [users, removed_users] = stored_of(feed.db(), "users", "jobTitle");
        CHECK(users == truth_of(api.graph().live(select), "jobTitle"));
        const auto removed = api.graph().removed();
        CHECK(removed_users.size() == removed.size());
        std::map<std::string, std::string> events = truth_of(api.google().live(), "updated");
        for (auto& [id, updated] : events) updated = e2e::normalised(updated);
        CHECK(stored_of(feed.db(), "events", "updated").first == events);
        check_zendesk(feed, api);
        e2e::check_replica_equals(feed.db(), api);
      };
      auto night = [&] {
        api.graph().mutate(5, 2);
        api.graph().remove(1, true);
        api.google().mutate(4, 1);
        api.google().cancel(1);
        api.zendesk().update(3);
        api.zendesk().delete_ticket(api.zendesk().tickets().front().id);
        api.store().mutate(10, 3);
      };
      // tsync check finds nothing wrong with the three feeds and the since stream.
      const proc::Result checked = proc::run({TSYNC_BINARY, "check", "--config", feed.path()}, kEnv);
      CHECK_MESSAGE(checked.exit_code == 0, checked.out << checked.err);
      CHECK(checked.out.find("change_feed delta_link: a next page") != std::string::npos);
      CHECK(checked.out.find("change_feed cursor_export: a cursor") != std::string::npos);
      auto r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_all();
      night();
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_all();
      // Killed in the middle of a night, then the next run ends exact.
      night();
      const proc::Result killed = feed.killed_sync(api, 3);
      CHECK((killed.exit_code == 128 + SIGKILL || killed.exit_code == 0));
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_all();
      // A weekly full pass reads every feed from its beginning.
      night();
      r = feed.sync(true);
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_all();
      r = feed.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_all();
    }
  }

  TEST_CASE("tsync init proposes each mock feed as a change_feed that syncs exactly, nightly too") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GraphOptions graph;
    graph.users = 75;
    graph.page = 20;
    api.serve_graph(graph);
    tsync::mock::GoogleOptions google;
    google.events = 55;
    google.page = 20;
    api.serve_google(google);
    tsync::mock::ZendeskOptions zendesk;
    zendesk.tickets = 45;
    api.serve_zendesk(zendesk);
    const Feed feed{dir};
    const std::string origin = origin_of(api);
    std::string streams;
    for (const std::string& url :
         {origin + "/v1.0/users/delta?$select=displayName,mail,jobTitle",
          origin + "/calendar/v3/calendars/primary/events?maxResults=20",
          origin + "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=20"}) {
      CAPTURE(url);
      const proc::Result r = proc::run({TSYNC_BINARY, "init", url}, kEnv);
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      CHECK(r.out.find("\"change_feed\"") != std::string::npos);
      const std::size_t start = r.out.find('[') + 1;
      streams += (streams.empty() ? "" : ", ") + r.out.substr(start, r.out.rfind(']') - start);
    }
    feed.write(R"({"database": ")" + feed.db() + R"(", "streams": [)" + streams + "]}");
    auto check_all = [&] {
      const auto [users, gone] = stored_of(feed.db(), "users", "jobTitle");
      CHECK(users == truth_of(api.graph().live({"displayName", "mail", "jobTitle"}), "jobTitle"));
      CHECK(gone.size() == api.graph().removed().size());
      std::map<std::string, std::string> events = truth_of(api.google().live(), "updated");
      for (auto& [id, updated] : events) updated = e2e::normalised(updated);
      const auto [stored_events, cancelled] = stored_of(feed.db(), "events", "updated");
      CHECK(stored_events == events);
      const std::vector<std::string> truly_cancelled = api.google().cancelled();
      CHECK(cancelled == std::set<std::string>(truly_cancelled.begin(), truly_cancelled.end()));
      check_zendesk(feed, api);
    };
    auto r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_all();
    api.graph().mutate(4, 2);
    api.graph().remove(2, false);
    api.google().mutate(3, 1);
    api.google().cancel(2);
    api.zendesk().update(3);
    api.zendesk().delete_ticket(api.zendesk().tickets().back().id);
    r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_all();
  }

  TEST_CASE("a token that expires in the middle of a read: the feed is read again whole, as a full pass") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GraphOptions graph;
    graph.users = 120;
    graph.page = 20;
    api.serve_graph(graph);
    const Feed feed{dir};
    feed.write(documented_feed("graph", origin_of(api), feed.db()));
    auto r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    api.graph().mutate(70, 0);  // four pages of changes
    const std::vector<std::string> gone = api.graph().remove(2, true);
    // The tokens expire as the run asks for its second page.
    const std::size_t at = api.request_count() + 2;
    api.set_request_hook([&](std::size_t number) {
      if (number == at) api.graph().expire_tokens();
    });
    r = feed.sync();
    api.set_request_hook(nullptr);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK((r.out + r.err).find("the change token has expired") != std::string::npos);
    const auto [live, deleted] = stored_of(feed.db(), "users", "jobTitle");
    CHECK(live == truth_of(api.graph().live({"displayName", "mail", "jobTitle"}), "jobTitle"));
    // Only a full pass can have marked these: the read from the beginning
    // does not name removed users.
    CHECK(deleted == std::set<std::string>(gone.begin(), gone.end()));
  }

  TEST_CASE("an expired token's full read respects max_delete_fraction") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GraphOptions graph;
    graph.users = 40;
    api.serve_graph(graph);
    const Feed feed{dir};
    feed.write(documented_feed("graph", origin_of(api), feed.db()));
    auto r = feed.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    // Most users go while the token is expired: the read from the beginning
    // would delete 30 of 40 rows, past the default half, so it deletes none.
    api.graph().expire_tokens();
    api.graph().remove(30, true);
    r = feed.sync();
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("max_delete_fraction") != std::string::npos);
    const auto [live, deleted] = stored_of(feed.db(), "users", "jobTitle");
    CHECK(live.size() == 40);
    CHECK(deleted.empty());
  }

  TEST_CASE("a feed's pages retried after a 503, a dropped connection and a body cut short stay exact") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GraphOptions graph;
    graph.users = 100;
    graph.page = 20;
    api.serve_graph(graph);
    const Feed feed{dir};
    feed.write(documented_feed("graph", origin_of(api), feed.db()));
    using tsync::mock::Fault;
    const std::size_t first = api.request_count() + 1;
    api.set_request_hook([&](std::size_t number) {
      Fault fault;
      if (number == first + 1) {
        fault.kind = Fault::Kind::Status;
        fault.status = 503;
      } else if (number == first + 3) {
        fault.kind = Fault::Kind::DropAfterBytes;
        fault.after_bytes = 300;
      } else if (number == first + 5) {
        fault.kind = Fault::Kind::TruncateBody;
        fault.after_bytes = 500;
      } else {
        return;
      }
      api.push_fault(fault);
    });
    const proc::Result r =
        proc::run({TSYNC_BINARY, "sync", "--json", "--config", feed.path()}, kEnv);
    api.set_request_hook(nullptr);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.find("\"retries\":3") != std::string::npos);
    const auto [live, deleted] = stored_of(feed.db(), "users", "jobTitle");
    CHECK(live == truth_of(api.graph().live({"displayName", "mail", "jobTitle"}), "jobTitle"));
    CHECK(feed.cursor("users").find("$deltatoken=") != std::string::npos);
  }
}
