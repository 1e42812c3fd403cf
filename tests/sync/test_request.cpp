// SPDX-License-Identifier: Apache-2.0
// End to end: every way of signing in against the mock's protected endpoints;
// tokens that expire or are refused in the middle of a sync, rotated refresh
// tokens kept for the next run (and never half-written by a kill), invalid_grant,
// two streams sharing one login; and after each, every output and file scanned
// for every secret in every form.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "common/redact.hpp"
#include "config/config.hpp"
#include "source/auth.hpp"
#include "source/http_client.hpp"
#include "support/e2e_support.hpp"
#include "support/process.hpp"
#include "sync/sync.hpp"

using tsync::mock::AuthRequirement;
using tsync::mock::EndpointSpec;

namespace {

constexpr const char* kPath = "/v1/items";

EndpointSpec protected_items(const AuthRequirement& auth, const std::string& path = kPath) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = 120;
  spec.seed = 5;
  spec.schema.key = tsync::mock::KeyKind::Integer;
  spec.auth = auth;
  spec.serving.paging = tsync::mock::PagingStyle::Offset;
  spec.serving.strict = true;
  return spec;
}

constexpr const char* kOffset = R"("pagination": {"type": "offset", "param": "offset",
    "limit_param": "limit", "limit": 25, "total_path": "total"})";

// Sets environment variables for one test, then unsets them.
class Env {
 public:
  explicit Env(std::vector<std::pair<std::string, std::string>> vars) : vars_(std::move(vars)) {
    for (const auto& [name, value] : vars_) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~Env() {
    for (const auto& [name, value] : vars_) ::unsetenv(name.c_str());
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  std::vector<std::string> args() const {
    std::vector<std::string> out;
    for (const auto& [name, value] : vars_) out.push_back(name + "=" + value);
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every form a secret may take in a text tsync writes.
std::vector<std::string> forms_of(const std::vector<std::string>& secrets) {
  std::vector<std::string> forms;
  for (const std::string& s : secrets) {
    forms.push_back(s);
    forms.push_back(tsync::base64_encode(s));
    std::string encoded;
    tsync::append_url_encoded(encoded, s);
    forms.push_back(encoded);
  }
  return forms;
}

// The credentials the mock received, as sent: the last word of every
// Authorization header (a session or access token, a key, Basic's Base64).
std::vector<std::string> received(const tsync::mock::MockApi& api) {
  std::vector<std::string> out;
  for (const std::string& header : api.authorization_log()) {
    const std::string value = header.substr(header.rfind(' ') + 1);
    if (value.size() >= 4) out.push_back(value);
  }
  return out;
}

// No secret in any form in stdout, stderr, the replica, its -wal and -shm, or
// tsync status.
void check_no_secret(std::vector<std::string> secrets, const std::string& out,
                     const std::string& err, const std::string& db, const std::string& config,
                     const tsync::mock::MockApi* api = nullptr) {
  if (api)
    for (const std::string& s : received(*api)) secrets.push_back(s);
  const auto status = proc::run({TSYNC_BINARY, "status", "--config", config, "--db", db});
  std::vector<std::pair<std::string, std::string>> texts{{"stdout", out},
                                                         {"stderr", err},
                                                         {"status", status.out + status.err},
                                                         {"replica", slurp(db)},
                                                         {"-wal", slurp(db + "-wal")},
                                                         {"-shm", slurp(db + "-shm")}};
  for (const std::string& form : forms_of(secrets))
    for (const auto& [where, text] : texts) {
      CAPTURE(where);
      CAPTURE(form);
      CHECK(text.find(form) == std::string::npos);
    }
}

// Every text value of every table of the replica at `db`, one per line.
std::string replica_texts(const std::string& db) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  std::vector<std::string> tables;
  SQLite::Statement list(d, "SELECT name FROM sqlite_master WHERE type = 'table'");
  while (list.executeStep()) tables.push_back(list.getColumn(0).getString());
  std::string out;
  for (const std::string& table : tables) {
    SQLite::Statement rows(d, "SELECT * FROM \"" + table + "\"");
    while (rows.executeStep())
      for (int i = 0; i < rows.getColumnCount(); ++i)
        if (rows.getColumn(i).isText()) out += rows.getColumn(i).getString() + "\n";
  }
  return out;
}

struct Run {
  int code;
  std::string out, err;
};

Run sync_cli(const std::string& config, const Env& env, const char* flag = nullptr) {
  std::vector<std::string> args{TSYNC_BINARY, "sync", "--config", config};
  if (flag) args.push_back(flag);
  const auto r = proc::run(args, env.args());
  return {r.exit_code, r.out, r.err};
}

// The suite's items behind an OAuth2 access token.
EndpointSpec oauth_items() {
  AuthRequirement need;
  need.kind = AuthRequirement::Kind::OAuth2;
  return protected_items(need);
}

// The variables oauth_setting reads, for the mock's client and first refresh
// token of `oauth`.
std::vector<std::pair<std::string, std::string>> oauth_env(
    const tsync::mock::OAuthOptions& oauth) {
  return {{"T_CID", oauth.client_id},
          {"T_CSECRET", oauth.client_secret},
          {"T_RT", oauth.refresh_token}};
}

// An oauth2 auth setting against the mock's token endpoint, its client's
// credentials in T_CID and T_CSECRET, a first refresh token in T_RT when
// `refresh_env`.
std::string oauth_setting(const tsync::mock::MockApi& api, const std::string& grant,
                          bool refresh_env) {
  return R"({"type": "oauth2", "token_url": ")" + api.url("/oauth/v1/token") + R"(", "grant": ")" +
         grant + R"(", "client_id_env": "T_CID", "client_secret_env": "T_CSECRET")" +
         (refresh_env ? R"(, "refresh_token_env": "T_RT")" : "") + "}";
}

// A configuration file with one stream "items" at `url` with `members`.
std::string write_config(const e2e::ScratchDir& dir, const std::string& top,
                         const std::string& streams) {
  const std::string path = dir.file("configuration.json");
  std::ofstream(path) << R"({"database": ")" << dir.file("replica.db")
                      << R"(", "retry_base_seconds": 0.01, "timeout_seconds": 5, )" << top
                      << R"("streams": [)" << streams << "]}";
  return path;
}

std::string item_stream(const std::string& url, const std::string& auth,
                        const std::string& name = "items") {
  return R"({"name": ")" + name + R"(", "url": ")" + url + "\", " + kOffset +
         (auth.empty() ? "" : ", \"auth\": " + auth) + "}";
}

}  // namespace

TEST_SUITE("sync_auth") {
  TEST_CASE("each scheme signs every page, and no secret shows anywhere") {
    struct Case {
      const char* name;
      AuthRequirement need;
      std::string auth;
      std::vector<std::pair<std::string, std::string>> env;
      std::vector<std::string> secrets;
    };
    AuthRequirement basic;
    basic.kind = AuthRequirement::Kind::Basic;
    basic.username = "ada";
    basic.password = "s3cret-basic-pw";
    AuthRequirement header_key;
    header_key.kind = AuthRequirement::Kind::ApiKey;
    header_key.secret = "key-in-header-42";
    header_key.prefix = "apiKey ";
    AuthRequirement query_key;
    query_key.kind = AuthRequirement::Kind::ApiKey;
    query_key.secret = "key-in-query-43";
    query_key.name = "api_key";
    query_key.in_query = true;
    AuthRequirement session;
    session.kind = AuthRequirement::Kind::Session;
    session.username = "ada";
    session.password = "s3cret-login-pw";
    AuthRequirement bearer;
    bearer.kind = AuthRequirement::Kind::Bearer;
    bearer.secret = "bearer-token-777";
    const std::vector<Case> cases{
        {"basic",
         basic,
         R"({"type": "basic", "username": "ada", "password_env": "T_PW"})",
         {{"T_PW", "s3cret-basic-pw"}},
         {"s3cret-basic-pw", "ada:s3cret-basic-pw"}},
        {"api key in a header with a prefix",
         header_key,
         R"({"type": "api_key", "name": "Authorization", "in": "header", "prefix": "apiKey ",
             "value_env": "T_KEY"})",
         {{"T_KEY", "key-in-header-42"}},
         {"key-in-header-42"}},
        {"api key in the query",
         query_key,
         R"({"type": "api_key", "name": "api_key", "in": "query", "value_env": "T_KEY"})",
         {{"T_KEY", "key-in-query-43"}},
         {"key-in-query-43"}},
        {"session login",
         session,
         R"({"type": "session", "login_url": "LOGIN", "body": {"username": "ada",
             "password": {"env": "T_PW"}}, "token_path": "token", "prefix": "Token "})",
         {{"T_PW", "s3cret-login-pw"}},
         {"s3cret-login-pw"}},
        {"bearer",
         bearer,
         R"({"type": "bearer", "token_env": "T_TOKEN"})",
         {{"T_TOKEN", "bearer-token-777"}},
         {"bearer-token-777"}},
    };
    for (const Case& c : cases) {
      CAPTURE(c.name);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(protected_items(c.need));
      std::string auth = c.auth;
      if (const auto at = auth.find("LOGIN"); at != std::string::npos)
        auth.replace(at, 5, api.url("/auth/session_token/login"));
      const Env env(c.env);
      const std::string config = write_config(dir, "", item_stream(url, auth));
      const Run run = sync_cli(config, env);
      CHECK_MESSAGE(run.code == 0, run.err);
      e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
      // Every page was signed: no 401 was answered.
      CHECK(api.target_log().size() == 5);
      check_no_secret(c.secrets, run.out, run.err, dir.file("replica.db"), config, &api);
      if (c.need.kind == AuthRequirement::Kind::Session) {
        CHECK(api.login_requests() == 1);
      }
      // Refused credentials stop the stream with exit 1, naming them, never the value.
      {
        std::vector<std::pair<std::string, std::string>> wrong;
        for (const auto& [name, value] : c.env) wrong.emplace_back(name, value + "-wrong");
        const Env bad(wrong);
        std::remove(dir.file("replica.db").c_str());
        const Run refused = sync_cli(config, bad);
        CHECK(refused.code == 1);
        CHECK(refused.err.find("HTTP 401") != std::string::npos);
        CHECK_MESSAGE(refused.err.find("stream \"items\"") != std::string::npos, refused.err);
        std::vector<std::string> secrets;
        for (const auto& [name, value] : wrong) secrets.push_back(value);
        check_no_secret(secrets, refused.out, refused.err, dir.file("replica.db"), config, &api);
      }
    }
  }

  TEST_CASE("oauth2: both grants, both ways of sending the client's credentials") {
    for (const bool refresh : {false, true}) {
      for (const bool basic : {false, true}) {
        CAPTURE(refresh);
        CAPTURE(basic);
        e2e::Scene scene(0);
        auto& [dir, api] = scene;
        const std::string url = api.add_endpoint(oauth_items());
        tsync::mock::OAuthOptions oauth;
        api.set_oauth(oauth);
        const Env env(oauth_env(oauth));
        const std::string auth =
            std::string(R"({"type": "oauth2", "token_url": ")") + api.url("/oauth/v1/token") +
            R"(", "grant": ")" + (refresh ? "refresh_token" : "client_credentials") +
            R"(", "client_id_env": "T_CID", "client_secret_env": "T_CSECRET")" +
            (refresh ? R"(, "refresh_token_env": "T_RT")" : "") +
            (basic ? R"(, "client_auth": "basic")" : "") + "}";
        const std::string config = write_config(dir, "", item_stream(url, auth));
        const Run run = sync_cli(config, env);
        CHECK_MESSAGE(run.code == 0, run.err);
        CHECK(api.token_requests() == 1);
        e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
        check_no_secret({oauth.client_secret, oauth.refresh_token}, run.out, run.err,
                        dir.file("replica.db"), config, &api);
      }
    }
  }

  TEST_CASE("an access token that expires during a long sync is renewed, nothing lost") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    AuthRequirement need;
    need.kind = AuthRequirement::Kind::OAuth2;
    EndpointSpec spec = protected_items(need);
    spec.records = 400;
    spec.serving.latency = std::chrono::milliseconds(150);
    const std::string url = api.add_endpoint(spec);
    tsync::mock::OAuthOptions oauth;
    oauth.expires_in_seconds = 2;  // renewed 0.2 s before it expires
    api.set_oauth(oauth);
    const Env env({{"T_CID", oauth.client_id}, {"T_CSECRET", oauth.client_secret}});
    const std::string auth = oauth_setting(api, "client_credentials", false);
    // One page at a time: 16 pages of 150 ms outlast the token.
    const std::string config =
        write_config(dir, R"("max_concurrency": 1, )", item_stream(url, auth));
    const Run run = sync_cli(config, env, "--verbose");
    CHECK_MESSAGE(run.code == 0, run.err);
    // 16 pages of 150 ms and more: at least one renewal before expiry.
    CHECK(api.token_requests() >= 2);
    CHECK(run.err.find("/oauth/v1/token: a new access token (it expires in 1 s)") !=
          std::string::npos);
    CHECK(run.out.find("; 16 requests, " + std::to_string(api.token_requests()) +
                       " token requests\n") != std::string::npos);
    CHECK(api.target_log().size() == 16);  // no page was refused
    e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
  }

  TEST_CASE("a 401 in the middle of a sync: a new login or token, then the sync carries on") {
    for (const auto kind : {AuthRequirement::Kind::Session, AuthRequirement::Kind::OAuth2}) {
      CAPTURE(static_cast<int>(kind));
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      AuthRequirement need;
      need.kind = kind;
      need.username = "ada";
      need.password = "login-password-1";
      const std::string url = api.add_endpoint(protected_items(need));
      tsync::mock::OAuthOptions oauth;
      api.set_oauth(oauth);
      api.set_request_hook([&api](std::size_t n) {
        if (n == 3) api.expire_tokens();
      });
      const Env env({{"T_CID", oauth.client_id},
                     {"T_CSECRET", oauth.client_secret},
                     {"T_PW", "login-password-1"}});
      const std::string auth =
          kind == AuthRequirement::Kind::OAuth2
              ? oauth_setting(api, "client_credentials", false)
              : R"({"type": "session", "login_url": ")" + api.url("/auth/session_token/login") +
                    R"(", "body": {"username": "ada", "password": {"env": "T_PW"}},
                       "token_path": "token", "prefix": "Token "})";
      const std::string config = write_config(dir, "", item_stream(url, auth));
      const Run run = sync_cli(config, env);
      api.set_request_hook(nullptr);
      CHECK_MESSAGE(run.code == 0, run.err);
      CHECK(api.login_requests() + api.token_requests() == 2);
      e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
    }
  }

  TEST_CASE(
      "a rotated refresh token is kept for the next run, and refresh_token_env is not needed") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(oauth_items());
    tsync::mock::OAuthOptions oauth;
    oauth.rotate_refresh_token = true;
    api.set_oauth(oauth);
    const std::string auth = oauth_setting(api, "refresh_token", true);
    const std::string config = write_config(dir, "", item_stream(url, auth));
    const std::string credentials = dir.file("replica.db.credentials");
    {
      const Env env(oauth_env(oauth));
      const Run first = sync_cli(config, env);
      REQUIRE_MESSAGE(first.code == 0, first.err);
      CHECK(tsync::read_saved_refresh_token(credentials) == api.current_refresh_token());
      struct stat st {};
      REQUIRE(::stat(credentials.c_str(), &st) == 0);
      CHECK((st.st_mode & 0777) == 0600);
      check_no_secret({api.current_refresh_token(), oauth.refresh_token}, first.out, first.err,
                      dir.file("replica.db"), config, &api);
    }
    // The next run: the old refresh token is void at the API; the file's works.
    api.records(kPath).mutate(10, 5);
    {
      const Env env(oauth_env(oauth));
      const Run second = sync_cli(config, env);
      CHECK_MESSAGE(second.code == 0, second.err);
    }
    // And without refresh_token_env at all.
    api.records(kPath).mutate(10, 5);
    const std::string no_rt_config =
        write_config(dir, "", item_stream(url, oauth_setting(api, "refresh_token", false)));
    const Env env({{"T_CID", oauth.client_id}, {"T_CSECRET", oauth.client_secret}});
    const Run third = sync_cli(no_rt_config, env);
    CHECK_MESSAGE(third.code == 0, third.err);
    e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
    CHECK(tsync::read_saved_refresh_token(credentials) == api.current_refresh_token());

    SUBCASE("without the file and without refresh_token_env: exit 2 before any request") {
      std::remove(credentials.c_str());
      const std::size_t before = api.request_count();
      const Run none = sync_cli(no_rt_config, env);
      CHECK(none.code == 2);
      CHECK(none.err.find("refresh_token_env: missing") != std::string::npos);
      CHECK(api.request_count() == before);
    }
  }

  TEST_CASE("SIGKILL at random moments of runs that rotate: never a truncated credentials file") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    AuthRequirement need;
    need.kind = AuthRequirement::Kind::OAuth2;
    EndpointSpec spec = protected_items(need);
    spec.serving.latency = std::chrono::milliseconds(10);
    const std::string url = api.add_endpoint(spec);
    tsync::mock::OAuthOptions oauth;
    oauth.rotate_refresh_token = true;
    oauth.expires_in_seconds = 1;  // a new token, and a rotation, every 0.9 s
    api.set_oauth(oauth);
    const std::string config =
        write_config(dir, "", item_stream(url, oauth_setting(api, "refresh_token", true)));
    const Env env(oauth_env(oauth));
    const std::string credentials = dir.file("replica.db.credentials");
    std::mt19937 random(7);
    std::uniform_int_distribution<int> delay_ms(5, 200);
    for (int round = 0; round < 10; ++round) {
      proc::Child child({TSYNC_BINARY, "sync", "--quiet", "--config", config}, env.args());
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      child.signal(SIGKILL);
      child.wait();
      // The file is absent or whole; a leftover .new is never read.
      if (std::filesystem::exists(credentials)) CHECK(tsync::read_saved_refresh_token(credentials));
    }
  }

  TEST_CASE("invalid_grant: exit 1 with the endpoint's error and what to do") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(oauth_items());
    tsync::mock::OAuthOptions oauth;
    oauth.invalid_grant = true;
    api.set_oauth(oauth);
    const Env env(oauth_env(oauth));
    const std::string config =
        write_config(dir, "", item_stream(url, oauth_setting(api, "refresh_token", true)));
    const Run run = sync_cli(config, env);
    CHECK(run.code == 1);
    CHECK(run.err.find("/oauth/v1/token: HTTP 400: the token endpoint refused: invalid_grant") !=
          std::string::npos);
    CHECK(run.err.find("get a new one") != std::string::npos);
    CHECK(api.target_log().empty());
    check_no_secret({oauth.refresh_token, oauth.client_secret}, run.out, run.err,
                    dir.file("replica.db"), config);
  }

  TEST_CASE("two streams under the top-level auth log in once") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    AuthRequirement need;
    need.kind = AuthRequirement::Kind::Session;
    need.username = "ada";
    need.password = "shared-login-pw";
    const std::string a = api.add_endpoint(protected_items(need, "/v1/a"));
    const std::string b = api.add_endpoint(protected_items(need, "/v1/b"));
    const Env env({{std::string("T_PW"), std::string("shared-login-pw")}});
    const std::string config = write_config(
        dir,
        R"("auth": {"type": "session", "login_url": ")" + api.url("/auth/session_token/login") +
            R"(", "body": {"username": "ada", "password": {"env": "T_PW"}},
                "token_path": "token", "prefix": "Token "}, )",
        item_stream(a, "", "a") + ", " + item_stream(b, "", "b"));
    const Run run = sync_cli(config, env);
    CHECK_MESSAGE(run.code == 0, run.err);
    CHECK(api.login_requests() == 1);
    e2e::check_table_equals(dir.file("replica.db"), "a", api.records("/v1/a"));
    e2e::check_table_equals(dir.file("replica.db"), "b", api.records("/v1/b"));
    check_no_secret({"shared-login-pw"}, run.out, run.err, dir.file("replica.db"), config, &api);
  }

  TEST_CASE("a token answer in any format never shows its tokens: output, replica, status") {
    const std::string live = "IK70N0-live-access-token-5150";
    struct Case {
      const char* format;
      int status;
      const char* type;
      std::string body;
      const char* shown;  // a part of the message that must be there
    };
    const std::vector<Case> cases{
        {"JSON with an error", 400, "application/json",
         R"({"error":"invalid_scope","error_description":"scope x is not granted to )" + live +
             R"(","access_token":")" + live + R"("})",
         "the token endpoint refused: invalid_scope (scope x is not granted to [redacted])"},
        {"form-encoded with an error", 400, "application/x-www-form-urlencoded",
         "error=unauthorized_client&error_description=revoked+" + live + "&refresh_token=" + live,
         "the token endpoint refused: unauthorized_client (revoked [redacted])"},
        {"plain text", 200, "text/plain",
         "Your access token: " + live + "\nIt expires in 5 seconds.\n",
         "neither a JSON object nor form-encoded: Your access token: [redacted]"},
        {"HTML", 200, "text/html",
         "<html><body><h1>Signed in</h1><table><tr><td>access_token</td><td>" + live +
             "</td></tr><tr><td>expires_in</td><td>5</td></tr></table>" + std::string(400, ' ') +
             "</body></html>",
         "<td>access_token</td><td>[redacted]</td>"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.format);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(oauth_items());
      tsync::mock::OAuthOptions oauth;
      api.set_oauth(oauth);
      tsync::mock::Fault answer;
      answer.kind = tsync::mock::Fault::Kind::RawBody;
      answer.status = c.status;
      answer.content_type = c.type;
      answer.body = c.body;
      api.push_sign_in_fault(answer);
      const Env env({{"T_CID", oauth.client_id}, {"T_CSECRET", oauth.client_secret}});
      const std::string config =
          write_config(dir, "", item_stream(url, oauth_setting(api, "client_credentials", false)));
      const Run run = sync_cli(config, env, "--verbose");
      CHECK(run.code == 1);
      CHECK_MESSAGE(run.err.find(c.shown) != std::string::npos, run.err);
      CHECK(run.err.find("/oauth/v1/token: HTTP " + std::to_string(c.status)) != std::string::npos);
      // No line of the message is the whole answer.
      CHECK(run.err.find(std::string(300, ' ')) == std::string::npos);
      const Run json = sync_cli(config, env, "--json");
      const auto status = proc::run({TSYNC_BINARY, "status", "--db", dir.file("replica.db")});
      CHECK(status.exit_code == 0);
      const std::string db = dir.file("replica.db");
      for (const auto& [where, text] :
           std::vector<std::pair<std::string, std::string>>{{"stdout", run.out},
                                                            {"stderr", run.err},
                                                            {"--json", json.out + json.err},
                                                            {"replica's texts", replica_texts(db)},
                                                            {"status", status.out + status.err}}) {
        CAPTURE(where);
        CHECK(text.find(live) == std::string::npos);
        CHECK(text.find(live.substr(0, 6)) == std::string::npos);
      }
      CHECK(replica_texts(db).find("[redacted]") != std::string::npos);  // the error was logged
      check_no_secret({live, oauth.client_secret}, run.out, run.err, db, config, &api);
    }
  }

  TEST_CASE("a token endpoint that answers form-encoded: read, and nothing leaks") {
    for (const auto format : {tsync::mock::OAuthOptions::Format::Form,
                              tsync::mock::OAuthOptions::Format::FormUnlessJsonAccepted}) {
      CAPTURE(static_cast<int>(format));
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      const std::string url = api.add_endpoint(oauth_items());
      tsync::mock::OAuthOptions oauth;
      oauth.format = format;
      oauth.rotate_refresh_token = true;
      api.set_oauth(oauth);
      const Env env(oauth_env(oauth));
      const std::string config =
          write_config(dir, "", item_stream(url, oauth_setting(api, "refresh_token", true)));
      const Run run = sync_cli(config, env, "--verbose");
      CHECK_MESSAGE(run.code == 0, run.err);
      e2e::check_table_equals(dir.file("replica.db"), "items", api.records(kPath));
      CHECK(tsync::read_saved_refresh_token(dir.file("replica.db.credentials")) ==
            api.current_refresh_token());
      check_no_secret({api.current_refresh_token(), oauth.refresh_token, oauth.client_secret},
                      run.out, run.err, dir.file("replica.db"), config, &api);
    }
  }

  TEST_CASE("a refused client names $T_CID and $T_CSECRET, and shows the client id") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(oauth_items());
    tsync::mock::OAuthOptions oauth;
    api.set_oauth(oauth);
    const Env env({{"T_CID", oauth.client_id}, {"T_CSECRET", "not-the-secret-99"}});
    const std::string config =
        write_config(dir, "", item_stream(url, oauth_setting(api, "client_credentials", false)));
    const Run run = sync_cli(config, env);
    CHECK(run.code == 1);
    CHECK_MESSAGE(run.err.find("HTTP 401: the token endpoint refused: invalid_client (client "
                               "authentication failed); check the client id in $T_CID and the "
                               "client secret in $T_CSECRET") != std::string::npos,
                  run.err);
    check_no_secret({"not-the-secret-99"}, run.out, run.err, dir.file("replica.db"), config, &api);
  }

  TEST_CASE("a refused login names the variables of its body's secrets") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    AuthRequirement need;
    need.kind = AuthRequirement::Kind::Session;
    need.username = "ada";
    need.password = "login-password-1";
    const std::string url = api.add_endpoint(protected_items(need));
    const Env env({{std::string("T_PW"), std::string("wrong-password-2")}});
    const std::string config = write_config(
        dir, "",
        item_stream(url, R"({"type": "session", "login_url": ")" +
                             api.url("/auth/session_token/login") +
                             R"(", "body": {"username": "ada", "password": {"env": "T_PW"}},
                                "token_path": "token", "prefix": "Token "})"));
    const Run run = sync_cli(config, env);
    CHECK(run.code == 1);
    CHECK_MESSAGE(run.err.find("HTTP 401: the login was refused: {\"error\":\"invalid username "
                               "or password\"} (check the login body's credentials, with $T_PW)") !=
                      std::string::npos,
                  run.err);
    check_no_secret({"wrong-password-2"}, run.out, run.err, dir.file("replica.db"), config, &api);
  }

  TEST_CASE("status and reset run without the secrets' environment variables") {
    e2e::Scene scene(0);
    auto& [dir, api] = scene;
    const std::string url = api.add_endpoint(oauth_items());
    tsync::mock::OAuthOptions oauth;
    api.set_oauth(oauth);
    const Env sync_env(oauth_env(oauth));
    const std::string one =
        write_config(dir, "", item_stream(url, oauth_setting(api, "refresh_token", true)));
    REQUIRE(sync_cli(one, sync_env).code == 0);
    // Every kind of secret from the environment: a bearer token, a header,
    // Basic's user and password, OAuth2's client and refresh token.
    const std::string both = dir.file("both.json");
    std::rename(write_config(dir, R"("token_env": "T_TOKEN", )",
                             item_stream(url, oauth_setting(api, "refresh_token", true)) +
                                 R"(, {"name": "other", "url": ")" + url +
                                 R"(", "headers": {"X-Key": {"env": "T_KEY"}},
                  "auth": {"type": "basic", "username_env": "T_USER", "password_env": "T_PW"}})")
                    .c_str(),
                both.c_str());
    const Run needs = sync_cli(both, sync_env);
    CHECK(needs.code == 2);  // a sync needs them all
    CHECK(needs.err.find("is not set") != std::string::npos);
    for (const char* name : {"T_CID", "T_CSECRET", "T_RT"}) ::unsetenv(name);
    for (const char* name : {"T_TOKEN", "T_KEY", "T_USER", "T_PW"})
      REQUIRE(std::getenv(name) == nullptr);
    const auto status = proc::run({TSYNC_BINARY, "status", "--config", both});
    CHECK_MESSAGE(status.exit_code == 0, status.err);
    CHECK(status.out.find("items") != std::string::npos);
    const auto reset = proc::run({TSYNC_BINARY, "reset", "--config", both});
    CHECK_MESSAGE(reset.exit_code == 0, reset.err);
    CHECK(reset.out.find("items: cursor forgotten") != std::string::npos);
  }

  TEST_CASE("logins, token requests, renewals and retries show in -v and are counted apart") {
    for (const auto kind : {AuthRequirement::Kind::OAuth2, AuthRequirement::Kind::Session}) {
      const bool oauth2 = kind == AuthRequirement::Kind::OAuth2;
      CAPTURE(oauth2);
      e2e::Scene scene(0);
      auto& [dir, api] = scene;
      AuthRequirement need;
      need.kind = kind;
      need.username = "ada";
      need.password = "login-password-1";
      const std::string url = api.add_endpoint(protected_items(need));
      tsync::mock::OAuthOptions oauth;
      api.set_oauth(oauth);
      // The second and fourth data requests find every token expired: each is
      // refused, a new token or login is had, and the request is sent again.
      api.set_request_hook([&api](std::size_t n) {
        if (n == 2 || n == 4) api.expire_tokens();
      });
      const Env env({{"T_CID", oauth.client_id},
                     {"T_CSECRET", oauth.client_secret},
                     {"T_PW", "login-password-1"}});
      const std::string auth =
          oauth2 ? oauth_setting(api, "client_credentials", false)
                 : R"({"type": "session", "login_url": ")" + api.url("/auth/session_token/login") +
                       R"(", "body": {"username": "ada", "password": {"env": "T_PW"}},
                          "token_path": "token", "prefix": "Token "})";
      // One page at a time: the request hook names the requests in order.
      const std::string config =
          write_config(dir, R"("max_concurrency": 1, )", item_stream(url, auth));
      const Run run = sync_cli(config, env, "--verbose");
      api.set_request_hook(nullptr);
      REQUIRE_MESSAGE(run.code == 0, run.err);
      // What the API saw: five pages, two of them twice; three sign-ins.
      CHECK(api.request_count() == 7);
      CHECK(api.token_requests() + api.login_requests() == 3);
      const std::string sign_ins = oauth2 ? "3 token requests" : "3 logins";
      CHECK_MESSAGE(
          run.out.find("; 7 requests (2 retried), " + sign_ins + "\n") != std::string::npos,
          run.out);
      const std::string endpoint =
          "POST " + api.url(oauth2 ? "/oauth/v1/token" : "/auth/session_token/login") + ": ";
      const std::string first = oauth2 ? "an access token (none yet)" : "logging in (none yet)";
      const std::string again =
          (oauth2 ? std::string("a new access token") : std::string("logging in again")) +
          " (the API answered 401); then the request again";
      CHECK(run.err.find("tsync: " + endpoint + first + "\n") != std::string::npos);
      std::size_t renewals = 0;
      for (std::size_t at = run.err.find(endpoint + again); at != std::string::npos;
           at = run.err.find(endpoint + again, at + 1))
        ++renewals;
      CHECK_MESSAGE(renewals == 2, run.err);
      const Run json = [&] {
        api.records(kPath).mutate(3, 0);
        return sync_cli(config, env, "--json");
      }();
      REQUIRE_MESSAGE(json.code == 0, json.err);
      CHECK(json.out.find(oauth2 ? "\"logins\":0,\"token_requests\":1"
                                 : "\"logins\":1,\"token_requests\":0") != std::string::npos);
    }
  }

  TEST_CASE("docs/sign-in.md's playground configuration, against the mock's playground") {
    // The mock makes its credentials at random, as the playground does, and
    // prints them: the test reads them as a user would.
    proc::Child mock({TSYNC_MOCK_BINARY, "--port", "0", "--users", "5", "--playground-auth"});
    const std::string first = mock.read_line();
    const std::size_t at = first.find("http://127.0.0.1:");
    REQUIRE_MESSAGE(at != std::string::npos, first);
    const std::string origin = first.substr(at, first.find('/', at + 17) - at);
    std::map<std::string, std::string> printed;  // the table's rows by their first column
    for (int rules = 0; rules < 3;) {
      const std::string line = mock.read_line();
      REQUIRE_FALSE(line.empty());
      if (line == std::string(140, '-')) {
        ++rules;
        continue;
      }
      const std::size_t bar = line.find(" | ");
      if (rules >= 1 && bar != std::string::npos)
        printed[line.substr(0, line.find_last_not_of(' ', bar) + 1)] = line;
    }
    const auto after = [&](const std::string& row, const std::string& label) {
      const std::string& line = printed.at(row);
      const std::size_t start = line.find(label);
      REQUIRE_MESSAGE(start != std::string::npos, line);
      const std::size_t begin = start + label.size();
      return line.substr(begin, line.find(' ', begin) - begin);
    };
    const std::string basic_user = after("Http Basic Auth", "Username: ");
    const std::string basic_password = after("Http Basic Auth", "Password: ");
    const std::string session_user = after("Session Token Auth Login", "Username: ");
    const std::string session_password = after("Session Token Auth Login", "Password: ");
    CHECK(basic_user.size() == 17);
    CHECK(basic_user.substr(5) == "@example.com");
    CHECK(basic_password.size() == 8);
    CHECK(session_password.size() == 10);
    CHECK(session_user != basic_user);
    CHECK(session_password != basic_password);
    const std::vector<std::string> env{"PLAYGROUND_BASIC_USER=" + basic_user,
                                       "PLAYGROUND_BASIC_PASSWORD=" + basic_password,
                                       "PLAYGROUND_BEARER_TOKEN=" + after("HTTP Bearer", "Token: "),
                                       "PLAYGROUND_API_KEY=" + after("Auth API Key", "Key: "),
                                       "PLAYGROUND_SESSION_USER=" + session_user,
                                       "PLAYGROUND_SESSION_PASSWORD=" + session_password};

    const std::string readme = slurp(std::string(TSYNC_SOURCE_DIR) + "/docs/sign-in.md");
    const std::size_t intro = readme.find("The Fivetran API playground's four signed endpoints");
    REQUIRE(intro != std::string::npos);
    const std::size_t open = readme.find("```json\n", intro) + 8;
    std::string config_text = readme.substr(open, readme.find("```", open) - open);
    // The page's export line names the same variables.
    const std::size_t shell = readme.find("export PLAYGROUND_", open);
    REQUIRE(shell != std::string::npos);
    for (const std::string& assignment : env) {
      const std::string name = assignment.substr(0, assignment.find('=') + 1);
      CHECK_MESSAGE(readme.find(name, shell) < readme.find("```", shell), name);
    }
    for (std::size_t p = config_text.find("http://127.0.0.1:5001"); p != std::string::npos;
         p = config_text.find("http://127.0.0.1:5001", p))
      config_text.replace(p, 21, origin);
    e2e::ScratchDir dir;
    std::ofstream(dir.file("configuration.json")) << config_text;
    const auto run = proc::run({TSYNC_BINARY, "sync", "--verbose"}, env, dir.path().string());
    REQUIRE_MESSAGE(run.exit_code == 0, run.err);
    for (const char* table : {"user_basic", "user_bearer", "user_key", "user_session"}) {
      CAPTURE(table);
      CHECK(e2e::text_of(dir.file("replica.db"), std::string("SELECT count(*) FROM ") + table) ==
            "20");
    }
    CHECK(run.out.find("session_users: 20 rows (20 new, 0 updated, 0 rejected)") !=
          std::string::npos);
    CHECK(run.out.find(", 1 login\n") != std::string::npos);
    std::vector<std::string> secrets;
    for (const std::string& assignment : env)
      secrets.push_back(assignment.substr(assignment.find('=') + 1));
    secrets.erase(secrets.begin());  // the Basic user name is shown as configured
    for (const std::string& secret : secrets) {
      CAPTURE(secret);
      CHECK(run.out.find(secret) == std::string::npos);
      CHECK(run.err.find(secret) == std::string::npos);
    }
    // A session password from the Basic row is refused, naming the variable.
    std::vector<std::string> swapped = env;
    swapped[5] = "PLAYGROUND_SESSION_PASSWORD=" + basic_password;
    std::remove(dir.file("replica.db").c_str());
    const auto refused = proc::run({TSYNC_BINARY, "sync", "--stream", "session_users"}, swapped,
                                   dir.path().string());
    CHECK(refused.exit_code == 1);
    CHECK_MESSAGE(refused.err.find("$PLAYGROUND_SESSION_PASSWORD") != std::string::npos,
                  refused.err);
    mock.signal(SIGTERM);
    mock.wait();
  }
}
