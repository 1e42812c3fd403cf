// SPDX-License-Identifier: Apache-2.0
#pragma once
// An in-process HTTP server on a loopback address, for tests that need a
// server of their own shape (the mock API serves only its own).

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>

namespace tsync::test {

// An HTTP server on an ephemeral loopback port, listening on its own thread for
// the lifetime of the object. Routes are added before start().
class LocalServer {
 public:
  httplib::Server http;

  void start() { REQUIRE(start_on("127.0.0.1")); }
  // Listens on another loopback address (127.0.0.2: another host for a
  // redirect); false if it cannot be bound.
  bool start_on(const std::string& host) {
    host_ = host;
    port_ = http.bind_to_any_port(host);
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { http.listen_after_bind(); });
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return true;
  }
  ~LocalServer() {
    http.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://" + host_ + ":" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

 private:
  std::string host_ = "127.0.0.1";
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tsync::test
