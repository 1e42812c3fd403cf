// SPDX-License-Identifier: Apache-2.0
#include "mock/request_log.hpp"

#include <httplib.h>

namespace tsync::mock {

RequestLog::Hook RequestLog::log(const httplib::Request& request, const std::string& path,
                                 const std::string& since) {
  const std::lock_guard lock(mutex_);
  since_log_.emplace_back(path, since);
  target_log_.push_back(request.target);
  authorization_log_.push_back(request.get_header_value("Authorization"));
  return hook_;
}

void RequestLog::set_hook(Hook hook) {
  const std::lock_guard lock(mutex_);
  hook_ = std::move(hook);
}

std::vector<std::string> RequestLog::since_log() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> log;
  for (const auto& [path, since] : since_log_) log.push_back(since);
  return log;
}

std::vector<std::string> RequestLog::since_log(const std::string& path) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> log;
  for (const auto& [p, since] : since_log_)
    if (p == path) log.push_back(since);
  return log;
}

std::vector<std::string> RequestLog::target_log() const {
  const std::lock_guard lock(mutex_);
  return target_log_;
}

std::vector<std::string> RequestLog::authorization_log() const {
  const std::lock_guard lock(mutex_);
  return authorization_log_;
}

void RequestLog::note_connection(const httplib::Request& request) {
  const std::lock_guard lock(mutex_);
  connections_.insert(request.remote_addr + ":" + std::to_string(request.remote_port));
}

std::size_t RequestLog::connection_count() const {
  const std::lock_guard lock(mutex_);
  return connections_.size();
}

}  // namespace tsync::mock
