// SPDX-License-Identifier: Apache-2.0
#include "mock/google_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <optional>

#include "mock/catalog.hpp"
#include "mock/change_feed.hpp"
#include "mock/google_events.hpp"
#include "mock/query_params.hpp"

namespace tsync::mock {
namespace {

constexpr std::size_t kMostResults = 2500;
constexpr char kPageKind = 'p', kSyncKind = 'y';

// The parameters Google refuses beside a syncToken.
constexpr const char* kRestrictions[] = {"timeMin",
                                         "timeMax",
                                         "updatedMin",
                                         "q",
                                         "orderBy",
                                         "iCalUID",
                                         "singleEvents",
                                         "privateExtendedProperty",
                                         "sharedExtendedProperty"};

NestedAnswer google_error(int status, const char* reason, const std::string& message) {
  NestedAnswer answer;
  answer.status = status;
  std::string quoted;
  append_json_string(quoted, message);
  answer.body = "{\"error\":{\"errors\":[{\"domain\":\"global\",\"reason\":";
  append_json_string(answer.body, reason);
  answer.body += ",\"message\":" + quoted + "}],\"code\":" + std::to_string(status) +
                 ",\"message\":" + quoted + "}}";
  return answer;
}

NestedAnswer not_found() { return google_error(404, "notFound", "Not Found"); }

NestedAnswer invalid(const std::string& message) { return google_error(400, "invalid", message); }

NestedAnswer gone() {
  return google_error(410, "fullSyncRequired",
                      "Sync token is no longer valid, a full sync is required.");
}

NestedAnswer list_answer(const GoogleEvents& events, const httplib::Request& request,
                         const std::string& calendar) {
  const bool paged = request.has_param("pageToken");
  const bool synced = request.has_param("syncToken");
  if (synced) {
    for (const char* name : kRestrictions)
      if (request.has_param(name))
        return invalid("Sync token cannot be used with other request restrictions (" +
                       std::string(name) + ").");
    if (request.get_param_value("showDeleted") == "false")
      return invalid("Sync token cannot be used with showDeleted=false.");
  }
  if (paged && synced)
    return invalid("pageToken carries the syncToken's read: send pageToken alone.");
  std::size_t count = events.options().page;
  if (request.has_param("maxResults")) {
    const auto asked = whole_number(request.get_param_value("maxResults"), 9);
    if (!asked || *asked < 1) return invalid("Invalid value for maxResults.");
    count = std::min(static_cast<std::size_t>(*asked), kMostResults);
  }
  FeedState state;
  if (paged || synced) {
    const auto token = decode_feed_token(
        paged ? kPageKind : kSyncKind, request.get_param_value(paged ? "pageToken" : "syncToken"));
    if (!token) return invalid(paged ? "Invalid page token value." : "Invalid sync token value.");
    if (events.expired(*token)) return gone();
    state = paged ? *token : events.begin(true, token->since, true);
  } else {
    const std::string show = request.get_param_value("showDeleted");
    if (request.has_param("showDeleted") && show != "true" && show != "false")
      return invalid("Invalid value for showDeleted: " + show);
    state = events.begin(false, 0, show == "true");
  }
  const EventPage page = events.read(state, count);
  const CalendarFacts facts = events.facts();

  NestedAnswer answer;
  answer.body = "{\"kind\":\"calendar#events\",\"etag\":";
  append_json_string(answer.body, facts.etag);
  answer.body += ",\"summary\":";
  append_json_string(answer.body, calendar);
  answer.body += ",\"updated\":";
  append_json_string(answer.body, facts.updated);
  answer.body += R"(,"timeZone":"UTC","accessRole":"owner","defaultReminders":[],)";
  if (page.more) {
    answer.body += "\"nextPageToken\":";
    append_json_string(answer.body, encode_feed_token(kPageKind, events.issue(page.next)));
  } else {
    // The next read brings what changed after this one began.
    FeedState next;
    next.since = state.bound;
    next.bound = state.bound;
    answer.body += "\"nextSyncToken\":";
    append_json_string(answer.body, encode_feed_token(kSyncKind, events.issue(next)));
  }
  answer.body += ",\"items\":[";
  for (std::size_t k = 0; k < page.events.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += page.events[k];
  }
  answer.body += "]}";
  return answer;
}

}  // namespace

bool google_serves(const GoogleEvents& events, const std::string& path) {
  return path.rfind("/calendar/v3/", 0) == 0 && events.serving();
}

NestedAnswer google_answer(const GoogleEvents& events, const httplib::Request& request) {
  const std::vector<std::string> parts = path_segments(request.path);
  if (parts.size() != 5 || parts[2] != "calendars" || parts[4] != "events") return not_found();
  const std::string calendar = events.options().calendar_id;
  if (parts[3] != "primary" && parts[3] != calendar) return not_found();
  return list_answer(events, request, calendar);
}

}  // namespace tsync::mock
