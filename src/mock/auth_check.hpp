// SPDX-License-Identifier: Apache-2.0
#pragma once

// Whether a data request carries what its endpoint's AuthRequirement asks for,
// and the 401 of each kind when it does not.

#include "mock/auth.hpp"
#include "mock/endpoint_spec.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

// Whether `request` carries what `auth` asks for, session and access tokens
// checked in `tokens`; when not, `response` is set to the 401.
bool authorized(const httplib::Request& request, httplib::Response& response,
                const AuthRequirement& auth, const TokenBook& tokens);

}  // namespace tsync::mock
