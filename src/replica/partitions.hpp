// SPDX-License-Identifier: Apache-2.0
#pragma once

// The partitions of child streams as the replica keeps them: a row per
// partition in _partition (its cursor, its status, the parent row it was last
// read for), and the parent rows a child's partitions come from.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/record.hpp"
#include "replica/replica.hpp"

namespace tsync {

// A partition's row of _partition.
struct SavedPartition {
  std::optional<std::string> cursor;          // the API's text of its cursor
  std::optional<std::string> parent_version;  // NULL: not read whole since it changed
};

// Every saved partition of `stream`, by its key.
std::unordered_map<std::string, SavedPartition> saved_partitions(Replica& replica,
                                                                 const std::string& stream);

// One live row of a parent's table, as a child's partition: its key (a JSON
// array of the primary key's values), the values of the parent fields asked
// for (Null when the row has no such field), and its version.
struct ParentRow {
  std::string key;
  std::vector<FieldValue> values;
  std::string version;
};

// Calls `each` with every live row of the parent stream's `table`, reading the
// `fields` (dotted paths into nested objects allowed) in that order. Returns
// false, calling nothing, when the table does not exist yet. Throws ConfigError
// naming a field that no row of a non-empty table ever had.
bool for_each_parent_row(Replica& replica, const std::string& table,
                         const std::vector<std::string>& key_fields,
                         const std::vector<std::string>& fields, const std::string& child,
                         const std::function<void(const ParentRow&)>& each);

// A child stream's partitions as `tsync status` shows them. Nothing for a stream without partitions (or a replica older than them).
std::optional<PartitionSummary> partition_summary(Replica& replica, const std::string& stream);

// Forgets every partition cursor of `stream`; returns how many there were.
std::int64_t reset_partitions(Replica& replica, const std::string& stream);

// Registers tsync_row_version(...), a 64-bit hash of its arguments' types and
// values as 16 hex digits, on the replica's connection.
void register_row_version(sqlite3* db);

}  // namespace tsync
