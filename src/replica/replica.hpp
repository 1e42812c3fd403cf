// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "common/record.hpp"
#include "common/redact.hpp"
#include "replica/table_writer.hpp"

namespace tsync {

struct ReplicaOptions {
  long long cache_size_mib = 64;  // SQLite page cache of this connection
  int busy_timeout_ms = 10000;    // wait this long for a reader's lock before failing
};

// The single-sync lock of a replica: an exclusive flock on "<replica>.lock",
// which holds the pid of its owner. Held until destroyed (or the process dies).
class SyncLock {
 public:
  // Throws LockedError naming the holder's pid when another process holds it.
  explicit SyncLock(const std::string& replica_path);
  ~SyncLock();
  SyncLock(const SyncLock&) = delete;
  SyncLock& operator=(const SyncLock&) = delete;

 private:
  int fd_ = -1;
};

// A cursor as stored: the API's own text and the same instant normalised.
struct Cursor {
  std::string text;
  Instant instant;
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

// The sync holding the lock of the replica at `replica_path`, if one does. Reads
// "<replica>.lock" without creating it or taking the lock.
std::optional<long> running_sync_pid(const std::string& replica_path);

// What `tsync status` shows of one stream.
struct StreamStatus {
  std::string stream;
  std::string table;
  std::optional<std::string> cursor;
  std::string saved_at;
  std::int64_t rows = 0;
  std::int64_t deleted = 0;  // rows marked in _tsync_deleted_at (counted in rows)
  std::int64_t rejected = 0;
};

// Copies committed pages from a replica's write-ahead log into the replica on a
// thread of its own, with a connection of its own, so that the writer goes on
// with the next transaction meanwhile (SQLite's automatic checkpoint does this
// copy inside the commit: up to a fifth of a large sync's time). A checkpoint
// is SQLite's own PASSIVE one: it copies what no reader still needs, waits for
// nobody, and a kill in the middle of it loses nothing.
class WalCheckpointer {
 public:
  // Checkpoints once the log holds this many pages, as SQLite's automatic
  // checkpoint does by default.
  static constexpr int kPages = 1000;

  explicit WalCheckpointer(std::string path);
  // Waits for a checkpoint under way, then closes its connection.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // A transaction committed and the log holds `pages` pages: from kPages on,
  // the thread checkpoints (once, however many commits ask meanwhile).
  void committed(int pages);
  // False once the thread could not open its connection: the caller then
  // checkpoints as SQLite does by default.
  bool working() const;
  // Checkpoints done, for tests.
  int checkpoints() const;

 private:
  void run();

  std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  bool broken_ = false;
  int checkpoints_ = 0;
  std::thread thread_;
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

// Counters of one run, as _sync_log records them.
struct RunCounters {
  std::int64_t rows_new = 0, rows_updated = 0, rows_rejected = 0;
  std::int64_t rows_deleted = 0;    // by tombstones and by a completed full pass
  std::int64_t rows_unchanged = 0;  // records stored before exactly as received (not logged)
  std::int64_t requests = 0, retries = 0, bytes = 0;
  // Sign-in requests (not in `requests`): session logins and OAuth2 token requests.
  std::int64_t logins = 0, token_requests = 0;
};

// The writes of one sync run of one stream. Rows and rejected records go into an open
// transaction; commit() saves them together with the cursor that covers them and
// the run's counters in _sync_log, atomically. Anything not committed is rolled
// back by rollback() or the destructor: a crash leaves the last commit.
class ReplicaWriter {
 public:
  // Registers the stream in _state, creates its table when needed (TableWriter)
  // and opens the run's _sync_log row.
  ReplicaWriter(Replica& replica, std::string stream, TableSpec table,
                const std::optional<Cursor>& cursor_before);
  ~ReplicaWriter();
  ReplicaWriter(const ReplicaWriter&) = delete;
  ReplicaWriter& operator=(const ReplicaWriter&) = delete;

  // Stores a record; a tombstone is applied as a delete (soft or hard, as the
  // table says) in the same transaction.
  void upsert(const Record& record);

  // A full pass over the stream (`tsync sync --full`): its keys are marked
  // seen, and the saved cursor never moves below `floor` (the cursor saved
  // before the pass, which stays true while rows are only added).
  void begin_full_pass(const std::optional<Cursor>& floor);
  // After a completed pass: marks deleted (or removes) the live rows it did not
  // return, and commits that with the run's counters. Deletes nothing and
  // throws Error when the pass returned no record for a non-empty table, or
  // would delete more than `max_fraction` of the live rows.
  void reconcile(double max_fraction, const RunCounters& io);
  // Keeps a record that cannot be stored; with `keyed` (its key is usable),
  // a full pass counts its key as seen, so its row is not taken for deleted.
  void reject(std::string_view raw, std::string_view reason, const Record* keyed = nullptr);
  // Commits the open transaction; with `cursor`, saves it as the stream's cursor.
  // `io` carries the request/retry/byte counts to log; row counts are the writer's.
  void commit(const Cursor* cursor, const RunCounters& io);
  // Discards everything since the last commit.
  void rollback();
  // Ends the run: rolls back anything uncommitted and records the final status
  // ("ok", "error", "interrupted") and error text. Never throws.
  void finish(std::string_view status, std::string_view error, const RunCounters& io) noexcept;

  // Rows written since the run began, committed or not.
  const RunCounters& counters() const { return pending_; }
  // Rows made durable by the last commit.
  const RunCounters& committed() const { return committed_; }
  std::int64_t run_id() const { return run_id_; }
  // The stream's cursor as last committed (or as it was before the run); empty if none.
  const std::string& cursor() const { return cursor_text_; }
  std::int64_t uncommitted_rows() const { return uncommitted_; }
  // About how many rows the stream's table holds, without scanning it.
  std::int64_t estimated_rows();
  // Once the table and the open transaction together hold `rows` rows,
  // further records of the transaction are staged and applied in key order
  // when it commits (TableWriter::stage); 0: never.
  void set_stage_after(std::int64_t rows) { stage_after_ = rows; }
  // The memory staged rows take before a sorted run of them is written out
  // (TableWriter::set_stage_memory); 0: a quarter of the page cache.
  void set_stage_memory(std::size_t bytes) { table_->set_stage_memory(bytes); }
  // Sorted runs written out in the open transaction, for tests.
  std::size_t staged_runs() const { return table_->staged_runs(); }
  // A warning for _sync_log, written with the next commit or finish().
  void set_warning(std::string warning) { warning_ = std::move(warning); }
  // Masks secrets in the texts this writer stores: _sync_log's error and
  // warning, _rejected's reason (a rejected record's raw text is data, kept as sent).
  void set_redactor(std::shared_ptr<const Redactor> redactor) { redactor_ = std::move(redactor); }

 private:
  void begin();
  // Applies the rows staged in the open transaction and counts them.
  void apply_stage();
  void log_run(std::string_view status, std::string_view error, const RunCounters& io);
  [[noreturn]] void fail(const SQLite::Exception& e) const;

  Replica& replica_;
  std::string stream_;
  std::string cursor_text_;  // the cursor last committed (or before the run)
  std::int64_t run_id_ = 0;
  std::optional<SQLite::Transaction> transaction_;
  std::optional<TableWriter> table_;
  std::unique_ptr<SQLite::Statement> insert_rejected_;
  std::unique_ptr<SQLite::Statement> save_cursor_;
  std::unique_ptr<SQLite::Statement> update_run_;
  RunCounters pending_;
  RunCounters committed_;
  std::int64_t uncommitted_ = 0;
  std::string warning_;
  bool table_stale_ = false;
  std::shared_ptr<const Redactor> redactor_;
  std::string deleted_at_;  // the run's start, as _tsync_deleted_at and _deleted write it
  bool full_pass_ = false;
  std::int64_t stage_after_ = 0;
  std::int64_t rows_at_begin_ = 0;  // the table's rows when the open transaction began
  std::optional<Instant> floor_;
  std::unique_ptr<SQLite::Statement> log_deleted_;
  void end_full_pass() noexcept;
};

}  // namespace tsync
