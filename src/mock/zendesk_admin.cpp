// SPDX-License-Identifier: Apache-2.0
#include "mock/zendesk_admin.hpp"

#include <httplib.h>

#include <stdexcept>
#include <string>

#include "mock/catalog.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"
#include "mock/zendesk_tickets.hpp"

namespace tsync::mock {
namespace {

using httplib::Request;
using httplib::Response;

// The tickets when they are served; else null, with the answer set.
ZendeskTickets* zendesk_room(ZendeskTickets& tickets, Response& response) {
  if (tickets.serving()) return &tickets;
  reply_error(response, 404, "no Zendesk tickets are served (--zendesk)");
  return nullptr;
}

std::string counts_json(const ZendeskTickets& tickets) {
  return "{\"tickets\":" + std::to_string(tickets.tickets().size()) +
         ",\"deleted\":" + std::to_string(tickets.deleted().size()) + "}";
}

}  // namespace

void add_zendesk_admin_routes(httplib::Server& server, ZendeskTickets& tickets) {
  ZendeskTickets* z = &tickets;
  server.Post("/admin/zendesk/update", [z](const Request& request, Response& response) {
    ZendeskTickets* room = zendesk_room(*z, response);
    if (!room) return;
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    std::string body = "{\"updated\":[";
    const std::vector<std::int64_t> ids = room->update(*count);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (k > 0) body.push_back(',');
      body += std::to_string(ids[k]);
    }
    reply_json(response, body + "]}");
  });
  server.Post("/admin/zendesk/add_ticket", [z](const Request&, Response& response) {
    ZendeskTickets* room = zendesk_room(*z, response);
    if (!room) return;
    const ZendeskTicket ticket = room->add_ticket();
    std::string body = "{\"id\":" + std::to_string(ticket.id) + ",\"updated_at\":";
    append_json_string(body, format_compact(ticket.updated));
    body += ",\"generated_timestamp\":" + std::to_string(ticket.generated_timestamp) + "}";
    reply_json(response, body);
  });
  server.Post("/admin/zendesk/delete_ticket", [z](const Request& request, Response& response) {
    ZendeskTickets* room = zendesk_room(*z, response);
    if (!room) return;
    const auto id = count_param(request, "id");
    if (!request.has_param("id") || !id || *id < 1)
      return reply_error(response, 400, "id must be a ticket id, 1 or more");
    try {
      room->delete_ticket(static_cast<std::int64_t>(*id));
    } catch (const std::out_of_range& e) {
      return reply_error(response, 404, e.what());
    }
    reply_json(response, counts_json(*room));
  });
  server.Get("/admin/zendesk/stats", [z](const Request&, Response& response) {
    ZendeskTickets* room = zendesk_room(*z, response);
    if (!room) return;
    std::size_t audits = 0;
    const std::vector<ZendeskTicket> served = room->tickets();
    for (const ZendeskTicket& ticket : served) audits += ticket.audits.size();
    reply_json(response, "{\"tickets\":" + std::to_string(served.size()) +
                             ",\"audits\":" + std::to_string(audits) +
                             ",\"deleted\":" + std::to_string(room->deleted().size()) + "}");
  });
}

}  // namespace tsync::mock
