#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace tsync {

struct HttpOptions {
  long timeout_seconds = 30;  // connect timeout, and the longest wait for the next byte
  std::string ca_file;        // CA bundle for https; empty = the system's
  std::string bearer_token;   // sent as "Authorization: Bearer"; never logged
};

// The URL with any user:password@ part replaced, safe for messages and logs.
std::string redact_url(const std::string& url);

// Appends `value` percent-encoded (RFC 3986 unreserved characters kept) to `out`.
void append_url_encoded(std::string& out, std::string_view value);

// Sets up libcurl's global state (TLS libraries included) on a thread of its
// own, so that it overlaps other start-up work; the destructor waits for it.
// HttpGet works with or without one: a failure here is reported by the first
// HttpGet.
class HttpWarmUp {
 public:
  HttpWarmUp();
  ~HttpWarmUp();
  HttpWarmUp(const HttpWarmUp&) = delete;
  HttpWarmUp& operator=(const HttpWarmUp&) = delete;

 private:
  std::thread thread_;
};

// One HTTP GET whose body is pulled as it arrives, a chunk at a time, so that
// memory does not grow with the body. Only http and https are spoken, across
// redirects too; TLS peers are verified. Transport faults (connection refused or
// reset, timeouts, a body cut short) throw TransientError naming the URL; a
// certificate or protocol refusal throws PermanentError; a SIGINT/SIGTERM throws
// Interrupted. Not copyable, not movable.
class HttpGet {
 public:
  HttpGet(const HttpOptions& options, const std::string& url);
  ~HttpGet();
  HttpGet(const HttpGet&) = delete;
  HttpGet& operator=(const HttpGet&) = delete;

  // Waits for the response head and returns the HTTP status.
  long status();
  // Seconds asked for by a Retry-After header (seconds or HTTP date), or -1.
  double retry_after_seconds();
  std::string content_type();
  // The announced body size, when the server sent Content-Length.
  std::optional<std::uint64_t> content_length();

  // The next bytes of the body, valid until the next call; empty at the end.
  std::string_view next_chunk();

  std::uint64_t bytes_received() const { return bytes_received_; }
  const std::string& url() const { return url_; }

 private:
  struct Handles;
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self);
  void pump_until_data();
  void throw_transfer_error();

  std::string url_;
  std::unique_ptr<Handles> handles_;
  std::string buffer_;
  bool consumed_ = false;
  bool paused_ = false;
  bool done_ = false;
  int result_ = 0;  // CURLcode of the finished transfer
  std::uint64_t bytes_received_ = 0;
  std::chrono::seconds idle_limit_;
  std::chrono::steady_clock::time_point last_activity_;  // last byte received, or last resume
  char error_text_[256] = {};
};

}  // namespace tsync
