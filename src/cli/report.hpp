// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "replica/replica.hpp"
#include "sync/sync.hpp"

namespace tsync {

// 1234567 -> "1,234,567".
std::string with_commas(std::int64_t n);
// A count and its noun: (1, "row", "rows") -> "1 row"; (1000, ...) -> "1,000 rows".
std::string counted(std::int64_t n, const char* one, const char* many);

// The one-line human summary of a run:
// "user: 1,000 rows (990 new, 10 updated, 0 rejected) in 0.4 s; cursor A -> B; 2 requests".
// Whole, however long: the caller masks secrets, then cuts it (human_text).
std::string summary_line(const SyncReport& report);

// The error each report's stream has to say, by index: "" for none, or when
// the stream failed alike with an earlier one (a shared login refused), which
// then says it once for them all: "streams a, b and c: <error, its URL's query
// values set aside>". With `named`, an error of one stream begins "<stream>: ".
std::vector<std::string> stream_errors(const std::vector<SyncReport>& reports, bool named);

// The run as one JSON object (one line), for schedulers and scripts.
std::string summary_json(const SyncReport& report);

// `tsync status` as text and as JSON.
// `running` is the sync holding the replica now, if any. The text says each
// run's error and warning for a person (human_text): their secrets must be
// masked before, or a cut could leave part of one unmasked.
std::string status_text(const std::string& path, const std::vector<StreamStatus>& streams,
                        const std::vector<RunRecord>& runs,
                        const std::optional<RunningSync>& running = std::nullopt);
std::string status_json(const std::string& path, const std::vector<StreamStatus>& streams,
                        const std::vector<RunRecord>& runs,
                        const std::optional<RunningSync>& running = std::nullopt);

}  // namespace tsync
