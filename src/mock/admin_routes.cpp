// SPDX-License-Identifier: Apache-2.0
#include "mock/admin_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "mock/endpoints.hpp"
#include "mock/load_meter.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"
#include "mock/request_log.hpp"
#include "mock/user_store.hpp"

namespace tsync::mock {
namespace {

using httplib::Request;
using httplib::Response;

// The generic endpoint an admin request names; null, with the answer set, when none.
Endpoint* admin_endpoint(const AdminTargets& t, const Request& request, Response& response) {
  const std::string path = request.get_param_value("endpoint");
  Endpoint* endpoint = t.endpoints.find(path);
  if (!endpoint) reply_error(response, 404, "no endpoint at \"" + path + "\"");
  return endpoint;
}

void serve_endpoint_stats(const Endpoint& endpoint, Response& response) {
  response.set_content("{\"records\":" + std::to_string(endpoint.store.size()) +
                           ",\"fields\":" + std::to_string(endpoint.store.schema().fields.size()) +
                           ",\"requests\":" + std::to_string(endpoint.requests.load()) + "}",
                       "application/json");
}

void serve_stats(const AdminTargets& t, const Request& request, Response& response) {
  if (request.has_param("endpoint")) {
    if (Endpoint* endpoint = admin_endpoint(t, request, response))
      serve_endpoint_stats(*endpoint, response);
    return;
  }
  response.set_content("{\"users\":" + std::to_string(t.users.size()) +
                           ",\"requests\":" + std::to_string(t.log.count()) + "}",
                       "application/json");
}

void serve_mutate(const AdminTargets& t, const Request& request, Response& response) {
  const auto updates = count_param(request, "update");
  const auto additions = count_param(request, "add");
  if (!updates || !additions)
    return reply_error(response, 400, "update and add must be whole numbers");
  if (request.has_param("endpoint")) {
    Endpoint* endpoint = admin_endpoint(t, request, response);
    if (!endpoint) return;
    endpoint->store.mutate(*updates, *additions);
    return serve_endpoint_stats(*endpoint, response);
  }
  t.users.mutate(*updates, *additions);
  serve_stats(t, request, response);
}

void serve_delete(const AdminTargets& t, const Request& request, Response& response) {
  const auto count = count_param(request, "count");
  if (!request.has_param("count") || !count)
    return reply_error(response, 400, "count must be a whole number");
  const auto how = tombstone_from_name(
      request.has_param("tombstone") ? request.get_param_value("tombstone") : "none");
  if (!how) return reply_error(response, 400, "tombstone must be one of none, flag, at");
  std::vector<std::string> ids;
  if (request.has_param("endpoint")) {
    Endpoint* endpoint = admin_endpoint(t, request, response);
    if (!endpoint) return;
    try {
      ids = endpoint->store.remove(*count, *how);
    } catch (const std::invalid_argument& e) {
      return reply_error(response, 400, e.what());
    }
  } else {
    ids = t.users.remove(*count, *how);
  }
  std::string body = R"({"deleted":[)";
  for (std::size_t k = 0; k < ids.size(); ++k) {
    if (k > 0) body.push_back(',');
    append_json_string(body, ids[k]);
  }
  body += "]}";
  response.set_content(body, "application/json");
}

void serve_restore(const AdminTargets& t, const Request& request, Response& response) {
  std::vector<std::string> ids;
  const std::string list = request.get_param_value("ids");
  for (std::size_t start = 0; start <= list.size();) {
    const std::size_t end = std::min(list.find(',', start), list.size());
    if (end > start) ids.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  if (request.has_param("endpoint")) {
    Endpoint* endpoint = admin_endpoint(t, request, response);
    if (!endpoint) return;
    endpoint->store.restore(ids);
    return serve_endpoint_stats(*endpoint, response);
  }
  t.users.restore(ids);
  serve_stats(t, request, response);
}

void serve_add_field(const AdminTargets& t, const Request& request, Response& response) {
  Endpoint* endpoint = admin_endpoint(t, request, response);
  if (!endpoint) return;
  if (!request.has_param("name")) return reply_error(response, 400, "name is missing");
  const auto kind = field_kind_from_name(request.get_param_value("kind"));
  if (!kind)
    return reply_error(response, 400,
                       "kind must be one of string, integer, bigint, float, bool, null, "
                       "object, array, numeric_string");
  try {
    endpoint->store.add_field({request.get_param_value("name"), *kind});
  } catch (const std::invalid_argument& e) {
    return reply_error(response, 400, e.what());
  }
  serve_endpoint_stats(*endpoint, response);
}

void serve_add_raw(const AdminTargets& t, const Request& request, Response& response) {
  Endpoint* endpoint = admin_endpoint(t, request, response);
  if (!endpoint) return;
  const CursorFormat format = endpoint->spec.schema.cursor_format;
  const Instant latest = endpoint->store.latest();
  std::optional<Instant> position = Instant{latest.seconds + 1, latest.nanos};
  if (request.has_param("position")) {
    position = parse_cursor(format, request.get_param_value("position"));
    if (!position)
      return reply_error(response, 400,
                         "position is not " + std::string(cursor_description(format)));
  }
  endpoint->store.add_raw(request.body, *position);
  serve_endpoint_stats(*endpoint, response);
}

// {"peak_concurrent_requests": .., "peak_requests_per_second": ..}: of every
// endpoint, or the rate of the endpoint at ?endpoint=P (the users' path for
// the users).
void serve_load(const AdminTargets& t, const Request& request, Response& response) {
  std::size_t per_second = t.load.peak_per_second();
  if (request.has_param("endpoint")) {
    const std::string path = request.get_param_value("endpoint");
    if (path != kUsersPath && !admin_endpoint(t, request, response)) return;
    per_second = t.load.peak_per_second(path);
  }
  response.set_content("{\"peak_concurrent_requests\":" + std::to_string(t.load.peak_in_flight()) +
                           ",\"peak_requests_per_second\":" + std::to_string(per_second) + "}",
                       "application/json");
}

}  // namespace

void add_admin_routes(httplib::Server& server, AdminTargets targets) {
  using Handler = void (*)(const AdminTargets&, const Request&, Response&);
  const auto route = [targets](Handler handler) {
    return [targets, handler](const Request& request, Response& response) {
      handler(targets, request, response);
    };
  };
  server.Post("/admin/mutate", route(serve_mutate));
  server.Post("/admin/delete", route(serve_delete));
  server.Post("/admin/restore", route(serve_restore));
  server.Post("/admin/add_field", route(serve_add_field));
  server.Post("/admin/add_raw", route(serve_add_raw));
  server.Get("/admin/load", route(serve_load));
  server.Get("/admin/stats", route(serve_stats));
}

}  // namespace tsync::mock
