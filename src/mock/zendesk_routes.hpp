// SPDX-License-Identifier: Apache-2.0
#pragma once

// The data routes of the Zendesk tickets (while ZendeskTickets serves), each as
// Zendesk's API v2 answers; NestedRoutes hands them the paths under /api/v2/.
//   GET /api/v2/incremental/tickets/cursor.json   start_time=<unix s> first, then
//       cursor=<after_cursor> alone (both or neither: 400); per_page 1-1000
//       (default 1000, more cut to 1000). {"tickets": [...], "after_url",
//       "after_cursor", "before_url", "before_cursor", "end_of_stream"}: tickets
//       with generated_timestamp >= start_time, ascending by it (then by id),
//       deleted ones with "status": "deleted"; the last page's after_cursor,
//       asked later, reads what changed since.
//   GET /api/v2/tickets/{ticket_id}/audits.json   page[size] 1-100 (default 100,
//       more cut to 100), page[after] or page[before] (both: 400). {"audits":
//       [...], "meta": {"has_more", "after_cursor", "before_cursor"}, "links":
//       {"prev", "next"}}, ascending by created_at; a missing or deleted ticket
//       404 {"error": "RecordNotFound", "description": "Not found"}.
//   GET /api/v2/tickets/{ticket_id}.json           {"ticket": {...}}, the URL a
//       ticket's "url" names; 404 as above.

#include <string>

#include "mock/httplib_fwd.hpp"
#include "mock/nested_routes.hpp"

namespace tsync::mock {

class ZendeskTickets;

// Whether a GET of `path` is one of theirs: under /api/v2/ while `tickets` serves.
bool zendesk_serves(const ZendeskTickets& tickets, const std::string& path);

// The answer to `request`, whose path zendesk_serves took; `origin`
// ("http://host:port") begins the URLs of the answer and the tickets.
NestedAnswer zendesk_answer(const ZendeskTickets& tickets, const httplib::Request& request,
                            const std::string& origin);

}  // namespace tsync::mock
