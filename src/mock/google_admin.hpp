// SPDX-License-Identifier: Apache-2.0
#pragma once

// The admin routes of the Google events: the changes a nightly run finds,
// made over HTTP, and their counts. Each answers JSON; 404 while no events are
// served, 400 for a bad value (as {"error": "..."}, as the other admin routes).
//   POST /admin/google/mutate?update=N&add=M   -> {"changed": [ids...]}
//   POST /admin/google/cancel?count=N          -> {"cancelled": [ids...]}
//   POST /admin/google/expire                  every token issued so far answers
//                                              410 -> {"expired": true}
//   GET  /admin/google/stats    {"events", "cancelled", "full_requests", "sync_requests"}

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class GoogleEvents;

// Registers them on `server`; `events` outlives it.
void add_google_admin_routes(httplib::Server& server, GoogleEvents& events);

}  // namespace tsync::mock
