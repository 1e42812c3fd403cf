// SPDX-License-Identifier: Apache-2.0
#pragma once

// An API's own change token (docs/change-feeds.md): Microsoft Graph's delta
// links, Google's sync tokens, Zendesk's cursor export. How the pages of a
// read follow one another, where the token for next time is, how the API
// marks a removed record, and how it says a token has expired.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "source/pagination.hpp"

namespace tsync {

enum class FeedType { DeltaLink, SyncToken, CursorExport };

// A stream's "change_feed" setting, checked when loaded.
struct ChangeFeed {
  FeedType type = FeedType::DeltaLink;
  // delta_link: the next page's URL ("@odata.nextLink"); sync_token: the next
  // page's token ("nextPageToken"); cursor_export: the cursor after this page
  // ("after_cursor"), which is also the token for next time.
  JsonPath next_path;
  // sync_token: the parameter of a page token ("pageToken"); cursor_export:
  // the parameter of the cursor ("cursor").
  std::string page_param;
  // delta_link: the URL to ask next time ("@odata.deltaLink"); sync_token: the
  // token for next time ("nextSyncToken"); cursor_export: true when the read
  // has reached the present ("end_of_stream").
  JsonPath end_path;
  std::string token_param;  // sync_token: the parameter of the token ("syncToken")
  std::string start_param;  // cursor_export: the start of a first read ("start_time")
  // A field whose presence (not null, not false) marks a removal ("@removed").
  std::string removed_field;
  // A field and the values that mark a removal ({"status": "cancelled"}).
  std::string deleted_field;
  std::vector<std::string> deleted_values;
  // What says the token has expired: these statuses, or these error codes in
  // the body (error.code, error.errors[].reason).
  std::vector<long> expired_statuses{410};
  std::vector<std::string> expired_codes{"syncStateNotFound", "resyncRequired",
                                         "fullSyncRequired"};

  // Whether the token of a page may be saved before the read ends: a cursor
  // export resumes from any page's cursor; a delta link or sync token only
  // from the end of a read.
  bool resumable() const { return type == FeedType::CursorExport; }
};

// "delta_link", "sync_token", "cursor_export".
const char* feed_type_name(FeedType type);

// Whether an answer of `status` whose body begins with `body` says the
// token has expired.
bool feed_token_expired(const ChangeFeed& feed, long status, std::string_view body);

// A token or delta URL as messages show it: whole when short, else its start
// and end around "…", at most about 40 characters.
std::string short_token(std::string_view token);

}  // namespace tsync
