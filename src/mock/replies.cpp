// SPDX-License-Identifier: Apache-2.0
#include "mock/replies.hpp"

#include <httplib.h>

#include "mock/catalog.hpp"

namespace tsync::mock {

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

void reply_error(httplib::Response& response, int status, std::string_view message) {
  response.status = status;
  response.set_content(json_error(message), "application/json");
}

void reply_json(httplib::Response& response, const std::string& body) {
  response.set_content(body, "application/json");
}

}  // namespace tsync::mock
