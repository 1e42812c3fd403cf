// SPDX-License-Identifier: Apache-2.0
#pragma once

// How a mock store serves a record it removes.

#include <cstdint>
#include <optional>
#include <string_view>

namespace tsync::mock {

// None: the record is simply no longer served.
// Flag: served instead, at a new cursor, as its key fields, its cursor field and
//       "deleted": true.
// At:   served instead, at a new cursor, as its last version with the cursor field
//       set to the new cursor and "deletedAt": that instant as ISO 8601 UTC text.
enum class Tombstone { None, Flag, At };

// How the stores keep a record's state in two bits: kLiveState while it is
// served as a record, removed_state(how) once removed.
constexpr std::uint32_t kLiveState = 0;
constexpr std::uint32_t removed_state(Tombstone how) { return 1 + static_cast<std::uint32_t>(how); }

// The names used in admin requests: none, flag, at.
inline std::optional<Tombstone> tombstone_from_name(std::string_view name) {
  if (name == "none") return Tombstone::None;
  if (name == "flag") return Tombstone::Flag;
  if (name == "at") return Tombstone::At;
  return std::nullopt;
}

}  // namespace tsync::mock
