// SPDX-License-Identifier: Apache-2.0
#pragma once

// The Fivetran API playground's (1.1.0) signed endpoints, as the mock serves
// them with --playground-auth: credentials made at random at each start and
// printed the way the playground prints them. Header-only, as auth.hpp.

#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mock/endpoint_spec.hpp"

namespace tsync::mock {

// What the playground makes at each start: a Basic user and password, a
// bearer token, an API key, and a session login of another user and password.
struct PlaygroundCredentials {
  std::string basic_username, basic_password;      // "xxxxx@example.com", 8 hex digits
  std::string bearer_token, api_key;               // UUIDs
  std::string session_username, session_password;  // "yyyyy@example.com", 10 hex digits
};

// `count` random lowercase hexadecimal digits.
inline std::string random_hex(std::mt19937_64& random, std::size_t count) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(kHex[random() & 0xF]);
  return out;
}

// A version 4 UUID's text, as Python's uuid.uuid4() writes it.
inline std::string random_uuid(std::mt19937_64& random) {
  std::string hex = random_hex(random, 32);
  hex[12] = '4';
  hex[16] = "89ab"[random() & 3];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// New credentials, made as the playground makes them.
inline PlaygroundCredentials random_playground_credentials(std::mt19937_64& random) {
  PlaygroundCredentials c;
  c.basic_username = random_hex(random, 5) + "@example.com";
  c.basic_password = random_hex(random, 8);
  c.bearer_token = random_uuid(random);
  c.api_key = random_uuid(random);
  c.session_username = random_hex(random, 5) + "@example.com";
  c.session_password = random_hex(random, 10);
  return c;
}

// The playground's four signed endpoints, each answering {"data": [20 users]}
// whatever the query says: /auth/http_basic, /auth/http_bearer, /auth/api_key
// (`Authorization: apiKey <key>`) and /auth/session_token/data (`Authorization:
// Token <token>`, the token from POST kLoginPath with the session's user and
// password).
inline std::vector<EndpointSpec> playground_auth_endpoints(const PlaygroundCredentials& c,
                                                           std::uint64_t seed = 1) {
  std::vector<EndpointSpec> out;
  const auto add = [&](const char* path, AuthRequirement auth) {
    EndpointSpec spec;
    spec.path = path;
    spec.records = 20;
    spec.seed = seed;
    spec.serving.since_mode = SinceMode::Ignored;
    spec.auth = std::move(auth);
    out.push_back(std::move(spec));
  };
  AuthRequirement basic;
  basic.kind = AuthRequirement::Kind::Basic;
  basic.username = c.basic_username;
  basic.password = c.basic_password;
  add("/auth/http_basic", basic);
  AuthRequirement bearer;
  bearer.kind = AuthRequirement::Kind::Bearer;
  bearer.secret = c.bearer_token;
  add("/auth/http_bearer", bearer);
  AuthRequirement key;
  key.kind = AuthRequirement::Kind::ApiKey;
  key.prefix = "apiKey ";
  key.secret = c.api_key;
  add("/auth/api_key", key);
  AuthRequirement session;
  session.kind = AuthRequirement::Kind::Session;
  session.username = c.session_username;
  session.password = c.session_password;
  session.prefix = "Token ";
  add("/auth/session_token/data", session);
  return out;
}

// The table of signed endpoints and their credentials that the playground
// prints at start, for the server at `origin` ("http://127.0.0.1:5001"), line
// for line as it prints it (its padding, and GET for the login too).
inline std::string playground_credentials_table(const std::string& origin,
                                                const PlaygroundCredentials& c) {
  const std::string rule(140, '-');
  std::string out = rule + "\n";
  const auto row = [&](const std::string& type, const std::string& endpoint,
                       const std::string& credentials) {
    char line[512];
    std::snprintf(line, sizeof line, "%-30s | %-50s | %-50s\n", type.c_str(), endpoint.c_str(),
                  credentials.c_str());
    out += line;
  };
  row("Authentication Endpoint Type", "Endpoint", "Credentials");
  out += rule + "\n";
  row("Http Basic Auth", "GET " + origin + "/auth/http_basic",
      "Username: " + c.basic_username + " Password: " + c.basic_password);
  row("HTTP Bearer", "GET " + origin + "/auth/http_bearer", "Bearer Token: " + c.bearer_token);
  row("Auth API Key", "GET " + origin + "/auth/api_key", "API Key: " + c.api_key);
  row("Session Token Auth Login", "GET " + origin + kLoginPath,
      "Username: " + c.session_username + "  Password: " + c.session_password);
  row("Session Token Auth Data", "GET " + origin + "/auth/session_token/data",
      "Use Token Received from Login endpoint");
  out += rule + "\n";
  return out;
}

}  // namespace tsync::mock
