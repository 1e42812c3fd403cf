// SPDX-License-Identifier: Apache-2.0
#pragma once

// The generic endpoints the mock serves besides the users: each a spec, the
// body's text around its records and its RecordStore, found by path. Endpoints
// are added while the server runs, and never removed.

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mock/endpoint_spec.hpp"
#include "mock/feed.hpp"
#include "mock/record_store.hpp"

namespace tsync::mock {

// A generic endpoint: its spec (whose `serving` and `auth` its Endpoints'
// lock guards), the body's text around the records' array, and its records.
struct Endpoint {
  explicit Endpoint(EndpointSpec s);

  EndpointSpec spec;
  std::string prefix, suffix;
  RecordStore store;
  std::atomic<std::size_t> requests{0};
};

// The generic endpoints by path. Thread-safe.
class Endpoints {
 public:
  // The endpoint at `path`, or null.
  Endpoint* find(const std::string& path) const;
  // The endpoint at `path`; std::out_of_range when none.
  Endpoint& at(const std::string& path) const;
  // Serves `spec` from now on. Throws std::invalid_argument for a spec that
  // check_endpoint_spec refuses or a path already served.
  void add(EndpointSpec spec);
  // Replace how the endpoint at `path` serves and what its requests must carry;
  // std::out_of_range when none, std::invalid_argument for what check_serving
  // or check_auth refuses.
  void set_serving(const std::string& path, const ServingOptions& serving);
  void set_auth(const std::string& path, const AuthRequirement& auth);
  // Whether the requirement of some endpoint satisfies `matches`.
  bool any_auth(const std::function<bool(const AuthRequirement&)>& matches) const;
  // Where a data request of `endpoint` finds its records: what it serves now
  // is read when the feed is loaded.
  Feed feed(Endpoint& endpoint) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints_;
};

}  // namespace tsync::mock
