// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading a stream's "change_feed" object of configuration.json: an API's own
// change token, and what a stream that follows one may not also have.
// Internal to src/config/.

#include <string>

#include <rapidjson/document.h>

#include "config/checker.hpp"
#include "source/change_feed.hpp"

namespace tsync::config_detail {

// The "change_feed" object `v` of the stream whose errors start with `where`.
ChangeFeed read_change_feed(const rapidjson::Value& v, const std::string& where);

// A stream with a change feed: refuses what the feed replaces (pagination,
// since_param, windows of time, partitions, delete_field) and gives the
// records a time of their own when cursor_field is not set (kFeedReadAt).
void check_change_feed(const Checker& c, StreamConfig& s);

}  // namespace tsync::config_detail
