// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include "replica/staged_rows.hpp"
#include "replica/table_schema.hpp"

namespace tsync {

// What applying a transaction's staged rows did, counted as ReplicaWriter
// counts direct upserts: a tombstone's row that was inserted or updated counts
// as deleted.
struct StageCounts {
  std::int64_t inserted = 0, updated = 0, deleted = 0, unchanged = 0;
};

// What the virtual table that hands the merged rows to apply_stage.sql reads.
struct StageScan;

// A large transaction's rows of one table, staged (StagedRows: memory, then
// sorted runs in a temporary file) rather than written into the table, and
// applied in key order, arrival order within a key, in the same transaction
// before it commits (apply_stage.sql, reading them through a virtual table).
// When the staged rows are many against the table, its plain indexes are
// dropped and built again after, in the same transaction (a reader never sees
// them missing), except in a first load (set_defer_indexes): there they stay
// dropped until the run ends and builds them once (build_deferred).
class Staging {
 public:
  explicit Staging(SQLite::Database& db);
  // Gives the connection's page cache back its size (see apply).
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // The row that add() keeps, packed by the table's writer.
  StagedRows::Builder& packing() { return packing_; }
  // Keeps the packed row; the staged rows are made at the first.
  void add(bool tombstone) {
    if (!staged_) start();
    staged_->add(packing_, tombstone);
    if (tombstone) ++tombstones_;
  }
  std::int64_t rows() const { return staged_ ? staged_->rows() : 0; }
  // Runs written to the temporary file in the open transaction.
  std::size_t runs() const { return staged_ ? staged_->runs() : 0; }
  // The memory staged rows take before they are written out as a sorted run;
  // 0 (the default): a quarter of the page cache's size at the first add().
  void set_memory(std::size_t bytes) { memory_ = bytes; }
  // Upserts every staged row into `table` (whose columns `schema` holds) with
  // TableWriter::upsert()'s rules, and counts them.
  StageCounts apply(const TableSchema& schema, const std::string& table);
  // Forgets the staged rows after a rollback.
  void discard();
  // A first load (the table was empty when the run began): the plain indexes
  // an apply drops are not built again after it but recorded in
  // _deferred_index, in the same transaction, for build_deferred() at the
  // run's end. Each commit that doubles the table would build them again over
  // every row: a load of N rows in such commits sorts about 2N index entries,
  // built once N.
  void set_defer_indexes(bool defer) { defer_indexes_ = defer; }
  // Staged rows from which an apply that is half the table or more builds the
  // plain indexes again rather than updating them (50,000 by default).
  void set_rebuild_indexes_rows(std::int64_t rows) { rebuild_indexes_rows_ = rows; }
  // Builds the indexes of `table` that applies deferred, in the caller's open
  // transaction, after giving back the staged rows' memory; returns their names.
  std::vector<std::string> build_deferred(const std::string& table);

 private:
  void start();

  SQLite::Database& db_;
  std::unique_ptr<StagedRows> staged_;
  std::int64_t tombstones_ = 0;
  StagedRows::Builder packing_;
  std::size_t memory_ = 0;
  std::unique_ptr<StageScan> scan_;
  std::int64_t apply_counts_[4] = {0, 0, 0, 0};  // tsync_count()'s, during apply()
  bool cache_shared_ = false;                    // the page cache gave the sorts part of its memory
  bool defer_indexes_ = false;                   // see set_defer_indexes
  std::int64_t rebuild_indexes_rows_ = 50000;    // see set_rebuild_indexes_rows
  std::int64_t cache_before_ = 0;  // PRAGMA cache_size before that, restored at the end
};

// A deferred index whose CREATE INDEX failed: the transaction that built it
// is to be rolled back, and the index stays in _deferred_index.
class IndexBuildError : public SQLite::Exception {
 public:
  IndexBuildError(std::string index, const SQLite::Exception& cause)
      : SQLite::Exception(cause), index_(std::move(index)) {}
  // "table.index"
  const std::string& index() const { return index_; }

 private:
  std::string index_;
};

// Builds the indexes that first loads deferred (Staging::set_defer_indexes):
// those of `table`, or of every table when `table` is empty (a sync's start,
// after a run that was killed before it built them), in the caller's open
// transaction, and forgets them. An index of the same name that exists
// already is kept as it is. Returns "table.index" for each one built; throws
// IndexBuildError when one cannot be built.
std::vector<std::string> build_deferred_indexes(SQLite::Database& db, const std::string& table);

}  // namespace tsync
