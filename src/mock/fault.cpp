// SPDX-License-Identifier: Apache-2.0
#include "mock/fault.hpp"

#include <httplib.h>

#include "mock/replies.hpp"

namespace tsync::mock {

void FaultQueue::push(Fault fault) {
  const std::lock_guard lock(mutex_);
  faults_.push_back(std::move(fault));
}

std::optional<Fault> FaultQueue::take() {
  const std::lock_guard lock(mutex_);
  if (faults_.empty()) return std::nullopt;
  Fault fault = std::move(faults_.front());
  faults_.pop_front();
  return fault;
}

void reply_fault(httplib::Response& response, const Fault& fault) {
  response.status = fault.status;
  if (fault.kind == Fault::Kind::RawBody) {
    response.set_content(fault.body, fault.content_type);
    return;
  }
  if (!fault.retry_after.empty()) response.set_header("Retry-After", fault.retry_after);
  response.set_content(json_error("injected fault: HTTP " + std::to_string(fault.status)),
                       "application/json");
}

}  // namespace tsync::mock
