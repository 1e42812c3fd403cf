// SPDX-License-Identifier: Apache-2.0
#include "mock/nested_admin.hpp"

#include <httplib.h>

#include <stdexcept>
#include <string>

#include "mock/catalog.hpp"
#include "mock/github_org.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"
#include "mock/stripe_invoices.hpp"

namespace tsync::mock {
namespace {

using httplib::Request;
using httplib::Response;

// The GitHub room when it serves; else null, with the answer set.
GithubOrg* github_room(GithubOrg& github, Response& response) {
  if (github.serving()) return &github;
  reply_error(response, 404, "no GitHub resources are served (--github)");
  return nullptr;
}

StripeInvoices* stripe_room(StripeInvoices& stripe, Response& response) {
  if (stripe.serving()) return &stripe;
  reply_error(response, 404, "no Stripe resources are served (--stripe)");
  return nullptr;
}

std::string change_json(const std::string& repo, std::int64_t number, std::int64_t id,
                        Instant updated) {
  std::string body = "{\"repo\":";
  append_json_string(body, repo);
  body += ",\"number\":" + std::to_string(number) + ",\"id\":" + std::to_string(id) +
          ",\"updated_at\":";
  append_json_string(body, format_compact(updated));
  body += "}";
  return body;
}

// Runs `change` on the GitHub room for the request's repo (and number, when
// `with_number`), answering what it returns; 404 for what is not served.
template <typename Change>
void github_change(GithubOrg& github, const Request& request, Response& response, bool with_number,
                   Change change) {
  GithubOrg* room = github_room(github, response);
  if (!room) return;
  if (!request.has_param("repo")) return reply_error(response, 400, "repo is missing");
  const std::string repo = request.get_param_value("repo");
  const auto number = count_param(request, "number");
  if (with_number && (!request.has_param("number") || !number || *number < 1))
    return reply_error(response, 400, "number must be an issue number, 1 or more");
  try {
    reply_json(response, change(*room, repo, static_cast<std::int64_t>(number.value_or(0))));
  } catch (const std::out_of_range& e) {
    reply_error(response, 404, e.what());
  } catch (const std::invalid_argument& e) {
    reply_error(response, 400, e.what());
  }
}

}  // namespace

void add_nested_admin_routes(httplib::Server& server, GithubOrg& github, StripeInvoices& stripe) {
  GithubOrg* g = &github;
  StripeInvoices* s = &stripe;
  server.Post("/admin/github/remove_repo", [g](const Request& request, Response& response) {
    github_change(*g, request, response, false,
                  [](GithubOrg& room, const std::string& repo, std::int64_t) {
                    room.remove_repo(repo);
                    return "{\"repos\":" + std::to_string(room.repos().size()) + "}";
                  });
  });
  server.Post("/admin/github/rename_repo", [g](const Request& request, Response& response) {
    const std::string name = request.get_param_value("name");
    github_change(*g, request, response, false,
                  [&name](GithubOrg& room, const std::string& repo, std::int64_t) {
                    room.rename_repo(repo, name);
                    std::string body = "{\"repo\":";
                    append_json_string(body, name);
                    return body + "}";
                  });
  });
  server.Post("/admin/github/add_issue", [g](const Request& request, Response& response) {
    github_change(*g, request, response, false,
                  [](GithubOrg& room, const std::string& repo, std::int64_t) {
                    const GithubIssue issue = room.add_issue(repo);
                    return change_json(repo, issue.number, issue.id, issue.updated);
                  });
  });
  server.Post("/admin/github/touch_issue", [g](const Request& request, Response& response) {
    github_change(*g, request, response, true,
                  [](GithubOrg& room, const std::string& repo, std::int64_t number) {
                    const GithubIssue issue = room.touch_issue(repo, number);
                    return change_json(repo, issue.number, issue.id, issue.updated);
                  });
  });
  server.Post("/admin/github/add_comment", [g](const Request& request, Response& response) {
    github_change(*g, request, response, true,
                  [](GithubOrg& room, const std::string& repo, std::int64_t number) {
                    const GithubComment comment = room.add_comment(repo, number);
                    return change_json(repo, number, comment.id, comment.updated);
                  });
  });
  server.Get("/admin/github/stats", [g](const Request&, Response& response) {
    GithubOrg* room = github_room(*g, response);
    if (!room) return;
    std::size_t issues = 0, comments = 0;
    const std::vector<GithubRepo> repos = room->repos();
    for (const GithubRepo& repo : repos) {
      issues += repo.issues.size();
      for (const GithubIssue& issue : repo.issues) comments += issue.comments.size();
    }
    reply_json(response, "{\"repos\":" + std::to_string(repos.size()) +
                             ",\"issues\":" + std::to_string(issues) +
                             ",\"comments\":" + std::to_string(comments) + "}");
  });
  server.Post("/admin/stripe/change", [s](const Request& request, Response& response) {
    StripeInvoices* room = stripe_room(*s, response);
    if (!room) return;
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    std::string body = "{\"changed\":[";
    const std::vector<std::string> ids = room->change(*count);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (k > 0) body.push_back(',');
      append_json_string(body, ids[k]);
    }
    reply_json(response, body + "]}");
  });
  server.Post("/admin/stripe/remove", [s](const Request& request, Response& response) {
    StripeInvoices* room = stripe_room(*s, response);
    if (!room) return;
    if (!request.has_param("invoice")) return reply_error(response, 400, "invoice is missing");
    try {
      room->remove(request.get_param_value("invoice"));
    } catch (const std::out_of_range& e) {
      return reply_error(response, 404, e.what());
    }
    reply_json(response, "{\"invoices\":" + std::to_string(room->invoices().size()) + "}");
  });
  server.Get("/admin/stripe/stats", [s](const Request&, Response& response) {
    StripeInvoices* room = stripe_room(*s, response);
    if (!room) return;
    std::size_t lines = 0;
    const std::vector<StripeInvoice> invoices = room->invoices();
    for (const StripeInvoice& invoice : invoices) lines += invoice.lines.size();
    reply_json(response, "{\"invoices\":" + std::to_string(invoices.size()) +
                             ",\"lines\":" + std::to_string(lines) + "}");
  });
}

}  // namespace tsync::mock
