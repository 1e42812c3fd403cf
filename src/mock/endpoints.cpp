// SPDX-License-Identifier: Apache-2.0
#include "mock/endpoints.hpp"

#include <algorithm>
#include <stdexcept>

#include "mock/paging.hpp"

namespace tsync::mock {

Endpoint::Endpoint(EndpointSpec s)
    : spec(std::move(s)), store(spec.schema, spec.records, spec.seed) {
  Framing framing = frame_records(spec.records_path);
  prefix = std::move(framing.prefix);
  suffix = std::move(framing.suffix);
}

Endpoint* Endpoints::find(const std::string& path) const {
  const std::lock_guard lock(mutex_);
  const auto it = endpoints_.find(path);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

Endpoint& Endpoints::at(const std::string& path) const {
  Endpoint* endpoint = find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  return *endpoint;
}

void Endpoints::add(EndpointSpec spec) {
  check_endpoint_spec(spec);
  if (find(spec.path)) throw std::invalid_argument("path: \"" + spec.path + "\" is already served");
  const std::string path = spec.path;
  auto endpoint = std::make_unique<Endpoint>(std::move(spec));
  const std::lock_guard lock(mutex_);
  if (!endpoints_.emplace(path, std::move(endpoint)).second)
    throw std::invalid_argument("path: \"" + path + "\" is already served");
}

void Endpoints::set_serving(const std::string& path, const ServingOptions& serving) {
  Endpoint& endpoint = at(path);
  check_serving(serving, endpoint.spec.records_path, endpoint.spec.since_param);
  const std::lock_guard lock(mutex_);
  endpoint.spec.serving = serving;
}

void Endpoints::set_auth(const std::string& path, const AuthRequirement& auth) {
  Endpoint& endpoint = at(path);
  check_auth(auth);
  const std::lock_guard lock(mutex_);
  endpoint.spec.auth = auth;
}

bool Endpoints::any_auth(const std::function<bool(const AuthRequirement&)>& matches) const {
  const std::lock_guard lock(mutex_);
  return std::any_of(endpoints_.begin(), endpoints_.end(),
                     [&](const auto& entry) { return matches(entry.second->spec.auth); });
}

Feed Endpoints::feed(Endpoint& endpoint) const {
  Feed feed;
  feed.path = endpoint.spec.path;
  feed.records_path = endpoint.spec.records_path;
  feed.prefix = endpoint.prefix;
  feed.suffix = endpoint.suffix;
  feed.since_param = endpoint.spec.since_param;
  feed.cursor_field = endpoint.spec.schema.cursor_field;
  feed.format = endpoint.spec.schema.cursor_format;
  feed.required = endpoint.spec.required_params;
  feed.seed = endpoint.spec.seed;
  feed.load = [this, &endpoint](Feed& f) {
    f.catalog = endpoint.store.catalog();
    const std::lock_guard lock(mutex_);
    f.serving = endpoint.spec.serving;
    f.auth = endpoint.spec.auth;
  };
  feed.record_index = [&endpoint](const std::string& id) {
    return endpoint.store.record_index(id);
  };
  return feed;
}

}  // namespace tsync::mock
