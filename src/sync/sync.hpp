// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "replica/replica.hpp"
#include "sync/observer.hpp"

namespace tsync {

class Authenticator;

// The outcome of one run, as the summary and --json report it.
struct SyncReport {
  std::string stream = "user";
  std::string status;  // "ok", "error" or "interrupted"
  std::string error;
  int exit_code = 0;  // kExitOk, or the exit status the stream's failure maps to
  // Set when whole responses were rejected record by record (a misconfigured
  // cursor_field or primary_key looks like this).
  std::string warning;
  std::int64_t all_rejected_responses = 0;
  RunCounters counters;  // committed rows; requests, retries and bytes of the run
  std::optional<std::string> cursor_before;
  std::optional<std::string> cursor_after;
  double seconds = 0;
  std::int64_t run_id = 0;
  bool full = false;  // a full pass (sync --full)
  // A child stream's: the partitions this run read (ended, of those it was to
  // read) and the live partitions there are.
  struct Partitions {
    std::size_t ended = 0, to_read = 0, live = 0;
  };
  std::optional<Partitions> partitions;
};

// Runs one incremental sync of `stream` into `replica` (whose sync lock the
// caller holds): asks for every record newer than the saved cursor, page after
// page, until a response brings nothing newer than the cursor it asked with.
// Rows and the cursor covering them commit together (see DESIGN.md, "The one
// invariant"). A run that stores no record and rejects every one is an error.
// Any failure is thrown after the run's _sync_log row records it, with the
// report (as far as it got) in `report`.
// With `full`, a full pass: it asks from the stream's first cursor whatever the
// saved one, never moves the saved cursor backwards, and once the whole pass has
// completed, marks deleted the rows it did not return (ReplicaWriter::reconcile).
// `auth` signs the requests when the stream has an auth setting (one is made
// when none is given); run_streams gives the streams of one setting one.
void sync_stream(const Config& config, const StreamConfig& stream, Replica& replica,
                 SyncObserver& observer, SyncReport& report, bool full = false,
                 std::shared_ptr<Authenticator> auth = nullptr);

// Syncs the streams named in `names` (every stream, in the configuration's
// order, when empty) into the replica at `config.database`, under its sync lock.
// A stream that fails does not stop the ones after it; SIGINT/SIGTERM, or the
// run passing max_run_seconds, stops the run after the stream it interrupted.
// With max_concurrency above 1 and more than one window or stream to read,
// up to max_concurrency requests are in flight at once, across the streams
// and their windows, and one writer thread does every write; a stop then ends
// every stream at a safe point. Returns a report per stream synced, in the
// order of `names` (or of the configuration). Throws LockedError when another sync holds the
// replica, ConfigError for a name the configuration does not have, and Error when the replica
// cannot be opened.
std::vector<SyncReport> run_streams(const Config& config, const std::vector<std::string>& names,
                                    SyncObserver& observer, bool full = false);

// Syncs the configuration's first stream, locking and opening the replica as
// run_streams does, and throws that stream's failure.
SyncReport run_sync(const Config& config, SyncObserver& observer);
void run_sync(const Config& config, SyncObserver& observer, SyncReport& report);

}  // namespace tsync
