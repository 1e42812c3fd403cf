// SPDX-License-Identifier: Apache-2.0
#include "mock/request_checks.hpp"

#include <httplib.h>

#include <cstdint>
#include <set>

#include "mock/pages.hpp"
#include "mock/query_params.hpp"
#include "mock/replies.hpp"

namespace tsync::mock {
namespace {

void check_required(const httplib::Request& request, const Feed& feed) {
  for (const auto& [name, value] : feed.required) {
    if (!request.has_param(name)) throw Refusal{"missing required parameter " + name + "=" + value};
    const std::string sent = request.get_param_value(name);
    if (sent != value)
      throw Refusal{"parameter " + name + " must be \"" + value + "\", not \"" + sent + "\""};
  }
}

// The cursor in parameter `name` (nullopt when absent); Refusal when it is not
// in the feed's format.
std::optional<Instant> cursor_param(const httplib::Request& request, const Feed& feed,
                                    const std::string& name) {
  if (name.empty() || !request.has_param(name)) return std::nullopt;
  const std::string text = request.get_param_value(name);
  const auto cursor = parse_cursor(feed.format, text);
  if (!cursor)
    throw Refusal{name + " is not " + std::string(cursor_description(feed.format)) + ": \"" + text +
                  "\""};
  return cursor;
}

// Refuses the first query parameter a strict endpoint does not know.
void check_known_params(const httplib::Request& request, const Feed& feed) {
  if (!feed.serving.strict) return;
  std::set<std::string> known;
  if (!feed.since_param.empty()) known.insert(feed.since_param);
  for (const auto& [name, value] : feed.required) known.insert(name);
  for (std::string& name : style_params(feed.serving.paging)) known.insert(std::move(name));
  if (!feed.serving.until_param.empty()) known.insert(feed.serving.until_param);
  if (feed.auth.kind == AuthRequirement::Kind::ApiKey && feed.auth.in_query)
    known.insert(feed.auth.name);
  for (const auto& [name, value] : request.params) {
    if (known.count(name)) continue;
    if (feed.serving.paging == PagingStyle::LastRecord)
      throw Refusal{"Received unknown parameter: " + name};
    throw Refusal{"unknown parameter: " + name};
  }
}

// Refuses a request whose range is missing an end or longer than the feed's
// max_range_seconds; since is Keyset's scroll_param on its later pages.
void check_range(const httplib::Request& request, const Feed& feed, std::optional<Instant> since) {
  const std::int64_t most = feed.serving.max_range_seconds;
  if (most <= 0) return;
  std::string from_name = feed.since_param;
  if (!since) {
    since = scroll_cursor(request, feed);
    if (since) from_name = "scroll_param";
  }
  const std::string& until_name = feed.serving.until_param;
  const std::string limit = "at most " + std::to_string(most) + " seconds apart";
  if (!since || !feed.until)
    throw Refusal{feed.since_param + " and " + until_name + " are both required, " + limit};
  const std::int64_t whole = feed.until->seconds - since->seconds;
  if (whole > most || (whole == most && feed.until->nanos > since->nanos))
    throw Refusal{"the range from " + from_name + " to " + until_name + " is longer than " +
                  std::to_string(most) + " seconds: " + from_name + " and " + until_name +
                  " must be " + limit};
}

}  // namespace

std::optional<Instant> check_request(const httplib::Request& request, Feed& feed) {
  check_required(request, feed);
  const std::optional<Instant> since = cursor_param(request, feed, feed.since_param);
  feed.until = cursor_param(request, feed, feed.serving.until_param);
  check_known_params(request, feed);
  check_range(request, feed, since);
  return since;
}

void refuse(httplib::Response& response, const Feed& feed, const std::string& message) {
  if (feed.serving.paging != PagingStyle::LastRecord) return reply_error(response, 400, message);
  std::string body = R"({"error":{"type":"invalid_request_error","message":)";
  append_json_string(body, message);
  body += "}}";
  response.status = 400;
  response.set_content(body, "application/json");
}

}  // namespace tsync::mock
