// SPDX-License-Identifier: Apache-2.0
#include "source/change_feed.hpp"

#include <algorithm>

#include <rapidjson/document.h>

namespace tsync {
namespace {

// The error codes of a JSON error body: error.code, error.errors[].reason and
// error.errors[].code (Graph's and Google's shapes).
std::vector<std::string> error_codes(std::string_view body) {
  std::vector<std::string> out;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  const auto error = doc.FindMember("error");
  if (error == doc.MemberEnd() || !error->value.IsObject()) return out;
  const rapidjson::Value& e = error->value;
  if (const auto code = e.FindMember("code"); code != e.MemberEnd() && code->value.IsString())
    out.emplace_back(code->value.GetString(), code->value.GetStringLength());
  if (const auto errors = e.FindMember("errors");
      errors != e.MemberEnd() && errors->value.IsArray())
    for (const auto& item : errors->value.GetArray()) {
      if (!item.IsObject()) continue;
      for (const char* key : {"reason", "code"})
        if (const auto v = item.FindMember(key); v != item.MemberEnd() && v->value.IsString())
          out.emplace_back(v->value.GetString(), v->value.GetStringLength());
    }
  return out;
}

}  // namespace

const char* feed_type_name(FeedType type) {
  switch (type) {
    case FeedType::DeltaLink:
      return "delta_link";
    case FeedType::SyncToken:
      return "sync_token";
    case FeedType::CursorExport:
      break;
  }
  return "cursor_export";
}

bool feed_token_expired(const ChangeFeed& feed, long status, std::string_view body) {
  if (std::find(feed.expired_statuses.begin(), feed.expired_statuses.end(), status) !=
      feed.expired_statuses.end())
    return true;
  if (status < 400) return false;
  for (const std::string& code : error_codes(body))
    if (std::find(feed.expired_codes.begin(), feed.expired_codes.end(), code) !=
        feed.expired_codes.end())
      return true;
  return false;
}

std::string short_token(std::string_view token) {
  constexpr std::size_t kHead = 24, kTail = 12;
  if (token.size() <= kHead + kTail + 3) return std::string(token);
  return std::string(token.substr(0, kHead)) + "\u2026" +
         std::string(token.substr(token.size() - kTail));
}

}  // namespace tsync
