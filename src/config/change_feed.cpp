// SPDX-License-Identifier: Apache-2.0
#include "config/change_feed.hpp"

#include <vector>

#include "common/errors.hpp"

namespace tsync::config_detail {
namespace {

std::span<const TypeKeys<FeedType>> feed_types() {
  static const TypeKeys<FeedType> kTypes[] = {
      {"delta_link",
       FeedType::DeltaLink,
       {},
       {"next_path", "delta_path", "removed_field", "deleted_when", "expired_statuses",
        "expired_codes"}},
      {"sync_token",
       FeedType::SyncToken,
       {},
       {"page_token_path", "page_token_param", "sync_token_path", "sync_token_param",
        "removed_field", "deleted_when", "expired_statuses", "expired_codes"}},
      {"cursor_export",
       FeedType::CursorExport,
       {},
       {"cursor_path", "cursor_param", "end_path", "start_param", "removed_field",
        "deleted_when", "expired_statuses", "expired_codes"}}};
  return kTypes;
}

std::string param_value(const Checker& c, const char* key, std::string fallback) {
  if (auto v = c.text(key)) {
    if (v->empty()) c.fail(key, "must not be empty");
    return *v;
  }
  return fallback;
}

JsonPath path_value(const Checker& c, const char* key, JsonPath fallback) {
  return c.find(key) ? read_json_path(c, key) : fallback;
}

}  // namespace

ChangeFeed read_change_feed(const rapidjson::Value& v, const std::string& where) {
  const std::string at = where + ": change_feed";
  ChangeFeed f;
  f.type = read_type(v, at, kChangeFeedKeys, feed_types(), "a change feed type").type;
  const Checker c(v, at);
  switch (f.type) {
    case FeedType::DeltaLink:
      f.next_path = path_value(c, "next_path", {"@odata.nextLink"});
      f.end_path = path_value(c, "delta_path", {"@odata.deltaLink"});
      f.removed_field = "@removed";
      break;
    case FeedType::SyncToken:
      f.next_path = path_value(c, "page_token_path", {"nextPageToken"});
      f.page_param = param_value(c, "page_token_param", "pageToken");
      f.end_path = path_value(c, "sync_token_path", {"nextSyncToken"});
      f.token_param = param_value(c, "sync_token_param", "syncToken");
      if (f.page_param == f.token_param)
        c.fail("sync_token_param", "must differ from page_token_param");
      break;
    case FeedType::CursorExport:
      f.next_path = path_value(c, "cursor_path", {"after_cursor"});
      f.page_param = param_value(c, "cursor_param", "cursor");
      f.end_path = path_value(c, "end_path", {"end_of_stream"});
      f.start_param = param_value(c, "start_param", "start_time");
      if (f.page_param == f.start_param) c.fail("start_param", "must differ from cursor_param");
      break;
  }
  if (c.find("removed_field")) {
    const rapidjson::Value* r = c.find("removed_field");
    if (r->IsNull())
      f.removed_field.clear();
    else if (auto text = c.text("removed_field"); text && !text->empty())
      f.removed_field = *text;
    else
      c.fail("removed_field", "must be a field's name, or null");
  }
  if (const rapidjson::Value* d = c.find("deleted_when")) {
    if (!d->IsObject() || d->MemberCount() != 1)
      c.fail("deleted_when",
             "must be an object of one field and its value, or list of values: "
             "{\"status\": \"cancelled\"}");
    const auto& m = *d->MemberBegin();
    f.deleted_field.assign(m.name.GetString(), m.name.GetStringLength());
    if (m.value.IsString()) {
      f.deleted_values.emplace_back(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsArray() && !m.value.Empty()) {
      for (const auto& item : m.value.GetArray()) {
        if (!item.IsString()) c.fail("deleted_when", "lists strings only");
        f.deleted_values.emplace_back(item.GetString(), item.GetStringLength());
      }
    } else {
      c.fail("deleted_when", "names a string value, or a non-empty list of them");
    }
    if (f.deleted_field.empty()) c.fail("deleted_when", "names an empty field");
    if (!f.removed_field.empty() && c.find("removed_field"))
      c.fail("deleted_when", "and removed_field cannot both be set: name one way of removal");
    f.removed_field.clear();
  }
  if (const rapidjson::Value* s = c.find("expired_statuses")) {
    if (!s->IsArray()) c.fail("expired_statuses", "must be a list of HTTP statuses");
    f.expired_statuses.clear();
    for (const auto& item : s->GetArray()) {
      if (!item.IsInt() || item.GetInt() < 400 || item.GetInt() > 599)
        c.fail("expired_statuses", "lists HTTP statuses from 400 to 599");
      f.expired_statuses.push_back(item.GetInt());
    }
  }
  if (const rapidjson::Value* s = c.find("expired_codes")) {
    if (!s->IsArray()) c.fail("expired_codes", "must be a list of error codes (strings)");
    f.expired_codes.clear();
    for (const auto& item : s->GetArray()) {
      if (!item.IsString() || item.GetStringLength() == 0)
        c.fail("expired_codes", "lists error codes (non-empty strings)");
      f.expired_codes.emplace_back(item.GetString(), item.GetStringLength());
    }
  }
  return f;
}

void check_change_feed(const Checker& c, StreamConfig& s) {
  if (!c.find("change_feed")) return;
  const auto refuse = [&](const char* key, const std::string& why) {
    if (c.find(key)) c.fail("change_feed", std::string("and ") + key + " cannot both be set: " + why);
  };
  refuse("pagination", "the feed's pages follow its own links or tokens");
  refuse("since_param", "the feed carries its own token (cursor_export's first read starts at "
                        "start_param)");
  refuse("window_seconds", "a feed is read from its token, not in windows of time");
  refuse("until_param", "a feed is read from its token, not in windows of time");
  refuse("parent", "a child stream reads its partitions from cursors of its own");
  refuse("partitions", "a child stream reads its partitions from cursors of its own");
  refuse("delete_field", "the feed marks removals with removed_field or deleted_when");
  refuse("lookback_seconds", "a token has no time to look back from");
  const ChangeFeed& feed = *s.change_feed;
  for (const auto& [name, value] : s.params)
    if (name == feed.page_param || name == feed.token_param || name == feed.start_param)
      c.fail("params", "\"" + name + "\" is a parameter the change feed sends itself");
  s.since_param.clear();
  s.lookback_seconds = 0;
  if (!c.find("cursor_field")) {
    s.cursor_field = kFeedReadAt;
    s.cursor_format = CursorFormat::Iso8601;
  }
  if (s.change_feed->type != FeedType::CursorExport && s.start_timestamp &&
      c.find("start_timestamp"))
    c.fail("start_timestamp", "is for a cursor export's first read; this feed reads from its "
                              "beginning");
}

}  // namespace tsync::config_detail
