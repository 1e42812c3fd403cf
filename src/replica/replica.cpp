// SPDX-License-Identifier: Apache-2.0
#include "replica/replica.hpp"

#include <sqlite3.h>
#include <sys/stat.h>
#include <cerrno>

#include "common/errors.hpp"
#include "common/sql_text.hpp"
#include "replica/columns.hpp"
#include "replica/partitions.hpp"
#include "replica/replica_file.hpp"
#include "replica/staging.hpp"

namespace tsync {

Replica::Replica(const std::string& path, const ReplicaOptions& options)
    : path_(path), writable_(true) {
  configure_sqlite_once();
  try {
    if (auto problem = write_access_problem(path); !problem.empty()) throw Error(problem);
    struct stat st {};
    const bool absent = ::lstat(path.c_str(), &st) != 0 && errno == ENOENT;
    if ((absent || empty_file(path)) && !create_whole(path, options)) create_private_file(path);
    db_ = open_writable(path, options);
    // Closing never takes the exclusive lock SQLite's last connection takes
    // to checkpoint and remove the log (see ~Replica).
    sqlite3_db_config(db_->getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    // Checkpoints run on a thread of their own (WalCheckpointer); this
    // replaces SQLite's automatic checkpoint, which runs inside the commit.
    sqlite3_wal_hook(db_->getHandle(), &Replica::on_commit, this);
    register_row_version(db_->getHandle());
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path, e));
  }
}

Replica::~Replica() {
  checkpointer_.reset();  // waits for a checkpoint under way
  if (!writable_ || !db_) return;
  // Copies the log into the replica and empties it, waiting a little for
  // readers still reading older pages from it, without ever stopping a reader:
  // new readers read the replica itself meanwhile. What a reader still holds
  // after that stays in the log, where it is safe: the next run copies it.
  sqlite3* db = db_->getHandle();
  sqlite3_busy_timeout(db, kCloseWaitMs);
  sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
}

int Replica::on_commit(void* replica, sqlite3* db, const char*, int pages) {
  auto* self = static_cast<Replica*>(replica);
  if (pages < WalCheckpointer::kPages) return SQLITE_OK;
  if (!self->checkpointer_) self->checkpointer_ = std::make_unique<WalCheckpointer>(self->path_);
  if (self->checkpointer_->working()) {
    self->checkpointer_->committed(pages);
  } else {
    // No second connection (the thread could not open one): checkpoint here,
    // as SQLite's automatic checkpoint would.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

Replica::Replica(const std::string& path, ReadOnly) : path_(path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path + ": no such replica (run `tsync sync` first, or name one with --db)");
  try {
    db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, 10000);
    // A reader like any other, that leaves the log as it found it on closing.
    sqlite3_db_config(db_->getHandle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    db_->execAndGet("SELECT count(*) FROM sqlite_schema");
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path, e));
  }
}

std::unique_ptr<Replica> Replica::open_existing(const std::string& path) {
  return std::unique_ptr<Replica>(new Replica(path, ReadOnly{}));
}

std::optional<Cursor> Replica::cursor(std::string_view stream, CursorFormat format) {
  try {
    SQLite::Statement query(*db_, sql_string(sql::load_cursor));
    query.bind(1, std::string(stream));
    if (!query.executeStep()) return std::nullopt;
    std::string text = query.getColumn(0).getString();
    const auto instant = parse_cursor(format, text);
    if (!instant)
      throw Error(path_ + ": the saved cursor of " + std::string(stream) + " is not " +
                  (format == CursorFormat::Iso8601
                       ? std::string("a timestamp")
                       : "a " + std::string(cursor_format_name(format)) + " number") +
                  ": \"" + text + "\" (run `tsync reset --stream " + std::string(stream) +
                  "` to sync it from the start again)");
    return Cursor{std::move(text), *instant};
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

std::optional<Cursor> Replica::token(std::string_view stream) {
  try {
    SQLite::Statement query(*db_, sql_string(sql::load_cursor));
    query.bind(1, std::string(stream));
    if (!query.executeStep() || query.getColumn(0).isNull()) return std::nullopt;
    std::string text = query.getColumn(0).getString();
    const auto saved_at = parse_timestamp(query.getColumn(1).getString());
    return Cursor{std::move(text), saved_at.value_or(kEpochStart)};
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

bool Replica::reset_cursor(std::string_view stream) {
  try {
    SQLite::Statement update(*db_, sql_string(sql::reset_cursor));
    update.bind(1, std::string(stream));
    return update.exec() > 0;
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

std::vector<StreamStatus> Replica::status() {
  std::vector<StreamStatus> result;
  try {
    const bool current = schema_version() >= kSchemaVersion;
    SQLite::Statement query(
        *db_, fill_template(sql::status, {{"table_name", current ? "s.table_name" : "NULL"}}));
    while (query.executeStep()) {
      StreamStatus s;
      s.stream = query.getColumn(0).getString();
      if (!query.getColumn(1).isNull()) s.cursor = query.getColumn(1).getString();
      s.saved_at = query.getColumn(2).getString();
      s.table = query.getColumn(3).getString();
      s.rejected = query.getColumn(4).getInt64();
      result.push_back(std::move(s));
    }
    for (StreamStatus& s : result) {
      s.partitions = partition_summary(*this, s.stream);
      SQLite::Statement exists(*db_, "SELECT count(*) FROM pragma_table_info(?1)");
      exists.bind(1, s.table);
      exists.executeStep();
      if (exists.getColumn(0).getInt() == 0) continue;
      s.rows = db_->execAndGet("SELECT count(*) FROM " + quote_identifier(s.table)).getInt64();
      SQLite::Statement marks(
          *db_, "SELECT count(*) FROM pragma_table_info(?1) WHERE name = '_tsync_deleted_at'");
      marks.bind(1, s.table);
      marks.executeStep();
      if (marks.getColumn(0).getInt() > 0)
        s.deleted = db_->execAndGet("SELECT count(*) FROM " + quote_identifier(s.table) +
                                    " WHERE _tsync_deleted_at IS NOT NULL")
                        .getInt64();
    }
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
  return result;
}

std::optional<RunningSync> Replica::running_sync() {
  const auto pid = running_sync_pid(path_);
  if (!pid) return std::nullopt;
  RunningSync running{*pid, std::nullopt};
  // The newest runs, where the running one is (older rows may say "running"
  // after a kill: they are history, not this sync).
  for (RunRecord& r : recent_runs(1))
    if (r.status == "running") running.run = std::move(r);
  return running;
}

void Replica::show_died_runs(std::vector<RunRecord>& runs) {
  if (running_sync_pid(path_)) return;
  try {
    SQLite::Statement status(*db_, "SELECT status FROM _sync_log WHERE run_id = ?1");
    for (RunRecord& r : runs) {
      if (r.status != "running") continue;
      status.bind(1, static_cast<std::int64_t>(r.run_id));
      if (status.executeStep() && status.getColumn(0).getString() == "running") {
        r.status = "died";
        r.error =
            "its process ended without finishing (killed, or the machine stopped): no "
            "sync holds the replica's lock; the next sync records it died";
      }
      status.reset();
    }
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

std::vector<std::string> Replica::build_deferred_indexes(const SyncLock& /*lock*/) {
  try {
    SQLite::Transaction transaction(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::string> built = tsync::build_deferred_indexes(*db_, "");
    transaction.commit();
    return built;
  } catch (const IndexBuildError& e) {
    throw Error("cannot build the index " + e.index() +
                ", which a run that ended while it loaded the table for the first time had left "
                "to build (" +
                describe_replica_error(path_, e) +
                "): nothing was synced and no row changed; the next sync tries again (to go on "
                "without the index, delete its row from _deferred_index, see docs/replica.md)");
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

int Replica::mark_died_runs(const SyncLock& /*lock*/) {
  try {
    SQLite::Statement update(*db_, sql_string(sql::mark_died));
    update.bind(1, static_cast<std::int64_t>(::getpid()));
    return update.exec();
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
}

int Replica::schema_version() { return db_->execAndGet("PRAGMA user_version").getInt(); }

std::vector<RunRecord> Replica::recent_runs(int limit) {
  std::vector<RunRecord> runs;
  try {
    const bool current = schema_version() >= kSchemaVersion;
    SQLite::Statement query(
        *db_, fill_template(sql::recent_runs, {{"warning", current ? "warning" : "NULL"},
                                               {"rows_deleted", current ? "rows_deleted" : "0"}}));
    query.bind(1, limit);
    while (query.executeStep()) {
      RunRecord r;
      r.run_id = query.getColumn(0).getInt64();
      r.stream = query.getColumn(1).getString();
      r.started_at = query.getColumn(2).getString();
      r.finished_at = query.getColumn(3).getString();
      r.status = query.getColumn(4).getString();
      r.rows_new = query.getColumn(5).getInt64();
      r.rows_updated = query.getColumn(6).getInt64();
      r.rows_rejected = query.getColumn(7).getInt64();
      r.requests = query.getColumn(8).getInt64();
      r.retries = query.getColumn(9).getInt64();
      r.bytes = query.getColumn(10).getInt64();
      r.cursor_before = query.getColumn(11).getString();
      r.cursor_after = query.getColumn(12).getString();
      r.error = query.getColumn(13).getString();
      r.warning = query.getColumn(14).getString();
      r.rows_deleted = query.getColumn(15).getInt64();
      runs.push_back(std::move(r));
    }
  } catch (const SQLite::Exception& e) {
    throw Error(describe_replica_error(path_, e));
  }
  return runs;
}

}  // namespace tsync
