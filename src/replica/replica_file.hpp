// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

namespace tsync {

struct ReplicaOptions;

// The schema version (PRAGMA user_version) this tsync makes and reads.
inline constexpr int kSchemaVersion = 2;

// An embedded SQL text (common/sql_text.hpp) as the string SQLiteCpp takes.
inline std::string sql_string(std::string_view text) { return std::string(text); }

// The replica's file: made whole or not at all, opened with tsync's settings
// and schema, and what to tell the user when SQLite fails on it.

// Creates `path` with mode 0600 when it does not exist, so that SQLite (which
// gives its -wal and -shm files the same mode) never makes it world-readable.
void create_private_file(const std::string& path);

// What keeps this process from writing the replica at `path`: the file, the
// -wal and -shm files SQLite keeps beside it, or their folder; empty when
// nothing does. Checked before SQLite opens the file, because SQLite would
// quietly open it read-only and leave -wal and -shm files this user may not
// write, which would then stand in the way of the fixed replica.
std::string write_access_problem(const std::string& path);

// An SQLite error on the replica at `path`, with what to do about it.
std::string describe_replica_error(const std::string& path, const SQLite::Exception& e);

// SQLite keeps malloc statistics behind a global mutex by default; tsync reads
// none of them. Must run before SQLite initialises; later calls change nothing.
void configure_sqlite_once();

// Opens the replica at `path` read-write and brings its settings and schema up
// to date: page size and WAL mode (on a new file), synchronous, temp store,
// cache, the tables of sql/schema.sql and user_version.
std::unique_ptr<SQLite::Database> open_writable(const std::string& path,
                                                const ReplicaOptions& options);

// A replica's file, if it is an empty one: as the sqlite3 shell leaves it when
// asked about a replica that does not exist yet.
bool empty_file(const std::string& path);

// Makes a new replica at `path` whole or not at all, when nothing (or an empty
// file) is there: built under a temporary name beside it, then linked into
// place. A reader opening `path` meanwhile finds no file, or the empty one,
// and then a replica with its schema, in WAL mode: never a file half made, nor
// the exclusive lock a new file takes to switch to WAL mode. Returns false when
// the file system cannot link files: the caller then makes it in place.
bool create_whole(const std::string& path, const ReplicaOptions& options);

}  // namespace tsync
