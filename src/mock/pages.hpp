// SPDX-License-Identifier: Apache-2.0
#pragma once

// One page of a paging style (PagingStyle): which records a request gets, the
// body's paging fields around them, and the headers that go with them (Link,
// X-Total-Count), each style as the real API it is named after.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mock/body_writer.hpp"
#include "mock/feed.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// A page: its records with the body around them, and its headers.
struct Page {
  Selection selection;
  std::vector<std::pair<std::string, std::string>> headers;
};

// The page `request` asks for of `feed` (whose paging is not None), after
// `since`; `own_origin` ("http://host:port") begins next links and next URLs
// unless the feed names another or makes them relative. Throws Refusal for a
// request it cannot serve.
Page make_page(const httplib::Request& request, const Feed& feed, std::optional<Instant> since,
               std::size_t request_number, KeyOrders& key_orders, const std::string& own_origin);

// Keyset: the cursor a request's scroll_param stands for; nullopt without one.
// Throws Refusal for a bad one, or one given with since.
std::optional<Instant> scroll_cursor(const httplib::Request& request, const Feed& feed);

}  // namespace tsync::mock
