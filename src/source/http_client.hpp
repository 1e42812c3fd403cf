// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/redact.hpp"
#include "source/url.hpp"

namespace tsync {

// An extra request header. A secret one is masked in every message and, like
// the bearer token, never sent to another origin than the request's own.
// Authorization, Proxy-Authorization and Cookie headers are always secret.
struct HttpHeader {
  std::string name;
  std::string value;
  bool secret = false;
};

struct HttpOptions {
  long timeout_seconds = 30;  // connect timeout, and the longest wait for the next byte
  // A response slower than this over a window of timeout_seconds is stalled
  // (TransientError). The first window opens at the first byte of a response
  // (the wait for it is timeout_seconds at most), a window that ends in a long
  // silence is reported as that silence, and time the reader spends away from
  // the transfer (parsing what it has) does not count. 0 turns the check off.
  long min_bytes_per_second = 1024;
  std::string ca_file;       // CA bundle for https; empty = the system's
  std::string bearer_token;  // sent as "Authorization: Bearer"; a secret
  std::vector<HttpHeader> headers;
  // More secrets to mask in messages (values the configuration took from the
  // environment), beside the bearer token and the secret headers; may be null.
  std::shared_ptr<const Redactor> redactor;
  // The origin (a URL, or only its scheme, host and port) the credentials
  // belong to: a request to another origin (a next link pointing elsewhere) is
  // sent without the bearer token and secret headers, as a redirect there is.
  // Empty: the origin of each request's own URL.
  std::string credentials_origin;
  // A secret sent as a query parameter (an API key in the URL): added to the
  // URL asked for, unless the URL already has that parameter, when its origin
  // is the credentials' origin. Masked like every secret. Empty name: none.
  std::string query_secret_name;
  std::string query_secret_value;
  // "POST" sends `body` with Content-Type `content_type` (a login, a token
  // request); a redirect to another origin is then refused, as the body may
  // hold credentials, and a 301, 302 or 303 turns it into a GET.
  std::string method = "GET";
  std::string body;
  std::string content_type;
};

// Throws ConfigError if the options cannot make a well-formed request: a header
// name that is not an HTTP token, a line break or NUL in a header value or the
// token, a secret shorter than Redactor::kMinSecretLength, a negative
// min_bytes_per_second. The message names the header, never a value.
void check_http_options(const HttpOptions& options);

// The connections one stream's requests share: a request made with a session
// reuses the connection (and, for https, the TLS session) the previous one
// left open, and opens a new one only when that one has closed or failed.
// Requests of one session run one after another, on one thread at a time.
class HttpSession {
 public:
  HttpSession();
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // The connections, and an easy handle and a body buffer kept from one request
  // to the next (their memory is reused, not mapped again for every page).
  struct Pool;

 private:
  friend class HttpGet;
  std::unique_ptr<Pool> pool_;
};

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
// redirects too; TLS peers are verified. Redirects (301, 302, 303, 307, 308) are
// followed up to 10 times, and the bearer token and secret headers are sent
// only while scheme, host and port stay those of the URL asked for: once a
// redirect leaves that origin, they are not sent again in this request.
// Transport faults (connection refused or reset, timeouts, a stalled or too
// slow body, a body cut short) throw TransientError naming the URL; a
// certificate or protocol refusal, or a redirect to another scheme, throws
// PermanentError; a SIGINT/SIGTERM throws Interrupted; options that fail
// check_http_options throw ConfigError. Every text put into an exception
// (the URL, redirect targets, libcurl's messages) has passed through
// redactor(). Not copyable, not movable.
class HttpGet {
 public:
  // With a session, the request reuses its connections; without, it has
  // connections of its own, closed when it ends.
  HttpGet(const HttpOptions& options, const std::string& url, HttpSession* session = nullptr);
  ~HttpGet();
  HttpGet(const HttpGet&) = delete;
  HttpGet& operator=(const HttpGet&) = delete;

  // Waits for the response head and returns the HTTP status.
  long status();
  // Seconds asked for by a Retry-After header (seconds or HTTP date), or -1.
  double retry_after_seconds();
  std::string content_type();
  // Every value of the response header `name` (any case), in the order sent,
  // without the white space around it: a header sent empty gives "".
  std::vector<std::string> header_values(const char* name);
  // The announced body size, when the server sent Content-Length.
  std::optional<std::uint64_t> content_length();

  // The next bytes of the body, valid until the next call; empty at the end.
  std::string_view next_chunk();

  std::uint64_t bytes_received() const { return bytes_received_; }
  // The URL asked for, credentials and secrets masked: safe for messages.
  const std::string& url() const { return url_; }
  // The URL a redirect led to, masked like url(); empty if there was none.
  std::string redirected_to() const;
  // True when a redirect left the origin asked for, so that the bearer token
  // and secret headers were not sent for the response received (a 401 then
  // says nothing about the token).
  bool secrets_withheld() const { return !send_secrets_; }
  // Masks the bearer token, the secret headers and the options' redactor's
  // secrets: for messages built from this response (its body, its headers).
  const Redactor& redactor() const { return redactor_; }

 private:
  struct Handles;
  static std::size_t on_write(char* data, std::size_t size, std::size_t count, void* self);
  void start(const std::string& url);
  std::string redirect_target();
  void follow(const std::string& target);
  void pump_until_data();
  void check_rate();
  [[noreturn]] void throw_transfer_error();
  std::string where() const;

  HttpOptions options_;
  Redactor redactor_;
  std::string url_;
  std::string origin_;        // scheme://host:port of the URL asked for
  std::string current_url_;   // the URL of this hop (not masked)
  bool send_secrets_ = true;  // false once a redirect left origin_
  bool post_ = false;         // this hop sends options_.body
  int redirects_ = 0;
  long status_ = -1;  // once the final response's head is in
  std::unique_ptr<Handles> handles_;
  std::string buffer_;
  bool consumed_ = false;
  bool paused_ = false;
  bool done_ = false;
  bool head_checked_ = false;  // whether this hop's response is a redirect is known
  bool discarding_ = false;    // this hop is a redirect: its body is dropped
  int result_ = 0;             // CURLcode of the finished transfer
  std::uint64_t bytes_received_ = 0;
  std::chrono::seconds idle_limit_;
  std::chrono::steady_clock::time_point last_activity_;  // last byte received, or last resume
  // The transfer rate: a window opens at a write of received bytes; it holds
  // the bytes since, the time spent waiting for them (inside pump_until_data
  // only: time the reader spends elsewhere does not count), and where in that
  // time the last bytes came.
  bool window_started_ = false;
  std::uint64_t window_bytes_ = 0;
  std::chrono::steady_clock::duration window_elapsed_{};
  std::chrono::steady_clock::duration window_last_write_{};
  char error_text_[256] = {};
};

}  // namespace tsync
