// SPDX-License-Identifier: Apache-2.0
#include "mock/token_endpoint.hpp"

#include <httplib.h>

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "mock/endpoint_spec.hpp"

namespace tsync::mock {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The answer of the token endpoint: `fields` as JSON (numbers unquoted) or
// form-encoded, as `format` and the request's Accept say.
void token_answer(const httplib::Request& request, httplib::Response& response,
                  OAuthOptions::Format format, int status, const Fields& fields) {
  const bool form =
      format == OAuthOptions::Format::Form ||
      (format == OAuthOptions::Format::FormUnlessJsonAccepted &&
       request.get_header_value("Accept").find("application/json") == std::string::npos);
  std::string body;
  for (const auto& [name, value] : fields) {
    if (form) {
      body += (body.empty() ? "" : "&") + percent_encoded(name) + "=" + percent_encoded(value);
      continue;
    }
    body += body.empty() ? "{" : ",";
    append_json_string(body, name);
    body += ":";
    if (name == "expires_in")
      body += value;
    else
      append_json_string(body, value);
  }
  if (!form) body += "}";
  response.status = status;
  response.set_header("Cache-Control", "no-store");
  response.set_header("Pragma", "no-cache");
  response.set_content(body, form ? "application/x-www-form-urlencoded" : "application/json");
}

// An error of the token endpoint, as RFC 6749 section 5.2 writes it.
struct OAuthError {
  int status;
  std::string error, description;
};

// The form of a token request; OAuthError when the body is not one.
std::map<std::string, std::string> read_form(const httplib::Request& request) {
  const std::string type = request.get_header_value("Content-Type");
  if (type.rfind("application/x-www-form-urlencoded", 0) != 0)
    throw OAuthError{400, "invalid_request", "the body must be application/x-www-form-urlencoded"};
  const auto items = decode_form(request.body);
  if (!items) throw OAuthError{400, "invalid_request", "the body is not form-encoded"};
  std::map<std::string, std::string> form;
  for (const auto& [name, value] : *items)
    if (!form.emplace(name, value).second)
      throw OAuthError{400, "invalid_request", name + " is given more than once"};
  return form;
}

std::optional<std::string> field(const std::map<std::string, std::string>& form, const char* name) {
  const auto it = form.find(name);
  return it == form.end() ? std::nullopt : std::optional<std::string>(it->second);
}

// The client's id and secret: as Basic (its parts form-encoded, RFC 6749
// section 2.3.1) or in the body.
struct Client {
  bool basic = false;
  std::optional<std::string> id, secret;
};

Client read_client(const httplib::Request& request,
                   const std::map<std::string, std::string>& form) {
  const std::string authorization = request.get_header_value("Authorization");
  Client client;
  client.basic = credentials_of(authorization, "Basic").has_value();
  client.id = field(form, "client_id");
  client.secret = field(form, "client_secret");
  if (!client.basic) return client;
  if (client.secret)
    throw OAuthError{400, "invalid_request",
                     "the client authenticates both in the Authorization header and in the body"};
  client.id.reset();
  if (const auto pair = basic_credentials(authorization)) {
    client.id = form_decoded(pair->first);
    client.secret = form_decoded(pair->second);
  }
  // Tried, but not readable: a failed authentication rather than a missing one.
  if (!client.id || !client.secret) client.id = client.secret = std::string();
  return client;
}

}  // namespace

void TokenEndpoint::add_route(httplib::Server& server) {
  server.Post(kTokenPath, [this](const httplib::Request& request, httplib::Response& response) {
    serve(request, response);
  });
}

void TokenEndpoint::serve(const httplib::Request& request, httplib::Response& response) {
  ++count_;
  if (const auto fault = faults_.take()) return reply_fault(response, *fault);
  // Read under the lock, as the answers are.
  const auto format = [this] {
    const std::lock_guard lock(mutex_);
    return options_.format;
  };
  try {
    const auto form = read_form(request);
    const auto grant = field(form, "grant_type");
    if (!grant) throw OAuthError{400, "invalid_request", "grant_type is missing"};
    const Client client = read_client(request, form);
    const std::lock_guard lock(mutex_);
    const OAuthOptions& o = options_;
    if (!client.id || !client.secret || *client.id != o.client_id ||
        *client.secret != o.client_secret) {
      // RFC 6749 section 5.2: a client that tried Basic is answered a Basic challenge.
      if (client.basic) response.set_header("WWW-Authenticate", "Basic realm=\"tsync-mock-api\"");
      return token_answer(
          request, response, o.format, 401,
          {{"error", "invalid_client"},
           {"error_description", !client.id && !client.secret ? "client authentication is missing"
                                                              : "client authentication failed"}});
    }
    std::optional<std::string> new_refresh_token;
    if (*grant == "refresh_token") {
      const auto presented = field(form, "refresh_token");
      if (!presented) throw OAuthError{400, "invalid_request", "refresh_token is missing"};
      if (o.invalid_grant || *presented != refresh_token_)
        throw OAuthError{400, "invalid_grant", "the refresh token is invalid, expired or revoked"};
      if (o.rotate_refresh_token) {
        refresh_token_ = tokens_.random_token();
        new_refresh_token = refresh_token_;
      }
    } else if (*grant != "client_credentials") {
      throw OAuthError{
          400, "unsupported_grant_type",
          "grant_type \"" + *grant + "\" is not supported (client_credentials, refresh_token)"};
    }
    const int lifetime = o.expires_in_seconds;
    Fields fields{
        {"access_token", tokens_.issue(TokenBook::Kind::Access, std::chrono::seconds(lifetime))},
        {"token_type", "bearer"},
        {"expires_in", std::to_string(lifetime)}};
    if (new_refresh_token) fields.emplace_back("refresh_token", *new_refresh_token);
    if (const auto scope = field(form, "scope")) fields.emplace_back("scope", *scope);
    token_answer(request, response, o.format, 200, fields);
  } catch (const OAuthError& e) {
    token_answer(request, response, format(), e.status,
                 {{"error", e.error}, {"error_description", e.description}});
  }
}

void TokenEndpoint::set_options(const OAuthOptions& options) {
  const std::lock_guard lock(mutex_);
  options_ = options;
  refresh_token_ = options.refresh_token;
}

std::string TokenEndpoint::refresh_token() const {
  const std::lock_guard lock(mutex_);
  return refresh_token_;
}

}  // namespace tsync::mock
