// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "replica/table_schema.hpp"

namespace tsync {

// What a completed full pass found: the table's live rows, how many of them it
// did not return, and how many keys it returned.
struct PassCounts {
  std::int64_t live = 0;
  std::int64_t unseen = 0;
  std::int64_t seen = 0;
};

// The file beside the replica where a full pass of `table` keeps the keys it
// has seen: one per table, so that the full passes of several streams, run at
// once, never share one.
std::string seen_path_of(const std::string& replica_path, const std::string& table);

// The keys a full pass of one table has seen, and what it does with them
// after. begin() starts a file of seen keys beside the replica
// (`<replica>-tsync-seen`, replacing one a killed pass left), which the table's
// writer fills through mark_statement(), a connection of its own (never rolled
// back: a key seen stays seen when a fault rolls rows back, as the retry asks
// for them again). After a completed pass, attach() (outside a transaction)
// makes the keys readable on the replica's connection, count() counts,
// delete_unseen() marks deleted (or removes, logging to _deleted) the live
// rows not seen, and end() (outside a transaction) detaches and deletes the
// file; it is safe to call at any point. Memory stays flat: the keys live on disk.
class FullPass {
 public:
  explicit FullPass(std::string seen_path) : seen_path_(std::move(seen_path)) {}

  void begin(SQLite::Database& db, const TableSchema& schema, const TableSpec& spec);
  bool active() const { return in_pass_; }
  // The statement that marks a key seen: ?1, ?2, ... the key's values. After
  // each exec, marked().
  SQLite::Statement& mark_statement(const TableSchema& schema) {
    if (!mark_seen_) prepare_mark(schema);
    return *mark_seen_;
  }
  void marked() {
    // Committed now and then, so that its journal-less file stays small in memory.
    if (++seen_uncommitted_ >= 100000) {
      seen_db_->exec("COMMIT; BEGIN");
      seen_uncommitted_ = 0;
    }
  }
  // Forgets the prepared mark statement: the table's columns were read again.
  void forget_statement() { mark_seen_.reset(); }
  void attach(SQLite::Database& db, const TableSchema& schema);
  PassCounts count(SQLite::Database& db, const TableSchema& schema);
  // Per partition of a child stream (its `identity` columns, quoted): the
  // partitions with live rows the pass did not return, as (identity as a JSON
  // array, counts).
  std::vector<std::pair<std::string, PassCounts>> count_by_partition(
      SQLite::Database& db, const TableSchema& schema, const std::string& identity);
  // Removes (logging to _deleted) the unseen rows of a hard-deleting table, or
  // marks them in _tsync_deleted_at (which the caller has made sure is there).
  std::int64_t delete_unseen(SQLite::Database& db, const TableSchema& schema, const TableSpec& spec,
                             const std::string& deleted_at, const std::string& stream,
                             std::int64_t run_id);
  void end(SQLite::Database& db);
  const std::string& seen_path() const { return seen_path_; }

 private:
  void prepare_mark(const TableSchema& schema);

  bool in_pass_ = false;
  bool attached_ = false;
  std::string seen_path_;
  std::unique_ptr<SQLite::Database> seen_db_;
  std::int64_t seen_uncommitted_ = 0;
  std::unique_ptr<SQLite::Statement> mark_seen_;
};

}  // namespace tsync
