// SPDX-License-Identifier: Apache-2.0
#include "mock/data_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "mock/auth_check.hpp"
#include "mock/endpoints.hpp"
#include "mock/fault.hpp"
#include "mock/load_meter.hpp"
#include "mock/nested_routes.hpp"
#include "mock/pages.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"
#include "mock/request_checks.hpp"
#include "mock/request_log.hpp"
#include "mock/users_endpoint.hpp"

namespace tsync::mock {

void DataRoutes::add_routes(httplib::Server& server) {
  server.Get(kUsersPath, [this](const httplib::Request& request, httplib::Response& response) {
    Feed feed = sources_.users.feed();
    serve(request, response, feed);
  });
  // Every other path: a generic endpoint, added before or after the start.
  server.Get(".*", [this](const httplib::Request& request, httplib::Response& response) {
    serve_endpoint(request, response);
  });
}

void DataRoutes::serve_endpoint(const httplib::Request& request, httplib::Response& response) {
  Endpoint* endpoint = sources_.endpoints.find(request.path);
  if (!endpoint) {
    if (sources_.nested.serves(request.path)) return serve_nested(request, response);
    return reply_error(response, 404, "no endpoint at " + request.path);
  }
  ++endpoint->requests;
  Feed feed = sources_.endpoints.feed(*endpoint);
  serve(request, response, feed);
}

void DataRoutes::serve(const httplib::Request& request, httplib::Response& response, Feed& feed) {
  // In flight until the answer is set or, for a streamed body, until its last
  // slice has been produced (before it is sent: a client that has the whole
  // body never sees its request still counted), or the connection closes.
  std::shared_ptr<void> ticket = sources_.load.start(feed.path);
  const bool has_since = !feed.since_param.empty() && request.has_param(feed.since_param);
  const std::string since_text = has_since ? request.get_param_value(feed.since_param) : "";
  const std::size_t request_number = sources_.log.number_next();
  if (const auto request_hook = sources_.log.log(request, feed.path, since_text))
    request_hook(request_number);
  feed.load(feed);
  if (feed.serving.latency.count() > 0) wait(feed.serving.latency);
  if (!authorized(request, response, feed.auth, sources_.tokens)) return;
  const std::optional<Fault> fault = sources_.faults.take();
  Page page;
  try {
    const std::optional<Instant> since = check_request(request, feed);
    if (feed.serving.paging == PagingStyle::None) {
      page.selection = select(since, feed, request_number);
    } else {
      page = make_page(request, feed, since, request_number, key_orders_, origin_);
    }
  } catch (const Refusal& refusal) {
    return refuse(response, feed, refusal.message);
  }
  if (fault && (fault->kind == Fault::Kind::Status || fault->kind == Fault::Kind::RawBody))
    return reply_fault(response, *fault);
  for (const auto& [name, value] : page.headers) response.set_header(name, value);
  stream_body(response, std::move(page.selection), feed.serving.rate_limit_bytes_per_second, fault,
              std::move(ticket), sources_.stopping);
}

void DataRoutes::serve_nested(const httplib::Request& request, httplib::Response& response) {
  std::shared_ptr<void> ticket = sources_.load.start(request.path);
  // Zendesk's export names its since start_time; the change feeds' since is
  // their token (Graph's $deltatoken, Google's syncToken).
  const auto starts = [&request](const char* prefix) { return request.path.rfind(prefix, 0) == 0; };
  const char* since_param = starts("/api/v2/")        ? "start_time"
                            : starts("/v1.0/")        ? "$deltatoken"
                            : starts("/calendar/v3/") ? "syncToken"
                                                      : "since";
  const std::string since_text = request.get_param_value(since_param);
  const std::size_t request_number = sources_.log.number_next();
  if (const auto request_hook = sources_.log.log(request, request.path, since_text))
    request_hook(request_number);
  const ServingOptions serving = sources_.users.serving();
  if (serving.latency.count() > 0) wait(serving.latency);
  const std::optional<Fault> fault = sources_.faults.take();
  if (fault && (fault->kind == Fault::Kind::Status || fault->kind == Fault::Kind::RawBody))
    return reply_fault(response, *fault);
  NestedAnswer answer = sources_.nested.answer(request, origin_);
  response.status = answer.status;
  for (const auto& [name, value] : answer.headers) response.set_header(name, value);
  Selection body;
  body.prefix = std::move(answer.body);
  stream_body(response, std::move(body), serving.rate_limit_bytes_per_second, fault,
              std::move(ticket), sources_.stopping);
}

void DataRoutes::wait(std::chrono::milliseconds duration) const {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!sources_.stopping.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(10)));
  }
}

}  // namespace tsync::mock
