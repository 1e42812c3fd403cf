// SPDX-License-Identifier: Apache-2.0
#pragma once

// How an answer pages, read off it: the paging style of each real API
// (docs/paging.md) and its keys, the next URLs it gives, the page size a
// request named. Internal to src/discover/: detect() and paging_signals()
// build on it.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "discover/detect.hpp"

namespace tsync {

// The paging an answer shows, with how sure and why, and the query
// parameters that pagination now sends (taken out of the stream's params).
struct PagingRead {
  Pagination pagination;
  Sureness sureness = Sureness::NotSeen;
  std::string seen;
  std::vector<std::string> owned_params;
};

// Reads the paging of `response` (body `root`, records `records` at
// `records_path`, request parameters `query`): a Link header, a next URL in
// the body, json-server 1.0's page fields, a token, has_more beside ids, an
// offset, a page number, in that order. Type None when it shows none.
PagingRead read_paging(const Response& response,
                       const std::vector<std::pair<std::string, std::string>>& query,
                       const rapidjson::Value& root, const rapidjson::Value* records,
                       const std::optional<JsonPath>& records_path);

// Every next URL the answer gives, absolute: Link's rel="next" and the URLs
// in the body outside the records.
std::vector<std::string> next_urls(const Response& response, const rapidjson::Value& root,
                                   const rapidjson::Value* records);

// The value of response header `name` (lower case), or null.
const std::string* header(const Response& response, std::string_view name);

// The value of query parameter `name`, or nullopt.
std::optional<std::string> param(const std::vector<std::pair<std::string, std::string>>& params,
                                 std::string_view name);

// The page size a request named (per_page, page_size, limit, ...): the
// parameter and its value.
std::optional<std::pair<std::string, long long>> size_in_query(
    const std::vector<std::pair<std::string, std::string>>& query);

// A number of records APIs answer by default (10, 20, 25, 50, 100, ...).
bool round_count(std::int64_t n);

}  // namespace tsync
