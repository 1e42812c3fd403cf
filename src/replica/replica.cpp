// SPDX-License-Identifier: Apache-2.0
#include "replica/replica.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "common/errors.hpp"
#include "common/sql_text.hpp"
#include "replica/columns.hpp"

namespace tsync {
namespace {

constexpr int kSchemaVersion = 2;

std::string sql_string(std::string_view text) { return std::string(text); }

// Creates `path` with mode 0600 when it does not exist, so that SQLite (which
// gives its -wal and -shm files the same mode) never makes it world-readable.
void create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw Error(path + ": cannot create the replica: " + std::strerror(errno));
}

// What keeps this process from writing the replica at `path`: the file, the
// -wal and -shm files SQLite keeps beside it, or their folder; empty when
// nothing does. Checked before SQLite opens the file, because SQLite would
// quietly open it read-only and leave -wal and -shm files this user may not
// write, which would then stand in the way of the fixed replica.
std::string write_access_problem(const std::string& path) {
  auto denied = [](const std::string& file, int mode) {
    if (::faccessat(AT_FDCWD, file.c_str(), mode, AT_EACCESS) == 0 || errno == ENOENT) return 0;
    return errno;
  };
  if (const int err = denied(path, R_OK | W_OK))
    return path + ": this user may not write the replica: " + std::strerror(err) +
           " (check its owner and permissions)";
  for (const char* suffix : {"-wal", "-shm"}) {
    if (const int err = denied(path + suffix, R_OK | W_OK))
      return path + suffix +
             ": this user may not write this file SQLite keeps beside the replica: " +
             std::strerror(err) + " (give it the replica's owner and permissions)";
  }
  const auto slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "."
                             : slash == 0               ? "/"
                                                        : path.substr(0, slash);
  if (const int err = denied(folder, W_OK | X_OK))
    return folder +
           ": this user may not create files in the replica's folder: " + std::strerror(err) +
           " (SQLite keeps the replica's -wal and -shm files there)";
  return "";
}

std::string describe(const std::string& path, const SQLite::Exception& e) {
  std::string message = path + ": " + e.what();
  switch (e.getErrorCode() & 0xff) {  // the primary code of an extended one
    case SQLITE_FULL:
      message +=
          " (free some disk space, beside the replica and in SQLite's temporary folder, where "
          "large syncs stage and sort their rows: SQLITE_TMPDIR, else TMPDIR, else /var/tmp "
          "or /tmp; the replica keeps its last committed state)";
      break;
    case SQLITE_IOERR:
      message +=
          " (reading or writing the replica, or SQLite's temporary files, failed: SQLITE_TMPDIR, "
          "else TMPDIR, else /var/tmp or /tmp must be writable and have room for a large "
          "sync's staged rows; the replica keeps its last committed state)";
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN:
      message += " (check the file's permissions and that its folder is writable)";
      break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      message += " (this file is not a tsync replica; name another with --db)";
      break;
    case SQLITE_BUSY:
      message += " (another program holds a write lock on the replica)";
      break;
    default:
      break;
  }
  return message;
}

}  // namespace

SyncLock::SyncLock(const std::string& replica_path) {
  const std::string lock_path = replica_path + ".lock";
  fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw Error(lock_path + ": cannot open the sync lock file: " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = ::pread(fd_, pid, sizeof pid - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      throw LockedError("another tsync sync" + (holder.empty() ? "" : " (pid " + holder + ")") +
                        " holds " + replica_path + "; try again when it has finished");
    }
    throw Error(lock_path + ": cannot lock: " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message another run prints; the lock itself holds.
  }
}

std::optional<long> running_sync_pid(const std::string& replica_path) {
  const std::string lock_path = replica_path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;  // no sync ever ran here, or it cannot be read
  std::optional<long> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
    ::flock(fd, LOCK_UN);  // free: nobody syncs now
  } else if (errno == EWOULDBLOCK) {
    char text[32] = {};
    const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
    pid = n > 0 ? std::strtol(text, nullptr, 10) : 0;
  }
  ::close(fd);
  return pid;
}

SyncLock::~SyncLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

namespace {
// SQLite keeps malloc statistics behind a global mutex by default; tsync reads
// none of them. Must run before SQLite initialises; later calls change nothing.
void configure_sqlite_once() {
  static const int result = [] {
    // A sort's buffers (megabytes each: the index builds' in SQLite, the
    // staged rows') come and go with every large apply. Taken from the system
    // each time, they cost a page fault every 4 KiB, and a page fault can cost
    // as much as sorting the page's rows (10 us on a virtual machine; a 3M-user
    // sync took 74,000). Blocks up to 32 MiB come from the heap, which keeps
    // up to 128 MiB freed for the next sort rather than giving it back:
    // 16,000 page faults, and the same peak within 5 MB.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  }();
  (void)result;
}
}  // namespace

namespace {

// Opens the replica at `path` read-write and brings its settings and schema up
// to date: page size and WAL mode (on a new file), synchronous, temp store,
// cache, the tables of sql/schema.sql and user_version.
std::unique_ptr<SQLite::Database> open_writable(const std::string& path,
                                                const ReplicaOptions& options) {
  // NOMUTEX: the connection is only ever used by one thread at a time (the
  // BackgroundWriter hands it over and back), so SQLite's per-call mutex is
  // pure cost: about 4% of a re-sync's time went to locking it.
  auto db = std::make_unique<SQLite::Database>(
      path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
      options.busy_timeout_ms);
  // A double-quoted name that is no column is an error, not a string: tsync
  // quotes every identifier that way, and a typo must not pass silently.
  sqlite3_db_config(db->getHandle(), SQLITE_DBCONFIG_DQS_DML, 0, nullptr);
  sqlite3_db_config(db->getHandle(), SQLITE_DBCONFIG_DQS_DDL, 0, nullptr);
  // 8 KiB pages: fewer, fuller pages in the random-key id index (measured:
  // about 8% faster for a million-row sync). Takes effect on a new file only.
  db->exec("PRAGMA page_size = 8192");
  db->exec("PRAGMA journal_mode = WAL");
  db->exec("PRAGMA synchronous = NORMAL");
  // Large transactions stage their rows in the TEMP database and sort them
  // (TableWriter::stage): in files, as the memory they need grows with the sync.
  db->exec("PRAGMA temp_store = FILE");
  db->exec("PRAGMA cache_size = -" + std::to_string(options.cache_size_mib * 1024));
  const int version = db->execAndGet("PRAGMA user_version").getInt();
  if (version > kSchemaVersion)
    throw Error(path + ": made by a newer tsync (schema version " + std::to_string(version) +
                "); upgrade tsync to use it");
  SQLite::Transaction transaction(*db, SQLite::TransactionBehavior::IMMEDIATE);
  db->exec(sql_string(sql::schema));
  if (version == 1) db->exec(sql_string(sql::migrate_v2));
  db->exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  transaction.commit();
  return db;
}

// A replica's file, if it is an empty one: as the sqlite3 shell leaves it when
// asked about a replica that does not exist yet.
bool empty_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

void remove_quietly(const std::string& path) { ::unlink(path.c_str()); }

// Makes a new replica at `path` whole or not at all, when nothing (or an empty
// file) is there: built under a temporary name beside it, then linked into
// place. A reader opening `path` meanwhile finds no file, or the empty one,
// and then a replica with its schema, in WAL mode: never a file half made, nor
// the exclusive lock a new file takes to switch to WAL mode. Returns false when
// the file system cannot link files: the caller then makes it in place.
bool create_whole(const std::string& path, const ReplicaOptions& options) {
  std::string temporary = path + ".tsync-new-XXXXXX";
  const int fd = ::mkostemp(temporary.data(), O_CLOEXEC);  // mode 0600
  if (fd < 0) throw Error(path + ": cannot create the replica: " + std::strerror(errno));
  ::close(fd);
  struct Cleanup {
    const std::string& file;
    ~Cleanup() {
      for (const char* suffix : {"", "-wal", "-shm"}) remove_quietly(file + suffix);
    }
  } cleanup{temporary};
  {
    auto db = open_writable(temporary, options);
    // Everything into the file itself, so that the file alone is the replica.
    if (sqlite3_wal_checkpoint_v2(db->getHandle(), "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                                  nullptr) != SQLITE_OK)
      throw Error(path + ": cannot make the replica (in " + temporary +
                  "): " + sqlite3_errmsg(db->getHandle()));
  }
  // The -wal and -shm of an earlier file of that name belong to no replica:
  // SQLite would read that log into the new one.
  for (const char* suffix : {"-wal", "-shm"}) remove_quietly(path + suffix);
  if (::link(temporary.c_str(), path.c_str()) == 0) return true;
  if (errno == EEXIST) {
    // An empty file came first (a reader's shell made it): the replica takes
    // its place; a file with content is opened as it is.
    if (empty_file(path) && ::rename(temporary.c_str(), path.c_str()) != 0)
      throw Error(path + ": cannot create the replica: " + std::strerror(errno));
    return true;
  }
  return false;
}

}  // namespace

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
  } catch (const SQLite::Exception& e) {
    throw Error(describe(path, e));
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

WalCheckpointer::WalCheckpointer(std::string path) : path_(std::move(path)) {
  thread_ = std::thread([this] { run(); });
}

WalCheckpointer::~WalCheckpointer() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void WalCheckpointer::committed(int pages) {
  if (pages < kPages) return;
  {
    const std::lock_guard lock(mutex_);
    due_ = true;
  }
  wake_.notify_one();
}

bool WalCheckpointer::working() const {
  const std::lock_guard lock(mutex_);
  return !broken_;
}

int WalCheckpointer::checkpoints() const {
  const std::lock_guard lock(mutex_);
  return checkpoints_;
}

void WalCheckpointer::run() {
  sqlite3* db = nullptr;
  // The replica exists (the writer's connection made it): open it, change nothing.
  if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db);
    const std::lock_guard lock(mutex_);
    broken_ = true;
    return;
  }
  // Closed before the writer's connection: never the one to checkpoint on closing.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  // The log and the replica are synced as the writer's synchronous = NORMAL does.
  sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || due_; });
    if (stop_) break;
    due_ = false;
    lock.unlock();
    // A failure (a full disk, a reader's lock) leaves the pages in the log,
    // where they are safe: the next checkpoint, or the writer's close, copies them.
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    ++checkpoints_;
  }
  lock.unlock();
  sqlite3_close(db);
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
    throw Error(describe(path, e));
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
    throw Error(describe(path_, e));
  }
}

bool Replica::reset_cursor(std::string_view stream) {
  try {
    SQLite::Statement update(*db_, sql_string(sql::reset_cursor));
    update.bind(1, std::string(stream));
    return update.exec() > 0;
  } catch (const SQLite::Exception& e) {
    throw Error(describe(path_, e));
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
    throw Error(describe(path_, e));
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
    throw Error(describe(path_, e));
  }
}

int Replica::mark_died_runs(const SyncLock& /*lock*/) {
  try {
    SQLite::Statement update(*db_, sql_string(sql::mark_died));
    update.bind(1, static_cast<std::int64_t>(::getpid()));
    return update.exec();
  } catch (const SQLite::Exception& e) {
    throw Error(describe(path_, e));
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
    throw Error(describe(path_, e));
  }
  return runs;
}

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
  throw Error(describe(replica_.path(), e));
}

void ReplicaWriter::begin() {
  if (transaction_) return;
  transaction_.emplace(replica_.db(), SQLite::TransactionBehavior::IMMEDIATE);
  if (stage_after_ > 0) rows_at_begin_ = table_->estimated_rows();
}

void ReplicaWriter::upsert(const Record& record) {
  try {
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

void ReplicaWriter::reconcile(double max_fraction, const RunCounters& io) {
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
    } else if (static_cast<double>(counts.unseen) >
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
    } else if (counts.unseen > 0) {
      pending_.rows_deleted += table_->delete_unseen(deleted_at_, stream_, run_id_);
    }
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

void ReplicaWriter::commit(const Cursor* cursor, const RunCounters& io) {
  try {
    begin();
    apply_stage();
    std::string previous = cursor_text_;
    // A full pass never moves the saved cursor below where it was.
    if (cursor && !(floor_ && cursor->instant <= *floor_)) {
      SQLite::Statement& stmt = *save_cursor_;
      stmt.bind(1, stream_);
      stmt.bind(2, cursor->text);
      stmt.bind(3, format_utc(cursor->instant));
      stmt.bind(4, table_->spec().table);
      stmt.exec();
      stmt.reset();
      cursor_text_ = cursor->text;
    }
    try {
      log_run("running", "", io);
      transaction_->commit();
    } catch (...) {
      cursor_text_ = previous;
      throw;
    }
    transaction_.reset();
    committed_ = pending_;
    uncommitted_ = 0;
  } catch (const SQLite::Exception& e) {
    save_cursor_->tryReset();
    update_run_->tryReset();
    rollback();
    fail(e);
  }
}

void ReplicaWriter::rollback() {
  const bool open = transaction_.has_value();
  transaction_.reset();
  if (table_) table_->discard_stage();  // the rollback removed the staged rows, and their table
  pending_ = committed_;
  uncommitted_ = 0;
  // Columns added in the rolled-back transaction are gone again: the table's
  // columns are read anew before the next row.
  if (open) table_stale_ = true;
}

void ReplicaWriter::finish(std::string_view status, std::string_view error,
                           const RunCounters& io) noexcept {
  try {
    rollback();
    end_full_pass();  // a pass that did not complete deletes nothing
    SQLite::Transaction transaction(replica_.db(), SQLite::TransactionBehavior::IMMEDIATE);
    log_run(status, error, io);
    transaction.commit();
  } catch (...) {
    // The run's row then still says "running"; the data and cursor are intact.
    update_run_->tryReset();
  }
}

}  // namespace tsync
