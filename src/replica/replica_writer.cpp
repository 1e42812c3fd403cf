// SPDX-License-Identifier: Apache-2.0
#include "replica/replica_writer.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "common/errors.hpp"
#include "common/sql_text.hpp"
#include "replica/replica.hpp"
#include "replica/replica_file.hpp"

namespace tsync {

ReplicaWriter::ReplicaWriter(Replica& replica, std::string stream, TableSpec table,
                             const std::optional<Cursor>& cursor_before)
    : replica_(replica), stream_(std::move(stream)) {
  if (cursor_before) cursor_text_ = cursor_before->text;
  deleted_at_ = format_utc(Instant{std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count(),
                                   0});
  try {
    SQLite::Database& db = replica_.db();
    {
      SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement known(db, sql_string(sql::register_stream));
      known.bind(1, stream_);
      known.bind(2, table.table);
      known.exec();
      transaction.commit();
    }
    table_.emplace(db, std::move(table));
    // A first load: its plain indexes are built once, when the run ends.
    if (table_->estimated_rows() == 0) table_->set_defer_indexes(true);
    insert_rejected_ = std::make_unique<SQLite::Statement>(db, sql_string(sql::insert_rejected));
    save_cursor_ = std::make_unique<SQLite::Statement>(db, sql_string(sql::save_cursor));
    update_run_ = std::make_unique<SQLite::Statement>(db, sql_string(sql::update_run));
    SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement start(db, sql_string(sql::start_run));
    start.bind(1, stream_);
    if (cursor_before)
      start.bind(2, cursor_before->text);
    else
      start.bind(2);
    start.exec();
    run_id_ = db.getLastInsertRowid();
    transaction.commit();
  } catch (const SQLite::Exception& e) {
    fail(e);
  }
}

ReplicaWriter::~ReplicaWriter() {
  transaction_.reset();  // rolls back anything uncommitted
  end_full_pass();
}

void ReplicaWriter::fail(const SQLite::Exception& e) const {
  throw Error(describe_replica_error(replica_.path(), e));
}

void ReplicaWriter::begin() {
  if (transaction_) return;
  transaction_.emplace(replica_.db(), SQLite::TransactionBehavior::IMMEDIATE);
  cursor_at_begin_ = cursor_text_;
  if (stage_after_ > 0) rows_at_begin_ = table_->estimated_rows();
}

void ReplicaWriter::upsert(const Record& record) {
  try {
    // A transaction after one that was staged stages from its first row: it
    // begins when it first needs the database (its apply, mostly), not at its
    // first row. By then the checkpointer has mostly copied the last commit
    // into the replica, and a transaction that begins on a log copied whole
    // writes it again from its start: the log stays the size of one
    // transaction, not of the whole load (SQLite restarts the log only there).
    if (!transaction_ && staging_next_ && !table_stale_ &&
        !(record.tombstone && table_->spec().hard_delete) &&
        table_->stages_without_writing(record) && table_->stage(record, deleted_at_)) {
      ++uncommitted_;
      return;
    }
    begin();
    if (table_stale_) {
      table_->reload();
      table_stale_ = false;
    }
    if (record.tombstone && table_->spec().hard_delete) {
      apply_stage();  // a row staged before the tombstone goes in before it is removed
      if (const auto key = table_->remove(record)) {
        if (!log_deleted_)
          log_deleted_ =
              std::make_unique<SQLite::Statement>(replica_.db(), sql_string(sql::log_deleted));
        log_deleted_->bind(1, stream_);
        log_deleted_->bind(2, *key);
        log_deleted_->bind(3, deleted_at_);
        log_deleted_->bind(4, run_id_);
        log_deleted_->exec();
        log_deleted_->reset();
        ++pending_.rows_deleted;
      } else {
        ++pending_.rows_unchanged;
      }
      ++uncommitted_;
      return;
    }
    if (stage_after_ > 0 &&
        (rows_at_begin_ + uncommitted_ >= stage_after_ || table_->staged_rows() > 0)) {
      if (table_->stage(record, deleted_at_)) {
        ++uncommitted_;
        return;
      }
      apply_stage();  // its key is not sorted with the staged rows: they go in first
    }
    switch (table_->upsert(record, deleted_at_)) {
      case TableWriter::Outcome::Inserted:
        ++(record.tombstone ? pending_.rows_deleted : pending_.rows_new);
        break;
      case TableWriter::Outcome::Updated:
        ++(record.tombstone ? pending_.rows_deleted : pending_.rows_updated);
        break;
      case TableWriter::Outcome::Unchanged:
        ++pending_.rows_unchanged;
        break;
    }
    ++uncommitted_;
  } catch (const SQLite::Exception& e) {
    if (log_deleted_) log_deleted_->tryReset();
    fail(e);
  }
}

void ReplicaWriter::apply_stage() {
  if (table_->staged_rows() == 0) return;
  const StageCounts counts = table_->apply_stage();
  pending_.rows_new += counts.inserted;
  pending_.rows_updated += counts.updated;
  pending_.rows_deleted += counts.deleted;
  pending_.rows_unchanged += counts.unchanged;
}

void ReplicaWriter::begin_full_pass(const std::optional<Cursor>& floor) {
  try {
    table_->begin_pass();
  } catch (const SQLite::Exception& e) {
    throw Error(table_->seen_path() + ": cannot make the file where a full pass of " + stream_ +
                " keeps the keys it has seen: " + e.what() +
                " (the replica's folder must be writable, and nothing else may stand at that "
                "path; nothing was deleted)");
  }
  full_pass_ = true;
  if (floor) floor_ = floor->instant;
}

void ReplicaWriter::reconcile(double max_fraction, const RunCounters& io,
                              const PartitionGuard* guard) {
  std::string refusal;
  try {
    if (table_->staged_rows() > 0) commit(nullptr, io);
    table_->attach_pass();  // outside a transaction, as ATTACH must be
    begin();
    const PassCounts counts = table_->count_pass();
    const std::string table = table_->spec().table;
    if (counts.seen == 0 && counts.live > 0) {
      refusal = "the full pass returned no record at all, and " + table + " holds " +
                std::to_string(counts.live) +
                " live rows: nothing was deleted (an API that really emptied a table is rare; "
                "to start this replica afresh, see docs/deletes.md)";
    } else if (!guard && static_cast<double>(counts.unseen) >
                             max_fraction * static_cast<double>(counts.live)) {
      char percent[32];
      std::snprintf(percent, sizeof percent, "%.1f%%",
                    100.0 * static_cast<double>(counts.unseen) / static_cast<double>(counts.live));
      std::ostringstream fraction;
      fraction << max_fraction;
      refusal = "the full pass would delete " + std::to_string(counts.unseen) + " of the " +
                std::to_string(counts.live) + " live rows of " + table + " (" + percent +
                "), more than max_delete_fraction = " + fraction.str() +
                ": nothing was deleted (if the API really removed them, raise "
                "max_delete_fraction for stream " +
                stream_ + " and run --full again)";
    } else if (counts.unseen > 0 && guard) {
      for (const auto& [key, part] : table_->count_pass_by_partition(guard->identity)) {
        if (std::binary_search(guard->exempt_keys.begin(), guard->exempt_keys.end(), key))
          continue;
        if (static_cast<double>(part.unseen) <= max_fraction * static_cast<double>(part.live))
          continue;
        std::ostringstream fraction;
        fraction << max_fraction;
        refusal = "the full pass would delete " + std::to_string(part.unseen) + " of the " +
                  std::to_string(part.live) + " live rows of partition " + key + " of " + table +
                  ", whose requests were answered, more than max_delete_fraction = " +
                  fraction.str() +
                  ": nothing was deleted (if the API really removed them, raise "
                  "max_delete_fraction for stream " +
                  stream_ + " and run --full again)";
        break;
      }
    }
    if (refusal.empty() && counts.unseen > 0)
      pending_.rows_deleted += table_->delete_unseen(deleted_at_, stream_, run_id_);
    if (!refusal.empty()) {
      rollback();
      end_full_pass();
      throw Error(refusal);
    }
    log_run("running", "", io);
    transaction_->commit();
    transaction_.reset();
    committed_ = pending_;
    uncommitted_ = 0;
    end_full_pass();
  } catch (const SQLite::Exception& e) {
    rollback();
    end_full_pass();
    fail(e);
  }
}

void ReplicaWriter::end_full_pass() noexcept {
  if (!full_pass_) return;
  full_pass_ = false;
  try {
    table_->end_pass();
  } catch (...) {
    // The next full pass replaces the file of seen keys before it starts.
  }
}

std::int64_t ReplicaWriter::estimated_rows() {
  try {
    return table_->estimated_rows();
  } catch (const SQLite::Exception& e) {
    fail(e);
  }
}

void ReplicaWriter::reject(std::string_view raw, std::string_view reason, const Record* keyed) {
  try {
    begin();
    if (keyed && full_pass_) table_->mark_seen_in_pass(*keyed);
    SQLite::Statement& stmt = *insert_rejected_;
    stmt.bindNoCopy(1, stream_);
    // As TEXT: SQLiteCpp's pointer-and-size binding would store a BLOB.
    stmt.bind(2, std::string(raw));
    stmt.bind(3, redactor_ ? redactor_->redact(reason) : std::string(reason));
    const int kept = stmt.exec();  // 0 when this exact record was kept before
    stmt.reset();
    pending_.rows_rejected += kept;
    ++uncommitted_;
  } catch (const SQLite::Exception& e) {
    insert_rejected_->tryReset();
    fail(e);
  }
}

void ReplicaWriter::log_run(std::string_view status, std::string_view error,
                            const RunCounters& io) {
  SQLite::Statement& stmt = *update_run_;
  stmt.bind(1, static_cast<std::int64_t>(run_id_));
  stmt.bind(2, static_cast<std::int64_t>(pending_.rows_new));
  stmt.bind(3, static_cast<std::int64_t>(pending_.rows_updated));
  stmt.bind(4, static_cast<std::int64_t>(pending_.rows_rejected));
  stmt.bind(5, static_cast<std::int64_t>(io.requests));
  stmt.bind(6, static_cast<std::int64_t>(io.retries));
  stmt.bind(7, static_cast<std::int64_t>(io.bytes));
  if (cursor_text_.empty())
    stmt.bind(8);
  else
    stmt.bind(8, cursor_text_);
  stmt.bind(9, std::string(status));
  auto masked = [&](std::string_view text) {
    return redactor_ ? redactor_->redact(text) : std::string(text);
  };
  if (error.empty())
    stmt.bind(10);
  else
    stmt.bind(10, masked(error));
  if (warning_.empty())
    stmt.bind(11);
  else
    stmt.bind(11, masked(warning_));
  stmt.bind(12, static_cast<std::int64_t>(pending_.rows_deleted));
  stmt.exec();
  stmt.reset();
}

void ReplicaWriter::save_cursor(const Cursor& cursor) {
  try {
    begin();
    if (cursor.partition) return save_partition(cursor);
    // A full pass never moves the saved cursor below where it was.
    if (floor_ && cursor.instant <= *floor_) return;
    SQLite::Statement& stmt = *save_cursor_;
    stmt.bind(1, stream_);
    stmt.bind(2, cursor.text);
    stmt.bind(3, format_utc(cursor.instant));
    stmt.bind(4, table_->spec().table);
    stmt.exec();
    stmt.reset();
    cursor_text_ = cursor.text;
  } catch (const SQLite::Exception& e) {
    save_cursor_->tryReset();
    if (save_partition_) save_partition_->tryReset();
    rollback();
    fail(e);
  }
}

void ReplicaWriter::commit(const Cursor* cursor, const RunCounters& io) {
  try {
    begin();
    apply_stage();
    const std::string previous = cursor_at_begin_;
    if (cursor) save_cursor(*cursor);
    try {
      log_run("running", "", io);
      transaction_->commit();
    } catch (...) {
      cursor_text_ = previous;
      throw;
    }
    transaction_.reset();
    committed_ = pending_;
    staging_next_ = stage_after_ > 0 && rows_at_begin_ + uncommitted_ >= stage_after_;
    uncommitted_ = 0;
  } catch (const SQLite::Exception& e) {
    save_cursor_->tryReset();
    if (save_partition_) save_partition_->tryReset();
    update_run_->tryReset();
    rollback();
    fail(e);
  }
}

void ReplicaWriter::save_partition(const Cursor& cursor) {
  if (!save_partition_)
    save_partition_ = std::make_unique<SQLite::Statement>(replica_.db(),
                                                          sql_string(sql::save_partition));
  const PartitionMark& mark = *cursor.partition;
  SQLite::Statement& stmt = *save_partition_;
  stmt.bind(1, stream_);
  stmt.bind(2, mark.key);
  if (cursor.text.empty()) {
    stmt.bind(3);
    stmt.bind(4);
  } else {
    stmt.bind(3, cursor.text);
    stmt.bind(4, format_utc(cursor.instant));
  }
  const bool done = mark.state == PartitionMark::State::Done ||
                    mark.state == PartitionMark::State::NotFound;
  if (done)
    stmt.bind(5, mark.parent_version);
  else
    stmt.bind(5);
  stmt.bind(6, run_id_);
  switch (mark.state) {
    case PartitionMark::State::Reading:
      stmt.bind(7, "reading");
      break;
    case PartitionMark::State::Done:
      stmt.bind(7, "ok");
      break;
    case PartitionMark::State::NotFound:
      stmt.bind(7, "not_found");
      break;
    case PartitionMark::State::Failed:
      stmt.bind(7, "error");
      break;
  }
  if (mark.error.empty())
    stmt.bind(8);
  else
    stmt.bind(8, redactor_ ? redactor_->redact(mark.error) : mark.error);
  // The parent version is set when the partition was read whole, and cleared
  // when it failed (so that "parents": "changed" reads it again).
  stmt.bind(9, done || mark.state == PartitionMark::State::Failed ? 1 : 0);
  stmt.exec();
  stmt.reset();
}

std::int64_t ReplicaWriter::remove_partition(const std::string& key,
                                             const std::vector<std::string>& identity) {
  try {
    begin();
    apply_stage();
    const std::int64_t deleted =
        table_->delete_partition_rows(identity, key, deleted_at_, stream_, run_id_);
    SQLite::Statement forget(replica_.db(), sql_string(sql::delete_partition));
    forget.bind(1, stream_);
    forget.bind(2, key);
    forget.exec();
    pending_.rows_deleted += deleted;
    return deleted;
  } catch (const SQLite::Exception& e) {
    rollback();
    fail(e);
  }
}

void ReplicaWriter::rollback() {
  const bool open = transaction_.has_value();
  if (open) cursor_text_ = cursor_at_begin_;
  transaction_.reset();
  if (table_) table_->discard_stage();  // the rollback removed the staged rows, and their table
  pending_ = committed_;
  uncommitted_ = 0;
  // Columns added in the rolled-back transaction are gone again: the table's
  // columns are read anew before the next row.
  if (open) table_stale_ = true;
}

void ReplicaWriter::build_indexes() {
  try {
    if (transaction_) return;  // rows still uncommitted: finish() builds them after its rollback
    SQLite::Transaction transaction(replica_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    table_->build_deferred_indexes();
    transaction.commit();
  } catch (const IndexBuildError& e) {
    throw Error("cannot build the index " + e.index() + ", which this run's first load of " +
                table_->spec().table + " left to build until its end (" +
                describe_replica_error(replica_.path(), e) +
                "): every row and the cursor are committed, and the next sync builds it before "
                "anything else");
  } catch (const SQLite::Exception& e) {
    fail(e);
  }
}

void ReplicaWriter::finish(std::string_view status, std::string_view error,
                           const RunCounters& io) noexcept {
  try {
    rollback();
    end_full_pass();  // a pass that did not complete deletes nothing
    if (status != "interrupted") {
      try {
        build_indexes();
      } catch (...) {
        // They stay in _deferred_index: the next sync builds them first.
      }
    }
    SQLite::Transaction transaction(replica_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    log_run(status, error, io);
    transaction.commit();
  } catch (...) {
    // The run's row then still says "running"; the data and cursor are intact.
    update_run_->tryReset();
  }
}

}  // namespace tsync
