// SPDX-License-Identifier: Apache-2.0
#pragma once

// How the mock reads a request's query parameters: whole numbers, page numbers
// and page sizes, the parameters each paging style knows, and the refusal a bad
// one earns.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mock/endpoint_spec.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// A request refused with 400 and `message`.
struct Refusal {
  std::string message;
};

// The segments of a request's path: "/a/b/c" is {"a", "b", "c"}.
std::vector<std::string> path_segments(const std::string& path);

// The whole number `text` of 1 to `most` digits (at most 18); nullopt for
// anything else (a sign, a space, an empty text).
std::optional<std::int64_t> whole_number(const std::string& text, std::size_t most);

// An admin request's count in `name`: 0 when absent, nullopt when not a whole
// number of at most 9 digits.
std::optional<std::size_t> count_param(const httplib::Request& request, const char* name);

// The whole number in query parameter `name`; nullopt when absent. Throws
// Refusal when it is not a whole number.
std::optional<std::size_t> whole_param(const httplib::Request& request, const std::string& name);

// A page number: 1 when absent. Throws Refusal below 1.
std::size_t page_param(const httplib::Request& request, const std::string& name);

// The page size a request asks for in `name`, or the endpoint's default; one
// above the largest allowed is cut to it (`cut`) or refused.
std::size_t size_param(const httplib::Request& request, const std::string& name,
                       const ServingOptions& serving, bool cut);

// The query parameters a paging style reads, besides since and the required ones.
std::vector<std::string> style_params(PagingStyle style);

// What a cursor in `format` is, for error messages: "an ISO 8601 timestamp".
std::string_view cursor_description(CursorFormat format);

}  // namespace tsync::mock
