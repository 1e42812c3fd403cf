// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a data request must satisfy before it is paged: its required
// parameters, a since and an until in the feed's cursor format, only known
// parameters on a strict feed, and a range no longer than the feed allows; and
// the 400 that answers one that does not.

#include <optional>
#include <string>

#include "common/timestamp.hpp"
#include "mock/feed.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// Checks `request` against `feed`, in this order: its required parameters,
// since, until (set in feed.until), the known parameters and the range. Returns
// since (nullopt when the request has none). Throws Refusal for the first
// check that fails.
std::optional<Instant> check_request(const httplib::Request& request, Feed& feed);

// A 400 in the feed's form: Stripe's for LastRecord, {"error": ...} otherwise.
void refuse(httplib::Response& response, const Feed& feed, const std::string& message);

}  // namespace tsync::mock
