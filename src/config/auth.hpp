// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading an "auth" object of configuration.json, at the top level or in a
// stream: how the stream's requests are signed. Internal to src/config/.

#include <memory>
#include <string>

#include "common/redact.hpp"
#include "config/checker.hpp"
#include "config/config.hpp"
#include "source/auth.hpp"

namespace tsync::config_detail {

// The "auth" object (docs/configuration.md) of the object `c` reads, whose
// errors start with `where`, with its secrets read from the environment; null
// when there is none. Refused beside "token_env", its short form.
std::shared_ptr<const AuthConfig> read_auth(const Checker& c, const std::string& where,
                                            Secrets secrets);

// The secrets of an auth setting, for the redactor; those not read (not set,
// with Secrets::IfSet) are left out. A client id is not a secret (RFC 6749,
// section 2.2): messages may name it.
void add_auth_secrets(const AuthConfig& a, Redactor& redactor);

// Gives stream `s` the auth setting `a`: a bearer token is the stream's token
// (token_env's own path), every other type its AuthConfig.
void apply_auth(const std::shared_ptr<const AuthConfig>& a, StreamConfig& s);

}  // namespace tsync::config_detail
