// SPDX-License-Identifier: Apache-2.0
#include "mock/session_login.hpp"

#include <httplib.h>
#include <rapidjson/document.h>

#include <optional>

#include "mock/endpoint_spec.hpp"
#include "mock/replies.hpp"

namespace tsync::mock {

void SessionLogin::add_route(httplib::Server& server) {
  server.Post(kLoginPath, [this](const httplib::Request& request, httplib::Response& response) {
    serve(request, response);
  });
}

void SessionLogin::serve(const httplib::Request& request, httplib::Response& response) {
  ++count_;
  if (const auto fault = faults_.take()) return reply_fault(response, *fault);
  rapidjson::Document body;
  body.Parse(request.body.c_str(), request.body.size());
  const auto text = [&](const char* name) -> std::optional<std::string> {
    if (!body.IsObject() || !body.HasMember(name) || !body[name].IsString()) return std::nullopt;
    return std::string(body[name].GetString(), body[name].GetStringLength());
  };
  const auto username = body.HasParseError() ? std::nullopt : text("username");
  const auto password = body.HasParseError() ? std::nullopt : text("password");
  if (!username || !password)
    return reply_error(response, 400,
                       "the body must be a JSON object {\"username\": \"...\", \"password\": "
                       "\"...\"}");
  if (!credentials_(*username, *password))
    return reply_error(response, 401, "invalid username or password");
  std::string answer = "{\"token\":";
  append_json_string(answer, tokens_.issue(TokenBook::Kind::Session, std::nullopt));
  answer += "}";
  response.set_content(answer, "application/json");
}

}  // namespace tsync::mock
