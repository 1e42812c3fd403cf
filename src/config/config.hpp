// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/redact.hpp"
#include "config/stream_config.hpp"

namespace tsync {

// The settings of one replica, read from configuration.json (keys documented in
// docs/configuration.md). Every value is checked when loaded: a Config is always usable.
// The short form {"base_url": URL} is the one stream user_stream(URL); the long
// form lists its streams under "streams".
struct Config {
  std::vector<StreamConfig> streams;    // at least one; names and tables unique
  std::string database = "replica.db";  // the replica file
  long long timeout_seconds = 30;       // connect timeout, and longest wait for a byte
  int max_retries = 5;                  // retries of one request after transient faults
  double retry_base_seconds = 1.0;      // first backoff; doubles per retry, with jitter
  double retry_budget_seconds = 900.0;  // most time spent waiting between retries in one run
  std::optional<std::string> ca_file;   // CA bundle for https
  long long cache_size_mib = 64;        // SQLite page cache for the sync
  long long checkpoint_rows = 200000;   // commit at a change of timestamp after this many rows
  // Once a table and the open transaction together hold this many rows, the
  // transaction's further rows are staged and applied in key order at its
  // commit (TableWriter::stage); 0: always row by row.
  long long sorted_apply_rows = 5000;
  // A response slower than this over timeout_seconds counts as stalled (retried).
  long long min_bytes_per_second = 1024;
  // The longest a run may take; then it stops at a safe point and fails.
  long long max_run_seconds = 4 * 3600;
  // The most requests in flight at once, across the streams of a run and the
  // windows of a stream; 1: one request after another, in configuration order.
  int max_concurrency = 4;
  // Masks every secret of every stream (tokens, headers taken from the
  // environment, auth's secrets, and those obtained at run time: session and
  // access tokens) in whatever tsync writes: never null.
  std::shared_ptr<Redactor> redactor = std::make_shared<Redactor>();

  // The stream named `name`, or nullptr.
  const StreamConfig* find_stream(const std::string& name) const;
};

// What a configuration is loaded for. A sync needs every secret: each
// environment variable a secret comes from must be set (Required). status
// and reset only read the replica: a secret whose variable is set is kept to
// mask it, and one that is not is left empty without an error (IfSet).
enum class Secrets { Required, IfSet };

// Reads and checks a configuration file. Throws ConfigError naming the file, the
// key (with its stream) and what is wrong (with line and column for invalid
// JSON), before anything is opened or written.
Config load_config(const std::string& path, Secrets secrets = Secrets::Required);

// Checks a configuration given as JSON text; `origin` names it in messages.
Config parse_config(const std::string& json_text, const std::string& origin,
                    Secrets secrets = Secrets::Required);

// `streams` in an order where every parent comes before its children, and
// otherwise in the order given.
std::vector<const StreamConfig*> parents_first(const std::vector<const StreamConfig*>& streams);

}  // namespace tsync
