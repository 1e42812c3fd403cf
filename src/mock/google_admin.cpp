// SPDX-License-Identifier: Apache-2.0
#include "mock/google_admin.hpp"

#include <httplib.h>

#include <string>
#include <vector>

#include "mock/catalog.hpp"
#include "mock/google_events.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"

namespace tsync::mock {
namespace {

using httplib::Request;
using httplib::Response;

// The events when they are served; else null, with the answer set.
GoogleEvents* google_room(GoogleEvents& events, Response& response) {
  if (events.serving()) return &events;
  reply_error(response, 404, "no Google events are served (--google)");
  return nullptr;
}

std::string ids_json(const char* name, const std::vector<std::string>& ids) {
  std::string body = "{\"";
  body += name;
  body += "\":[";
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (k > 0) body.push_back(',');
    append_json_string(body, ids[k]);
  }
  return body + "]}";
}

}  // namespace

void add_google_admin_routes(httplib::Server& server, GoogleEvents& events) {
  GoogleEvents* g = &events;
  server.Post("/admin/google/mutate", [g](const Request& request, Response& response) {
    GoogleEvents* room = google_room(*g, response);
    if (!room) return;
    const auto update = count_param(request, "update");
    const auto add = count_param(request, "add");
    if (!update || !add) return reply_error(response, 400, "update and add must be whole numbers");
    reply_json(response, ids_json("changed", room->mutate(*update, *add)));
  });
  server.Post("/admin/google/cancel", [g](const Request& request, Response& response) {
    GoogleEvents* room = google_room(*g, response);
    if (!room) return;
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    reply_json(response, ids_json("cancelled", room->cancel(*count)));
  });
  server.Post("/admin/google/expire", [g](const Request&, Response& response) {
    GoogleEvents* room = google_room(*g, response);
    if (!room) return;
    room->expire_tokens();
    reply_json(response, "{\"expired\":true}");
  });
  server.Get("/admin/google/stats", [g](const Request&, Response& response) {
    GoogleEvents* room = google_room(*g, response);
    if (!room) return;
    reply_json(response, "{\"events\":" + std::to_string(room->events().size()) +
                             ",\"cancelled\":" + std::to_string(room->cancelled().size()) +
                             ",\"full_requests\":" + std::to_string(room->full_requests()) +
                             ",\"sync_requests\":" + std::to_string(room->sync_requests()) + "}");
  });
}

}  // namespace tsync::mock
