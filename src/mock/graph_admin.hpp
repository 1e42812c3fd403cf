// SPDX-License-Identifier: Apache-2.0
#pragma once

// The admin routes of the Graph users: the changes a nightly run finds, made
// over HTTP, and their counts. Each answers JSON; 404 while no users are
// served, 400 for a bad value, 404 for an id that is not a soft-deleted
// user's (as {"error": "..."}, as the other admin routes).
//   POST /admin/graph/mutate?update=N&add=M          -> {"changed": [ids...]}
//   POST /admin/graph/remove?count=N&reason=R         R deleted (for good, the
//                                                     default) or changed (soft-
//                                                     deleted) -> {"removed": [ids...]}
//   POST /admin/graph/restore?ids=a,b                 -> {"restored": [ids...]}
//   POST /admin/graph/expire                          every token issued so far
//                                                     answers as expired -> {"expired": true}
//   GET  /admin/graph/stats   {"users", "removed", "full_requests", "delta_requests"}

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class GraphUsers;

// Registers them on `server`; `users` outlives it.
void add_graph_admin_routes(httplib::Server& server, GraphUsers& users);

}  // namespace tsync::mock
