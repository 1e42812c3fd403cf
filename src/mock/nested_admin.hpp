// SPDX-License-Identifier: Apache-2.0
#pragma once

// The admin routes of the nested resources: the changes a nightly run finds,
// made over HTTP, and their counts. Each answers JSON; 404 while its resources
// are not served or for a repository, issue or invoice that is not, 400 for a
// bad value (as {"error": "..."}, as the other admin routes).
//   POST /admin/github/remove_repo?repo=NAME              -> {"repos": N}
//   POST /admin/github/rename_repo?repo=NAME&name=NEW     -> {"repo": NEW}
//   POST /admin/github/add_issue?repo=NAME                -> the issue's
//   POST /admin/github/touch_issue?repo=NAME&number=N        {"repo", "number",
//                                                            "id", "updated_at"}
//   POST /admin/github/add_comment?repo=NAME&number=N     -> {"repo", "number",
//                                                            "id", "updated_at"}
//   GET  /admin/github/stats          {"repos": .., "issues": .., "comments": ..}
//   POST /admin/stripe/change?count=N                     -> {"changed": [ids...]}
//   POST /admin/stripe/remove?invoice=ID                  -> {"invoices": N}
//   GET  /admin/stripe/stats          {"invoices": .., "lines": ..}

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class GithubOrg;
class StripeInvoices;

// Registers them on `server`; both rooms outlive it.
void add_nested_admin_routes(httplib::Server& server, GithubOrg& github, StripeInvoices& stripe);

}  // namespace tsync::mock
