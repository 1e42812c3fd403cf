// SPDX-License-Identifier: Apache-2.0
#pragma once

// `tsync check`: each stream of a configuration asked as a first sync would
// ask it, without writing to the replica; what the answers show is compared
// with what the stream says (records path, cursor field, key, paging, the
// since filter), and each mismatch is named.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "discover/detect.hpp"

namespace tsync {

// What one stream's check found.
struct CheckReport {
  std::string stream;
  std::string url;  // the first request's URL, secrets masked
  std::int64_t records = 0;           // records in the first answer
  std::optional<std::int64_t> second_page;  // records in the second, when paged
  std::vector<FieldSummary> fields;   // the first answer's fields, stored_as per the stream
  std::string cursor_min, cursor_max;  // the cursor's range as UTC instants; empty: none
  std::string paging_configured, paging_seen;
  std::string since;  // what the since probe showed
  std::vector<std::string> notes;     // what was found, for a person
  std::vector<std::string> problems;  // each finding named; none: the stream is ready
  std::int64_t requests = 0;
  bool ok() const { return problems.empty(); }
};

// Checks the streams named (every stream when `names` is empty; a child's
// parent is asked for one parent record when it is not checked itself), in
// configuration order with parents first. Never writes to the replica and
// never throws for one stream's fault: it is a problem of that stream's
// report. Throws Interrupted on SIGINT/SIGTERM.
std::vector<CheckReport> check_streams(const Config& config, const std::vector<std::string>& names);

// A person's text of one report: what was found, then each problem.
std::string check_text(const CheckReport& report);

// One report as a JSON object on one line.
std::string check_json(const CheckReport& report);

}  // namespace tsync
