// SPDX-License-Identifier: Apache-2.0
#pragma once

// The admin routes of the Zendesk tickets: the changes a nightly run finds,
// made over HTTP, and their counts. Each answers JSON; 404 while no tickets are
// served or for a ticket that is not, 400 for a bad value (as {"error": "..."},
// as the other admin routes).
//   POST /admin/zendesk/update?count=N     -> {"updated": [ids...]}
//   POST /admin/zendesk/add_ticket         -> {"id", "updated_at", "generated_timestamp"}
//   POST /admin/zendesk/delete_ticket?id=N -> {"tickets": N, "deleted": N}
//   GET  /admin/zendesk/stats              {"tickets": .., "audits": .., "deleted": ..}

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class ZendeskTickets;

// Registers them on `server`; `tickets` outlives it.
void add_zendesk_admin_routes(httplib::Server& server, ZendeskTickets& tickets);

}  // namespace tsync::mock
