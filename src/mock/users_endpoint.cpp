// SPDX-License-Identifier: Apache-2.0
#include "mock/users_endpoint.hpp"

#include <chrono>
#include <stdexcept>
#include <string>

#include "mock/paging.hpp"

namespace tsync::mock {
namespace {

// The users' timeline: the `days` days before now, or 2024 for 0.
Timeline timeline_of(std::int64_t days) {
  if (days == 0) return kYear2024;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return days_before(Instant{now.count(), 0}, days);
}

// `options`, once checked.
const Options& checked(const Options& options) {
  check_serving(options, "data");
  if (options.updated_within_days < 0 || options.updated_within_days > kMaxUpdatedWithinDays)
    throw std::invalid_argument("updated_within_days: must be a whole number from 0 to " +
                                std::to_string(kMaxUpdatedWithinDays));
  check_auth(options.auth);
  return options;
}

}  // namespace

UsersEndpoint::UsersEndpoint(const Options& options)
    : options_(checked(options)),
      store_(options.users, options.seed, options.style, timeline_of(options.updated_within_days)) {
}

void UsersEndpoint::set_options(const Options& options) {
  check_serving(options, "data");
  check_auth(options.auth);
  const std::lock_guard lock(mutex_);
  options_ = options;
}

AuthRequirement UsersEndpoint::auth() const {
  const std::lock_guard lock(mutex_);
  return options_.auth;
}

ServingOptions UsersEndpoint::serving() const {
  const std::lock_guard lock(mutex_);
  return options_;
}

Feed UsersEndpoint::feed() {
  Feed feed;
  feed.path = kUsersPath;
  const Framing framing = frame_records(feed.records_path);
  feed.prefix = framing.prefix;
  feed.suffix = framing.suffix;
  feed.load = [this](Feed& f) {
    f.catalog = store_.catalog();
    const std::lock_guard lock(mutex_);
    f.serving = options_;
    f.auth = options_.auth;
    f.seed = options_.seed;
  };
  feed.record_index = [this](const std::string& id) { return store_.record_index(id); };
  return feed;
}

}  // namespace tsync::mock
