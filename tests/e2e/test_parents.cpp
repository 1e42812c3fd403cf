// SPDX-License-Identifier: Apache-2.0
// End to end: the parent and child configurations of docs/parents-and-children.md,
// exactly as written there, run with the tsync binary against the mock's
// GitHub-shaped repositories, issues and comments and Stripe-shaped invoices
// and lines: a first sync, nightly runs after changes at both levels, a
// repository removed (its children answered 404, then deleted by a full pass),
// "parents": "changed" reading only the changed invoices, and SIGKILL at
// random moments of a run with partitions in flight, each compared with the
// mock's truth.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "support/e2e_support.hpp"
#include "support/process.hpp"

namespace {

std::string origin_of(const tsync::mock::MockApi& api) {
  const std::string url = api.base_url();
  return url.substr(0, url.find('/', 8));
}

// A configuration file in `dir` and the runs of the tsync binary on it.
struct Runner {
  const e2e::ScratchDir& dir;
  std::string db() const { return dir.file("replica.db"); }
  std::string path() const { return dir.file("configuration.json"); }
  void write(const std::string& config) const { std::ofstream(path()) << config; }
  proc::Result sync(bool full = false) const {
    std::vector<std::string> args{TSYNC_BINARY, "sync", "--config", path()};
    if (full) args.push_back("--full");
    return proc::run(args);
  }
};

std::string utc(const tsync::Instant& at) { return tsync::format_utc(at); }
std::string utc(const std::string& text) { return e2e::normalised(text); }

// (owner, repo, number) -> updated_at of every live issue, and id -> updated_at
// of every live comment, as the replica holds them.
struct GithubReplica {
  std::map<std::string, std::string> repos;  // name -> updated_at
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::string> issues;
  std::map<std::int64_t, std::string> comments;
  std::int64_t deleted_issues = 0, deleted_comments = 0;
};

GithubReplica read_github(const std::string& db) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  auto has_marks = [&](const char* table) {
    SQLite::Statement q(d, "SELECT count(*) FROM pragma_table_info(?1) "
                           "WHERE name = '_tsync_deleted_at'");
    q.bind(1, table);
    q.executeStep();
    return q.getColumn(0).getInt() == 1;
  };
  // A run killed early may leave a table without a row yet, or no table.
  auto has_column = [&](const char* table, const char* column) {
    SQLite::Statement q(d, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2");
    q.bind(1, table);
    q.bind(2, column);
    q.executeStep();
    return q.getColumn(0).getInt() == 1;
  };
  GithubReplica r;
  if (!has_column("repos", "name")) return r;
  const std::string live_repos = has_marks("repos") ? " WHERE _tsync_deleted_at IS NULL" : "";
  SQLite::Statement repos(d, "SELECT name, updated_at FROM repos" + live_repos);
  while (repos.executeStep())
    r.repos[repos.getColumn(0).getString()] = utc(repos.getColumn(1).getString());
  if (!has_column("issues", "repos_id")) return r;
  const bool issue_marks = has_marks("issues");
  SQLite::Statement issues(
      d, std::string("SELECT owner, repo, number, updated_at, repos_id, ") +
             (issue_marks ? "_tsync_deleted_at" : "NULL") + " FROM issues");
  while (issues.executeStep()) {
    if (!issues.getColumn(5).isNull()) {
      ++r.deleted_issues;
      continue;
    }
    CHECK_FALSE(issues.getColumn(4).isNull());
    r.issues[{issues.getColumn(0).getString(), issues.getColumn(1).getString(),
              issues.getColumn(2).getInt64()}] = utc(issues.getColumn(3).getString());
  }
  if (!has_column("comments", "issues_owner")) return r;
  const bool comment_marks = has_marks("comments");
  SQLite::Statement comments(
      d, std::string("SELECT id, updated_at, issues_owner, issues_repo, issues_number, ") +
             (comment_marks ? "_tsync_deleted_at" : "NULL") + " FROM comments");
  while (comments.executeStep()) {
    if (!comments.getColumn(5).isNull()) {
      ++r.deleted_comments;
      continue;
    }
    r.comments[comments.getColumn(0).getInt64()] = utc(comments.getColumn(1).getString());
  }
  return r;
}

// The replica's live rows are exactly the organization the mock serves.
void check_github(const std::string& db, const tsync::mock::MockApi& api_const) {
  auto& api = const_cast<tsync::mock::MockApi&>(api_const);
  const GithubReplica r = read_github(db);
  std::map<std::string, std::string> repos;
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::string> issues;
  std::map<std::int64_t, std::string> comments;
  const std::string org = api.github().org();
  for (const auto& repo : api.github().repos()) {
    repos[repo.name] = utc(repo.updated);
    for (const auto& issue : repo.issues) {
      issues[{org, repo.name, issue.number}] = utc(issue.updated);
      for (const auto& comment : issue.comments) comments[comment.id] = utc(comment.updated);
    }
  }
  CHECK(r.repos == repos);
  CHECK(r.issues == issues);
  CHECK(r.comments == comments);
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

tsync::mock::Options small_mock() {
  tsync::mock::Options options;
  options.users = 0;
  return options;
}

}  // namespace

TEST_SUITE("parents") {
  TEST_CASE("docs' GitHub configuration: repositories, issues and comments, exact every night") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GithubOptions github;
    github.repos = 4;
    github.issues_per_repo = 130;  // two pages of issues at per_page 100
    github.comments_per_issue = 2;
    api.serve_github(github);
    const Runner run{dir};
    run.write(e2e::documented_configuration("github", origin_of(api), run.db()));

    auto r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_github(run.db(), api);
    // Every issue is a partition of comments, every repository one of issues.
    CHECK(count(run.db(), "SELECT count(*) FROM _partition WHERE stream = 'issues'") == 4);
    CHECK(count(run.db(), "SELECT count(*) FROM _partition WHERE stream = 'comments'") == 520);

    // Changes at both levels.
    const auto repos = api.github().repos();
    api.github().add_issue(repos[0].name);
    api.github().touch_issue(repos[1].name, 7);
    api.github().add_comment(repos[2].name, 3);
    api.github().add_comment(repos[2].name, 120);
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_github(run.db(), api);

    // A repository removed: its issues and their comments answer 404, read as
    // empty; the run says so and ends well.
    api.github().remove_repo(repos[3].name);
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK((r.err + r.out).find("answered 404 or 410") != std::string::npos);
    CHECK(count(run.db(), "SELECT count(*) FROM _partition WHERE status = 'not_found'") == 131);

    // The weekly full pass marks the repository deleted, and with it its
    // issues and their comments; their partitions are forgotten.
    r = run.sync(true);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_github(run.db(), api);
    const GithubReplica after = read_github(run.db());
    CHECK(after.deleted_issues == 130);
    CHECK(after.deleted_comments == 260);
    CHECK(count(run.db(), "SELECT count(*) FROM _partition WHERE stream = 'issues'") == 3);
    CHECK(count(run.db(), "SELECT count(*) FROM _partition WHERE stream = 'comments'") == 391);
  }

  TEST_CASE("docs' Stripe configuration: lines read only for the invoices that changed") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::StripeOptions stripe;
    stripe.invoices = 150;  // two pages of invoices at limit 100
    stripe.lines = 3;
    api.serve_stripe(stripe);
    const Runner run{dir};
    run.write(e2e::documented_configuration("stripe", origin_of(api), run.db()));
    auto check_stripe = [&] {
      std::map<std::string, std::int64_t> expected;
      for (const auto& invoice : api.stripe().invoices())
        for (const auto& line : invoice.lines) expected[line.id] = line.amount;
      std::map<std::string, std::int64_t> stored;
      SQLite::Database d(run.db(), SQLite::OPEN_READONLY);
      SQLite::Statement q(d, "SELECT l.id, l.amount, l.invoices_id, i.total FROM lines l "
                             "JOIN invoices i ON i.id = l.invoices_id");
      while (q.executeStep()) stored[q.getColumn(0).getString()] = q.getColumn(1).getInt64();
      CHECK(stored == expected);
      CHECK(count(run.db(), "SELECT count(*) FROM invoices") ==
            static_cast<std::int64_t>(api.stripe().invoices().size()));
    };
    auto lines_requested = [&] {
      std::set<std::string> invoices;
      for (const std::string& target : api.target_log())
        if (target.find("/lines") != std::string::npos)
          invoices.insert(target.substr(0, target.find("/lines")));
      return invoices;
    };

    auto r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_stripe();
    CHECK(lines_requested().size() == 150);

    // Nothing changed: the invoices are read, no line at all.
    api.reset_load_counters();
    std::size_t before = api.target_log().size();
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::size_t lines_asked = 0;
    const auto targets = api.target_log();
    for (std::size_t i = before; i < targets.size(); ++i)
      lines_asked += targets[i].find("/lines") != std::string::npos;
    CHECK(lines_asked == 0);

    // Ten invoices changed (a line added to each): their lines, and no other.
    const std::vector<std::string> changed = api.stripe().change(10);
    before = api.target_log().size();
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::set<std::string> asked;
    const auto after = api.target_log();
    for (std::size_t i = before; i < after.size(); ++i)
      if (after[i].find("/lines") != std::string::npos)
        asked.insert(after[i].substr(0, after[i].find("/lines")));
    CHECK(asked.size() == 10);
    for (const std::string& id : changed)
      CHECK(asked.count("/v1/invoices/" + id) == 1);
    check_stripe();
  }

  TEST_CASE("docs' Zendesk configuration: audits read only for the tickets that changed") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::ZendeskOptions zendesk;
    zendesk.tickets = 60;
    zendesk.audits = 3;
    api.serve_zendesk(zendesk);
    const Runner run{dir};
    run.write(e2e::documented_configuration("zendesk", origin_of(api), run.db()));
    auto check_zendesk = [&] {
      std::set<std::int64_t> tickets, audits, stored_tickets, stored_audits;
      for (const auto& ticket : api.zendesk().tickets()) {
        tickets.insert(ticket.id);
        for (const auto& audit : ticket.audits) audits.insert(audit.id);
      }
      SQLite::Database d(run.db(), SQLite::OPEN_READONLY);
      SQLite::Statement t(d, "SELECT id FROM tickets WHERE status <> 'deleted'");
      while (t.executeStep()) stored_tickets.insert(t.getColumn(0).getInt64());
      SQLite::Statement a(d, "SELECT a.id FROM audits a JOIN tickets t ON t.id = a.tickets_id "
                             "WHERE t.status <> 'deleted'");
      while (a.executeStep()) stored_audits.insert(a.getColumn(0).getInt64());
      CHECK(stored_tickets == tickets);
      CHECK(stored_audits == audits);
    };
    auto audits_asked = [&](std::size_t from) {
      std::set<std::string> asked;
      const auto targets = api.target_log();
      for (std::size_t i = from; i < targets.size(); ++i)
        if (targets[i].find("/audits.json") != std::string::npos)
          asked.insert(targets[i].substr(0, targets[i].find("/audits.json")));
      return asked;
    };

    std::size_t before = api.target_log().size();
    auto r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_zendesk();
    CHECK(audits_asked(before).size() == 60);

    // Five tickets change (each gets an audit): only their audits are read.
    const std::vector<std::int64_t> changed = api.zendesk().update(5);
    before = api.target_log().size();
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    check_zendesk();
    const auto asked = audits_asked(before);
    CHECK(asked.size() == 5);
    for (const std::int64_t id : changed)
      CHECK(asked.count("/api/v2/tickets/" + std::to_string(id)) == 1);

    // A deleted ticket comes once more with status "deleted"; its audits answer
    // 404, read as empty.
    api.zendesk().delete_ticket(changed.front());
    r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK((r.out + r.err).find("answered 404 or 410") != std::string::npos);
    check_zendesk();
  }

  TEST_CASE("docs' fixed-list configuration: the issues of two named repositories") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    api.serve_github({});
    const auto repos = api.github().repos();
    REQUIRE(repos.size() == 3);
    // The documentation names acme/api and acme/web.
    api.github().rename_repo(repos[0].name, "api");
    api.github().rename_repo(repos[1].name, "web");
    const Runner run{dir};
    run.write(e2e::documented_configuration("fixed-list", origin_of(api), run.db()));
    auto r = run.sync();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    std::set<std::tuple<std::string, std::string, std::int64_t>> expected, stored;
    for (const auto& repo : api.github().repos())
      if (repo.name == "api" || repo.name == "web")
        for (const auto& issue : repo.issues) expected.insert({"acme", repo.name, issue.number});
    SQLite::Database d(run.db(), SQLite::OPEN_READONLY);
    SQLite::Statement q(d, "SELECT owner, repo, number FROM issues");
    while (q.executeStep())
      stored.insert({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getInt64()});
    CHECK(stored == expected);
    CHECK(stored.size() == 10);
  }

  TEST_CASE("SIGKILL at random moments of a run with partitions in flight, then exact") {
    e2e::Scene scene(small_mock());
    auto& [dir, api] = scene;
    tsync::mock::GithubOptions github;
    github.repos = 3;
    github.issues_per_repo = 40;
    github.comments_per_issue = 3;
    api.serve_github(github);
    const Runner run{dir};
    // The documented configuration with four requests in flight and pages of 10.
    std::string config = e2e::documented_configuration("github", origin_of(api), run.db());
    for (std::size_t at; (at = config.find("\"per_page\": \"100\"")) != std::string::npos;)
      config.replace(at, 17, "\"per_page\": \"10\"");
    config.insert(config.find('{') + 1, "\"max_concurrency\": 4, ");
    run.write(config);
    std::mt19937 random(20261207u);
    int kills = 0;
    for (int round = 0; round < 6; ++round) {
      CAPTURE(round);
      if (round % 2 == 1) {
        const auto repos = api.github().repos();
        api.github().add_issue(repos[static_cast<std::size_t>(round) % repos.size()].name);
        api.github().add_comment(repos[0].name, 1 + round);
      }
      const std::size_t nth = 1 + random() % 60;
      std::atomic<pid_t> pid{0};
      const std::size_t at = api.request_count() + nth;
      api.set_request_hook([&](std::size_t number) {
        if (number == at && pid.load() > 0) ::kill(pid.load(), SIGKILL);
      });
      proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", run.path()});
      pid = child.pid();
      const proc::Result killed = child.wait();
      api.set_request_hook(nullptr);
      CHECK_MESSAGE((killed.exit_code == 0 || killed.exit_code == 128 + SIGKILL), killed.err);
      kills += killed.exit_code == 128 + SIGKILL;
      {
        SQLite::Database d(run.db(), SQLite::OPEN_READWRITE);  // recovers the killed run's log
        REQUIRE(d.execAndGet("PRAGMA integrity_check").getString() == "ok");
      }
      // Every partition's cursor covers only what its rows hold.
      const GithubReplica held = read_github(run.db());
      SQLite::Database d(run.db(), SQLite::OPEN_READONLY);
      SQLite::Statement saved(d, "SELECT partition, last_timestamp FROM _partition "
                                 "WHERE stream = 'issues' AND last_timestamp IS NOT NULL");
      std::map<std::string, std::int64_t> repo_ids;
      for (const auto& repo : api.github().repos()) repo_ids["[" + std::to_string(repo.id) + "]"] = 0;
      while (saved.executeStep()) {
        const auto cursor = tsync::parse_timestamp(saved.getColumn(1).getString());
        REQUIRE(cursor);
        for (const auto& repo : api.github().repos()) {
          if ("[" + std::to_string(repo.id) + "]" != saved.getColumn(0).getString()) continue;
          for (const auto& issue : repo.issues) {
            if (issue.updated > *cursor) continue;
            const auto it = held.issues.find({api.github().org(), repo.name, issue.number});
            REQUIRE_MESSAGE(it != held.issues.end(),
                            "issue " << repo.name << "#" << issue.number
                                     << " is covered by its partition's cursor, not stored");
            CHECK(it->second >= utc(issue.updated));
          }
        }
      }
      const proc::Result r = run.sync();
      REQUIRE_MESSAGE(r.exit_code == 0, r.err);
      check_github(run.db(), api);
    }
    CHECK(kills >= 1);
  }
}
