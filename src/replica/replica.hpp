// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "common/record.hpp"
#include "replica/replica_writer.hpp"
#include "replica/sync_lock.hpp"
#include "replica/table_writer.hpp"
#include "replica/wal_checkpointer.hpp"

namespace tsync {

struct ReplicaOptions {
  long long cache_size_mib = 64;  // SQLite page cache of this connection
  int busy_timeout_ms = 10000;    // wait this long for a reader's lock before failing
};

// Which partition of a child stream a cursor belongs to, and how its read
// stands when the cursor is committed.
struct PartitionMark {
  enum class State { Reading, Done, NotFound, Failed };
  std::string key;  // the partition's identity, a JSON array
  State state = State::Reading;
  std::string parent_version;  // Done, NotFound: the parent row that was read
  std::string error;           // Failed, NotFound: why
};

// A cursor as stored: the API's own text and the same instant normalised.
// With `partition`, the cursor of that partition of a child stream, saved in
// _partition rather than _state.
struct Cursor {
  Cursor() = default;
  Cursor(std::string text_, Instant instant_,
         std::shared_ptr<const PartitionMark> partition_ = nullptr)
      : text(std::move(text_)), instant(instant_), partition(std::move(partition_)) {}

  std::string text;
  Instant instant;
  std::shared_ptr<const PartitionMark> partition;
};

// One row of _sync_log.
struct RunRecord {
  std::int64_t run_id = 0;
  std::string stream, started_at, finished_at, status, cursor_before, cursor_after, error, warning;
  std::int64_t rows_new = 0, rows_updated = 0, rows_rejected = 0, requests = 0, retries = 0,
               bytes = 0, rows_deleted = 0;
};

// A sync that holds a replica's lock right now: its pid (from the lock file)
// and, when its _sync_log row is already there, that row.
struct RunningSync {
  long pid = 0;
  std::optional<RunRecord> run;
};

// What `tsync status` shows of a child stream's partitions.
struct PartitionSummary {
  std::int64_t partitions = 0;
  std::optional<std::string> oldest_cursor;
  std::int64_t failed = 0;     // failed when last read
  std::int64_t not_found = 0;  // answered 404 or 410 when last read
};

// What `tsync status` shows of one stream.
struct StreamStatus {
  std::string stream;
  std::string table;
  std::optional<std::string> cursor;
  std::string saved_at;
  std::int64_t rows = 0;
  std::int64_t deleted = 0;  // rows marked in _tsync_deleted_at (counted in rows)
  std::int64_t rejected = 0;
  std::optional<PartitionSummary> partitions;  // a child stream's
};

// The local SQLite replica: a table per stream, and _state, _columns, _rejected,
// _sync_log (sql/schema.sql), in WAL mode so readers never block the sync, and
// the sync never locks a reader out: no connection of tsync takes SQLite's
// exclusive lock, neither making a new replica nor closing one.
class Replica {
 public:
  // Opens the replica, creating it readable by its owner only (0600) when it does
  // not exist, and brings the schema up to date. A new replica appears whole: a
  // reader finds no file, or one with its schema in WAL mode.
  explicit Replica(const std::string& path, const ReplicaOptions& options = {});
  // Copies the log into the replica and empties it before closing, waiting up
  // to kCloseWaitMs for readers of older pages; never locks a reader out.
  ~Replica();
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;
  // How long closing waits for readers still reading pages of the log.
  static constexpr int kCloseWaitMs = 2000;
  // Opens an existing replica without creating or changing anything.
  static std::unique_ptr<Replica> open_existing(const std::string& path);

  const std::string& path() const { return path_; }
  SQLite::Database& db() { return *db_; }

  // The saved cursor of a stream; nothing when none was saved (or after reset).
  // Throws Error when the stored text is not a cursor value of `format`.
  std::optional<Cursor> cursor(std::string_view stream,
                               CursorFormat format = CursorFormat::Iso8601);
  // The saved cursor of a stream that follows a change feed: the token as
  // saved, with the time it was saved; nothing when none was saved.
  std::optional<Cursor> token(std::string_view stream);
  // Forgets a stream's cursor; rows stay. Returns false when there was none.
  bool reset_cursor(std::string_view stream);
  // Every stream _state knows, with the rows of its table.
  std::vector<StreamStatus> status();
  std::vector<RunRecord> recent_runs(int limit);
  // The running sync, when running_sync_pid() finds one: with the newest
  // _sync_log row still marked running.
  std::optional<RunningSync> running_sync();
  // For `tsync status`, which changes nothing: when no sync holds the lock,
  // the runs of `runs` that still say 'running', read again now, were left so
  // by a process that ended without finishing (a sync updates its runs before
  // it lets the lock go). They are shown 'died', as the next sync marks them.
  void show_died_runs(std::vector<RunRecord>& runs);
  // Marks 'died' every run _sync_log still says is running (sql/mark_died.sql),
  // saying when and by which process it was found. Called by a sync holding
  // `lock`, before its own runs begin: no run can then be under way, so those
  // rows are what killed processes left. Returns how many there were.
  int mark_died_runs(const SyncLock& lock);
  // Builds the plain indexes that a first load dropped and a run that was
  // killed never built again (_deferred_index), in one transaction; called by a
  // sync holding `lock` before its own runs begin. Returns "table.index" for each.
  std::vector<std::string> build_deferred_indexes(const SyncLock& lock);
  // PRAGMA user_version: 2 since streams; 1 for a replica of the first release
  // that only open_existing() has opened.
  int schema_version();

 private:
  struct ReadOnly {};
  Replica(const std::string& path, ReadOnly);

  // sqlite3_wal_hook: hands the checkpoint to checkpointer_.
  static int on_commit(void* replica, sqlite3* db, const char* schema, int pages);

  std::string path_;
  bool writable_ = false;
  std::unique_ptr<SQLite::Database> db_;
  // Stopped before the writer's connection makes its last checkpoint.
  std::unique_ptr<WalCheckpointer> checkpointer_;

 public:
  // Checkpoints done by the background checkpointer, for tests.
  int background_checkpoints() const { return checkpointer_ ? checkpointer_->checkpoints() : 0; }
};

}  // namespace tsync
