// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading a stream of configuration.json: its endpoint, table, records,
// parameters, headers, columns, windows and sign-in, and the settings a stream
// takes from the top level unless it gives its own. Internal to src/config/.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "config/checker.hpp"
#include "config/config.hpp"
#include "source/auth.hpp"

namespace tsync::config_detail {

// Settings that may be given at the top level and overridden per stream.
struct StreamDefaults {
  std::optional<std::string> start_timestamp;
  long long lookback_seconds = 0;
  std::optional<std::string> token_env;
  double max_delete_fraction = 0.5;
  double max_requests_per_second = 0;
};

// Reads into `d` those of the settings the object `c` reads gives; a
// start_timestamp is checked against the stream's cursor `format`.
void read_defaults(const Checker& c, CursorFormat format, StreamDefaults& d);

// Gives stream `s` the settings `d`, with the token token_env names.
void apply_defaults(const Checker& c, const StreamDefaults& d, StreamConfig& s, Secrets secrets);

// The stream `v`, streams[`index`] of the configuration `top` named `origin`;
// `top_auth` is the top level's auth, for a stream that has none of its own.
StreamConfig read_stream(const rapidjson::Value& v, std::size_t index, const std::string& origin,
                         const rapidjson::Value& top,
                         const std::shared_ptr<const AuthConfig>& top_auth, Secrets secrets);

}  // namespace tsync::config_detail
