// SPDX-License-Identifier: Apache-2.0
// tsync-mock-api: serves generated users on 127.0.0.1 the way the source API
// does, and generated records of other shapes at the endpoints given with
// --endpoint, for the demo, the benchmark and trying tsync without a real API.
// Runs until SIGINT or SIGTERM.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <pthread.h>

#include <CLI/CLI.hpp>

#include "mock/mock_api.hpp"
#include "mock/playground.hpp"

int main(int argc, char** argv) {
  tsync::mock::Options options;
  int port = 5001;
  CLI::App app{
      "Serves generated users, and records of other shapes (--endpoint), on 127.0.0.1 as "
      "timestamp-filtered REST APIs."};
  app.footer(
      "Changing the data while serving (POST; curl --data '' sends the empty body):\n"
      "  /admin/mutate?update=N&add=M                  N users change, M are added\n"
      "  /admin/mutate?endpoint=P&update=N&add=M       the same for the endpoint at path P\n"
      "  /admin/delete?count=N[&tombstone=H][&endpoint=P]\n"
      "                                                N users (records of P) are removed and\n"
      "                                                served as H: none (not at all, the\n"
      "                                                default), flag (key, cursor and\n"
      "                                                \"deleted\": true) or at (the record and\n"
      "                                                \"deletedAt\"); answers with their ids\n"
      "  /admin/restore?ids=a,b,c[&endpoint=P]         removed users (records of P) are served\n"
      "                                                again, changed\n"
      "  /admin/add_field?endpoint=P&name=X&kind=K     a new field X of kind K on the records\n"
      "                                                changed or added from now on\n"
      "  /admin/add_raw?endpoint=P[&position=T]        the POST body served verbatim at cursor T\n"
      "With --github: /admin/github/remove_repo?repo=NAME,\n"
      "  /admin/github/rename_repo?repo=NAME&name=NEW, /admin/github/add_issue?repo=NAME,\n"
      "  /admin/github/touch_issue?repo=NAME&number=N,\n"
      "  /admin/github/add_comment?repo=NAME&number=N\n"
      "With --stripe: /admin/stripe/change?count=N (a line added to each of N invoices),\n"
      "  /admin/stripe/remove?invoice=ID\n"
      "With --zendesk: /admin/zendesk/update?count=N (a new audit on each of N tickets),\n"
      "  /admin/zendesk/add_ticket, /admin/zendesk/delete_ticket?id=N\n"
      "With --graph: /admin/graph/mutate?update=N&add=M,\n"
      "  /admin/graph/remove?count=N&reason=deleted|changed, /admin/graph/restore?ids=a,b,\n"
      "  /admin/graph/expire (every delta and skip token issued so far expires)\n"
      "With --google: /admin/google/mutate?update=N&add=M, /admin/google/cancel?count=N,\n"
      "  /admin/google/expire (every sync and page token issued so far expires)\n"
      "GET /admin/stats[?endpoint=P], /admin/github/stats, /admin/stripe/stats,\n"
      "/admin/zendesk/stats, /admin/graph/stats and /admin/google/stats report counts; GET "
      "/admin/load[?endpoint=P] the most data\n"
      "requests in flight at once and the most started within any second (all endpoints or P).\n"
      "Signing in (POST), for --auth and auth= of session and oauth2:\n"
      "  /auth/session_token/login   JSON {\"username\", \"password\"} -> {\"token\"}\n"
      "  /oauth/v1/token             form-encoded grant_type=client_credentials or\n"
      "                              grant_type=refresh_token&refresh_token=T, the client as\n"
      "                              Basic or client_id and client_secret in the body ->\n"
      "                              {\"access_token\", \"token_type\", \"expires_in\"}");
  app.add_option("--users", options.users, "Number of users to serve")->capture_default_str();
  app.add_option("--port", port, "Port on 127.0.0.1; 0 picks a free one")->capture_default_str();
  app.add_option("--page-size", options.page_size,
                 "Records per response at most, 0 for all; with --paging, the default page size "
                 "(0: the API's)")
      ->capture_default_str();
  app.add_option("--seed", options.seed,
                 "Seed of the generated users and of --github, --stripe, --zendesk, --graph "
                 "and --google")
      ->capture_default_str();
  app.add_option("--updated-within-days", options.updated_within_days,
                 "Above 0: the users' updatedAt values fall within this many days before the "
                 "mock started; 0 spreads them over 2024")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{0}, tsync::mock::kMaxUpdatedWithinDays));
  const std::map<std::string, tsync::mock::SinceMode> modes{
      {"exclusive", tsync::mock::SinceMode::Exclusive},
      {"inclusive", tsync::mock::SinceMode::Inclusive},
      {"ignored", tsync::mock::SinceMode::Ignored}};
  app.add_option("--since-mode", options.since_mode, "How since is read")
      ->transform(CLI::CheckedTransformer(modes, CLI::ignore_case))
      ->default_str("exclusive");
  const std::map<std::string, tsync::mock::TimestampStyle> styles{
      {"utc", tsync::mock::TimestampStyle::Utc},
      {"fractional", tsync::mock::TimestampStyle::Fractional},
      {"offset", tsync::mock::TimestampStyle::Offset}};
  app.add_option("--timestamps", options.style, "How timestamps are written")
      ->transform(CLI::CheckedTransformer(styles, CLI::ignore_case))
      ->default_str("utc");
  app.add_flag("--unsorted", options.unsorted, "Shuffle the records of each response");
  app.add_option("--rate", options.rate_limit_bytes_per_second,
                 "Body bytes per second per response; 0 for no limit")
      ->capture_default_str();
  const std::map<std::string, tsync::mock::PagingStyle> pagings{
      {"none", tsync::mock::PagingStyle::None},
      {"link_header", tsync::mock::PagingStyle::LinkHeader},
      {"next_url", tsync::mock::PagingStyle::NextUrl},
      {"token", tsync::mock::PagingStyle::Token},
      {"last_record", tsync::mock::PagingStyle::LastRecord},
      {"offset", tsync::mock::PagingStyle::Offset},
      {"page_number", tsync::mock::PagingStyle::PageNumber},
      {"keyset", tsync::mock::PagingStyle::Keyset}};
  app.add_option("--paging", options.paging,
                 "How the users are paged, shaped like GitHub (link_header), Fivetran and Graph "
                 "(next_url, offset, page_number, keyset), HubSpot (token) or Stripe "
                 "(last_record)")
      ->transform(CLI::CheckedTransformer(pagings, CLI::ignore_case))
      ->default_str("none");
  const std::map<std::string, tsync::mock::Order> orders{
      {"ascending", tsync::mock::Order::Ascending},
      {"newest_first", tsync::mock::Order::NewestFirst},
      {"by_key", tsync::mock::Order::ByKey}};
  app.add_option("--order", options.order, "The order users are paged in")
      ->transform(CLI::CheckedTransformer(orders, CLI::ignore_case))
      ->default_str("ascending");
  app.add_flag("--strict", options.strict, "Answer 400 to a query parameter it does not know");
  std::size_t latency_ms = 0;
  app.add_option("--latency-ms", latency_ms, "Milliseconds slept before every data response")
      ->capture_default_str();
  app.add_option("--max-page-size", options.max_page_size,
                 "The largest page a request may ask for; 0 for the API's")
      ->capture_default_str();
  app.add_option("--until-param", options.until_param,
                 "The query parameter of a range's end: only users updated before it are served")
      ->type_name("NAME");
  app.add_option("--max-range-seconds", options.max_range_seconds,
                 "Above 0: a users request must carry since and --until-param, at most this many "
                 "seconds apart (else 400)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  std::string auth_text;
  app.add_option(
         "--auth", auth_text,
         std::string("What a users request must carry (else 401): ") + tsync::mock::kAuthSpecHelp)
      ->type_name("SPEC");
  tsync::mock::OAuthOptions oauth;
  app.add_option("--oauth-client-id", oauth.client_id,
                 "The client id the OAuth2 token endpoint (" +
                     std::string(tsync::mock::kTokenPath) + ") accepts")
      ->capture_default_str();
  app.add_option("--oauth-client-secret", oauth.client_secret,
                 "The client secret the OAuth2 token endpoint accepts")
      ->capture_default_str();
  app.add_option("--oauth-refresh-token", oauth.refresh_token,
                 "The refresh token that works at the start")
      ->capture_default_str();
  app.add_option("--oauth-expires-in", oauth.expires_in_seconds,
                 "Seconds an access token stays valid")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--oauth-rotate", oauth.rotate_refresh_token,
               "Answer each refresh_token grant with a new refresh token; the old one stops "
               "working");
  app.add_flag("--oauth-invalid-grant", oauth.invalid_grant,
               "Answer every refresh_token grant with invalid_grant");
  bool playground_auth = false;
  app.add_flag("--playground-auth", playground_auth,
               "Serve the Fivetran API playground's signed endpoints (/auth/http_basic, "
               "/auth/http_bearer, /auth/api_key, /auth/session_token/data), 20 users each, "
               "with a Basic user and password, a bearer token, an API key and a session user "
               "and password made at random, printed at start as the playground prints them");
  const std::map<std::string, tsync::mock::OAuthOptions::Format> formats{
      {"json", tsync::mock::OAuthOptions::Format::Json},
      {"form", tsync::mock::OAuthOptions::Format::Form},
      {"form_unless_json", tsync::mock::OAuthOptions::Format::FormUnlessJsonAccepted}};
  app.add_option("--oauth-format", oauth.format,
                 "How the token endpoint writes its answers: JSON, form-encoded, or form-encoded "
                 "unless the request's Accept asks for JSON (as GitHub's)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("json");
  std::string github_text, stripe_text;
  app.add_option("--github", github_text,
                 "Serve GitHub-shaped nested resources: the repositories of organization ORG "
                 "(/orgs/ORG/repos), their issues and the issues' comments, REPOS, ISSUES per "
                 "repository and COMMENTS per issue (default acme:3:5:2), paged by Link headers")
      ->type_name("ORG[:REPOS[:ISSUES[:COMMENTS]]]");
  app.add_option("--stripe", stripe_text,
                 "Serve Stripe-shaped nested resources: INVOICES invoices (/v1/invoices) with "
                 "LINES lines each (default 20:3), paged by has_more and starting_after")
      ->type_name("INVOICES[:LINES]");
  std::string zendesk_text;
  app.add_option("--zendesk", zendesk_text,
                 "Serve Zendesk-shaped nested resources: TICKETS tickets through the incremental "
                 "cursor export (/api/v2/incremental/tickets/cursor.json) with AUDITS audits each "
                 "(/api/v2/tickets/ID/audits.json; default 20:3)")
      ->type_name("TICKETS[:AUDITS]");
  bool zendesk_refuse_recent = false;
  app.add_flag("--zendesk-refuse-recent", zendesk_refuse_recent,
               "Answer an export's start_time within the last minute with 400 \"Too recent "
               "start_time\", as Zendesk does");
  std::string graph_text, google_text;
  std::int64_t graph_ttl = 0, google_ttl = 0;
  bool graph_resync = false;
  std::string google_calendar = tsync::mock::GoogleOptions{}.calendar_id;
  app.add_option("--graph", graph_text,
                 "Serve Microsoft Graph-shaped users through the users delta query "
                 "(/v1.0/users/delta): USERS users, PAGE a page unless the request's Prefer "
                 "odata.maxpagesize says otherwise (default 20:100)")
      ->type_name("USERS[:PAGE]");
  app.add_option("--graph-token-ttl", graph_ttl,
                 "With --graph: delta and skip tokens older than this many seconds answer as "
                 "expired; 0: never")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--graph-resync-required", graph_resync,
               "With --graph: an expired token answers 400 resyncRequired instead of 410 "
               "syncStateNotFound");
  app.add_option("--google", google_text,
                 "Serve Google Calendar-shaped events (/calendar/v3/calendars/primary/events) "
                 "read with page and sync tokens: EVENTS events, PAGE a page unless the request's "
                 "maxResults says otherwise (default 20:250)")
      ->type_name("EVENTS[:PAGE]");
  app.add_option("--google-token-ttl", google_ttl,
                 "With --google: sync and page tokens older than this many seconds answer 410; "
                 "0: never")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--google-calendar", google_calendar,
                 "With --google: the calendar id served besides primary")
      ->capture_default_str();
  std::vector<std::string> endpoint_texts;
  app.add_option("--endpoint", endpoint_texts, tsync::mock::kEndpointSpecHelp)
      ->type_name("SPEC")
      ->allow_extra_args(false);
  CLI11_PARSE(app, argc, argv);
  options.latency = std::chrono::milliseconds(static_cast<std::int64_t>(latency_ms));
  if (!auth_text.empty()) {
    try {
      options.auth = tsync::mock::parse_auth_spec(auth_text);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tsync-mock-api: error: --auth: %s\n", e.what());
      return 2;
    }
  }

  std::optional<tsync::mock::GithubOptions> github;
  std::optional<tsync::mock::StripeOptions> stripe;
  std::optional<tsync::mock::ZendeskOptions> zendesk;
  try {
    if (!github_text.empty()) github = tsync::mock::parse_github_spec(github_text);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tsync-mock-api: error: --github \"%s\": %s\n", github_text.c_str(),
                 e.what());
    return 2;
  }
  try {
    if (!stripe_text.empty()) stripe = tsync::mock::parse_stripe_spec(stripe_text);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tsync-mock-api: error: --stripe \"%s\": %s\n", stripe_text.c_str(),
                 e.what());
    return 2;
  }
  try {
    if (!zendesk_text.empty()) zendesk = tsync::mock::parse_zendesk_spec(zendesk_text);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tsync-mock-api: error: --zendesk \"%s\": %s\n", zendesk_text.c_str(),
                 e.what());
    return 2;
  }
  if (zendesk) zendesk->refuse_recent_start_time = zendesk_refuse_recent;
  std::optional<tsync::mock::GraphOptions> graph;
  try {
    if (!graph_text.empty()) {
      graph = tsync::mock::parse_graph_spec(graph_text);
      graph->token_ttl_seconds = graph_ttl;
      graph->resync_required = graph_resync;
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tsync-mock-api: error: --graph \"%s\": %s\n", graph_text.c_str(),
                 e.what());
    return 2;
  }
  std::optional<tsync::mock::GoogleOptions> google;
  try {
    if (!google_text.empty()) {
      google = tsync::mock::parse_google_spec(google_text);
      google->token_ttl_seconds = google_ttl;
      google->calendar_id = google_calendar;
      tsync::mock::check_google(*google);
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "tsync-mock-api: error: --google \"%s\": %s\n", google_text.c_str(),
                 e.what());
    return 2;
  }

  std::vector<tsync::mock::EndpointSpec> endpoints;
  for (const std::string& text : endpoint_texts) {
    try {
      endpoints.push_back(tsync::mock::parse_endpoint_spec(text));
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "tsync-mock-api: error: --endpoint \"%s\": %s\n", text.c_str(),
                   e.what());
      return 2;
    }
  }

  std::optional<tsync::mock::PlaygroundCredentials> playground;
  if (playground_auth) {
    std::mt19937_64 random{std::random_device{}()};
    playground = tsync::mock::random_playground_credentials(random);
    for (auto& spec : tsync::mock::playground_auth_endpoints(*playground, options.seed))
      endpoints.push_back(std::move(spec));
  }

  // Signals are taken synchronously by this thread; the server threads never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    tsync::mock::MockApi api(options);
    api.set_oauth(oauth);
    using Kind = tsync::mock::AuthRequirement::Kind;
    bool sessions = options.auth.kind == Kind::Session;
    bool oauth2 = options.auth.kind == Kind::OAuth2;
    std::vector<std::string> paths;
    for (auto& endpoint : endpoints) {
      sessions = sessions || endpoint.auth.kind == Kind::Session;
      oauth2 = oauth2 || endpoint.auth.kind == Kind::OAuth2;
      paths.push_back(endpoint.path);
      api.add_endpoint(std::move(endpoint));
    }
    if (github) api.serve_github(*github);
    if (stripe) api.serve_stripe(*stripe);
    if (zendesk) api.serve_zendesk(*zendesk);
    if (graph) api.serve_graph(*graph);
    if (google) api.serve_google(*google);
    const int bound = api.start(port);
    std::printf("tsync-mock-api: serving %zu users at http://127.0.0.1:%d%s\n", api.store().size(),
                bound, tsync::mock::kUsersPath);
    for (const std::string& path : paths) {
      std::printf("tsync-mock-api: serving %zu records at %s\n", api.records(path).size(),
                  api.url(path).c_str());
    }
    if (github) {
      const auto repos = api.github().repos();
      std::size_t issues = 0, comments = 0;
      for (const auto& repo : repos) {
        issues += repo.issues.size();
        for (const auto& issue : repo.issues) comments += issue.comments.size();
      }
      const std::string first =
          github->org + "/" + (repos.empty() ? std::string("REPO") : repos.front().name);
      std::printf("tsync-mock-api: serving %zu GitHub repositories at %s\n", repos.size(),
                  api.url("/orgs/" + github->org + "/repos").c_str());
      std::printf("tsync-mock-api: serving %zu issues at %s (and each repository's)\n", issues,
                  api.url("/repos/" + first + "/issues").c_str());
      std::printf("tsync-mock-api: serving %zu comments at %s (and each issue's)\n", comments,
                  api.url("/repos/" + first + "/issues/1/comments").c_str());
    }
    if (stripe) {
      const auto invoices = api.stripe().invoices();
      std::size_t lines = 0;
      for (const auto& invoice : invoices) lines += invoice.lines.size();
      std::printf("tsync-mock-api: serving %zu Stripe invoices at %s\n", invoices.size(),
                  api.url("/v1/invoices").c_str());
      std::printf(
          "tsync-mock-api: serving %zu invoice lines at %s (and each invoice's)\n", lines,
          api.url("/v1/invoices/" +
                  (invoices.empty() ? std::string("INVOICE") : invoices.front().id) + "/lines")
              .c_str());
    }
    if (zendesk) {
      const auto tickets = api.zendesk().tickets();
      std::size_t audits = 0;
      for (const auto& ticket : tickets) audits += ticket.audits.size();
      std::printf("tsync-mock-api: serving %zu Zendesk tickets at %s?start_time=0\n",
                  tickets.size(), api.url("/api/v2/incremental/tickets/cursor.json").c_str());
      std::printf(
          "tsync-mock-api: serving %zu ticket audits at %s (and each ticket's)\n", audits,
          api.url("/api/v2/tickets/" +
                  (tickets.empty() ? std::string("ID") : std::to_string(tickets.front().id)) +
                  "/audits.json")
              .c_str());
    }
    if (graph)
      std::printf("tsync-mock-api: serving %zu Graph users at %s\n", api.graph().users().size(),
                  api.url("/v1.0/users/delta").c_str());
    if (google)
      std::printf("tsync-mock-api: serving %zu Google Calendar events at %s (and %s)\n",
                  api.google().events().size(),
                  api.url("/calendar/v3/calendars/primary/events").c_str(),
                  api.url("/calendar/v3/calendars/" + google->calendar_id + "/events").c_str());
    if (sessions)
      std::printf("tsync-mock-api: session logins at %s\n",
                  api.url(tsync::mock::kLoginPath).c_str());
    if (oauth2)
      std::printf("tsync-mock-api: OAuth2 tokens at %s\n",
                  api.url(tsync::mock::kTokenPath).c_str());
    if (playground)
      std::fputs(tsync::mock::playground_credentials_table(
                     "http://127.0.0.1:" + std::to_string(bound), *playground)
                     .c_str(),
                 stdout);
    std::fflush(stdout);
    int received = 0;
    sigwait(&signals, &received);
    api.stop();
    const std::size_t served = api.request_count();
    std::printf("tsync-mock-api: stopped after %zu %s\n", served,
                served == 1 ? "request" : "requests");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tsync-mock-api: error: %s\n", e.what());
    return 1;
  }
}
