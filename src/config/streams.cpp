// SPDX-License-Identifier: Apache-2.0
#include "config/streams.hpp"

#include <algorithm>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "config/auth.hpp"
#include "config/change_feed.hpp"
#include "config/pagination.hpp"
#include "config/parents.hpp"

namespace tsync::config_detail {
namespace {

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && same_column_name(text.substr(0, prefix.size()), prefix);
}

void read_start_timestamp(const Checker& c, CursorFormat format, std::optional<std::string>& out) {
  const rapidjson::Value* v = c.find("start_timestamp");
  if (!v) return;
  std::string text;
  if (v->IsString()) {
    text.assign(v->GetString(), v->GetStringLength());
    if (text.empty()) c.fail("start_timestamp", "must not be empty");
  } else if (v->IsNumber() && format != CursorFormat::Iso8601) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v->Accept(writer);
    text = buffer.GetString();
  } else {
    c.fail("start_timestamp", "must be a string");
  }
  const bool ok = parse_timestamp(text) || parse_cursor(format, text);
  if (!ok)
    c.fail("start_timestamp", format == CursorFormat::Iso8601
                                  ? "not an ISO 8601 timestamp: \"" + text + "\""
                                  : "not an ISO 8601 timestamp or a " +
                                        std::string(cursor_format_name(format)) + " number: \"" +
                                        text + "\"");
  out = text;
}

// "url", "table" (not one of tsync's or SQLite's names) and "primary_key".
void read_url_and_table(const Checker& c, StreamConfig& s) {
  const auto url = c.text("url");
  if (!url) c.fail("url", "missing (the URL of the stream's endpoint)");
  check_url(c, "url", *url);
  s.url = *url;
  s.table = c.text("table").value_or(s.name);
  if (starts_with_nocase(s.table, "sqlite_") || s.table.front() == '_')
    c.fail("table", "\"" + s.table +
                        "\" is reserved: names starting with _ or sqlite_ belong to tsync and "
                        "SQLite (set \"table\" to another name)");
  if (c.find("primary_key")) {
    s.primary_key = string_list(c, "primary_key");
    if (s.primary_key.empty()) c.fail("primary_key", "must name at least one field");
  }
}

// "cursor_field", "cursor_format" and "since_param" (null: the API has none).
void read_cursor(const Checker& c, StreamConfig& s) {
  if (auto f = c.text("cursor_field")) s.cursor_field = *f;
  if (auto f = c.text("cursor_format")) {
    if (*f == "iso8601")
      s.cursor_format = CursorFormat::Iso8601;
    else if (*f == "unix_seconds")
      s.cursor_format = CursorFormat::UnixSeconds;
    else if (*f == "unix_millis")
      s.cursor_format = CursorFormat::UnixMillis;
    else
      c.fail("cursor_format",
             "must be \"iso8601\", \"unix_seconds\" or \"unix_millis\", not \"" + *f + "\"");
  }
  if (const rapidjson::Value* p = c.find("since_param"); p && p->IsNull())
    s.since_param.clear();
  else if (auto text = c.text("since_param"))
    s.since_param = *text;
}

// "on_delete" and "delete_field".
void read_deletes(const Checker& c, StreamConfig& s) {
  if (auto d = c.text("on_delete")) {
    if (*d != "soft" && *d != "hard")
      c.fail("on_delete",
             "must be \"soft\" (mark rows in _tsync_deleted_at) or \"hard\" "
             "(remove them, keeping their keys in _deleted), not \"" +
                 *d + "\"");
    s.hard_delete = *d == "hard";
  }
  if (auto d = c.text("delete_field")) s.delete_field = *d;
}

// "records_path": the dotted path of the records' array ("" for a bare array).
void read_records_path(const Checker& c, StreamConfig& s) {
  const rapidjson::Value* p = c.find("records_path");
  if (!p) return;
  if (!p->IsString()) c.fail("records_path", "must be a string (\"\" for a bare array)");
  const std::string path(p->GetString(), p->GetStringLength());
  s.records_path.clear();
  std::size_t start = 0;
  while (!path.empty()) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (part.empty()) c.fail("records_path", "has an empty key: \"" + path + "\"");
    s.records_path.push_back(part);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
}

// Whether `name` is one of the query parameters the pagination sets.
bool is_paging_param(const StreamConfig& s, const std::string& name) {
  for (const std::string* paging :
       {&s.pagination.param, &s.pagination.limit_param, &s.pagination.size_param})
    if (name == *paging) return true;
  return false;
}

// "params": fixed query parameters, none of them tsync's own.
void read_params(const Checker& c, StreamConfig& s) {
  const rapidjson::Value* p = c.find("params");
  if (!p) return;
  if (!p->IsObject()) c.fail("params", "must be an object of strings");
  for (const auto& m : p->GetObject()) {
    const std::string key(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString()) c.fail("params", "\"" + key + "\" must be a string");
    if (key.empty()) c.fail("params", "has an empty parameter name");
    if (key == s.since_param)
      c.fail("params", "\"" + key + "\" is the since parameter, which tsync sets itself");
    if (is_paging_param(s, key))
      c.fail("params", "\"" + key +
                           "\" is a parameter of the pagination, which tsync "
                           "sets itself");
    s.params.emplace_back(key, std::string(m.value.GetString(), m.value.GetStringLength()));
  }
}

// "headers": each a string, or {"env": NAME} for a secret from the environment.
void read_headers(const Checker& c, StreamConfig& s, Secrets secrets) {
  const rapidjson::Value* h = c.find("headers");
  if (!h) return;
  if (!h->IsObject()) c.fail("headers", "must be an object");
  for (const auto& m : h->GetObject()) {
    HeaderSetting header;
    header.name.assign(m.name.GetString(), m.name.GetStringLength());
    if (header.name.empty() || !std::all_of(header.name.begin(), header.name.end(), is_token_char))
      c.fail("headers", "\"" + header.name + "\" is not a valid header name");
    if (m.value.IsString()) {
      header.value.assign(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsObject() && m.value.MemberCount() == 1 && m.value.HasMember("env") &&
               m.value["env"].IsString() && m.value["env"].GetStringLength() > 0) {
      header.env = m.value["env"].GetString();
      header.value =
          secret_from_env(c, "headers", *header.env, "the value of header " + header.name, secrets);
    } else {
      c.fail("headers", "\"" + header.name +
                            "\" must be a string, or {\"env\": \"VARIABLE\"} to take a "
                            "secret value from the environment");
    }
    for (const char ch : header.value)
      if (ch == '\r' || ch == '\n' || ch == '\0')
        c.fail("headers", "the value of \"" + header.name + "\" holds a line break");
    s.headers.push_back(std::move(header));
  }
}

// "columns": declared types, the cursor field's fitting its format.
void read_columns(const Checker& c, StreamConfig& s) {
  if (const rapidjson::Value* cols = c.find("columns")) {
    if (!cols->IsObject()) c.fail("columns", "must be an object of field names and types");
    for (const auto& m : cols->GetObject()) {
      const std::string field(m.name.GetString(), m.name.GetStringLength());
      const std::string type_name =
          m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength()) : "";
      const auto type = column_type_from_name(type_name);
      if (!type)
        c.fail("columns", "\"" + field + "\": \"" + type_name + "\" is not a column type (use " +
                              column_type_names() + ")");
      s.columns.emplace_back(field, *type);
    }
  }
  for (const auto& [field, type] : s.columns) {
    if (field != s.cursor_field) continue;
    const bool iso = s.cursor_format == CursorFormat::Iso8601;
    const bool fits = iso ? type == ColumnType::UtcDatetime
                          : type == ColumnType::Long || type == ColumnType::Double;
    if (!fits)
      c.fail("columns", "\"" + field + "\" is the cursor field and is stored as " +
                            (iso ? "UTC_DATETIME" : "LONG or DOUBLE") + ", not " +
                            std::string(column_type_name(type)));
  }
}

// "window_seconds" and "until_param": the range read in windows of time.
void read_window(const Checker& c, StreamConfig& s) {
  if (auto w = c.whole("window_seconds", 1, 100LL * 366 * 86400)) s.window_seconds = *w;
  if (auto u = c.text("until_param")) s.until_param = *u;
  if (!s.until_param.empty() && s.window_seconds == 0)
    c.fail("until_param", "is for windows of time: set window_seconds too");
}

// Refuses paging along since without a since parameter, and windows without
// what they need or with paging they cannot do.
void check_paging_and_window(const Checker& c, const StreamConfig& s) {
  if (s.pagination.type == PagingType::Since && s.since_param.empty())
    c.fail("pagination",
           "type \"since\" asks again with since_param from the newest record read, and "
           "since_param is null: without it only the first answer would be read");
  if (s.window_seconds == 0) return;
  if (s.until_param.empty())
    c.fail("window_seconds", "needs until_param, the parameter that carries a window's end");
  if (s.since_param.empty())
    c.fail("window_seconds", "needs a since_param, the parameter that carries a window's start");
  if (s.until_param == s.since_param) c.fail("until_param", "must differ from since_param");
  if (s.pagination.type == PagingType::Since)
    c.fail("pagination",
           "type \"since\" asks again from the newest record read, which a window of time "
           "cannot do (a window is one request, or one chain of the API's own pages): with "
           "window_seconds, configure the pages the API gives (offset, page, token, ...)");
  if (!s.start_timestamp)
    c.fail("window_seconds",
           "needs start_timestamp (here or at the top level): a first sync from year 1 in "
           "windows would take millions of requests");
}

// The stream's "name", which its errors are named by.
std::string read_name(const rapidjson::Value& v, const std::string& at) {
  if (!v.IsObject()) throw ConfigError(at + ": must be an object with \"name\" and \"url\"");
  const rapidjson::Value* name_value = nullptr;
  if (const auto it = v.FindMember("name"); it != v.MemberEnd()) name_value = &it->value;
  if (!name_value) throw ConfigError(at + ": name: missing (every stream needs a name)");
  if (!name_value->IsString() || name_value->GetStringLength() == 0)
    throw ConfigError(at + ": name: must be a non-empty string");
  return std::string(name_value->GetString(), name_value->GetStringLength());
}

}  // namespace

void read_defaults(const Checker& c, CursorFormat format, StreamDefaults& d) {
  read_start_timestamp(c, format, d.start_timestamp);
  if (auto v = c.whole("lookback_seconds", 0, 10LL * 366 * 86400)) d.lookback_seconds = *v;
  if (auto v = c.text("token_env")) d.token_env = *v;
  if (auto v = c.number("max_delete_fraction", 0, 1)) d.max_delete_fraction = *v;
  if (const rapidjson::Value* r = c.find("max_requests_per_second")) {
    if (!r->IsNumber() || !(r->GetDouble() > 0) || r->GetDouble() > 1e6)
      c.fail("max_requests_per_second", "must be a number above 0 (requests a second)");
    d.max_requests_per_second = r->GetDouble();
  }
}

void apply_defaults(const Checker& c, const StreamDefaults& d, StreamConfig& s, Secrets secrets) {
  s.start_timestamp = d.start_timestamp;
  s.lookback_seconds = d.lookback_seconds;
  s.token_env = d.token_env;
  s.max_delete_fraction = d.max_delete_fraction;
  s.max_requests_per_second = d.max_requests_per_second;
  if (s.token_env)
    s.token = secret_from_env(c, "token_env", *s.token_env, "the API token", secrets);
}

StreamConfig read_stream(const rapidjson::Value& v, std::size_t index, const std::string& origin,
                         const rapidjson::Value& top,
                         const std::shared_ptr<const AuthConfig>& top_auth, Secrets secrets) {
  StreamConfig s;
  s.name = read_name(v, origin + ": streams[" + std::to_string(index) + "]");
  const std::string where = origin + ": stream \"" + s.name + "\"";
  check_keys(v, kStreamKeys, where);
  const Checker c(v, where);
  read_url_and_table(c, s);
  read_cursor(c, s);
  read_deletes(c, s);
  read_records_path(c, s);
  if (const rapidjson::Value* f = c.find("change_feed")) s.change_feed = read_change_feed(*f, where);
  if (const rapidjson::Value* p = c.find("pagination"))
    s.pagination = read_pagination(*p, where, s.records_path.empty());
  if (!s.since_param.empty() && is_paging_param(s, s.since_param))
    c.fail("pagination",
           "\"" + s.since_param + "\" is the since parameter; the pagination needs another");
  read_params(c, s);
  read_partitions(c, s);
  read_headers(c, s, secrets);
  read_columns(c, s);
  StreamDefaults defaults;
  read_defaults(Checker(top, origin), s.cursor_format, defaults);
  read_defaults(c, s.cursor_format, defaults);
  apply_defaults(c, defaults, s, secrets);
  check_change_feed(c, s);
  read_window(c, s);
  check_paging_and_window(c, s);
  if (auto own = read_auth(c, where, secrets))
    apply_auth(own, s);
  else if (!c.find("token_env") && top_auth)
    apply_auth(top_auth, s);
  return s;
}

}  // namespace tsync::config_detail
