// SPDX-License-Identifier: Apache-2.0
#pragma once

// The data route of the Graph users (while GraphUsers serves), as Microsoft
// Graph v1.0 answers it; NestedRoutes hands it the paths under /v1.0/.
//   GET /v1.0/users/delta (or /v1.0/users/microsoft.graph.delta)
//       First $select=a,b (optional; then "id" and those properties only),
//       later $skiptoken=<from @odata.nextLink> or $deltatoken=<from
//       @odata.deltaLink> alone: a token carries the selection, and $select
//       beside it is a 400. Page size from the header Prefer:
//       odata.maxpagesize=N (1-1000, more cut to 1000; else the option's),
//       echoed in Preference-Applied. {"@odata.context", "value": [...],
//       "@odata.nextLink" | "@odata.deltaLink"}. A full read brings the live
//       users; a delta read the users changed since the token, whole, then the
//       removed ones as {"id", "@removed": {"reason": "deleted" | "changed"}}.
//       The delta token stands for the last change when the read began.
//   Errors {"error": {"code", "message"}}: a malformed token or a bad query
//   400 BadRequest; an expired token 410 syncStateNotFound (400
//   resyncRequired with GraphOptions::resync_required); another path 400
//   BadRequest "Resource not found for the segment ...".

#include <string>

#include "mock/httplib_fwd.hpp"
#include "mock/nested_routes.hpp"

namespace tsync::mock {

class GraphUsers;

// Whether a GET of `path` is theirs: under /v1.0/ while `users` serves.
bool graph_serves(const GraphUsers& users, const std::string& path);

// The answer to `request`, whose path graph_serves took; `origin`
// ("http://host:port") begins the links.
NestedAnswer graph_answer(const GraphUsers& users, const httplib::Request& request,
                          const std::string& origin);

}  // namespace tsync::mock
