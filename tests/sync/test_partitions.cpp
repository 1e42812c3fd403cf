// SPDX-License-Identifier: Apache-2.0
// Child streams read once per partition, against a small server of their own
// shape: boards (the parents, one answer, no since) and their cards (the
// children, `since` inclusive, a 404 for a board removed since). The GitHub-
// and Stripe-shaped runs against the mock are in tests/e2e/test_parents.cpp.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "cli/report.hpp"
#include "common/errors.hpp"
#include "config/config.hpp"
#include "support/e2e_support.hpp"
#include "support/local_server.hpp"
#include "support/process.hpp"
#include "sync/sync.hpp"

namespace {

struct Card {
  int id;
  std::string title, updated;
};

// Boards and their cards, served as the tests change them.
struct Boards {
  std::mutex mutex;
  std::map<std::string, std::string> boards;       // name -> updated_at
  std::map<std::string, std::vector<Card>> cards;  // board -> its cards
  std::map<std::string, int> failing;              // board -> the status its cards answer
  std::atomic<int> card_requests{0};
  std::vector<std::string> card_targets;

  void serve(tsync::test::LocalServer& server) {
    server.http.Get("/boards", [this](const httplib::Request&, httplib::Response& res) {
      const std::lock_guard lock(mutex);
      std::string body = "[";
      int id = 0;
      for (const auto& [name, updated] : boards) {
        (void)updated;
        body += (id ? "," : "") + std::string("{\"id\": ") + std::to_string(board_id(name)) +
                ", \"name\": \"" + name + "\", \"owner\": {\"login\": \"acme\"}, " +
                "\"updated_at\": \"" + boards[name] + "\"}";
        ++id;
      }
      res.set_content(body + "]", "application/json");
    });
    server.http.Get(R"(/acme/([^/]+)/cards)", [this](const httplib::Request& req,
                                                      httplib::Response& res) {
      ++card_requests;
      const std::lock_guard lock(mutex);
      card_targets.push_back(req.target);
      const std::string board = req.matches[1];
      if (const auto f = failing.find(board); f != failing.end()) {
        res.status = f->second;
        res.set_content(R"({"message": "Not Found"})", "application/json");
        return;
      }
      const auto it = cards.find(board);
      if (it == cards.end() || !boards.count(board)) {
        res.status = 404;
        res.set_content(R"({"message": "Not Found"})", "application/json");
        return;
      }
      const std::string since = req.get_param_value("since");
      std::string body = "[";
      bool first = true;
      for (const Card& c : it->second) {
        if (!since.empty() && c.updated < since) continue;  // since is inclusive
        body += (first ? "" : ",") + std::string("{\"id\": ") + std::to_string(c.id) +
                ", \"title\": \"" + c.title + "\", \"updated_at\": \"" + c.updated + "\"}";
        first = false;
      }
      res.set_content(body + "]", "application/json");
    });
  }
  // The boards whose cards were asked for since the last call.
  std::set<std::string> asked() {
    const std::lock_guard lock(mutex);
    std::set<std::string> names;
    for (const std::string& t : card_targets) names.insert(t.substr(6, t.find('/', 6) - 6));
    card_targets.clear();
    return names;
  }
  static int board_id(const std::string& name) {
    return name == "api" ? 10 : name == "ops" ? 20 : name == "web" ? 30 : 40;
  }
};

std::string config_text(const e2e::ScratchDir& dir, const tsync::test::LocalServer& server,
                        const std::string& child_extra = "", int concurrency = 1) {
  return R"({"database": ")" + dir.file("replica.db") +
         R"(", "timeout_seconds": 2, "retry_base_seconds": 0.01, "max_retries": 0,
      "max_concurrency": )" +
         std::to_string(concurrency) + R"(,
      "streams": [
        {"name": "boards", "url": ")" +
         server.url("/boards") + R"(", "records_path": "", "since_param": null,
         "cursor_field": "updated_at"},
        {"name": "cards", "url": ")" +
         server.url("/{boards.owner.login}/{boards.name}/cards") + R"(",
         "records_path": "", "cursor_field": "updated_at", "parent": "boards",
         "include_parent": {"board": "name"},
         "primary_key": ["board", "id"])" +
         child_extra + "}]}";
}

std::int64_t count(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

std::string text(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getString();
}

std::vector<tsync::SyncReport> sync(const std::string& config_json,
                                    const std::vector<std::string>& streams = {},
                                    bool full = false) {
  const tsync::Config config = tsync::parse_config(config_json, "test configuration");
  e2e::RecordingObserver observer;
  return tsync::run_streams(config, streams, observer, full);
}

void seed(Boards& b) {
  b.boards = {{"api", "2024-01-01T00:00:00Z"},
              {"web", "2024-01-02T00:00:00Z"},
              {"ops", "2024-01-03T00:00:00Z"}};
  // Card ids repeat across boards: the key is (board, id).
  b.cards["api"] = {{1, "a1", "2024-02-01T00:00:00Z"}, {2, "a2", "2024-02-02T00:00:00Z"}};
  b.cards["web"] = {{1, "w1", "2024-02-01T00:00:00Z"}};
  b.cards["ops"] = {{1, "o1", "2024-02-03T00:00:00Z"},
                    {2, "o2", "2024-02-03T00:00:00Z"},
                    {3, "o3", "2024-02-04T00:00:00Z"}};
}

// A scratch dir, the seeded boards, and the server serving them, started.
struct BoardsScene {
  BoardsScene() {
    seed(b);
    b.serve(server);
    server.start();
  }
  e2e::ScratchDir dir;
  tsync::test::LocalServer server;
  Boards b;
  const std::string db = dir.file("replica.db");
};

}  // namespace

TEST_SUITE("partitions") {
  TEST_CASE("a child stream is read once per parent row, with its own cursor per partition") {
    for (const int concurrency : {1, 4}) {
      CAPTURE(concurrency);
      BoardsScene scene;
      auto& [dir, server, b, db] = scene;
      const std::string cfg = config_text(dir, server, "", concurrency);

      auto reports = sync(cfg);
      REQUIRE(reports.size() == 2);
      CHECK(reports[0].stream == "boards");
      CHECK(reports[1].stream == "cards");
      CHECK(reports[1].status == "ok");
      CHECK(count(db, "SELECT count(*) FROM cards") == 6);
      // The parent's key and the included field are columns of every row.
      CHECK(count(db, "SELECT count(*) FROM cards WHERE boards_id IS NULL OR board IS NULL") == 0);
      CHECK(text(db, "SELECT title FROM cards WHERE board = 'ops' AND id = 3") == "o3");
      CHECK(count(db, "SELECT count(*) FROM _partition WHERE stream = 'cards'") == 3);
      // Boards by name: api [10], ops [20], web [30].
      CHECK(text(db, "SELECT last_timestamp FROM _partition WHERE partition = '[20]'") ==
            "2024-02-04T00:00:00Z");
      CHECK(text(db, "SELECT last_timestamp FROM _partition WHERE partition = '[10]'") ==
            "2024-02-02T00:00:00Z");
      CHECK(count(db, "SELECT count(*) FROM _partition WHERE status <> 'ok'") == 0);
      CHECK(b.asked() == std::set<std::string>{"api", "ops", "web"});
      {
        // tsync status: the child's partitions, its oldest partition cursor.
        const auto replica = tsync::Replica::open_existing(db);
        const auto streams = replica->status();
        REQUIRE(streams.size() == 2);
        CHECK_FALSE(streams[0].partitions);
        REQUIRE(streams[1].partitions);
        CHECK(streams[1].partitions->partitions == 3);
        CHECK(streams[1].partitions->oldest_cursor == "2024-02-01T00:00:00Z");
        const std::string shown = tsync::status_text(db, streams, {}, std::nullopt);
        CHECK(shown.find("    3 partitions, oldest cursor 2024-02-01T00:00:00Z, 0 failed and 0 "
                         "not found when last read\n") != std::string::npos);
      }

      // Nightly: each partition asks from its own cursor.
      {
        const std::lock_guard lock(b.mutex);
        b.cards["web"].push_back({2, "w2", "2024-03-01T00:00:00Z"});
        b.card_targets.clear();
      }
      reports = sync(cfg);
      REQUIRE(reports.at(1).status == "ok");
      CHECK(count(db, "SELECT count(*) FROM cards") == 7);
      std::vector<std::string> targets;
      {
        const std::lock_guard lock(b.mutex);
        targets = b.card_targets;
      }
      // The first request of each partition asks from that partition's cursor.
      for (const char* first : {"/acme/api/cards?since=2024-02-02T00%3A00%3A00Z",
                                "/acme/ops/cards?since=2024-02-04T00%3A00%3A00Z",
                                "/acme/web/cards?since=2024-02-01T00%3A00%3A00Z"})
        CHECK(std::find(targets.begin(), targets.end(), first) != targets.end());
      CHECK(text(db, "SELECT last_timestamp FROM _partition WHERE partition = '[30]'") ==
            "2024-03-01T00:00:00Z");
    }
  }

  TEST_CASE("parents changed reads only the partitions whose parent row changed") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    const std::string cfg = config_text(dir, server, R"(, "parents": "changed")");
    REQUIRE(sync(cfg).at(1).status == "ok");
    CHECK(b.asked() == std::set<std::string>{"api", "ops", "web"});

    // Nothing changed: no child request at all.
    REQUIRE(sync(cfg).at(1).status == "ok");
    CHECK(b.asked().empty());

    // One board changed (its row differs): only its cards are asked for.
    {
      const std::lock_guard lock(b.mutex);
      b.boards["web"] = "2024-04-01T00:00:00Z";
      b.cards["web"].push_back({5, "w5", "2024-04-01T00:00:00Z"});
      b.card_targets.clear();
    }
    REQUIRE(sync(cfg).at(1).status == "ok");
    CHECK(b.asked() == std::set<std::string>{"web"});
    CHECK(count(db, "SELECT count(*) FROM cards WHERE board = 'web'") == 2);

    // --full reads every partition whole.
    REQUIRE(sync(cfg, {}, true).at(1).status == "ok");
    CHECK(b.asked() == std::set<std::string>{"api", "ops", "web"});

    // tsync reset --stream cards forgets the partition cursors: every partition
    // is read from the start again.
    const auto r = proc::run({TSYNC_BINARY, "reset", "--db", db, "--stream", "cards"});
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.out.find("cards: the cursors of 3 partitions forgotten") != std::string::npos);
    CHECK(count(db, "SELECT count(*) FROM _partition") == 0);
    REQUIRE(sync(cfg).at(1).status == "ok");
    {
      const std::lock_guard lock(b.mutex);
      for (const char* first : {"/acme/api/cards?since=0001-01-01T00%3A00%3A00Z",
                                "/acme/web/cards?since=0001-01-01T00%3A00%3A00Z"})
        CHECK(std::find(b.card_targets.begin(), b.card_targets.end(), first) !=
              b.card_targets.end());
    }
  }

  TEST_CASE("a child answered 404 is an empty partition, and not_found error makes it fail") {
    e2e::ScratchDir dir;
    tsync::test::LocalServer server;
    Boards b;
    seed(b);
    b.failing["web"] = 404;
    b.serve(server);
    server.start();
    const std::string db = dir.file("replica.db");
    auto reports = sync(config_text(dir, server));
    REQUIRE(reports.at(1).status == "ok");
    CHECK(reports[1].warning.find("1 partition was answered 404 or 410 (boards.owner.login=acme, boards.name=web)") !=
          std::string::npos);
    CHECK(count(db, "SELECT count(*) FROM cards") == 5);
    CHECK(text(db, "SELECT status FROM _partition WHERE partition = '[30]'") == "not_found");

    reports = sync(config_text(dir, server, R"(, "not_found": "error")"));
    REQUIRE(reports.at(1).status == "error");
    CHECK(reports[1].exit_code == 1);
    CHECK(reports[1].error.find("1 of 3 partitions failed (boards.owner.login=acme, boards.name=web: GET ") != std::string::npos);
    CHECK(text(db, "SELECT status FROM _partition WHERE partition = '[30]'") == "error");
  }

  TEST_CASE("a partition that fails leaves its cursor, and the others complete") {
    for (const int concurrency : {1, 3}) {
      CAPTURE(concurrency);
      BoardsScene scene;
      auto& [dir, server, b, db] = scene;
      const std::string cfg = config_text(dir, server, "", concurrency);
      REQUIRE(sync(cfg).at(1).status == "ok");
      {
        const std::lock_guard lock(b.mutex);
        b.failing["api"] = 400;
        for (auto& [board, cards] : b.cards) cards.push_back({9, "new", "2024-05-01T00:00:00Z"});
      }
      const auto reports = sync(cfg);
      REQUIRE(reports.at(1).status == "error");
      CHECK(reports[1].error.find("1 of 3 partitions failed (boards.owner.login=acme, boards.name=api: GET ") !=
            std::string::npos);
      CHECK(text(db, "SELECT last_timestamp FROM _partition WHERE partition = '[10]'") ==
            "2024-02-02T00:00:00Z");
      CHECK(text(db, "SELECT last_timestamp FROM _partition WHERE partition = '[20]'") ==
            "2024-05-01T00:00:00Z");
      CHECK(count(db, "SELECT count(*) FROM cards WHERE id = 9") == 2);
      CHECK(text(db, "SELECT status FROM _partition WHERE partition = '[10]'") == "error");
    }
  }

  TEST_CASE("a parent row deleted takes its partition and its children with it") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    const std::string cfg = config_text(dir, server);
    REQUIRE(sync(cfg).at(1).status == "ok");
    {
      const std::lock_guard lock(b.mutex);
      b.boards.erase("ops");
    }
    // A full pass of the parent marks the board deleted; the child's run then
    // marks its cards deleted and forgets the partition.
    const auto reports = sync(cfg, {}, true);
    REQUIRE(reports.at(0).status == "ok");
    REQUIRE(reports.at(1).status == "ok");
    CHECK(count(db, "SELECT count(*) FROM boards WHERE _tsync_deleted_at IS NOT NULL") == 1);
    CHECK(count(db, "SELECT count(*) FROM cards WHERE board = 'ops' AND "
                    "_tsync_deleted_at IS NOT NULL") == 3);
    CHECK(count(db, "SELECT count(*) FROM cards WHERE _tsync_deleted_at IS NULL") == 3);
    CHECK(count(db, "SELECT count(*) FROM _partition WHERE stream = 'cards'") == 2);
  }

  TEST_CASE("a full pass guards each partition, and deletes a gone parent's rows whole") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    REQUIRE(sync(config_text(dir, server)).at(1).status == "ok");
    // The api board answers no card at all: 2 of its 2 rows (a third of the
    // table's) would go.
    {
      const std::lock_guard lock(b.mutex);
      b.cards["api"].clear();
    }
    auto reports = sync(config_text(dir, server), {}, true);
    REQUIRE(reports.at(1).status == "error");
    CHECK(reports[1].error.find("would delete 2 of the 2 live rows of partition [10] of cards") !=
          std::string::npos);
    CHECK(count(db, "SELECT count(*) FROM pragma_table_info('cards') "
                    "WHERE name = '_tsync_deleted_at'") == 0);  // nothing was marked
    reports = sync(config_text(dir, server, R"(, "max_delete_fraction": 1)"), {}, true);
    REQUIRE(reports.at(1).status == "ok");
    CHECK(count(db, "SELECT count(*) FROM cards WHERE _tsync_deleted_at IS NOT NULL") == 2);

    // A board answered 404 (removed, not yet seen so by its parent stream): all
    // of its rows go in a full pass, more than max_delete_fraction of the table.
    {
      const std::lock_guard lock(b.mutex);
      b.failing["ops"] = 404;
      b.boards.erase("web");
      b.cards.erase("web");
      b.cards["api"] = {{7, "a7", "2024-06-01T00:00:00Z"}};
    }
    reports = sync(config_text(dir, server), {"cards"}, true);
    REQUIRE_MESSAGE(reports.at(0).status == "ok", reports[0].error);
    CHECK(count(db, "SELECT count(*) FROM cards WHERE _tsync_deleted_at IS NULL") == 1);
    CHECK(count(db, "SELECT count(*) FROM cards WHERE board = 'api' AND id = 7 AND "
                    "_tsync_deleted_at IS NULL") == 1);
  }

  TEST_CASE("--stream child alone reads the parents already in the replica") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    const std::string cfg = config_text(dir, server);
    // No parent synced yet: no partitions, nothing read, no error.
    auto reports = sync(cfg, {"cards"});
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].status == "ok");
    CHECK(b.asked().empty());
    REQUIRE(sync(cfg, {"boards"}).at(0).status == "ok");
    {
      // The run says where its partitions come from.
      struct Notes : e2e::RecordingObserver {
        void on_note(const std::string& text) override { notes.push_back(text); }
        std::vector<std::string> notes;
      } notes;
      const tsync::Config config = tsync::parse_config(cfg, "test configuration");
      REQUIRE(tsync::run_streams(config, {"cards"}, notes).at(0).status == "ok");
      REQUIRE(notes.notes.size() == 1);
      CHECK(notes.notes[0] ==
            "cards: its partitions are the rows of boards already in the replica (boards is "
            "not synced in this run)");
      b.asked();
    }
    reports = sync(cfg, {"cards"});
    CHECK(reports.at(0).status == "ok");
    CHECK(b.asked() == std::set<std::string>{"api", "ops", "web"});
    CHECK(count(db, "SELECT count(*) FROM cards") == 6);
  }

  TEST_CASE("a parent row without a placeholder's value fails its partition, naming it") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    std::string cfg = config_text(dir, server);
    // The boards' "owner" has no "name": the placeholder {boards.owner.name} is NULL.
    cfg.replace(cfg.find("{boards.owner.login}"), 20, "{boards.owner.name}");
    const auto reports = sync(cfg);
    REQUIRE(reports.at(1).status == "error");
    CHECK(reports[1].error.find("3 of 3 partitions failed") != std::string::npos);
    CHECK(reports[1].error.find("has no value for the placeholder {boards.owner.name}") !=
          std::string::npos);
    CHECK(b.asked().empty());
  }

  TEST_CASE("a fixed list of partitions fills the placeholders and the columns") {
    BoardsScene scene;
    auto& [dir, server, b, db] = scene;
    const std::string cfg = R"({"database": ")" + db + R"(", "max_retries": 0,
        "streams": [{"name": "cards", "url": ")" +
                            server.url("/acme/{board}/cards") + R"(", "records_path": "",
          "cursor_field": "updated_at", "partitions": [{"board": "api"}, {"board": "ops"}],
          "primary_key": ["board", "id"]}]})";
    REQUIRE(sync(cfg).at(0).status == "ok");
    CHECK(count(db, "SELECT count(*) FROM cards") == 5);
    CHECK(count(db, "SELECT count(*) FROM cards WHERE board = 'ops'") == 3);
    CHECK(count(db, "SELECT count(*) FROM _partition WHERE partition = '[\"ops\"]'") == 1);
  }

  TEST_CASE("configuration errors name the stream and what is wrong") {
    const std::string head = R"({"streams": [{"name": "repos", "url": "http://127.0.0.1:1/r"},)";
    auto error_of = [&](const std::string& child) {
      try {
        tsync::parse_config(head + child + "]}", "cfg");
      } catch (const tsync::ConfigError& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{repos.name}/i",
                       "parent": "repo"})")
              .find("stream \"issues\": parent: no stream \"repo\"") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{repo.name}/i",
                       "parent": "repos"})")
              .find("the placeholder {repo.name} names no stream") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{repos.name}/i",
                       "parents": "changed"})")
              .find("parents: says which parents") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{name}/i"})")
              .find("url: has the placeholder {name}") != std::string::npos);
    CHECK(error_of(R"({"name": "a", "url": "http://127.0.0.1:1/a", "parent": "b"},
                      {"name": "b", "url": "http://127.0.0.1:1/b", "parent": "a"})")
              .find("the parents make a cycle") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{repos}/i",
                       "parent": "repos"})")
              .find("the placeholder {repos} names no field") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/{x}/i",
                       "partitions": [{"repo": "a"}]})")
              .find("the placeholder {x} names no value of the partitions") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://{repos.host}/i", "parent": "repos"})")
              .find("placeholders may stand in the path only") != std::string::npos);
    CHECK(error_of(R"({"name": "issues", "url": "http://127.0.0.1:1/i", "parent": "issues"})")
              .find("a stream cannot be its own parent") != std::string::npos);
  }
}
