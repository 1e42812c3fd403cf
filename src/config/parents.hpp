// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reading a child stream's settings: its parent or fixed partitions, the
// placeholders of its url and params, the parent fields it copies into its
// rows, and which partitions a run reads. Internal to src/config/.

#include <string>
#include <vector>

#include "config/checker.hpp"
#include "config/config.hpp"

namespace tsync::config_detail {

// Reads "parent", "partitions", "include_parent", "parents" and "not_found" of
// the stream `c` reads, and the placeholders of its url and params.
void read_partitions(const Checker& c, StreamConfig& s);

// Checks every stream's parent against the others (it exists, is not the
// stream itself, no cycle, placeholders name it) and settles each child's
// partition values and columns. Throws ConfigError naming the stream.
void check_parents(std::vector<StreamConfig>& streams, const std::string& origin);

}  // namespace tsync::config_detail
