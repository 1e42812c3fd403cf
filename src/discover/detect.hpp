// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading a stream's settings off one answer of an API: where the records
// are, which field is the key and which the cursor, how the API pages and
// which parameter filters by time, each with what was seen and how sure the
// reading is. Pure functions of a response held in memory: no request, no
// file. `tsync init` proposes a stream from detect(); `tsync check` compares
// a configured stream with it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/timestamp.hpp"
#include "discover/json_sample.hpp"
#include "source/change_feed.hpp"
#include "source/pagination.hpp"

namespace tsync {

// How sure a reading is: Sure when the API says it outright (a Link header
// with rel="next", a field named updatedAt holding timestamps), Likely when
// the shape says it (a has_more beside an array of objects with ids),
// Guessed when only a common name says it (per_page for a page size the
// answer gives but the request did not name), NotSeen when the answer does
// not show it at all.
enum class Sureness { Sure, Likely, Guessed, NotSeen };

// "sure", "likely", "guessed", "not seen".
const char* sureness_name(Sureness sureness);

// One setting read from the answer, and why.
struct Finding {
  std::string key;  // the configuration key: "records_path", "pagination", ...
  Sureness sureness = Sureness::NotSeen;
  std::string seen;  // what the answer showed: "a bare array of 30 objects"
};

// One answer as it came: what detection reads.
struct Response {
  std::string url;  // the URL asked for, with its query
  long status = 200;
  // The headers of interest, names in lower case: link, x-total-count,
  // x-total, x-total-pages, x-per-page, x-next-page (kDetectedHeaders).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// The response headers detection reads, in lower case.
extern const std::vector<std::string> kDetectedHeaders;

// A stream as the answer suggests it.
struct Proposal {
  std::string url;  // the URL asked for without its query
  // The URL's query parameters that stay fixed (paging and since parameters
  // removed: those are pagination's and since_param's), in order.
  std::vector<std::pair<std::string, std::string>> params;
  // Where the records are: {} for a body that is the array itself; nullopt
  // when the body holds no array of objects.
  std::optional<JsonPath> records_path;
  std::int64_t records = 0;              // records in the answer
  std::vector<std::string> primary_key;  // empty: none found
  std::string cursor_field;              // empty: none found
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::string since_param;  // empty: not seen (the configuration gets null)
  // A field that marks a record deleted (a tombstone: "deleted": true,
  // "deletedAt": <time>); empty when the records hold none.
  std::string delete_field;
  Pagination pagination;    // type None when the answer shows no paging
  // The API's own change token, when the answer shows one (a delta link, a
  // sync token, a cursor export): a stream then follows it instead of
  // since_param and pagination.
  std::optional<ChangeFeed> change_feed;
  std::vector<Finding> findings;     // one per key read, in configuration order
  std::vector<std::string> warnings;  // what looks wrong or risky
};

// Reads a stream off `response`. `since_param`, when not empty, is the
// caller's name for the time filter (the answer need not show it). Throws
// PermanentError naming the URL when the status is not 2xx or the body is not
// JSON (RapidJSON's message and the byte offset).
Proposal detect(const Response& response, const std::string& since_param = {});

// What an answer shows of paging, whatever is configured: "a Link header with
// rel=\"next\"", "a next URL at \"next_page_url\"", "a token at
// \"paging.next.after\"", "has_more at \"has_more\"", "a total at \"total\"",
// "30 records, a round number equal to per_page=30"; empty when it shows
// none. `records` is the number of records in the answer.
std::vector<std::string> paging_signals(const Response& response, const rapidjson::Value& body,
                                        std::int64_t records);

}  // namespace tsync
