// SPDX-License-Identifier: Apache-2.0
// End to end: first contact with an API. `tsync init URL` asks the mock once and
// prints a configuration; that configuration, given a database, syncs with the
// tsync binary to a replica equal to the mock's truth, for every paging style of
// the users, the playground's and json-server's shapes, and the GitHub, Stripe
// and Zendesk shaped resources; signing in takes its secrets from the
// environment and never prints them. `tsync check` names each misconfiguration
// with its key and leaves the replica alone. `init --write` adds the stream to a
// configuration file, short form or long, and refuses a name already taken.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "support/e2e_support.hpp"
#include "support/process.hpp"

using tsync::mock::PagingStyle;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void put(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string origin_of(const tsync::mock::MockApi& api) {
  const std::string url = api.base_url();
  return url.substr(0, url.find('/', 8));
}

// A run of the tsync binary, its output shown when a check on it fails.
proc::Result tsync_run(std::vector<std::string> args, const std::vector<std::string>& env = {},
                       const std::string& cwd = "") {
  args.insert(args.begin(), TSYNC_BINARY);
  return proc::run(args, env, cwd);
}

#define SHOW(r) INFO("exit " << (r).exit_code << "\nstdout: " << (r).out << "\nstderr: " << (r).err)

// The configuration `init` printed, parsed; fails the test when it is not JSON.
rapidjson::Document parsed(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON: " << json);
  REQUIRE(doc.IsObject());
  return doc;
}

// The only stream of a configuration init printed.
const rapidjson::Value& only_stream(const rapidjson::Document& doc) {
  REQUIRE(doc.HasMember("streams"));
  REQUIRE(doc["streams"].IsArray());
  REQUIRE(doc["streams"].Size() == 1);
  return doc["streams"][0];
}

// A member's text: the string, "null" for null, "<absent>" when missing.
std::string member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name)) return "<absent>";
  const rapidjson::Value& v = object[name];
  if (v.IsNull()) return "null";
  if (v.IsString()) return v.GetString();
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  v.Accept(writer);
  return buffer.GetString();
}

// `init_stdout` with "database": `db` added, written to `path`.
void write_with_database(const std::string& init_stdout, const std::string& db,
                         const std::string& path) {
  rapidjson::Document doc = parsed(init_stdout);
  REQUIRE_FALSE(doc.HasMember("database"));
  doc.AddMember("database", rapidjson::Value(db.c_str(), doc.GetAllocator()), doc.GetAllocator());
  doc.AddMember("timeout_seconds", 10, doc.GetAllocator());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  put(path, buffer.GetString());
}

// A scratch dir's configuration file and replica, and the commands on them.
struct Files {
  const e2e::ScratchDir& dir;
  std::string config() const { return dir.file("configuration.json"); }
  std::string db() const { return dir.file("replica.db"); }
  // Runs init with `args`, and (when it exits 0) writes what it printed with
  // the database added as the configuration.
  proc::Result init(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) const {
    std::vector<std::string> all{"init"};
    all.insert(all.end(), args.begin(), args.end());
    proc::Result r = tsync_run(all, env);
    if (r.exit_code == 0) write_with_database(r.out, db(), config());
    return r;
  }
  proc::Result sync(const std::vector<std::string>& env = {}) const {
    return tsync_run({"sync", "--config", config()}, env);
  }
  proc::Result check(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> all{"check", "-c", config()};
    all.insert(all.end(), more.begin(), more.end());
    return tsync_run(all);
  }
};

// The mock's users, field by field, in the table `table` of a stream that init
// proposed (the e2e helpers read table "user", whose columns are declared): the
// cursor stored as a UTC instant, the other fields as the API sent them.
void check_users_table(const std::string& db, const std::string& table,
                       tsync::mock::MockApi& api) {
  const auto line = [](const std::vector<std::string>& fields) {
    std::string text;
    for (const std::string& f : fields) text += f + " | ";
    return text;
  };
  std::map<std::string, std::string> expected, stored;
  for (const auto& u : api.store().snapshot())
    expected[u.id] = line({u.name, u.email, u.address, u.company, u.job,
                           e2e::normalised(u.updatedAt), u.createdAt});
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(d, "SELECT id, name, email, address, company, job, updatedAt, createdAt "
                         "FROM " + e2e::quoted(table));
  while (q.executeStep()) {
    std::vector<std::string> fields;
    for (int i = 1; i < 8; ++i) fields.push_back(q.getColumn(i).getString());
    stored[q.getColumn(0).getString()] = line(fields);
  }
  CHECK(stored.size() == expected.size());
  std::size_t differ = 0;
  std::string first;
  for (const auto& [id, text] : expected) {
    const auto it = stored.find(id);
    const std::string got = it == stored.end() ? "<missing>" : it->second;
    if (got == text) continue;
    if (differ++ == 0) first = id + ": expected " + text + " stored " + got;
  }
  CHECK_MESSAGE(differ == 0, differ << " users differ, the first " << first);
}

std::int64_t rows_of(const std::string& db, const std::string& table) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet("SELECT count(*) FROM " + e2e::quoted(table)).getInt64();
}

tsync::mock::Options users(std::size_t count, PagingStyle paging = PagingStyle::None) {
  tsync::mock::Options options;
  options.users = count;
  options.paging = paging;
  return options;
}

// A configuration of one stream "users" at `url`, its records path, key and
// cursor field as given; `extra` is added inside the stream's object
// (", \"pagination\": ...").
std::string users_config(const std::string& db, const std::string& url,
                         const std::string& extra = "",
                         const std::string& records_path = "data",
                         const std::string& key = "id",
                         const std::string& cursor = "updatedAt") {
  return R"({"database": ")" + db + R"(", "timeout_seconds": 10, "max_retries": 1, )" +
         R"("retry_base_seconds": 0.01, "streams": [{"name": "users", "url": ")" + url +
         R"(", "records_path": ")" + records_path + R"(", "primary_key": ")" + key +
         R"(", "cursor_field": ")" + cursor + R"(", "since_param": "since")" + extra + "}]}";
}

// The `problem:` lines of check's text.
std::vector<std::string> problems(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (contains(line, "problem: ")) lines.push_back(line);
  return lines;
}

// Exit 1 and a problem line holding every one of `parts`.
void check_names_problem(const proc::Result& r, const std::vector<std::string>& parts) {
  SHOW(r);
  CHECK(r.exit_code == 1);
  bool found = false;
  for (const std::string& line : problems(r.out)) {
    bool all = true;
    for (const std::string& part : parts) all = all && contains(line, part);
    found = found || all;
  }
  CHECK_MESSAGE(found, "no problem line names all of the expected words");
}

}  // namespace

TEST_SUITE("first contact") {
  TEST_CASE("init on the users of every paging style syncs to an exact replica, again after changes") {
    const std::vector<PagingStyle> styles{
        PagingStyle::None,   PagingStyle::LinkHeader, PagingStyle::NextUrl,
        PagingStyle::Token,  PagingStyle::LastRecord, PagingStyle::Offset,
        PagingStyle::PageNumber, PagingStyle::Keyset};
    for (const PagingStyle style : styles) {
      const std::string name(tsync::mock::paging_style_name(style));
      INFO("paging " << name);
      e2e::Scene scene(users(237, style));
      auto& [dir, api] = scene;
      const Files files{dir};
      proc::Result r =
          files.init({api.base_url() + "?since=2024-01-01T00:00:00Z", "--name", "users"});
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      const rapidjson::Document doc = parsed(r.out);
      CHECK(member(only_stream(doc), "name") == "users");
      CHECK(member(only_stream(doc), "since_param") == "since");
      CHECK(member(only_stream(doc), "url") == api.base_url());
      r = files.sync();
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      check_users_table(files.db(), "users", api);

      api.store().mutate(40, 25);
      r = files.sync();
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      check_users_table(files.db(), "users", api);
    }
  }

  TEST_CASE("init on the playground's paged endpoints with updated_since syncs to their records") {
    // The playground pages: updated_since at or after, 50 a page at most, and
    // 400 for a parameter it does not know (its order_by taken as required).
    const std::vector<std::string> specs{
        "path=/pagination/next_page_url,paging=next_url,max_page_size=50",
        "path=/pagination/offset,paging=offset,max_page_size=50",
        "path=/pagination/page_number,paging=page_number,max_page_size=50",
        "path=/pagination/keyset,paging=keyset,page_size=50"};
    for (const std::string& shape : specs) {
      for (const bool strict : {false, true}) {
        const std::string spec = shape +
                                 ",records=173,since_param=updated_since,since_mode=inclusive" +
                                 (strict ? ",strict=true,require=order_by:updatedAt" : "");
        INFO("endpoint " << spec);
        e2e::Scene scene(users(0));
        auto& [dir, api] = scene;
        const Files files{dir};
        const tsync::mock::EndpointSpec parsed_spec = tsync::mock::parse_endpoint_spec(spec);
        const std::string url = api.add_endpoint(parsed_spec);
        std::string query = "?updated_since=2024-01-01T00:00:00Z";
        if (strict) query += "&order_by=updatedAt";
        proc::Result r = files.init({url + query, "--name", "records"});
        {
          SHOW(r);
          REQUIRE(r.exit_code == 0);
        }
        CHECK(member(only_stream(parsed(r.out)), "since_param") == "updated_since");
        r = files.sync();
        {
          SHOW(r);
          REQUIRE(r.exit_code == 0);
        }
        tsync::mock::RecordStore& truth = api.records(parsed_spec.path);
        e2e::check_table_equals(files.db(), "records", truth);
        truth.mutate(30, 20);
        r = files.sync();
        {
          SHOW(r);
          REQUIRE(r.exit_code == 0);
        }
        e2e::check_table_equals(files.db(), "records", truth);
      }
    }
  }

  TEST_CASE("init on a json-server 0.17 endpoint syncs exactly with and without --since-param") {
    for (const bool named : {true, false}) {
      INFO("--since-param given: " << named);
      e2e::Scene scene(users(0));
      auto& [dir, api] = scene;
      const Files files{dir};
      const std::string url = api.add_endpoint(tsync::mock::parse_endpoint_spec(
          "path=/users,records=250,key=integer,records_path=,since_param=updatedAt_gte,"
          "since_mode=inclusive,paging=json_server"));
      std::vector<std::string> args{url + "?_page=1&_limit=100&_sort=updatedAt,id&_order=asc,asc"};
      if (named) args.insert(args.end(), {"--since-param", "updatedAt_gte"});
      proc::Result r = files.init(args);
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      const rapidjson::Document doc = parsed(r.out);
      const rapidjson::Value& stream = only_stream(doc);
      CHECK(member(stream, "name") == "users");
      CHECK(member(stream, "records_path") == "");
      CHECK(member(stream, "since_param") == (named ? "updatedAt_gte" : "null"));
      REQUIRE(stream.HasMember("pagination"));
      CHECK(member(stream["pagination"], "type") == "link_header");
      tsync::mock::RecordStore& truth = api.records("/users");
      r = files.sync();
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      e2e::check_table_equals(files.db(), "users", truth);
      truth.mutate(20, 5);
      r = files.sync();
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      e2e::check_table_equals(files.db(), "users", truth);
    }
  }

  TEST_CASE("init on GitHub, Stripe and Zendesk shaped parents proposes what the documentation configures") {
    e2e::Scene scene(users(0));
    auto& [dir, api] = scene;
    tsync::mock::GithubOptions github;
    github.repos = 7;
    api.serve_github(github);
    tsync::mock::StripeOptions stripe;
    stripe.invoices = 150;
    api.serve_stripe(stripe);
    tsync::mock::ZendeskOptions zendesk;
    zendesk.tickets = 60;
    api.serve_zendesk(zendesk);
    const std::string origin = origin_of(api);

    struct Case {
      std::string doc, url, table;
      std::int64_t rows;
    };
    const std::vector<Case> cases{
        // per_page 3 so that the seven repositories need a Link header.
        {"github", origin + "/orgs/acme/repos?type=all&per_page=3", "repos",
         static_cast<std::int64_t>(api.github().repos().size())},
        {"stripe", origin + "/v1/invoices?limit=100", "invoices",
         static_cast<std::int64_t>(api.stripe().invoices().size())},
        {"zendesk", origin + "/api/v2/incremental/tickets/cursor.json?start_time=1000000000",
         "tickets", static_cast<std::int64_t>(api.zendesk().tickets().size())}};
    for (const Case& c : cases) {
      INFO(c.doc << ": " << c.url);
      const e2e::ScratchDir own;
      const Files files{own};
      proc::Result r = files.init({c.url});
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      const rapidjson::Document proposed = parsed(r.out);
      const rapidjson::Value& got = only_stream(proposed);
      const rapidjson::Document documented =
          parsed(e2e::documented_configuration(c.doc, origin, files.db()));
      const rapidjson::Value& want = documented["streams"][0];
      CHECK(member(got, "name") == member(want, "name"));
      CHECK(member(got, "url") == member(want, "url"));
      CHECK(member(got, "records_path") == member(want, "records_path"));
      CHECK(member(got, "cursor_field") == member(want, "cursor_field"));
      const std::string format = member(got, "cursor_format");
      CHECK((format == member(want, "cursor_format") ||
             (format == "iso8601" && member(want, "cursor_format") == "<absent>")));
      if (c.doc == "zendesk") {
        // The cursor export is proposed as the change feed it is
        // (docs/change-feeds.md), not as a token paging along start_time.
        REQUIRE(got.HasMember("change_feed"));
        CHECK(member(got["change_feed"], "type") == "cursor_export");
        CHECK(member(got["change_feed"]["deleted_when"], "status") == "deleted");
        CHECK_FALSE(got.HasMember("pagination"));
        CHECK_FALSE(got.HasMember("since_param"));
        CHECK(member(got, "start_timestamp") == "2001-09-09T01:46:40Z");
        r = files.sync();
        {
          SHOW(r);
          REQUIRE(r.exit_code == 0);
        }
        CHECK(rows_of(files.db(), c.table) == c.rows);
        continue;
      }
      CHECK(member(got, "since_param") == member(want, "since_param"));
      REQUIRE(got.HasMember("pagination"));
      CHECK(member(got["pagination"], "type") == member(want["pagination"], "type"));
      CHECK(member(got["pagination"], "param") == member(want["pagination"], "param"));
      CHECK(member(got["pagination"], "path") == member(want["pagination"], "path"));
      r = files.sync();
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      CHECK(rows_of(files.db(), c.table) == c.rows);
    }
  }

  TEST_CASE("init signs in with Basic credentials from the environment and never prints them") {
    tsync::mock::Options options = users(237);
    options.auth.kind = tsync::mock::AuthRequirement::Kind::Basic;
    options.auth.username = "first-contact@example.com";
    options.auth.password = "pw-9f3c1e77aa";
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const Files files{dir};
    const std::string url = api.base_url() + "?since=2024-01-01T00:00:00Z";
    const std::vector<std::string> env{"TSYNC_FC_USER=" + options.auth.username,
                                       "TSYNC_FC_PASSWORD=" + options.auth.password};

    proc::Result r = files.init({url, "--name", "users"}, env);
    {
      SHOW(r);
      CHECK(r.exit_code == 1);
      CHECK(contains(r.out + r.err, "HTTP 401"));
    }

    r = files.init({url, "--name", "users", "--auth-env", "basic:TSYNC_FC_USER:TSYNC_FC_PASSWORD"},
                   env);
    {
      SHOW(r);
      REQUIRE(r.exit_code == 0);
      CHECK(contains(r.out, "password_env"));
      CHECK(contains(r.out, "TSYNC_FC_PASSWORD"));
      CHECK_FALSE(contains(r.out, options.auth.password));
      CHECK_FALSE(contains(r.err, options.auth.password));
    }
    r = files.sync(env);
    {
      SHOW(r);
      REQUIRE(r.exit_code == 0);
      CHECK_FALSE(contains(r.out + r.err, options.auth.password));
    }
    check_users_table(files.db(), "users", api);

    // A secret written in a header on the command line is refused.
    r = files.init({url, "--name", "users", "--header", "X-Api-Key: literal-secret"}, env);
    {
      SHOW(r);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err, "$VAR"));
    }
    // So is one written into the URL's query, before any request.
    const std::size_t before = api.request_count();
    r = files.init({url + "&api_key=literal-secret-2", "--name", "users"}, env);
    {
      SHOW(r);
      CHECK(r.exit_code == 2);
      CHECK(contains(r.err, "--auth-env api_key:query:api_key:"));
      CHECK_FALSE(contains(r.err + r.out, "literal-secret-2"));
      CHECK(api.request_count() == before);
    }
  }

  TEST_CASE("check names a missing pagination on a paged API") {
    e2e::Scene scene(users(237, PagingStyle::LinkHeader));
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(), users_config(files.db(), api.base_url()));
    check_names_problem(files.check(), {"pagination"});
  }

  TEST_CASE("check names a capped answer read without pagination") {
    tsync::mock::Options options = users(1000);
    options.page_size = 100;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(), users_config(files.db(), api.base_url()));
    check_names_problem(files.check(), {"capped"});
  }

  TEST_CASE("check names a records_path that is not an array") {
    e2e::Scene scene(users(237, PagingStyle::Token));
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(),
        users_config(files.db(), api.base_url(),
                     R"(, "pagination": {"type": "token", "path": "paging.next.after", "param": "after"})",
                     "paging"));
    check_names_problem(files.check(), {"records_path", "not an array"});
  }

  TEST_CASE("check names a cursor_field missing in the records") {
    e2e::Scene scene(users(237, PagingStyle::LinkHeader));
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(), users_config(files.db(), api.base_url(),
                                     R"(, "pagination": {"type": "link_header"})", "data", "id",
                                     "modified_at"));
    check_names_problem(files.check(), {"cursor_field", "modified_at"});
  }

  TEST_CASE("check names a primary_key that is not unique within a page") {
    e2e::Scene scene(users(237, PagingStyle::LinkHeader));
    auto& [dir, api] = scene;
    const Files files{dir};
    // The first page of the seed's users repeats jobs (it holds two "Technical
    // Writer"s): made sure of here, so that the test says what it tests.
    const auto truth = api.store().snapshot();
    std::map<std::string, int> jobs;
    bool repeated = false;
    for (std::size_t i = 0; i < 30 && i < truth.size(); ++i) repeated |= ++jobs[truth[i].job] > 1;
    REQUIRE(repeated);
    put(files.config(), users_config(files.db(), api.base_url(),
                                     R"(, "pagination": {"type": "link_header"})", "data", "job"));
    check_names_problem(files.check(), {"primary_key", "not unique"});
  }

  TEST_CASE("check names a since_param the API ignores") {
    tsync::mock::Options options = users(237, PagingStyle::LinkHeader);
    options.since_mode = tsync::mock::SinceMode::Ignored;
    e2e::Scene scene(options);
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(),
        users_config(files.db(), api.base_url(), R"(, "pagination": {"type": "link_header"})"));
    check_names_problem(files.check(), {"since_param", "does not filter"});
  }

  TEST_CASE("check passes a correct configuration, in text and in JSON, and never touches the replica") {
    e2e::Scene scene(users(237, PagingStyle::LinkHeader));
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(),
        users_config(files.db(), api.base_url(), R"(, "pagination": {"type": "link_header"})"));
    proc::Result r = files.check();
    {
      SHOW(r);
      CHECK(r.exit_code == 0);
      CHECK(problems(r.out).empty());
      CHECK(contains(r.out, "  ok\n"));
    }
    CHECK_FALSE(std::filesystem::exists(files.db()));

    r = files.check({"--json"});
    {
      SHOW(r);
      CHECK(r.exit_code == 0);
      const rapidjson::Document line = parsed(r.out);
      CHECK(member(line, "stream") == "users");
      CHECK(member(line, "ok") == "true");
      CHECK(member(line, "problems") == "[]");
      CHECK(member(line, "pagination_configured") == "link_header");
      CHECK(member(line, "pagination_seen") == "link_header");
    }
    CHECK_FALSE(std::filesystem::exists(files.db()));
    CHECK_FALSE(std::filesystem::exists(files.db() + "-wal"));

    // A replica that exists stays byte for byte as it was, changes or not.
    r = files.sync();
    {
      SHOW(r);
      REQUIRE(r.exit_code == 0);
    }
    const std::string before = slurp(files.db());
    const std::string wal_before = slurp(files.db() + "-wal");
    const auto mtime = std::filesystem::last_write_time(files.db());
    api.store().mutate(30, 10);
    r = files.check();
    {
      SHOW(r);
      CHECK(r.exit_code == 0);
    }
    CHECK(slurp(files.db()) == before);
    CHECK(std::filesystem::last_write_time(files.db()) == mtime);
    CHECK(slurp(files.db() + "-wal") == wal_before);
  }

  TEST_CASE("check --json writes one object a stream with ok false and the problems") {
    e2e::Scene scene(users(237, PagingStyle::LinkHeader));
    auto& [dir, api] = scene;
    const Files files{dir};
    const std::string good = R"({"name": "good", "url": ")" + api.base_url() +
                             R"(", "records_path": "data", "since_param": "since", )"
                             R"("cursor_field": "updatedAt", "pagination": {"type": "link_header"}})";
    const std::string bad = R"({"name": "bad", "url": ")" + api.base_url() +
                            R"(", "records_path": "data", "since_param": "since", )"
                            R"("cursor_field": "changed", "pagination": {"type": "link_header"}})";
    put(files.config(), R"({"database": ")" + files.db() + R"(", "streams": [)" + good + ", " +
                            bad + "]}");
    const proc::Result r = files.check({"--json"});
    SHOW(r);
    CHECK(r.exit_code == 1);
    std::vector<std::string> lines;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    REQUIRE(lines.size() == 2);
    std::map<std::string, std::string> ok, listed;
    for (const std::string& line : lines) {
      const rapidjson::Document doc = parsed(line);
      for (const char* key :
           {"stream", "ok", "url", "requests", "records", "second_page_records", "fields",
            "cursor_min", "cursor_max", "pagination_configured", "pagination_seen", "since",
            "notes", "problems"})
        CHECK_MESSAGE(doc.HasMember(key), "no key " << key << " in " << line);
      REQUIRE(doc["problems"].IsArray());
      ok[member(doc, "stream")] = member(doc, "ok");
      listed[member(doc, "stream")] = member(doc, "problems");
    }
    CHECK(ok["good"] == "true");
    CHECK(listed["good"] == "[]");
    CHECK(ok["bad"] == "false");
    CHECK(contains(listed["bad"], "cursor_field"));
    CHECK(contains(listed["bad"], "changed"));
    CHECK_FALSE(std::filesystem::exists(files.db()));
  }

  TEST_CASE("check passes the documented GitHub parent and child configuration") {
    e2e::Scene scene(users(0));
    auto& [dir, api] = scene;
    tsync::mock::GithubOptions github;
    github.repos = 4;
    github.issues_per_repo = 130;  // two pages of issues at per_page 100
    api.serve_github(github);
    const Files files{dir};
    put(files.config(), e2e::documented_configuration("github", origin_of(api), files.db()));
    const proc::Result r = files.check();
    SHOW(r);
    CHECK(r.exit_code == 0);
    CHECK(problems(r.out).empty());
    CHECK_FALSE(std::filesystem::exists(files.db()));
  }

  TEST_CASE("check --stream with an unknown name is a usage error") {
    e2e::Scene scene(users(50));
    auto& [dir, api] = scene;
    const Files files{dir};
    put(files.config(), users_config(files.db(), api.base_url()));
    const std::size_t before = api.request_count();
    const proc::Result r = files.check({"--stream", "nosuch"});
    SHOW(r);
    CHECK(r.exit_code == 2);
    CHECK(contains(r.err, "nosuch"));
    CHECK(api.request_count() == before);
  }

  TEST_CASE("init --write creates a file, rewrites a short-form file, and refuses a name taken") {
    // The short form's user stream has no pagination: the users in one answer.
    e2e::Scene scene(users(237));
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(tsync::mock::parse_endpoint_spec(
        "path=/v1/orders,records=120,since_param=updated_since,paging=next_url"));
    const std::string init_url = url + "?updated_since=2024-01-01T00:00:00Z";

    SUBCASE("to a missing file, which it creates") {
      const std::string path = dir.file("new.json");
      REQUIRE_FALSE(std::filesystem::exists(path));
      const proc::Result r = tsync_run({"init", init_url, "--write", "-c", path});
      SHOW(r);
      REQUIRE(r.exit_code == 0);
      REQUIRE(std::filesystem::exists(path));
      const rapidjson::Document doc = parsed(slurp(path));
      CHECK(member(only_stream(doc), "name") == "orders");
      CHECK(member(only_stream(doc), "since_param") == "updated_since");
    }

    SUBCASE("to a short-form file, rewritten so that both streams sync") {
      const std::string path = dir.file("configuration.json");
      put(path, R"({"base_url": ")" + api.base_url() + R"("})");
      proc::Result r = tsync_run({"init", init_url, "--write", "-c", path});
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      const std::string written = slurp(path);
      INFO("written: " << written);
      const rapidjson::Document doc = parsed(written);
      REQUIRE(doc.HasMember("streams"));
      CHECK_FALSE(doc.HasMember("base_url"));
      CHECK(doc["streams"].Size() == 2);
      // The short form's replica is replica.db beside where it runs.
      r = tsync_run({"sync", "--config", path}, {}, dir.path().string());
      {
        SHOW(r);
        REQUIRE(r.exit_code == 0);
      }
      const std::string db = dir.file("replica.db");
      REQUIRE(std::filesystem::exists(db));
      e2e::check_replica_equals(db, api);
      e2e::check_table_equals(db, "orders", api.records("/v1/orders"));

      // The same name again: refused, the file untouched.
      r = tsync_run({"init", init_url, "--write", "-c", path});
      {
        SHOW(r);
        CHECK(r.exit_code == 2);
        CHECK(contains(r.err, "orders"));
      }
      CHECK(slurp(path) == written);
      r = tsync_run({"init", api.base_url() + "?since=2024-01-01T00:00:00Z", "--name", "user",
                     "--write", "-c", path});
      {
        SHOW(r);
        CHECK(r.exit_code == 2);
      }
      CHECK(slurp(path) == written);
    }
  }
}
