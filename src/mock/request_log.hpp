// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the mock remembers of the requests it was sent: every data request's
// number, since, target and Authorization, the client connections seen, and
// the hook a test runs at the start of each data request. Thread-safe.

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

class RequestLog {
 public:
  using Hook = std::function<void(std::size_t data_request_number)>;

  // Counts a data request and returns its number, from 1.
  std::size_t number_next() { return requests_.fetch_add(1) + 1; }
  // Number of data requests so far.
  std::size_t count() const { return requests_.load(); }

  // Logs this data request of `path` and returns the request hook, if any.
  Hook log(const httplib::Request& request, const std::string& path, const std::string& since);
  void set_hook(Hook hook);

  // The `since` of every data request, of every path or of `path`; their
  // targets and Authorization headers, in order.
  std::vector<std::string> since_log() const;
  std::vector<std::string> since_log(const std::string& path) const;
  std::vector<std::string> target_log() const;
  std::vector<std::string> authorization_log() const;

  // Notes the client connection of a request of any path.
  void note_connection(const httplib::Request& request);
  std::size_t connection_count() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> since_log_;  // (path, since)
  std::vector<std::string> target_log_, authorization_log_;
  Hook hook_;
  std::set<std::string> connections_;  // "address:port" of every client seen
  std::atomic<std::size_t> requests_{0};
};

}  // namespace tsync::mock
