// SPDX-License-Identifier: Apache-2.0
#include "mock/query_params.hpp"

#include <httplib.h>

#include <algorithm>

namespace tsync::mock {
namespace {

// The value of `text` when it is a whole number of 1 to 9 digits.
std::optional<std::size_t> whole_number(const std::string& text) {
  const auto n = mock::whole_number(text, 9);
  return n ? std::optional<std::size_t>(static_cast<std::size_t>(*n)) : std::nullopt;
}

}  // namespace

std::optional<std::size_t> count_param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) return 0;
  return whole_number(request.get_param_value(name));
}

std::optional<std::size_t> whole_param(const httplib::Request& request, const std::string& name) {
  if (!request.has_param(name)) return std::nullopt;
  const std::string text = request.get_param_value(name);
  const auto value = whole_number(text);
  if (!value) throw Refusal{name + " must be a whole number, not \"" + text + "\""};
  return value;
}

std::size_t page_param(const httplib::Request& request, const std::string& name) {
  const std::size_t page = whole_param(request, name).value_or(1);
  if (page < 1) throw Refusal{name + " must be 1 or more, not 0"};
  return page;
}

std::size_t size_param(const httplib::Request& request, const std::string& name,
                       const ServingOptions& serving, bool cut) {
  const PageLimits limits = page_limits(serving.paging);
  const std::size_t most = serving.max_page_size ? serving.max_page_size : limits.max_size;
  const std::size_t fallback =
      std::min(serving.page_size ? serving.page_size : limits.default_size, most);
  const auto asked = whole_param(request, name);
  if (!asked) return fallback;
  if (*asked < 1 || (*asked > most && !cut))
    throw Refusal{name + " must be between 1 and " + std::to_string(most) + ", not " +
                  std::to_string(*asked)};
  return std::min(*asked, most);
}

std::vector<std::string> style_params(PagingStyle style) {
  switch (style) {
    case PagingStyle::LinkHeader:
    case PagingStyle::NextUrl:
    case PagingStyle::PageNumber:
      return {"page", "per_page"};
    case PagingStyle::Token:
      return {"after", "limit"};
    case PagingStyle::LastRecord:
      return {"starting_after", "limit"};
    case PagingStyle::Offset:
      return {"offset", "limit"};
    case PagingStyle::Keyset:
      return {"scroll_param"};
    case PagingStyle::JsonServer:
      return {"_page", "_limit", "_sort", "_order"};
    case PagingStyle::None:
      break;
  }
  return {};
}

std::string_view cursor_description(CursorFormat format) {
  switch (format) {
    case CursorFormat::UnixSeconds:
      return "a unix time in seconds";
    case CursorFormat::UnixMillis:
      return "a unix time in milliseconds";
    case CursorFormat::Iso8601:
      break;
  }
  return "an ISO 8601 timestamp";
}

std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::optional<std::int64_t> whole_number(const std::string& text, std::size_t most) {
  if (text.empty() || text.size() > std::min<std::size_t>(most, 18) ||
      text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoll(text);
}

}  // namespace tsync::mock
