// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>
#include <vector>

namespace tsync {

// One section of configuration.json and the keys it accepts. `name` is the first
// header cell of that section's table in docs/configuration.md.
struct ConfigSection {
  std::string_view name;  // "key", "stream key", "auth key", "pagination key"
  std::vector<std::string_view> keys;
};

// Every key the configuration reader accepts, by section: the lists it checks against.
const std::vector<ConfigSection>& configuration_keys();

}  // namespace tsync
