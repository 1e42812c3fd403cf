// SPDX-License-Identifier: Apache-2.0
#pragma once

// Fault injection: the misbehaviours a test queues for the mock's next
// requests, and the answers that stand for them.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

#include "mock/httplib_fwd.hpp"

namespace tsync::mock {

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

// The faults queued for the next requests, first in first out. Thread-safe.
class FaultQueue {
 public:
  void push(Fault fault);
  // The fault queued first, taken off the queue; nullopt when none is queued.
  std::optional<Fault> take();

 private:
  std::mutex mutex_;
  std::deque<Fault> faults_;
};

// Answers `fault` whole: a RawBody as given; any other kind as Status, its
// status with Retry-After (when set) and {"error": "injected fault: HTTP <status>"}.
void reply_fault(httplib::Response& response, const Fault& fault);

}  // namespace tsync::mock
