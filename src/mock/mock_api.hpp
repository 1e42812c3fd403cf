#pragma once

// The bundled mock of the source API: an HTTP server on 127.0.0.1 that serves
// generated users the way DESIGN.md describes, and misbehaves on request. The
// tests run it in-process; `tsync-mock-api` runs it for the demo and the benchmark.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mock/user_generator.hpp"

namespace tsync::mock {

// How the server reads `since`.
enum class SinceMode {
  Exclusive,  // records with updatedAt > since, as the contract says
  Inclusive,  // records with updatedAt >= since
  Ignored,    // every record, whatever since says
};

struct Options {
  std::size_t users = 1000;
  std::uint64_t seed = 1;
  // Records per response at most; 0 serves everything in one response.
  std::size_t page_size = 0;
  SinceMode since_mode = SinceMode::Exclusive;
  TimestampStyle style = TimestampStyle::Utc;
  // Serve each response's records in a shuffled order.
  bool unsorted = false;
  // Body bytes per second per response; 0 for as fast as the socket takes them.
  std::size_t rate_limit_bytes_per_second = 0;
};

// One misbehaviour, served instead of the next data request's normal answer.
struct Fault {
  enum class Kind {
    Status,          // `status` with a small JSON error body and `retry_after`, if set
    DropAfterBytes,  // a chunked body whose connection closes after `after_bytes`
    TruncateBody,    // Content-Length of the whole body, connection closed after `after_bytes`
    Stall,           // the normal body, with a pause of `stall` after `after_bytes`
    RawBody,         // `status`, `content_type` and `body` exactly as given
  };
  Kind kind = Kind::Status;
  int status = 503;
  std::string retry_after;  // Retry-After header value; empty for none
  std::size_t after_bytes = 0;
  std::chrono::milliseconds stall{0};
  std::string body;
  std::string content_type = "application/json";
};

// The path the users are served under; base_url() ends with it.
inline constexpr const char* kUsersPath = "/incremental/timestamp";

// The server. Endpoints:
//   GET  /incremental/timestamp?since=T    the users, {"data": [...]}; 400 when T
//                                          is not an ISO 8601 timestamp
//   POST /admin/mutate?update=N&add=M      UserStore::mutate(N, M)
//   GET  /admin/stats                      {"users": .., "requests": ..}
// Responses of any size stream from pre-rendered text with constant memory.
class MockApi {
 public:
  explicit MockApi(Options options = {});
  ~MockApi();  // stops the server
  MockApi(const MockApi&) = delete;
  MockApi& operator=(const MockApi&) = delete;

  // Starts serving on 127.0.0.1:`port` (0: any free port) and returns the port.
  // Throws std::runtime_error when the port cannot be bound.
  int start(int port = 0);
  // Stops serving; in-flight responses are cut. Safe to call twice.
  void stop();

  // "http://127.0.0.1:<port>/incremental/timestamp".
  std::string base_url() const;
  UserStore& store();

  // Queues a fault for the next data request that finds none queued before it.
  void push_fault(Fault fault);
  // Replaces the serving options (users and seed are fixed at construction).
  void set_options(const Options& options);

  // The `since` of every data request so far, as sent (decoded), in order.
  std::vector<std::string> since_log() const;
  // Number of data requests so far, faulted ones included.
  std::size_t request_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsync::mock
