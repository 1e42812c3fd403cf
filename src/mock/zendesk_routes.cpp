// SPDX-License-Identifier: Apache-2.0
#include "mock/zendesk_routes.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "mock/catalog.hpp"
#include "mock/paging.hpp"
#include "mock/query_params.hpp"
#include "mock/zendesk_tickets.hpp"

namespace tsync::mock {
namespace {

constexpr const char* kExportPath = "/api/v2/incremental/tickets/cursor.json";
constexpr std::size_t kExportPerPage = 1000;
constexpr std::size_t kAuditsPerPage = 100;
constexpr std::int64_t kRecentSeconds = 60;

// A whole number of 1 to 12 digits; nullopt for anything else.
std::optional<std::int64_t> digits(const std::string& text) { return whole_number(text, 12); }

NestedAnswer json(int status, std::string body) {
  NestedAnswer answer;
  answer.status = status;
  answer.body = std::move(body);
  return answer;
}

// Zendesk's error body.
NestedAnswer zendesk_error(int status, const char* error, const std::string& description) {
  std::string body = "{\"error\":";
  append_json_string(body, error);
  body += ",\"description\":";
  append_json_string(body, description);
  return json(status, body + "}");
}

NestedAnswer not_found() { return zendesk_error(404, "RecordNotFound", "Not found"); }

NestedAnswer bad_page(const std::string& description) {
  return zendesk_error(400, "InvalidPaginationParameter", description);
}

// Cursors are base64url without padding, so that they go into a URL as they are.
std::string encode_cursor(const std::string& text) {
  std::string out = base64_encode(text);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::optional<std::string> decode_cursor(std::string text) {
  for (char& c : text) {
    if (c == '+' || c == '/') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return base64_decode(text);
}

// An export cursor reads as Zendesk's do: "<generated_timestamp>.0||<id>|".
std::string export_cursor(const ExportPosition& at) {
  return encode_cursor(std::to_string(at.generated_timestamp) + ".0||" + std::to_string(at.id) +
                       "|");
}

std::optional<ExportPosition> read_export_cursor(const std::string& cursor) {
  const auto text = decode_cursor(cursor);
  if (!text) return std::nullopt;
  const std::size_t dot = text->find(".0||");
  if (dot == std::string::npos || text->empty() || text->back() != '|') return std::nullopt;
  const auto seconds = digits(text->substr(0, dot));
  const auto id = digits(text->substr(dot + 4, text->size() - dot - 5));
  if (!seconds || !id) return std::nullopt;
  return ExportPosition{*seconds, *id};
}

std::string audit_cursor(std::int64_t id) { return encode_cursor("audit:" + std::to_string(id)); }

std::optional<std::int64_t> read_audit_cursor(const std::string& cursor) {
  const auto text = decode_cursor(cursor);
  if (!text || text->rfind("audit:", 0) != 0) return std::nullopt;
  const auto id = digits(text->substr(6));
  if (!id || *id == 0) return std::nullopt;
  return id;
}

void append_string_or_null(std::string& out, const std::optional<std::string>& text) {
  if (text) {
    append_json_string(out, *text);
  } else {
    out += "null";
  }
}

// A page size in `name`: `standard` when absent, cut to `most`; nullopt when
// it is not a whole number of at least 1.
std::optional<std::size_t> page_size(const httplib::Request& request, const char* name,
                                     std::size_t standard, std::size_t most) {
  if (!request.has_param(name)) return standard;
  const auto asked = digits(request.get_param_value(name));
  if (!asked || *asked < 1) return std::nullopt;
  return std::min(static_cast<std::size_t>(*asked), most);
}

NestedAnswer export_answer(const ZendeskTickets& tickets, const httplib::Request& request,
                           const std::string& origin) {
  const bool has_cursor = request.has_param("cursor");
  const bool has_start = request.has_param("start_time");
  if (has_cursor && has_start)
    return zendesk_error(400, "InvalidPaginationParameter",
                         "start_time cannot be passed when cursor is present");
  if (!has_cursor && !has_start)
    return zendesk_error(400, "InvalidValue", "start_time or cursor is required");
  const auto per_page = page_size(request, "per_page", kExportPerPage, kExportPerPage);
  if (!per_page) return bad_page("per_page must be a whole number from 1 to 1000");
  ExportPosition from;
  std::optional<std::string> before;
  if (has_start) {
    const auto start = digits(request.get_param_value("start_time"));
    if (!start) return zendesk_error(400, "InvalidValue", "start_time must be a Unix time");
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    if (tickets.options().refuse_recent_start_time && *start > now - kRecentSeconds)
      return zendesk_error(400, "InvalidValue",
                           "Too recent start_time. Use a start_time older than 1 minute");
    from = ExportPosition{*start, 0};
  } else {
    before = request.get_param_value("cursor");
    const auto position = read_export_cursor(*before);
    if (!position) return bad_page("cursor is not a cursor of this export");
    from = *position;
  }
  const ExportPage page = tickets.export_tickets(from, *per_page, origin);
  const auto url = [&](const std::string& cursor) {
    std::string out = origin + kExportPath + "?cursor=" + cursor;
    if (request.has_param("per_page")) out += "&per_page=" + std::to_string(*per_page);
    return out;
  };
  const std::string after = export_cursor(page.after);
  NestedAnswer answer = json(200, "{\"tickets\":[");
  for (std::size_t k = 0; k < page.tickets.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += page.tickets[k];
  }
  answer.body += "],\"after_url\":";
  append_json_string(answer.body, url(after));
  answer.body += ",\"after_cursor\":";
  append_json_string(answer.body, after);
  answer.body += ",\"before_url\":";
  append_string_or_null(answer.body, before ? std::optional(url(*before)) : std::nullopt);
  answer.body += ",\"before_cursor\":";
  append_string_or_null(answer.body, before);
  answer.body += ",\"end_of_stream\":";
  answer.body += page.end_of_stream ? "true}" : "false}";
  return answer;
}

NestedAnswer audits_answer(const ZendeskTickets& tickets, const httplib::Request& request,
                           std::int64_t ticket_id, const std::string& origin) {
  const auto size = page_size(request, "page[size]", kAuditsPerPage, kAuditsPerPage);
  if (!size) return bad_page("page[size] must be a whole number from 1 to 100");
  if (request.has_param("page[after]") && request.has_param("page[before]"))
    return bad_page("page[after] and page[before] cannot be passed together");
  std::int64_t after = 0, before = 0;
  for (auto [name, id] : {std::pair{"page[after]", &after}, std::pair{"page[before]", &before}}) {
    if (!request.has_param(name)) continue;
    const auto read = read_audit_cursor(request.get_param_value(name));
    if (!read) return bad_page(std::string(name) + " is not a cursor of these audits");
    *id = *read;
  }
  const AuditAnswer found = tickets.list_audits(ticket_id, after, before, *size);
  if (found.missing == AuditAnswer::Missing::Ticket) return not_found();
  if (found.missing == AuditAnswer::Missing::Cursor)
    return bad_page("the cursor is not a cursor of these audits");
  const AuditPage& page = found.page;
  const std::optional<std::string> first =
      page.first_id ? std::optional(audit_cursor(page.first_id)) : std::nullopt;
  const std::optional<std::string> last =
      page.last_id ? std::optional(audit_cursor(page.last_id)) : std::nullopt;
  const auto link = [&](bool wanted, const char* name, const std::optional<std::string>& cursor) {
    if (!wanted || !cursor) return std::optional<std::string>();
    return std::optional(origin + request.path + "?page%5Bsize%5D=" + std::to_string(*size) +
                         "&page%5B" + name + "%5D=" + *cursor);
  };
  NestedAnswer answer = json(200, "{\"audits\":[");
  for (std::size_t k = 0; k < page.audits.size(); ++k) {
    if (k > 0) answer.body.push_back(',');
    answer.body += page.audits[k];
  }
  answer.body += "],\"meta\":{\"has_more\":";
  answer.body += page.has_more ? "true" : "false";
  answer.body += ",\"after_cursor\":";
  append_string_or_null(answer.body, last);
  answer.body += ",\"before_cursor\":";
  append_string_or_null(answer.body, first);
  answer.body += "},\"links\":{\"prev\":";
  append_string_or_null(answer.body, link(page.has_before, "before", first));
  answer.body += ",\"next\":";
  append_string_or_null(answer.body, link(page.has_more, "after", last));
  answer.body += "}}";
  return answer;
}

}  // namespace

bool zendesk_serves(const ZendeskTickets& tickets, const std::string& path) {
  return path.rfind("/api/v2/", 0) == 0 && tickets.serving();
}

NestedAnswer zendesk_answer(const ZendeskTickets& tickets, const httplib::Request& request,
                            const std::string& origin) {
  if (request.path == kExportPath) return export_answer(tickets, request, origin);
  const std::vector<std::string> parts = path_segments(request.path);
  if (parts.size() == 5 && parts[2] == "tickets" && parts[4] == "audits.json") {
    const auto id = digits(parts[3]);
    if (!id) return not_found();
    return audits_answer(tickets, request, *id, origin);
  }
  const std::string suffix = ".json";
  if (parts.size() == 4 && parts[2] == "tickets" && parts[3].size() > suffix.size() &&
      parts[3].compare(parts[3].size() - suffix.size(), suffix.size(), suffix) == 0) {
    const auto id = digits(parts[3].substr(0, parts[3].size() - suffix.size()));
    const auto found = id ? tickets.ticket(*id, origin) : std::nullopt;
    if (!found) return not_found();
    return json(200, "{\"ticket\":" + *found + "}");
  }
  return zendesk_error(404, "InvalidEndpoint", "Not found");
}

}  // namespace tsync::mock
