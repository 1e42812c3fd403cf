// SPDX-License-Identifier: Apache-2.0
#pragma once

// The data routes: GET kUsersPath and GET on any other path (a generic
// endpoint, else a nested resource's). Each data request is counted, logged and metered, runs the
// request hook, sleeps the latency, is checked for its credentials, takes its
// fault, is checked and paged, and streams its body.

#include <atomic>
#include <chrono>
#include <string>

#include "mock/feed.hpp"
#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class Endpoints;
class FaultQueue;
class LoadMeter;
class NestedRoutes;
class RequestLog;
class TokenBook;
class UsersEndpoint;

// What the data routes serve and record; each outlives the server.
struct DataSources {
  UsersEndpoint& users;
  Endpoints& endpoints;
  RequestLog& log;
  LoadMeter& load;
  FaultQueue& faults;
  const TokenBook& tokens;
  // The nested resources, served at the paths no generic endpoint takes.
  const NestedRoutes& nested;
  // Set when the server stops: sleeps and bodies end early.
  const std::atomic<bool>& stopping;
};

class DataRoutes {
 public:
  explicit DataRoutes(DataSources sources) : sources_(sources) {}

  // The server's own origin ("http://host:port"), for next links and next
  // URLs; set before the server starts.
  void set_origin(std::string origin) { origin_ = std::move(origin); }
  // Registers GET kUsersPath, then GET on every other path: register them
  // after every other GET route.
  void add_routes(httplib::Server& server);

 private:
  void serve_endpoint(const httplib::Request& request, httplib::Response& response);
  void serve(const httplib::Request& request, httplib::Response& response, Feed& feed);
  // A nested resource: logged under its path, with the users' latency and
  // rate and the next fault; no credentials asked.
  void serve_nested(const httplib::Request& request, httplib::Response& response);
  // Sleeps `duration` in short steps, less when the server stops meanwhile.
  void wait(std::chrono::milliseconds duration) const;

  DataSources sources_;
  KeyOrders key_orders_;
  std::string origin_;
};

}  // namespace tsync::mock
