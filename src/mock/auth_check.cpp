// SPDX-License-Identifier: Apache-2.0
#include "mock/auth_check.hpp"

#include <httplib.h>

#include <string>

#include "mock/replies.hpp"

namespace tsync::mock {
namespace {

const std::string kRealm = "realm=\"tsync-mock-api\"";

// A 401 with the HTML page of a Basic, Bearer or API key endpoint and, unless
// empty, the challenge in WWW-Authenticate. Returns false.
bool unauthorized_page(httplib::Response& response, const std::string& challenge) {
  response.status = 401;
  if (!challenge.empty()) response.set_header("WWW-Authenticate", challenge);
  response.set_content(kUnauthorizedPage, "text/html; charset=utf-8");
  return false;
}

bool session_authorized(const httplib::Request& request, httplib::Response& response,
                        const AuthRequirement& auth, const TokenBook& tokens) {
  const std::string prefix = auth.prefix.empty() ? "Token " : auth.prefix;
  const std::string value = request.get_header_value(auth.name);
  if (!request.has_header(auth.name) || value.rfind(prefix, 0) != 0) {
    reply_error(response, 401,
                "a session token is required: log in with a POST to " + std::string(kLoginPath) +
                    ", then send the token in " + auth.name + " after \"" + prefix + "\"");
    return false;
  }
  const TokenBook::State state =
      tokens.check(TokenBook::Kind::Session, value.substr(prefix.size()));
  if (state == TokenBook::State::Valid) return true;
  reply_error(response, 401,
              state == TokenBook::State::Expired
                  ? "the session token has expired: log in again"
                  : "the session token is not one this server issued");
  return false;
}

bool oauth2_authorized(const httplib::Request& request, httplib::Response& response,
                       const TokenBook& tokens) {
  const auto token = credentials_of(request.get_header_value("Authorization"), "Bearer");
  const TokenBook::State state =
      token ? tokens.check(TokenBook::Kind::Access, *token) : TokenBook::State::Unknown;
  if (state == TokenBook::State::Valid) return true;
  response.set_header("WWW-Authenticate",
                      "Bearer " + kRealm + (token ? ", error=\"invalid_token\"" : ""));
  reply_error(response, 401,
              !token ? "an access token is required: get one with a POST to " +
                           std::string(kTokenPath) + ", then send \"Authorization: Bearer <token>\""
              : state == TokenBook::State::Expired
                  ? "the access token has expired: get a new one"
                  : "the access token is not one this server issued");
  return false;
}

}  // namespace

bool authorized(const httplib::Request& request, httplib::Response& response,
                const AuthRequirement& auth, const TokenBook& tokens) {
  using Kind = AuthRequirement::Kind;
  const std::string authorization = request.get_header_value("Authorization");
  switch (auth.kind) {
    case Kind::None:
      return true;
    case Kind::Basic: {
      const auto given = basic_credentials(authorization);
      if (given && given->first == auth.username && given->second == auth.password) return true;
      return unauthorized_page(response, "Basic " + kRealm + ", charset=\"UTF-8\"");
    }
    case Kind::Bearer: {
      const auto token = credentials_of(authorization, "Bearer");
      if (token && *token == auth.secret) return true;
      // RFC 6750 section 3.1: an error code only for a token that was sent.
      return unauthorized_page(response,
                               "Bearer " + kRealm + (token ? ", error=\"invalid_token\"" : ""));
    }
    case Kind::ApiKey: {
      const bool sent =
          auth.in_query ? request.has_param(auth.name) : request.has_header(auth.name);
      const std::string value =
          auth.in_query ? request.get_param_value(auth.name) : request.get_header_value(auth.name);
      if (sent && value == auth.prefix + auth.secret) return true;
      return unauthorized_page(response, "");
    }
    case Kind::Session:
      return session_authorized(request, response, auth, tokens);
    case Kind::OAuth2:
      return oauth2_authorized(request, response, tokens);
  }
  return false;
}

}  // namespace tsync::mock
