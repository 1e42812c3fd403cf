// SPDX-License-Identifier: Apache-2.0
#pragma once

// The OAuth2 token endpoint (POST kTokenPath), shaped like HubSpot's.

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "mock/auth.hpp"
#include "mock/fault.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// The OAuth2 token endpoint's settings (kTokenPath, RFC 6749 as HubSpot's):
// a form-encoded POST with grant_type=client_credentials, or grant_type=
// refresh_token and refresh_token=..., the client's credentials in the body
// (client_id, client_secret) or as `Authorization: Basic`, an optional scope
// (given back as it came). It answers {"access_token", "token_type": "bearer",
// "expires_in"}, plus "refresh_token" (a new one) to a refresh_token grant when
// rotating; errors as RFC 6749 section 5.2 says: 401 invalid_client, 400
// invalid_grant, unsupported_grant_type or invalid_request.
struct OAuthOptions {
  std::string client_id = "tsync-client", client_secret = "client-secret-1234";
  std::string refresh_token = "refresh-token-0001";  // the one valid refresh token at the start
  int expires_in_seconds = 3600;                     // the access tokens' lifetime
  // Each refresh_token grant answers a new refresh token; the one used stops
  // working at once.
  bool rotate_refresh_token = false;
  bool invalid_grant = false;  // answer every refresh_token grant with invalid_grant
  // How answers and errors are written: JSON; form-encoded
  // (access_token=...&expires_in=...&token_type=bearer, Content-Type
  // application/x-www-form-urlencoded) unless the request's Accept names
  // application/json, as GitHub's OAuth endpoint does; or form-encoded always,
  // as a proxy that re-encodes the answers does.
  enum class Format { Json, FormUnlessJsonAccepted, Form };
  Format format = Format::Json;
};

// Thread-safe.
class TokenEndpoint {
 public:
  // Issues access tokens in `tokens`, serves the faults of `faults` first.
  TokenEndpoint(TokenBook& tokens, FaultQueue& faults) : tokens_(tokens), faults_(faults) {}

  // Registers POST kTokenPath on `server`.
  void add_route(httplib::Server& server);
  // POST kTokenPath, as OAuthOptions says.
  void serve(const httplib::Request& request, httplib::Response& response);
  // Replaces the settings; the current refresh token becomes options.refresh_token.
  void set_options(const OAuthOptions& options);
  // The refresh token that works now.
  std::string refresh_token() const;
  // Requests so far, refused and faulted ones included.
  std::size_t requests() const { return count_.load(); }

 private:
  TokenBook& tokens_;
  FaultQueue& faults_;
  std::atomic<std::size_t> count_{0};
  // Guards options_ and refresh_token_.
  mutable std::mutex mutex_;
  OAuthOptions options_;
  std::string refresh_token_ = OAuthOptions{}.refresh_token;
};

}  // namespace tsync::mock
