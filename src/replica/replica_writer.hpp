// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "common/record.hpp"
#include "common/redact.hpp"
#include "replica/table_writer.hpp"

namespace tsync {

class Replica;
struct Cursor;

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
  // For a child stream (`guard` given), the limit holds for each of its
  // partitions instead of the table as a whole, except for those whose parent
  // is gone (answered 404 or 410): their rows all go.
  struct PartitionGuard {
    std::vector<std::string> identity;     // the identity columns' fields
    std::vector<std::string> exempt_keys;  // partitions whose parent is gone, sorted
  };
  void reconcile(double max_fraction, const RunCounters& io,
                 const PartitionGuard* guard = nullptr);
  // Keeps a record that cannot be stored; with `keyed` (its key is usable),
  // a full pass counts its key as seen, so its row is not taken for deleted.
  void reject(std::string_view raw, std::string_view reason, const Record* keyed = nullptr);
  // A partition of this child stream whose parent is gone: in one transaction,
  // its rows (those whose `identity` fields as a JSON array equal `key`) are
  // deleted as the stream's on_delete says, and its _partition row removed.
  // Returns how many rows were deleted.
  std::int64_t remove_partition(const std::string& key, const std::vector<std::string>& identity);
  // Commits the open transaction; with `cursor`, saves it as the stream's cursor
  // (a partition's cursor, in _partition, when it names one).
  // `io` carries the request/retry/byte counts to log; row counts are the writer's.
  void commit(const Cursor* cursor, const RunCounters& io);
  // Saves `cursor` in the open transaction (opening one) as commit() would,
  // without committing: a later commit() makes it durable with the rows before it.
  void save_cursor(const Cursor& cursor);
  // Discards everything since the last commit.
  void rollback();
  // Ends the run: rolls back anything uncommitted and records the final status
  // ("ok", "error", "interrupted") and error text. Never throws.
  void finish(std::string_view status, std::string_view error, const RunCounters& io) noexcept;
  // Builds, in a transaction of its own, the plain indexes that this run's
  // first load of the table left dropped (Staging::set_defer_indexes), once
  // every row is committed; finish() tries it too after a run that failed
  // (not after one interrupted: the next sync builds them first).
  void build_indexes();

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
  // when it commits (TableWriter::stage); 0: never. An apply of ten times as
  // many rows, and half the table, builds the plain indexes again rather than
  // updating them (50,000 by default; tests that stage from a few rows reach
  // that path with a few hundred).
  void set_stage_after(std::int64_t rows) {
    stage_after_ = rows;
    if (rows > 0) table_->set_rebuild_indexes_rows(rows * 10);
  }
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
  std::string cursor_at_begin_;  // cursor_text_ when the open transaction began
  std::int64_t run_id_ = 0;
  std::optional<SQLite::Transaction> transaction_;
  std::optional<TableWriter> table_;
  std::unique_ptr<SQLite::Statement> insert_rejected_;
  std::unique_ptr<SQLite::Statement> save_cursor_;
  std::unique_ptr<SQLite::Statement> save_partition_;
  void save_partition(const Cursor& cursor);
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
  bool staging_next_ = false;       // the last commit was staged: the next stages from its start
  std::optional<Instant> floor_;
  std::unique_ptr<SQLite::Statement> log_deleted_;
  void end_full_pass() noexcept;
};

}  // namespace tsync
