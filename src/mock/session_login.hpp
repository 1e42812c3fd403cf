// SPDX-License-Identifier: Apache-2.0
#pragma once

// The session login (POST kLoginPath), shaped like the Fivetran playground's:
// {"username", "password"} of any Session endpoint answers {"token": ...}, a
// token good for every Session endpoint.

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>

#include "mock/auth.hpp"
#include "mock/fault.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class SessionLogin {
 public:
  // Whether some Session endpoint signs in with a username and password.
  using Credentials = std::function<bool(const std::string&, const std::string&)>;

  // Issues tokens in `tokens`, serves the faults of `faults` first.
  SessionLogin(TokenBook& tokens, FaultQueue& faults, Credentials credentials)
      : tokens_(tokens), faults_(faults), credentials_(std::move(credentials)) {}

  // Registers POST kLoginPath on `server`.
  void add_route(httplib::Server& server);
  // POST kLoginPath: 400 for another body, 401 for other credentials (errors
  // as JSON).
  void serve(const httplib::Request& request, httplib::Response& response);
  // Logins so far, refused and faulted ones included.
  std::size_t requests() const { return count_.load(); }

 private:
  TokenBook& tokens_;
  FaultQueue& faults_;
  Credentials credentials_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace tsync::mock
