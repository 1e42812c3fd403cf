// SPDX-License-Identifier: Apache-2.0
#include "mock/graph_admin.hpp"

#include <httplib.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "mock/catalog.hpp"
#include "mock/graph_users.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"

namespace tsync::mock {
namespace {

using httplib::Request;
using httplib::Response;

// The users when they are served; else null, with the answer set.
GraphUsers* graph_room(GraphUsers& users, Response& response) {
  if (users.serving()) return &users;
  reply_error(response, 404, "no Graph users are served (--graph)");
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

std::vector<std::string> split_ids(const std::string& text) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) ids.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return ids;
}

}  // namespace

void add_graph_admin_routes(httplib::Server& server, GraphUsers& users) {
  GraphUsers* g = &users;
  server.Post("/admin/graph/mutate", [g](const Request& request, Response& response) {
    GraphUsers* room = graph_room(*g, response);
    if (!room) return;
    const auto update = count_param(request, "update");
    const auto add = count_param(request, "add");
    if (!update || !add) return reply_error(response, 400, "update and add must be whole numbers");
    reply_json(response, ids_json("changed", room->mutate(*update, *add)));
  });
  server.Post("/admin/graph/remove", [g](const Request& request, Response& response) {
    GraphUsers* room = graph_room(*g, response);
    if (!room) return;
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    const std::string reason =
        request.has_param("reason") ? request.get_param_value("reason") : "deleted";
    if (reason != "deleted" && reason != "changed")
      return reply_error(response, 400, "reason must be deleted or changed");
    reply_json(response, ids_json("removed", room->remove(*count, reason == "deleted")));
  });
  server.Post("/admin/graph/restore", [g](const Request& request, Response& response) {
    GraphUsers* room = graph_room(*g, response);
    if (!room) return;
    const std::vector<std::string> ids = split_ids(request.get_param_value("ids"));
    if (ids.empty()) return reply_error(response, 400, "ids must name soft-deleted users");
    try {
      room->restore(ids);
    } catch (const std::out_of_range& e) {
      return reply_error(response, 404, e.what());
    }
    reply_json(response, ids_json("restored", ids));
  });
  server.Post("/admin/graph/expire", [g](const Request&, Response& response) {
    GraphUsers* room = graph_room(*g, response);
    if (!room) return;
    room->expire_tokens();
    reply_json(response, "{\"expired\":true}");
  });
  server.Get("/admin/graph/stats", [g](const Request&, Response& response) {
    GraphUsers* room = graph_room(*g, response);
    if (!room) return;
    reply_json(response, "{\"users\":" + std::to_string(room->users().size()) +
                             ",\"removed\":" + std::to_string(room->removed().size()) +
                             ",\"full_requests\":" + std::to_string(room->full_requests()) +
                             ",\"delta_requests\":" + std::to_string(room->delta_requests()) + "}");
  });
}

}  // namespace tsync::mock
