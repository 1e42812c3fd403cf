// SPDX-License-Identifier: Apache-2.0
#include "replica/replica_file.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <SQLiteCpp/Transaction.h>

#include "common/errors.hpp"
#include "common/sql_text.hpp"
#include "replica/replica.hpp"

namespace tsync {
namespace {

void remove_quietly(const std::string& path) { ::unlink(path.c_str()); }

}  // namespace

void create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno == EEXIST) return;
  throw Error(path + ": cannot create the replica: " + std::strerror(errno));
}

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

std::string describe_replica_error(const std::string& path, const SQLite::Exception& e) {
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

bool empty_file(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

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

}  // namespace tsync
