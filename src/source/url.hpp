// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsync {

// The URL with any user:password@ part replaced, safe for messages and logs.
std::string redact_url(const std::string& url);

// Appends `value` percent-encoded (RFC 3986 unreserved characters kept) to `out`.
void append_url_encoded(std::string& out, std::string_view value);

// `reference` (an absolute URL, or one relative to `base` as RFC 3986 resolves
// it: "/path?q", "?page=2", "next") as an absolute URL. Throws PermanentError
// when the result is not an http or https URL.
std::string resolve_url(const std::string& base, const std::string& reference);

// A URL's scheme, host and port ("http://127.0.0.1:80"), lower case; "" when
// it cannot be parsed.
std::string origin_of(const std::string& url);

// `url` with the query parameter name=value appended (both percent-encoded),
// unless the query already has a parameter `name`.
std::string with_query_param(const std::string& url, const std::string& name,
                             const std::string& value);

// A URL cut at its query: the part before '?' (the fragment dropped) and each
// query parameter's name and value, percent-decoded ('+' stays '+'), in order.
struct QueryParts {
  std::string base;
  std::vector<std::pair<std::string, std::string>> params;
};
QueryParts split_query(const std::string& url);

// The value of query parameter `name` of `url`, decoded; nullopt when absent.
std::optional<std::string> query_value(const std::string& url, const std::string& name);

}  // namespace tsync
