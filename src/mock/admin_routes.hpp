// SPDX-License-Identifier: Apache-2.0
#pragma once

// The admin routes (/admin/...): change the users or a generic endpoint's
// records, and report counts and load, as mock_api.hpp lists them.

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class Endpoints;
class LoadMeter;
class RequestLog;
class UserStore;

// What the admin routes read and change; each outlives the server.
struct AdminTargets {
  UserStore& users;
  Endpoints& endpoints;
  const RequestLog& log;
  const LoadMeter& load;
};

// Registers the admin routes on `server`.
void add_admin_routes(httplib::Server& server, AdminTargets targets);

}  // namespace tsync::mock
