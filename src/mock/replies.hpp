// SPDX-License-Identifier: Apache-2.0
#pragma once

// The small JSON answers every route of the mock writes: {"error": "..."}, and
// JSON bodies made elsewhere.

#include <string>
#include <string_view>

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// {"error":"<message>"}, the message escaped as a JSON string.
std::string json_error(std::string_view message);

// Sets `response` to `status` with json_error(message) as application/json.
void reply_error(httplib::Response& response, int status, std::string_view message);

// Sets `response`'s body to `body` as application/json.
void reply_json(httplib::Response& response, const std::string& body);

}  // namespace tsync::mock
