// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the responses of a stream's run brought, counted as they are read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/record.hpp"

namespace tsync {

// Keys a message names at most, of the records that came twice.
constexpr std::size_t kKeysNamed = 5;

// What the responses of one stream's run brought: for the all-rejected check,
// and the keys that came twice in a chain of pages, with a new version (the
// data moved under the pages) or the same one (the API's own duplicate), the
// first kKeysNamed of each as messages name them.
struct Tally {
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t all_rejected_responses = 0;
  std::string first_reason;
  std::int64_t duplicates = 0;
  std::vector<std::string> moved_keys, duplicate_keys;

  // Adds what `other` counted.
  void add(const Tally& other);

  static void note_key(std::vector<std::string>& keys, const std::string& key) {
    if (keys.size() < kKeysNamed) keys.push_back(key);
  }
};

// The primary key of `record` as messages show it: its values, comma-separated.
std::string key_text(const Record& record, const std::vector<std::string>& key_fields);

// "keys 12, 17 and 40" for messages ("key 12" for one; "..." after the first
// kKeysNamed of more).
std::string keys_named(const std::vector<std::string>& keys, std::int64_t count);

// Counts one response: `accepted` records handed on, `rejected` rejected (the
// first because of `first_reason`).
void count_response(Tally& tally, std::int64_t accepted, std::int64_t rejected,
                    const std::string& first_reason);

}  // namespace tsync
