// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading an API's answer held in memory as JSON: a value at a path, a
// cursor's instant, the fields of the records and the columns they get, keys
// that repeat; and writing what configuration.json holds (a body path, a
// pagination) as JSON text.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "common/timestamp.hpp"
#include "source/pagination.hpp"

namespace tsync {

// The body parsed; throws PermanentError naming `url` and the byte offset
// when it is not JSON.
rapidjson::Document parse_body(const std::string& body, const std::string& url);

// The value at `path` under `root` (root itself for an empty path), or null
// when a key is missing or a step is not an object.
const rapidjson::Value* value_at(const rapidjson::Value& root, const JsonPath& path);

// The instant a cursor value stands for in `format` (a string or a number);
// nullopt when it is not one.
std::optional<Instant> cursor_instant(const rapidjson::Value& value, CursorFormat format);

// The type a field's column gets in the replica, from the values the records
// hold (docs/replica.md, "Every field is kept"): "INTEGER", "REAL", "TEXT",
// "JSON text" (objects, arrays), "INTEGER 0/1" (booleans), mixed types joined
// by " or ", and "NULL only".
struct FieldSummary {
  std::string name;
  std::string stored_as;
  std::int64_t present = 0;  // records holding the field
  bool timestamps = false;   // every non-null value is an ISO 8601 timestamp
};
std::vector<FieldSummary> summarize_fields(const rapidjson::Value& records);

// The number of records of `records` (an array of objects) whose key
// (`key_fields`, every one present and not null) was already seen earlier in
// the array; records without the key count in `missing`.
std::int64_t duplicate_keys(const rapidjson::Value& records,
                            const std::vector<std::string>& key_fields, std::int64_t& missing);

// A Pagination as configuration.json writes it: {"type": "link_header"}, ...
std::string pagination_json(const Pagination& pagination);

// A body path as configuration.json writes it: "paging.next.after", or a list
// of keys when one holds a dot (["@odata.nextLink"]).
std::string path_json(const JsonPath& path);

// `text` as a JSON string, quotes and escapes included.
std::string json_quoted(std::string_view text);

// A value as compact JSON text.
std::string json_text(const rapidjson::Value& value);

// A whole number of at most 12 digits, without a sign; nullopt otherwise.
std::optional<long long> whole_number(const std::string& text);

// A JSON integer, or a string of digits, as a number; nullopt otherwise.
std::optional<long long> number_of(const rapidjson::Value* value);

// An absolute http(s) URL, or one relative to the request ("/path", "?q").
bool looks_like_url(const rapidjson::Value& value);

// The member of `object` named by the first of `names` it has (its name in
// `found`); null when it has none or is not an object.
const rapidjson::Value* member(const rapidjson::Value& object,
                               std::initializer_list<std::string_view> names, std::string& found);

}  // namespace tsync
