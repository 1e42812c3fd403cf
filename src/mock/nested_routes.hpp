// SPDX-License-Identifier: Apache-2.0
#pragma once

// The data routes of the nested resources, each as the real API answers:
//   GitHub (when GithubOrg serves): bare JSON arrays, paged by page and per_page
//   (default 30, more than 100 cut to 100) with a Link header of prev, next,
//   last and first, none on an answer of one page; errors as GitHub writes them.
//     GET /orgs/{org}/repos                               by full_name; no since
//     GET /repos/{owner}/{repo}/issues                    since (inclusive), state,
//                                                         sort, direction
//     GET /repos/{owner}/{repo}/issues/{number}/comments  since (inclusive), by id
//     GET /repositories/{id}/...                          the same by the repo's id;
//                                                         a renamed repo's old name
//                                                         answers 301 to it
//   Stripe (when StripeInvoices serves): {"object": "list", "data": [...],
//   "has_more": .., "url": ..}, limit (1-100, default 10), starting_after or
//   ending_before; 400 for a parameter it does not know; errors as Stripe's.
//     GET /v1/invoices                   newest first
//     GET /v1/invoices/{invoice}         one invoice
//     GET /v1/invoices/{invoice}/lines   in the invoice's order
//   Zendesk (when ZendeskTickets serves): zendesk_routes.hpp.
//   Microsoft Graph's users delta (when GraphUsers serves): graph_routes.hpp.
//   Google Calendar's events (when GoogleEvents serves): google_routes.hpp.
// DataRoutes counts, logs, delays and faults them as every data request.

#include <string>
#include <utility>
#include <vector>

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class GithubOrg;
class GoogleEvents;
class GraphUsers;
class StripeInvoices;
class ZendeskTickets;

// One answer, made whole before it is sent.
struct NestedAnswer {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class NestedRoutes {
 public:
  // All outlive this.
  NestedRoutes(const GithubOrg& github, const StripeInvoices& stripe, const ZendeskTickets& zendesk,
               const GraphUsers& graph, const GoogleEvents& google)
      : github_(github), stripe_(stripe), zendesk_(zendesk), graph_(graph), google_(google) {}

  // Whether a GET of `path` is one of theirs: under /orgs/, /repos/ or /repositories/ while
  // GitHub is served, /v1/invoices and under it while Stripe is, under /api/v2/
  // while Zendesk is, under /v1.0/ while Graph is, under /calendar/v3/ while
  // Google is.
  bool serves(const std::string& path) const;
  // The answer to `request`, whose path serves() took; `origin`
  // ("http://host:port") begins the URLs of the Link header and the records.
  NestedAnswer answer(const httplib::Request& request, const std::string& origin) const;

 private:
  NestedAnswer github(const httplib::Request& request, std::vector<std::string> parts,
                      const std::string& origin) const;
  NestedAnswer stripe(const httplib::Request& request, const std::vector<std::string>& parts) const;

  const GithubOrg& github_;
  const StripeInvoices& stripe_;
  const ZendeskTickets& zendesk_;
  const GraphUsers& graph_;
  const GoogleEvents& google_;
};

}  // namespace tsync::mock
