// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_support.hpp"
#include "config/keys.hpp"

using tsync::test::error_of;

namespace {

// Where the object of section `name` stands in a configuration.
struct Placement {
  std::string before;  // the configuration up to the object's members
  std::string after;   // and after them
  std::string at;      // what its errors start with
};

Placement placement_of(std::string_view name) {
  const std::string stream = R"({"streams": [{"name": "a", "url": "http://h/a", )";
  if (name == "key") return {"{", "}", "cfg.json: "};
  if (name == "stream key") return {stream, "}]}", "cfg.json: stream \"a\": "};
  if (name == "auth key")
    return {R"({"base_url": "http://h/a", "auth": {)", "}}", "cfg.json: auth: "};
  if (name == "pagination key")
    return {stream + R"("pagination": {)", "}}]}", "cfg.json: stream \"a\": pagination: "};
  if (name == "change_feed key")
    return {stream + R"("change_feed": {)", "}}]}", "cfg.json: stream \"a\": change_feed: "};
  FAIL("a section this test does not know how to place: " << name);
  return {};
}

// The message that a configuration holding `key` in the section placed at `p` is refused with.
std::string error_with(const Placement& p, std::string_view key) {
  return error_of(p.before + "\"" + std::string(key) + "\": null" + p.after);
}

std::string unknown(const Placement& p, std::string_view key) {
  return p.at + "unknown key \"" + std::string(key) +
         "\" (known keys are listed in docs/configuration.md)";
}

}  // namespace

TEST_SUITE("config_keys") {
  TEST_CASE(
      "the sections are the top level, a stream, auth, pagination and change_feed, each key "
      "once") {
    std::vector<std::string_view> names;
    for (const tsync::ConfigSection& section : tsync::configuration_keys()) {
      names.push_back(section.name);
      CAPTURE(section.name);
      CHECK_FALSE(section.keys.empty());
      const std::set<std::string_view> distinct(section.keys.begin(), section.keys.end());
      CHECK(distinct.size() == section.keys.size());
    }
    CHECK(names ==
          std::vector<std::string_view>{"key", "stream key", "auth key", "pagination key",
                                        "change_feed key"});
  }

  TEST_CASE("a section accepts exactly the keys it lists") {
    std::set<std::string_view> every_key{"colour"};
    for (const tsync::ConfigSection& section : tsync::configuration_keys())
      every_key.insert(section.keys.begin(), section.keys.end());
    for (const tsync::ConfigSection& section : tsync::configuration_keys()) {
      const Placement p = placement_of(section.name);
      for (const std::string_view key : every_key) {
        CAPTURE(section.name);
        CAPTURE(key);
        const bool listed =
            std::find(section.keys.begin(), section.keys.end(), key) != section.keys.end();
        if (listed)
          CHECK(error_with(p, key).find("unknown key") == std::string::npos);
        else
          CHECK(error_with(p, key) == unknown(p, key));
      }
    }
  }
}  // TEST_SUITE
