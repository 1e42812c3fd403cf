// SPDX-License-Identifier: Apache-2.0
#include "mock/graph_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <optional>

#include "mock/catalog.hpp"
#include "mock/change_feed.hpp"
#include "mock/graph_users.hpp"
#include "mock/query_params.hpp"

namespace tsync::mock {
namespace {

constexpr const char* kDeltaPath = "/v1.0/users/delta";
constexpr const char* kLongDeltaPath = "/v1.0/users/microsoft.graph.delta";
constexpr const char* kContext = "https://graph.microsoft.com/v1.0/$metadata#users";
constexpr std::size_t kMostPage = 1000;
constexpr char kSkipKind = 's', kDeltaKind = 'd';

NestedAnswer graph_error(int status, const char* code, const std::string& message) {
  NestedAnswer answer;
  answer.status = status;
  answer.body = "{\"error\":{\"code\":";
  append_json_string(answer.body, code);
  answer.body += ",\"message\":";
  append_json_string(answer.body, message);
  answer.body += "}}";
  return answer;
}

NestedAnswer bad_request(const std::string& message) {
  return graph_error(400, "BadRequest", message);
}

NestedAnswer expired_answer(const GraphUsers& users) {
  if (users.options().resync_required)
    return graph_error(400, "resyncRequired",
                       "Resync required. Replace any local cached copies of the directory's data "
                       "with a new full sync.");
  return graph_error(410, "syncStateNotFound", "The sync state generation is not found.");
}

// The page size a Prefer header asks for: odata.maxpagesize=N among its
// comma-separated preferences, cut to 1000; nullopt when it asks none (or
// nothing usable, which Graph ignores).
std::optional<std::size_t> preferred_page(const httplib::Request& request) {
  const std::string prefer = request.get_header_value("Prefer");
  const std::string name = "odata.maxpagesize=";
  std::size_t start = 0;
  while (start < prefer.size()) {
    const std::size_t comma = std::min(prefer.find(',', start), prefer.size());
    std::string item = prefer.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (item.rfind(name, 0) == 0) {
      const auto n = whole_number(item.substr(name.size()), 9);
      if (n && *n >= 1) return std::min(static_cast<std::size_t>(*n), kMostPage);
    }
    start = comma + 1;
  }
  return std::nullopt;
}

// The $select text checked: known properties, comma-separated, "id" dropped
// (it always comes), none twice. Sets `refusal` for another.
std::string checked_select(const std::string& text, std::optional<NestedAnswer>& refusal) {
  const std::vector<std::string>& known = graph_properties();
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string name = text.substr(start, comma - start);
    start = comma + 1;
    if (name == "id") continue;
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      refusal = bad_request("Could not find a property named '" + name +
                            "' on type 'microsoft.graph.user'.");
      return {};
    }
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

NestedAnswer delta_answer(const GraphUsers& users, const httplib::Request& request,
                          const std::string& origin) {
  const bool skip = request.has_param("$skiptoken");
  const bool delta = request.has_param("$deltatoken");
  if (skip && delta) return bad_request("$skiptoken and $deltatoken cannot be used together.");
  if ((skip || delta) && request.has_param("$select"))
    return bad_request(
        "$select cannot be used with $skiptoken or $deltatoken: the token carries the query.");
  FeedState state;
  if (skip || delta) {
    const char* name = skip ? "$skiptoken" : "$deltatoken";
    const auto token =
        decode_feed_token(skip ? kSkipKind : kDeltaKind, request.get_param_value(name));
    if (!token) return bad_request(std::string("The ") + name + " value is not valid.");
    if (users.expired(*token)) return expired_answer(users);
    state = skip ? *token : users.begin(true, token->since, token->extra);
  } else {
    std::optional<NestedAnswer> refusal;
    const std::string select = request.has_param("$select")
                                   ? checked_select(request.get_param_value("$select"), refusal)
                                   : std::string();
    if (refusal) return *refusal;
    state = users.begin(false, 0, select);
  }
  const auto preferred = preferred_page(request);
  const GraphPage page = users.read(state, preferred ? *preferred : users.options().page);

  NestedAnswer answer;
  if (preferred)
    answer.headers.emplace_back("Preference-Applied",
                                "odata.maxpagesize=" + std::to_string(*preferred));
  std::string context = kContext;
  if (!state.extra.empty()) context += "(" + state.extra + ")";
  answer.body = "{\"@odata.context\":";
  append_json_string(answer.body, context);
  answer.body += ",\"value\":[";
  for (std::size_t k = 0; k < page.users.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += page.users[k];
  }
  answer.body += "],";
  if (page.more) {
    answer.body += "\"@odata.nextLink\":";
    append_json_string(answer.body, origin + kDeltaPath + "?$skiptoken=" +
                                        encode_feed_token(kSkipKind, users.issue(page.next)));
  } else {
    // The next read brings what changed after this one began.
    FeedState next;
    next.since = state.bound;
    next.bound = state.bound;
    next.extra = state.extra;
    answer.body += "\"@odata.deltaLink\":";
    append_json_string(answer.body, origin + kDeltaPath + "?$deltatoken=" +
                                        encode_feed_token(kDeltaKind, users.issue(next)));
  }
  answer.body += "}";
  return answer;
}

}  // namespace

bool graph_serves(const GraphUsers& users, const std::string& path) {
  return path.rfind("/v1.0/", 0) == 0 && users.serving();
}

NestedAnswer graph_answer(const GraphUsers& users, const httplib::Request& request,
                          const std::string& origin) {
  if (request.path == kDeltaPath || request.path == kLongDeltaPath)
    return delta_answer(users, request, origin);
  const std::vector<std::string> parts = path_segments(request.path);
  return bad_request("Resource not found for the segment '" +
                     (parts.empty() ? std::string() : parts.back()) + "'.");
}

}  // namespace tsync::mock
