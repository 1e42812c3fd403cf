// SPDX-License-Identifier: Apache-2.0
#include "mock/nested_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <optional>
#include <set>

#include "common/timestamp.hpp"
#include "mock/catalog.hpp"
#include "mock/github_org.hpp"
#include "mock/google_routes.hpp"
#include "mock/graph_routes.hpp"
#include "mock/paging.hpp"
#include "mock/query_params.hpp"
#include "mock/stripe_invoices.hpp"
#include "mock/zendesk_routes.hpp"

namespace tsync::mock {
namespace {

constexpr std::size_t kGithubPerPage = 30, kGithubMostPerPage = 100;
constexpr std::size_t kStripeLimit = 10, kStripeMostLimit = 100;

// A whole number of 1 to 9 digits; nullopt for anything else.
std::optional<std::size_t> digits(const std::string& text) {
  const auto n = whole_number(text, 9);
  return n ? std::optional<std::size_t>(static_cast<std::size_t>(*n)) : std::nullopt;
}

NestedAnswer json(int status, std::string body) {
  NestedAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

// --- GitHub ---------------------------------------------------------------

NestedAnswer github_not_found() {
  return json(404, R"({"message":"Not Found","documentation_url":"https://docs.github.com/rest"})");
}

// 422 for a query value GitHub refuses, naming the field.
NestedAnswer github_invalid(const char* resource, const char* field) {
  std::string body = R"({"message":"Validation Failed","errors":[{"resource":)";
  append_json_string(body, resource);
  body += R"(,"code":"invalid","field":)";
  append_json_string(body, field);
  body += R"(}],"documentation_url":"https://docs.github.com/rest"})";
  return json(422, std::move(body));
}

// GitHub's paging: `page` from 1, `per_page` 1 to 100 (default 30; more is cut
// to 100; what is not a number takes the default).
struct GithubPage {
  std::size_t page = 1, per_page = kGithubPerPage;
  std::size_t offset() const { return (page - 1) * per_page; }
};

GithubPage github_page(const httplib::Request& request) {
  GithubPage p;
  if (const auto asked = digits(request.get_param_value("per_page")); asked && *asked > 0)
    p.per_page = std::min(*asked, kGithubMostPerPage);
  if (const auto asked = digits(request.get_param_value("page")); asked && *asked > 0)
    p.page = *asked;
  return p;
}

// The body of a bare array and, unless it is the only page, the Link header:
// prev and first from page 2 on, next and last before the last page.
NestedAnswer github_listing(const httplib::Request& request, const Listing& listing,
                            const GithubPage& p, const std::string& origin) {
  NestedAnswer answer = json(200, "[");
  for (std::size_t k = 0; k < listing.items.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += listing.items[k];
  }
  answer.body.push_back(']');
  const std::size_t last = std::max<std::size_t>(1, (listing.total + p.per_page - 1) / p.per_page);
  if (p.page == 1 && last == 1) return answer;
  const std::size_t mark = request.target.find('?');
  const std::string query = mark == std::string::npos ? "" : request.target.substr(mark + 1);
  const auto link = [&](std::size_t page, const char* rel) {
    return "<" + origin + request.path + "?" +
           with_query_param(query, "page", std::to_string(page)) + ">; rel=\"" + rel + "\"";
  };
  std::vector<std::string> links;
  if (p.page > 1) links.push_back(link(p.page - 1, "prev"));
  if (p.page < last) {
    links.push_back(link(p.page + 1, "next"));
    links.push_back(link(last, "last"));
  }
  if (p.page > 1) links.push_back(link(1, "first"));
  std::string header;
  for (const std::string& item : links) header += (header.empty() ? "" : ", ") + item;
  answer.headers.emplace_back("Link", header);
  return answer;
}

// Reads state, sort and direction into `query`; a 422 for a value GitHub refuses.
std::optional<NestedAnswer> read_issue_query(const httplib::Request& request, IssueQuery& query) {
  const std::string state = request.get_param_value("state");
  if (state == "closed") {
    query.state = IssueQuery::State::Closed;
  } else if (state == "all") {
    query.state = IssueQuery::State::All;
  } else if (!state.empty() && state != "open") {
    return github_invalid("Issue", "state");
  }
  const std::string sort = request.get_param_value("sort");
  if (sort == "updated") {
    query.sort = IssueQuery::Sort::Updated;
  } else if (sort == "comments") {
    query.sort = IssueQuery::Sort::Comments;
  } else if (!sort.empty() && sort != "created") {
    return github_invalid("Issue", "sort");
  }
  const std::string direction = request.get_param_value("direction");
  if (direction == "asc") {
    query.ascending = true;
  } else if (!direction.empty() && direction != "desc") {
    return github_invalid("Issue", "direction");
  }
  return std::nullopt;
}

// GitHub's answer under a renamed repository's old name: 301 to the same
// request under /repositories/{id}, in Location and in the body.
NestedAnswer github_moved(const httplib::Request& request, std::int64_t id,
                          const std::vector<std::string>& parts, const std::string& origin) {
  std::string url = origin + "/repositories/" + std::to_string(id);
  for (std::size_t k = 3; k < parts.size(); ++k) url += "/" + parts[k];
  const std::size_t mark = request.target.find('?');
  if (mark != std::string::npos) url += request.target.substr(mark);
  std::string body = R"({"message":"Moved Permanently","url":)";
  append_json_string(body, url);
  body +=
      R"(,"documentation_url":"https://docs.github.com/rest/guides/best-practices-for-using-the-rest-api#follow-redirects"})";
  NestedAnswer answer = json(301, std::move(body));
  answer.headers.emplace_back("Location", url);
  return answer;
}

// --- Stripe ---------------------------------------------------------------

// Stripe's error body; `missing` adds the code resource_missing and its doc_url.
NestedAnswer stripe_error(int status, const std::string& message, const std::string& param,
                          bool missing = false) {
  std::string body = "{\"error\":{";
  if (missing)
    body +=
        R"("code":"resource_missing","doc_url":"https://stripe.com/docs/error-codes/resource-missing",)";
  body += "\"message\":";
  append_json_string(body, message);
  if (!param.empty()) {
    body += ",\"param\":";
    append_json_string(body, param);
  }
  body += ",\"type\":\"invalid_request_error\"}}";
  return json(status, std::move(body));
}

NestedAnswer stripe_unrecognized(const std::string& path) {
  return stripe_error(404,
                      "Unrecognized request URL (GET: " + path +
                          "). Please see https://stripe.com/docs or we can help at "
                          "https://support.stripe.com/.",
                      "");
}

// A list request's parameters: a refusal, or the cursor and the limit.
struct StripeQuery {
  std::optional<NestedAnswer> refusal;
  StripeCursor cursor;
  std::size_t limit = kStripeLimit;
};

StripeQuery stripe_query(const httplib::Request& request, const std::set<std::string>& known) {
  StripeQuery q;
  for (const auto& [name, value] : request.params) {
    if (!known.count(name)) {
      q.refusal = stripe_error(400, "Received unknown parameter: " + name, name);
      return q;
    }
  }
  q.cursor.starting_after = request.get_param_value("starting_after");
  q.cursor.ending_before = request.get_param_value("ending_before");
  if (request.has_param("starting_after") && request.has_param("ending_before")) {
    q.refusal = stripe_error(
        400, "You may only specify one of these parameters: ending_before, starting_after.",
        "ending_before");
    return q;
  }
  if (request.has_param("limit")) {
    const std::string text = request.get_param_value("limit");
    const auto limit = digits(text);
    if (!limit) {
      q.refusal = stripe_error(400, "Invalid integer: " + text, "limit");
    } else if (*limit < 1 || *limit > kStripeMostLimit) {
      q.refusal = stripe_error(400, "Invalid limit: must be between 1 and 100", "limit");
    } else {
      q.limit = *limit;
    }
  }
  return q;
}

NestedAnswer stripe_list(const StripeList& list, const std::string& url) {
  NestedAnswer answer = json(200, "{\"object\":\"list\",\"data\":[");
  for (std::size_t k = 0; k < list.items.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += list.items[k];
  }
  answer.body += "],\"has_more\":";
  answer.body += list.has_more ? "true" : "false";
  answer.body += ",\"url\":";
  append_json_string(answer.body, url);
  answer.body += "}";
  return answer;
}

// The refusal of a cursor whose object is not served (`what`: "invoice", "line item").
NestedAnswer stripe_cursor_missing(const StripeCursor& cursor, const char* what) {
  const bool after = !cursor.starting_after.empty();
  return stripe_error(400,
                      std::string("No such ") + what + ": '" +
                          (after ? cursor.starting_after : cursor.ending_before) + "'",
                      after ? "starting_after" : "ending_before", true);
}

}  // namespace

bool NestedRoutes::serves(const std::string& path) const {
  const auto starts = [&path](const char* prefix) { return path.rfind(prefix, 0) == 0; };
  if ((starts("/orgs/") || starts("/repos/") || starts("/repositories/")) && github_.serving())
    return true;
  if (zendesk_serves(zendesk_, path)) return true;
  if (graph_serves(graph_, path) || google_serves(google_, path)) return true;
  return (path == "/v1/invoices" || starts("/v1/invoices/")) && stripe_.serving();
}

NestedAnswer NestedRoutes::answer(const httplib::Request& request,
                                  const std::string& origin) const {
  const std::vector<std::string> parts = path_segments(request.path);
  if (parts.front() == "api") return zendesk_answer(zendesk_, request, origin);
  if (parts.front() == "v1.0") return graph_answer(graph_, request, origin);
  if (parts.front() == "calendar") return google_answer(google_, request);
  if (parts.front() == "v1") return stripe(request, parts);
  return github(request, parts, origin);
}

NestedAnswer NestedRoutes::github(const httplib::Request& request, std::vector<std::string> parts,
                                  const std::string& origin) const {
  const GithubPage p = github_page(request);
  if (parts.size() == 3 && parts[0] == "orgs" && parts[2] == "repos") {
    const auto listing = github_.list_repos(parts[1], p.offset(), p.per_page);
    if (!listing) return github_not_found();
    return github_listing(request, *listing, p, origin);
  }
  // /repositories/{id}/... is /repos/{org}/{name}/...
  if (parts.size() >= 3 && parts[0] == "repositories") {
    const auto id = digits(parts[1]);
    const auto name = id ? github_.repo_name(static_cast<std::int64_t>(*id)) : std::nullopt;
    if (!name) return github_not_found();
    parts[0] = "repos";
    parts[1] = github_.org();
    parts.insert(parts.begin() + 2, *name);
  }
  if (parts.size() < 4 || parts[0] != "repos") return github_not_found();
  if (const auto moved = github_.moved_repo(parts[1], parts[2]))
    return github_moved(request, *moved, parts, origin);
  if (parts[3] != "issues") return github_not_found();
  std::optional<Instant> since;
  if (request.has_param("since")) {
    since = parse_timestamp(request.get_param_value("since"));
    if (!since) return github_invalid(parts.size() == 4 ? "Issue" : "IssueComment", "since");
  }
  if (parts.size() == 4) {
    IssueQuery query;
    query.since = since;
    if (auto refusal = read_issue_query(request, query)) return std::move(*refusal);
    const auto listing =
        github_.list_issues(parts[1], parts[2], query, p.offset(), p.per_page, origin);
    if (!listing) return github_not_found();
    return github_listing(request, *listing, p, origin);
  }
  const auto number = digits(parts[4]);
  if (parts.size() != 6 || parts[5] != "comments" || !number) return github_not_found();
  const auto listing = github_.list_comments(parts[1], parts[2], static_cast<std::int64_t>(*number),
                                             since, p.offset(), p.per_page, origin);
  if (!listing) return github_not_found();
  return github_listing(request, *listing, p, origin);
}

NestedAnswer NestedRoutes::stripe(const httplib::Request& request,
                                  const std::vector<std::string>& parts) const {
  static const std::set<std::string> kListParams{"limit", "starting_after", "ending_before"};
  if (parts.size() == 2) {
    const StripeQuery q = stripe_query(request, kListParams);
    if (q.refusal) return *q.refusal;
    const StripeAnswer answer = stripe_.list_invoices(q.cursor, q.limit);
    if (answer.missing != StripeAnswer::Missing::None)
      return stripe_cursor_missing(q.cursor, "invoice");
    return stripe_list(answer.list, "/v1/invoices");
  }
  const std::string& id = parts[2];
  const auto missing_invoice = [&id](const char* param) {
    return stripe_error(404, "No such invoice: '" + id + "'", param, true);
  };
  if (parts.size() == 3 && !id.empty()) {
    const StripeQuery q = stripe_query(request, {});
    if (q.refusal) return *q.refusal;
    const auto invoice = stripe_.invoice(id);
    if (!invoice) return missing_invoice("id");
    return json(200, *invoice);
  }
  if (parts.size() != 4 || parts[3] != "lines" || id.empty())
    return stripe_unrecognized(request.path);
  const StripeQuery q = stripe_query(request, kListParams);
  if (q.refusal) return *q.refusal;
  const StripeAnswer answer = stripe_.list_lines(id, q.cursor, q.limit);
  if (answer.missing == StripeAnswer::Missing::Invoice) return missing_invoice("invoice");
  if (answer.missing == StripeAnswer::Missing::Cursor)
    return stripe_cursor_missing(q.cursor, "line item");
  return stripe_list(answer.list, "/v1/invoices/" + id + "/lines");
}

}  // namespace tsync::mock
