// SPDX-License-Identifier: Apache-2.0
#include "source/change_feed.hpp"

#include <algorithm>

#include <rapidjson/document.h>

namespace tsync {
namespace {

// The error codes of a JSON error body (from its first '{': a message may
// name the request first): error.code, error.errors[].reason and
// error.errors[].code (Graph's and Google's shapes). `whole` is false when the
// body is not whole JSON (a message cuts long bodies short).
std::vector<std::string> error_codes(std::string_view body, bool& whole) {
  std::vector<std::string> out;
  whole = false;
  const std::size_t brace = body.find('{');
  if (brace == std::string_view::npos) return out;
  body.remove_prefix(brace);
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseStopWhenDoneFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return out;
  whole = true;
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
  bool whole = false;
  for (const std::string& code : error_codes(body, whole))
    if (std::find(feed.expired_codes.begin(), feed.expired_codes.end(), code) !=
        feed.expired_codes.end())
      return true;
  if (whole) return false;
  // A body cut short: a code named as a JSON string in what there is.
  for (const std::string& code : feed.expired_codes)
    if (body.find("\"" + code + "\"") != std::string_view::npos) return true;
  return false;
}

std::string short_token(std::string_view token) {
  constexpr std::size_t kHead = 24, kTail = 12;
  if (token.size() <= kHead + kTail + 3) return std::string(token);
  return std::string(token.substr(0, kHead)) + "\u2026" +
         std::string(token.substr(token.size() - kTail));
}

}  // namespace tsync
