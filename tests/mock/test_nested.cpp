// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/github_org.hpp"
#include "mock/mock_support.hpp"
#include "mock/stripe_invoices.hpp"

using namespace mock_test;
using tsync::mock::GithubIssue;
using tsync::mock::GithubOptions;
using tsync::mock::GithubRepo;
using tsync::mock::StripeInvoice;
using tsync::mock::StripeOptions;

namespace {

GithubOptions github_sizes(std::size_t repos, std::size_t issues, std::size_t comments) {
  GithubOptions options;
  options.repos = repos;
  options.issues_per_repo = issues;
  options.comments_per_issue = comments;
  return options;
}

std::string time_text(tsync::Instant at) { return tsync::format_compact(at); }

// The "number" of every issue of a bare array, in order.
std::vector<std::int64_t> numbers_in(const Reply& reply) {
  REQUIRE(reply.status == 200);
  REQUIRE(reply.json.IsArray());
  std::vector<std::int64_t> numbers;
  for (const auto& issue : reply.json.GetArray()) numbers.push_back(issue["number"].GetInt64());
  return numbers;
}

std::vector<std::int64_t> int_ids_in(const Reply& reply) {
  REQUIRE(reply.status == 200);
  REQUIRE(reply.json.IsArray());
  std::vector<std::int64_t> ids;
  for (const auto& record : reply.json.GetArray()) ids.push_back(record["id"].GetInt64());
  return ids;
}

// The status and body of a POST to an admin route.
std::pair<int, std::string> admin_post(int port, const std::string& target) {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Post(target, "", "text/plain");
  REQUIRE(result);
  return {result->status, result->body};
}

std::vector<std::string> stripe_ids(const Reply& reply) { return ids_in(reply["data"]); }

}  // namespace

TEST_SUITE("mock_nested_github") {
  TEST_CASE("the org's repositories come by full_name, one page without a Link header") {
    MockApi api;
    const int port = api.start();
    CHECK(api.serve_github() == api.url("/orgs/acme/repos"));
    const std::vector<GithubRepo> repos = api.github().repos();
    REQUIRE(repos.size() == 3);
    const Reply reply = fetch_reply(port, "/orgs/acme/repos?type=all");
    CHECK(reply.status == 200);
    CHECK(reply.link_headers.empty());
    REQUIRE(reply.json.IsArray());
    REQUIRE(reply.json.Size() == 3);
    std::vector<std::string> names;
    for (std::size_t k = 0; k < 3; ++k) {
      const auto& repo = reply.json[static_cast<rapidjson::SizeType>(k)];
      CHECK(repo["id"].GetInt64() == repos[k].id);
      CHECK(text_of(repo["node_id"]) == repos[k].node_id);
      CHECK(text_of(repo["name"]) == repos[k].name);
      CHECK(text_of(repo["full_name"]) == "acme/" + repos[k].name);
      CHECK(text_of(repo["owner"]["login"]) == "acme");
      CHECK(repo["owner"]["id"].IsInt64());
      CHECK(repo["private"].IsFalse());
      CHECK(text_of(repo["updated_at"]) == time_text(repos[k].updated));
      CHECK(text_of(repo["pushed_at"]) == time_text(repos[k].pushed));
      CHECK(text_of(repo["updated_at"]).size() == 20);
      names.push_back(text_of(repo["full_name"]));
    }
    CHECK(std::is_sorted(names.begin(), names.end()));
    // GitHub's names are not case-sensitive.
    CHECK(fetch_reply(port, "/orgs/ACME/repos").json.Size() == 3);
  }

  TEST_CASE("pages carry GitHub's Link header: next and last, then prev and first") {
    MockApi api;
    const int port = api.start();
    api.serve_github(github_sizes(5, 0, 0));
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    const std::string base = origin + "/orgs/acme/repos?type=all&per_page=2&page=";
    CHECK(raw_link(port, "/orgs/acme/repos?type=all&per_page=2") ==
          "<" + base + "2>; rel=\"next\", <" + base + "3>; rel=\"last\"");
    CHECK(raw_link(port, "/orgs/acme/repos?type=all&per_page=2&page=2") ==
          "<" + base + "1>; rel=\"prev\", <" + base + "3>; rel=\"next\", <" + base +
              "3>; rel=\"last\", <" + base + "1>; rel=\"first\"");
    CHECK(raw_link(port, "/orgs/acme/repos?type=all&per_page=2&page=3") ==
          "<" + base + "2>; rel=\"prev\", <" + base + "1>; rel=\"first\"");

    // The request's query is kept as sent, percent-escapes and all.
    const std::string issues = "/repos/acme/" + api.github().repos().front().name + "/issues";
    api.github().add_issue(api.github().repos().front().name);
    api.github().add_issue(api.github().repos().front().name);
    const std::string target = issues + "?since=2024-01-01T00%3A00%3A00Z&per_page=1";
    CHECK(raw_link(port, target) == "<" + origin + target + "&page=2>; rel=\"next\", <" + origin +
                                        target + "&page=2>; rel=\"last\"");

    // Following next to the end reads every repository once.
    std::vector<std::int64_t> read;
    std::string next = origin + "/orgs/acme/repos?type=all&per_page=2";
    while (!next.empty()) {
      const Reply page = fetch_url(next);
      for (const std::int64_t id : int_ids_in(page)) read.push_back(id);
      const auto links = page.links();
      next = links.count("next") ? links.at("next") : "";
    }
    std::vector<std::int64_t> expected;
    for (const GithubRepo& repo : api.github().repos()) expected.push_back(repo.id);
    CHECK(read == expected);
  }

  TEST_CASE("per_page defaults to 30 and is cut to 100") {
    MockApi api;
    const int port = api.start();
    api.serve_github(github_sizes(130, 0, 0));
    const Reply first = fetch_reply(port, "/orgs/acme/repos");
    CHECK(first.json.Size() == 30);
    CHECK(first.links().at("last") == api.url("/orgs/acme/repos?page=5"));
    const Reply capped = fetch_reply(port, "/orgs/acme/repos?per_page=500");
    CHECK(capped.json.Size() == 100);
    CHECK(capped.links().at("next") == api.url("/orgs/acme/repos?per_page=500&page=2"));
    CHECK(capped.links().at("last") == api.url("/orgs/acme/repos?per_page=500&page=2"));
    CHECK(fetch_reply(port, "/orgs/acme/repos?per_page=500&page=2").json.Size() == 30);
  }

  TEST_CASE("issues: open by default, state=all, since inclusive, created desc or as sorted") {
    MockApi api;
    const int port = api.start();
    api.serve_github(github_sizes(2, 12, 1));
    const GithubRepo repo = api.github().repos().front();
    const std::string path = "/repos/acme/" + repo.name + "/issues";
    std::vector<std::int64_t> open, all;
    for (auto it = repo.issues.rbegin(); it != repo.issues.rend(); ++it) {
      all.push_back(it->number);
      if (it->open) open.push_back(it->number);
    }
    REQUIRE(open.size() < all.size());
    CHECK(numbers_in(fetch_reply(port, path)) == open);
    CHECK(numbers_in(fetch_reply(port, path + "?state=all")) == all);
    CHECK(numbers_in(fetch_reply(port, path + "?state=open")) == open);
    CHECK(fetch_reply(port, path + "?state=closed").json.Size() == all.size() - open.size());
    CHECK(fetch_reply(port, path + "?state=shut").status == 422);

    // Each issue as the accessor has it.
    const Reply every = fetch_reply(port, path + "?state=all&direction=asc");
    REQUIRE(every.json.Size() == repo.issues.size());
    for (std::size_t k = 0; k < repo.issues.size(); ++k) {
      const GithubIssue& expected = repo.issues[k];
      const auto& issue = every.json[static_cast<rapidjson::SizeType>(k)];
      CHECK(issue["id"].GetInt64() == expected.id);
      CHECK(issue["number"].GetInt64() == expected.number);
      CHECK(text_of(issue["title"]) == expected.title);
      CHECK(text_of(issue["body"]) == expected.body);
      CHECK(text_of(issue["state"]) == (expected.open ? "open" : "closed"));
      CHECK(text_of(issue["user"]["login"]) == expected.user.login);
      CHECK(issue["comments"].GetInt64() == 1);
      CHECK(text_of(issue["created_at"]) == time_text(expected.created));
      CHECK(text_of(issue["updated_at"]) == time_text(expected.updated));
      if (expected.closed) {
        CHECK(text_of(issue["closed_at"]) == time_text(*expected.closed));
      } else {
        CHECK(issue["closed_at"].IsNull());
      }
    }

    // since: updated at or after it.
    std::vector<GithubIssue> by_updated = repo.issues;
    std::sort(by_updated.begin(), by_updated.end(),
              [](const GithubIssue& a, const GithubIssue& b) { return a.updated < b.updated; });
    const GithubIssue& middle = by_updated[by_updated.size() / 2];
    std::vector<std::int64_t> since_updated;
    for (const GithubIssue& issue : by_updated)
      if (issue.updated >= middle.updated) since_updated.push_back(issue.number);
    CHECK(numbers_in(fetch_reply(port, path + "?state=all&sort=updated&direction=asc&" +
                                           query("since", time_text(middle.updated)))) ==
          since_updated);
    CHECK(fetch_reply(port, path + "?since=yesterday").status == 422);
  }

  TEST_CASE("comments: ascending by id, since inclusive, and 404 as GitHub's") {
    MockApi api;
    const int port = api.start();
    api.serve_github(github_sizes(1, 2, 5));
    const GithubRepo repo = api.github().repos().front();
    const GithubIssue& issue = repo.issues[1];
    const std::string path = "/repos/acme/" + repo.name + "/issues/2/comments";
    const Reply reply = fetch_reply(port, path);
    std::vector<std::int64_t> ids;
    for (const auto& comment : issue.comments) ids.push_back(comment.id);
    CHECK(int_ids_in(reply) == ids);
    CHECK(std::is_sorted(ids.begin(), ids.end()));
    CHECK(text_of(reply.json[0]["issue_url"]) == api.url("/repos/acme/" + repo.name + "/issues/2"));
    CHECK(text_of(reply.json[0]["body"]) == issue.comments[0].body);
    CHECK(text_of(reply.json[0]["created_at"]) == time_text(issue.comments[0].created));
    std::vector<std::int64_t> later;
    for (const auto& comment : issue.comments)
      if (comment.updated >= issue.comments[2].updated) later.push_back(comment.id);
    CHECK(int_ids_in(fetch_reply(
              port, path + "?" + query("since", time_text(issue.comments[2].updated)))) == later);

    const std::string not_found =
        R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest"})";
    for (const std::string& target : std::vector<std::string>{
             "/repos/acme/" + repo.name + "/issues/3/comments", "/repos/acme/nothing/issues",
             std::string("/orgs/other/repos"), "/repos/other/" + repo.name + "/issues",
             "/repos/acme/" + repo.name + "/pulls"}) {
      CAPTURE(target);
      const Raw raw = raw_get(port, target);
      CHECK(raw.status == 404);
      CHECK(raw.body == not_found);
    }
  }

  TEST_CASE("a removed repository is no longer listed and its children answer 404") {
    MockApi api;
    const int port = api.start();
    api.serve_github();
    const std::vector<GithubRepo> before = api.github().repos();
    const std::string gone = before[1].name;
    api.github().remove_repo(gone);
    std::vector<std::int64_t> left{before[0].id, before[2].id};
    CHECK(int_ids_in(fetch_reply(port, "/orgs/acme/repos")) == left);
    CHECK(raw_get(port, "/repos/acme/" + gone + "/issues?state=all").status == 404);
    CHECK(raw_get(port, "/repos/acme/" + gone + "/issues/1/comments").status == 404);
    CHECK(raw_get(port, "/repos/acme/" + before[0].name + "/issues?state=all").status == 200);
    CHECK_THROWS_AS(api.github().remove_repo(gone), std::out_of_range);

    // The same over HTTP.
    CHECK(admin_post(port, "/admin/github/remove_repo?repo=" + before[0].name) ==
          std::make_pair(200, std::string(R"({"repos":1})")));
    CHECK(admin_post(port, "/admin/github/remove_repo?repo=" + gone).first == 404);
    CHECK(int_ids_in(fetch_reply(port, "/orgs/acme/repos")) ==
          std::vector<std::int64_t>{before[2].id});
  }

  TEST_CASE("a renamed repository's old name answers 301 to /repositories/{id}") {
    MockApi api;
    const int port = api.start();
    api.serve_github();
    const GithubRepo repo = api.github().repos().front();
    api.github().rename_repo(repo.name, "zz-renamed");
    const std::vector<GithubRepo> after = api.github().repos();
    CHECK(after.back().name == "zz-renamed");
    CHECK(after.back().id == repo.id);
    CHECK(after.back().updated > repo.updated);

    const std::string old_target = "/repos/acme/" + repo.name + "/issues?state=all&per_page=2";
    const std::string moved_to =
        api.url("/repositories/" + std::to_string(repo.id) + "/issues?state=all&per_page=2");
    httplib::Client client("127.0.0.1", port);
    const auto moved = client.Get(old_target);
    REQUIRE(moved);
    CHECK(moved->status == 301);
    CHECK(moved->get_header_value("Location") == moved_to);
    rapidjson::Document body;
    body.Parse(moved->body.c_str());
    REQUIRE(body.IsObject());
    CHECK(text_of(body["message"]) == "Moved Permanently");
    CHECK(text_of(body["url"]) == moved_to);

    // The new URL serves the issues, and its Link header stays under it.
    const Reply issues = fetch_url(moved_to);
    CHECK(issues.json.Size() == 2);
    CHECK(issues.links().at("next").rfind(
              api.url("/repositories/" + std::to_string(repo.id) + "/issues?"), 0) == 0);
    CHECK(text_of(issues.json[0]["repository_url"]) == api.url("/repos/acme/zz-renamed"));
    CHECK(fetch_reply(port, "/repos/acme/zz-renamed/issues/1/comments").json.Size() == 2);
    CHECK(raw_get(port, "/repos/acme/" + repo.name + "/issues/1/comments").status == 301);
    CHECK(raw_get(port, "/repositories/1/issues").status == 404);
    CHECK_THROWS_AS(api.github().rename_repo("zz-renamed", after.front().name),
                    std::invalid_argument);
    CHECK(admin_post(port, "/admin/github/rename_repo?repo=zz-renamed&name=a/b").first == 400);
    CHECK(admin_post(port, "/admin/github/rename_repo?repo=zz-renamed&name=back") ==
          std::make_pair(200, std::string(R"({"repo":"back"})")));
    CHECK(raw_get(port, "/repos/acme/zz-renamed/issues").status == 301);
  }

  TEST_CASE("touched and added issues and added comments are found with since") {
    MockApi api;
    const int port = api.start();
    api.serve_github();
    const GithubRepo repo = api.github().repos().front();
    const std::string issues = "/repos/acme/" + repo.name + "/issues?state=all&";
    tsync::Instant newest;
    for (const auto& r : api.github().repos())
      for (const auto& issue : r.issues) newest = std::max(newest, issue.updated);

    const GithubIssue touched = api.github().touch_issue(repo.name, 3);
    CHECK(touched.updated > newest);
    CHECK(touched.updated.nanos == 0);
    const std::string since = query("since", time_text(touched.updated));
    CHECK(numbers_in(fetch_reply(port, issues + since)) == std::vector<std::int64_t>{3});

    const GithubIssue added = api.github().add_issue(repo.name);
    CHECK(added.number == 6);
    CHECK(added.updated.seconds >= touched.updated.seconds + 1);
    CHECK(numbers_in(fetch_reply(port, issues + since)) == std::vector<std::int64_t>{6, 3});

    const auto comment = api.github().add_comment(repo.name, 1);
    CHECK(comment.updated.seconds >= added.updated.seconds + 1);
    const std::string comment_since = query("since", time_text(comment.updated));
    CHECK(int_ids_in(fetch_reply(
              port, "/repos/acme/" + repo.name + "/issues/1/comments?" + comment_since)) ==
          std::vector<std::int64_t>{comment.id});
    const Reply issue_one = fetch_reply(port, issues + comment_since);
    CHECK(numbers_in(issue_one) == std::vector<std::int64_t>{1});
    CHECK(issue_one.json[0]["comments"].GetInt64() == 3);
    CHECK_THROWS_AS(api.github().touch_issue(repo.name, 99), std::out_of_range);

    // Over HTTP: each answer names the change's instant.
    const auto [status, body] =
        admin_post(port, "/admin/github/touch_issue?repo=" + repo.name + "&number=2");
    CHECK(status == 200);
    rapidjson::Document answer;
    answer.Parse(body.c_str());
    REQUIRE(answer.IsObject());
    CHECK(answer["number"].GetInt64() == 2);
    const std::string at = text_of(answer["updated_at"]);
    CHECK(numbers_in(fetch_reply(port, issues + query("since", at))) ==
          std::vector<std::int64_t>{2});
    CHECK(admin_post(port, "/admin/github/add_issue?repo=" + repo.name).first == 200);
    CHECK(admin_post(port, "/admin/github/add_comment?repo=" + repo.name + "&number=7").first ==
          200);
    CHECK(admin_post(port, "/admin/github/add_comment?repo=" + repo.name + "&number=70").first ==
          404);
    CHECK(admin_post(port, "/admin/github/touch_issue?repo=" + repo.name).first == 400);
    httplib::Client client("127.0.0.1", port);
    const auto stats = client.Get("/admin/github/stats");
    REQUIRE(stats);
    CHECK(stats->body == R"({"repos":3,"issues":17,"comments":32})");
  }

  TEST_CASE("the same seed makes the same org, and another seed another") {
    Options options;
    options.seed = 7;
    MockApi a(options), b(options);
    a.serve_github(github_sizes(4, 3, 2));
    b.serve_github(github_sizes(4, 3, 2));
    const auto first = a.github().repos(), second = b.github().repos();
    REQUIRE(first.size() == second.size());
    for (std::size_t k = 0; k < first.size(); ++k) {
      CHECK(first[k].id == second[k].id);
      CHECK(first[k].name == second[k].name);
      CHECK(first[k].issues.back().title == second[k].issues.back().title);
      CHECK(first[k].issues.back().comments.back().id ==
            second[k].issues.back().comments.back().id);
    }
    options.seed = 8;
    MockApi c(options);
    c.serve_github(github_sizes(4, 3, 2));
    CHECK(c.github().repos().front().node_id != first.front().node_id);
  }

  TEST_CASE("parse_github_spec reads ORG:REPOS:ISSUES:COMMENTS and refuses the rest") {
    using tsync::mock::parse_github_spec;
    const GithubOptions full = parse_github_spec("octo-org:10:20:3");
    CHECK(full.org == "octo-org");
    CHECK(full.repos == 10);
    CHECK(full.issues_per_repo == 20);
    CHECK(full.comments_per_issue == 3);
    const GithubOptions org_only = parse_github_spec("widgets");
    CHECK(org_only.repos == 3);
    CHECK(org_only.issues_per_repo == 5);
    REQUIRE_THROWS_WITH(parse_github_spec("acme:x"), "REPOS must be a whole number, not \"x\"");
    REQUIRE_THROWS_WITH(parse_github_spec("a/b"),
                        "the org must be 1 to 39 letters, digits and '-', not \"a/b\"");
    REQUIRE_THROWS_WITH(parse_github_spec("acme:1:2:3:4"),
                        "expected ORG[:REPOS[:ISSUES[:COMMENTS]]], not \"acme:1:2:3:4\"");
    REQUIRE_THROWS_WITH(parse_github_spec("acme:1000:1000:1000"),
                        "at most 20000000 issues and comments together");
  }
}

TEST_SUITE("mock_nested_stripe") {
  TEST_CASE("invoices come newest first, limit 10 by default, paged by starting_after") {
    MockApi api;
    const int port = api.start();
    CHECK(api.serve_stripe() == api.url("/v1/invoices"));
    const std::vector<StripeInvoice> invoices = api.stripe().invoices();
    REQUIRE(invoices.size() == 20);
    for (std::size_t k = 1; k < invoices.size(); ++k)
      CHECK(invoices[k - 1].created > invoices[k].created);

    const Reply first = fetch_reply(port, "/v1/invoices");
    CHECK(first.keys() == std::vector<std::string>{"object", "data", "has_more", "url"});
    CHECK(text_of(first["object"]) == "list");
    CHECK(text_of(first["url"]) == "/v1/invoices");
    CHECK(first["has_more"].IsTrue());
    CHECK(first["data"].Size() == 10);

    std::vector<std::string> read, expected;
    for (const StripeInvoice& invoice : invoices) expected.push_back(invoice.id);
    std::string after;
    bool more = true;
    while (more) {
      const Reply page = fetch_reply(
          port, "/v1/invoices?limit=7" + (after.empty() ? "" : "&starting_after=" + after));
      REQUIRE(page.status == 200);
      for (const std::string& id : stripe_ids(page)) read.push_back(id);
      after = read.back();
      more = page["has_more"].IsTrue();
    }
    CHECK(read == expected);
    CHECK(stripe_ids(fetch_reply(port, "/v1/invoices?limit=3&ending_before=" + expected[5])) ==
          std::vector<std::string>{expected[2], expected[3], expected[4]});
    CHECK(fetch_reply(port, "/v1/invoices?limit=3&ending_before=" + expected[5])["has_more"]
              .IsTrue());
    CHECK(fetch_reply(port, "/v1/invoices?limit=100")["data"].Size() == 20);

    // Each invoice as the accessor has it, its first lines embedded.
    const auto& invoice = first["data"][0];
    const StripeInvoice& newest = invoices.front();
    CHECK(text_of(invoice["id"]) == newest.id);
    CHECK(newest.id.rfind("in_", 0) == 0);
    CHECK(newest.id.size() >= 17);
    CHECK(text_of(invoice["object"]) == "invoice");
    CHECK(invoice["created"].GetInt64() == newest.created);
    CHECK(text_of(invoice["customer"]).rfind("cus_", 0) == 0);
    CHECK(text_of(invoice["currency"]) == "usd");
    CHECK(text_of(invoice["status"]) == newest.status);
    CHECK(invoice["total"].GetInt64() == newest.total);
    CHECK(invoice["amount_due"].GetInt64() == newest.amount_due);
    const auto& lines = invoice["lines"];
    CHECK(text_of(lines["object"]) == "list");
    CHECK(lines["data"].Size() == 3);
    CHECK(lines["has_more"].IsFalse());
    CHECK(lines["total_count"].GetInt64() == 3);
    CHECK(text_of(lines["url"]) == "/v1/invoices/" + newest.id + "/lines");
    std::int64_t sum = 0;
    for (const auto& line : newest.lines) sum += line.amount;
    CHECK(newest.total == sum);
  }

  TEST_CASE("lines page in the invoice's order, and an invoice embeds its first ten") {
    MockApi api;
    const int port = api.start();
    StripeOptions options;
    options.invoices = 3;
    options.lines = 250;
    api.serve_stripe(options);
    const StripeInvoice invoice = api.stripe().invoices()[1];
    const std::string path = "/v1/invoices/" + invoice.id + "/lines";
    std::vector<std::string> read;
    std::size_t pages = 0;
    std::string after;
    bool more = true;
    while (more) {
      const Reply page = fetch_reply(
          port, path + "?limit=100" + (after.empty() ? "" : "&starting_after=" + after));
      REQUIRE(page.status == 200);
      CHECK(text_of(page["url"]) == path);
      for (const std::string& id : stripe_ids(page)) read.push_back(id);
      after = read.back();
      more = page["has_more"].IsTrue();
      ++pages;
    }
    CHECK(pages == 3);
    REQUIRE(read.size() == 250);
    for (std::size_t k = 0; k < read.size(); ++k) CHECK(read[k] == invoice.lines[k].id);

    const Reply line_page = fetch_reply(port, path + "?limit=1");
    const auto& line = line_page["data"][0];
    CHECK(text_of(line["object"]) == "line_item");
    CHECK(text_of(line["invoice"]) == invoice.id);
    CHECK(line["amount"].GetInt64() == invoice.lines[0].amount);
    CHECK(line["quantity"].GetInt64() == invoice.lines[0].quantity);
    CHECK(text_of(line["description"]) == invoice.lines[0].description);
    CHECK(line["period"]["start"].GetInt64() == invoice.lines[0].period_start);
    CHECK(line["period"]["end"].GetInt64() == invoice.lines[0].period_end);

    const Reply one = fetch_reply(port, "/v1/invoices/" + invoice.id);
    CHECK(one["lines"]["data"].Size() == 10);
    CHECK(one["lines"]["has_more"].IsTrue());
    CHECK(one["lines"]["total_count"].GetInt64() == 250);
  }

  TEST_CASE(
      "Stripe's refusals: an unknown parameter, both cursors, a bad limit, a missing invoice") {
    MockApi api;
    const int port = api.start();
    api.serve_stripe();
    const std::string id = api.stripe().invoices().front().id;
    const auto refusal = [port](const std::string& target) {
      const Raw raw = raw_get(port, target);
      REQUIRE(raw.status == 400);
      REQUIRE(raw.has("error"));
      CHECK(text_of(raw["error"]["type"]) == "invalid_request_error");
      return raw.body;
    };
    CHECK(
        refusal("/v1/invoices?x=1") ==
        R"({"error":{"message":"Received unknown parameter: x","param":"x","type":"invalid_request_error"}})");
    CHECK(refusal("/v1/invoices/" + id + "/lines?since=0").find("unknown parameter: since") !=
          std::string::npos);
    CHECK(refusal("/v1/invoices?starting_after=" + id + "&ending_before=" + id)
              .find("only specify one") != std::string::npos);
    CHECK(refusal("/v1/invoices?limit=0").find(R"("param":"limit")") != std::string::npos);
    CHECK(refusal("/v1/invoices?limit=101").find(R"("param":"limit")") != std::string::npos);
    CHECK(refusal("/v1/invoices?limit=ten").find("Invalid integer: ten") != std::string::npos);
    CHECK(refusal("/v1/invoices?starting_after=in_nothing").find("No such invoice: 'in_nothing'") !=
          std::string::npos);

    const Raw missing = raw_get(port, "/v1/invoices/in_x/lines");
    CHECK(missing.status == 404);
    CHECK(text_of(missing["error"]["type"]) == "invalid_request_error");
    CHECK(text_of(missing["error"]["code"]) == "resource_missing");
    CHECK(text_of(missing["error"]["message"]) == "No such invoice: 'in_x'");
    CHECK(text_of(missing["error"]["param"]) == "invoice");
    CHECK(raw_get(port, "/v1/invoices/in_x").status == 404);
    CHECK(raw_get(port, "/v1/invoices/" + id + "/items").status == 404);
  }

  TEST_CASE("a changed invoice has a new line and a new total, a removed one answers 404") {
    MockApi api;
    const int port = api.start();
    api.serve_stripe();
    const std::vector<StripeInvoice> before = api.stripe().invoices();
    const std::vector<std::string> changed = api.stripe().change(2);
    REQUIRE(changed.size() == 2);
    const std::vector<StripeInvoice> after = api.stripe().invoices();
    for (std::size_t k = 0; k < after.size(); ++k) {
      const bool was_changed =
          std::find(changed.begin(), changed.end(), after[k].id) != changed.end();
      CHECK(after[k].lines.size() == (was_changed ? 4u : 3u));
      if (!was_changed) continue;
      const auto& added = after[k].lines.back();
      CHECK(after[k].total == before[k].total + added.amount);
      const Reply one = fetch_reply(port, "/v1/invoices/" + after[k].id);
      CHECK(one["total"].GetInt64() == after[k].total);
      CHECK(one["lines"]["total_count"].GetInt64() == 4);
      CHECK(text_of(one["lines"]["data"][3]["id"]) == added.id);
      const Reply lines = fetch_reply(port, "/v1/invoices/" + after[k].id + "/lines");
      CHECK(stripe_ids(lines).back() == added.id);
    }

    const std::string gone = before[4].id;
    api.stripe().remove(gone);
    const Reply list = fetch_reply(port, "/v1/invoices?limit=100");
    const std::vector<std::string> ids = stripe_ids(list);
    CHECK(ids.size() == 19);
    CHECK(std::find(ids.begin(), ids.end(), gone) == ids.end());
    CHECK(raw_get(port, "/v1/invoices/" + gone + "/lines").status == 404);
    CHECK_THROWS_AS(api.stripe().remove(gone), std::out_of_range);

    // Over HTTP.
    const auto [status, body] = admin_post(port, "/admin/stripe/change?count=3");
    CHECK(status == 200);
    CHECK(body.rfind(R"({"changed":["in_)", 0) == 0);
    CHECK(admin_post(port, "/admin/stripe/remove?invoice=" + before[0].id) ==
          std::make_pair(200, std::string(R"({"invoices":18})")));
    CHECK(admin_post(port, "/admin/stripe/remove?invoice=" + before[0].id).first == 404);
    CHECK(admin_post(port, "/admin/stripe/change?count=many").first == 400);
    httplib::Client client("127.0.0.1", port);
    const auto stats = client.Get("/admin/stripe/stats");
    REQUIRE(stats);
    rapidjson::Document counts;
    counts.Parse(stats->body.c_str());
    REQUIRE(counts.IsObject());
    CHECK(counts["invoices"].GetInt() == 18);
  }

  TEST_CASE("parse_stripe_spec reads INVOICES:LINES") {
    using tsync::mock::parse_stripe_spec;
    CHECK(parse_stripe_spec("1000:300").invoices == 1000);
    CHECK(parse_stripe_spec("1000:300").lines == 300);
    CHECK(parse_stripe_spec("5").lines == 3);
    REQUIRE_THROWS_WITH(parse_stripe_spec("5:x"), "LINES must be a whole number, not \"x\"");
    REQUIRE_THROWS_WITH(parse_stripe_spec(""), "INVOICES must be a whole number, not \"\"");
  }
}

TEST_SUITE("mock_nested") {
  TEST_CASE("nested requests are logged, counted, delayed and faulted as every data request") {
    Options options;
    options.latency = std::chrono::milliseconds(150);
    MockApi api(options);
    const int port = api.start();
    api.serve_github();
    api.serve_stripe();
    const std::string repo = api.github().repos().front().name;
    const std::string issues = "/repos/acme/" + repo + "/issues";
    const auto started = std::chrono::steady_clock::now();
    CHECK(fetch_reply(port, issues + "?state=all&since=2024-03-01T00:00:00Z").status == 200);
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::milliseconds(150));
    CHECK(fetch_reply(port, "/repos/acme/" + repo + "/issues/1/comments").status == 200);
    CHECK(fetch_reply(port, "/v1/invoices?limit=2").status == 200);
    CHECK(api.request_count() == 3);
    CHECK(api.since_log(issues) == std::vector<std::string>{"2024-03-01T00:00:00Z"});
    CHECK(api.target_log() ==
          std::vector<std::string>{issues + "?state=all&since=2024-03-01T00:00:00Z",
                                   "/repos/acme/" + repo + "/issues/1/comments",
                                   "/v1/invoices?limit=2"});

    tsync::mock::Fault fault;
    fault.status = 502;
    api.push_fault(fault);
    CHECK(raw_get(port, "/v1/invoices").status == 502);
    tsync::mock::Fault cut;
    cut.kind = tsync::mock::Fault::Kind::TruncateBody;
    cut.after_bytes = 10;
    api.push_fault(cut);
    httplib::Client client("127.0.0.1", port);
    const auto truncated = client.Get(issues);
    CHECK((!truncated || truncated->body.size() < 20));
    CHECK(api.request_count() == 5);
    CHECK(api.peak_requests_per_second("/v1/invoices") >= 1);
  }

  TEST_CASE("without serve_github and serve_stripe their paths answer as before") {
    MockApi api;
    const int port = api.start();
    CHECK(raw_get(port, "/orgs/acme/repos").body ==
          R"({"error":"no endpoint at /orgs/acme/repos"})");
    CHECK(raw_get(port, "/v1/invoices").status == 404);
    CHECK_THROWS_AS(api.github(), std::logic_error);
    CHECK(admin_post(port, "/admin/stripe/change?count=1").first == 404);
    // A generic endpoint at a nested path is served instead.
    EndpointSpec spec;
    spec.path = "/v1/invoices";
    spec.records = 4;
    api.add_endpoint(spec);
    api.serve_stripe();
    CHECK(get(port, "/v1/invoices").size() == 4);
    CHECK(
        fetch_reply(port, "/v1/invoices/" + api.stripe().invoices().front().id + "/lines").status ==
        200);
  }

  TEST_CASE("tsync-mock-api --github and --stripe print their URLs and serve them") {
    proc::Child child({TSYNC_MOCK_BINARY, "--users", "5", "--port", "0", "--github", "octo:2:3:1",
                       "--stripe", "4:2"});
    const std::string banner = child.read_line();
    const std::string prefix = "tsync-mock-api: serving 5 users at http://127.0.0.1:";
    REQUIRE(banner.rfind(prefix, 0) == 0);
    const int port = std::stoi(banner.substr(prefix.size()));
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    CHECK(child.read_line() ==
          "tsync-mock-api: serving 2 GitHub repositories at " + base + "/orgs/octo/repos");
    const std::string issues = child.read_line();
    CHECK(issues.rfind("tsync-mock-api: serving 6 issues at " + base + "/repos/octo/", 0) == 0);
    CHECK(child.read_line().rfind("tsync-mock-api: serving 6 comments at ", 0) == 0);
    CHECK(child.read_line() ==
          "tsync-mock-api: serving 4 Stripe invoices at " + base + "/v1/invoices");
    CHECK(child.read_line().rfind(
              "tsync-mock-api: serving 8 invoice lines at " + base + "/v1/invoices/in_", 0) == 0);
    CHECK(fetch_reply(port, "/orgs/octo/repos").json.Size() == 2);
    CHECK(fetch_reply(port, "/v1/invoices")["data"].Size() == 4);
    child.signal(SIGTERM);
    CHECK(child.wait().exit_code == 0);

    const auto refused = proc::run({TSYNC_MOCK_BINARY, "--port", "0", "--stripe", "many"});
    CHECK(refused.exit_code == 2);
    CHECK(refused.err ==
          "tsync-mock-api: error: --stripe \"many\": INVOICES must be a whole number, not "
          "\"many\"\n");
  }
}
