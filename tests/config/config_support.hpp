// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the tests of the configuration reader: an environment
// variable set for one test, a short-form configuration, and the message a
// configuration is refused with.

#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "common/errors.hpp"
#include "config/config.hpp"

namespace tsync::test {

// Sets (or unsets, with nullopt) an environment variable for one test, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value)
      setenv(name_.c_str(), value->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_.c_str(), old_->c_str(), 1);
    else
      unsetenv(name_.c_str());
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

inline constexpr const char* kUrl = "http://127.0.0.1:5001/incremental/timestamp";

// A configuration object with base_url and the given extra members ("" for none).
inline std::string with_url(const std::string& members) {
  return std::string("{\"base_url\": \"") + kUrl + "\"" + (members.empty() ? "" : ", " + members) +
         "}";
}

// The message of the ConfigError thrown by parsing `text` as "cfg.json", or "(no error)".
inline std::string error_of(const std::string& text) {
  try {
    tsync::parse_config(text, "cfg.json");
  } catch (const tsync::ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace tsync::test
