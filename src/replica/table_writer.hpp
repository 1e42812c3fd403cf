// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/record.hpp"
#include "replica/columns.hpp"
#include "replica/full_pass.hpp"
#include "replica/staged_rows.hpp"
#include "replica/staging.hpp"
#include "replica/table_schema.hpp"

namespace tsync {

// Writes the records of one stream into its table. Every top-level field of a
// record is kept: a field seen for the first time becomes a new column (ALTER
// TABLE ... ADD COLUMN) in the transaction that stores the row bringing it, and
// _columns records which column holds it (column_name_for). Past SQLite's column
// limit, further fields go into one JSON object column, _tsync_extra.
// Values are bound by their column's type (column_type_of): an undeclared column
// gets the value as sent (text, INTEGER, REAL, 1/0, NULL, JSON text), a
// UTC_DATETIME column the fixed-width UTC text of a timestamp, STRING and
// DECIMAL the text of a number; a value that does not fit its type is stored as
// sent. A record's fields that it does not carry are NULL in its row.
class TableWriter {
 public:
  enum class Outcome { Unchanged, Inserted, Updated };

  // Creates the table when it does not exist (committing that at once), adds
  // declared columns it lacks, and reads which column holds which field.
  // Throws Error when the existing table's primary key is not `spec`'s.
  TableWriter(SQLite::Database& db, TableSpec spec);
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Inserts or updates the record's row, in the caller's open transaction,
  // unless the stored row is newer by the cursor field or identical. A
  // tombstone's row gets `deleted_at` in _tsync_deleted_at (added to the table
  // when first needed), a live record's row NULL there: a deleted row that
  // comes back is live again. During a full pass the record's key is marked seen.
  Outcome upsert(const Record& record, const std::string& deleted_at);
  // Staging, for a large transaction (Staging): stage() keeps the record's
  // row, bound exactly as upsert() binds it, instead of writing it into the
  // table, and apply_stage() (in the same transaction, before it commits)
  // upserts every staged row in key order with upsert()'s rules.
  // discard_stage() forgets the staged rows after a rollback.
  // stage() returns false, keeping nothing, for a record whose key cannot be
  // put in SQLite's order without SQLite (a REAL, or a text in a numeric
  // column): the caller applies the staged rows and upserts it.
  bool stage(const Record& record, const std::string& deleted_at);
  // Whether stage() can keep `record` without touching the database: every
  // field has its column already, a tombstone has _tsync_deleted_at, and no
  // full pass marks keys seen.
  bool stages_without_writing(const Record& record) const;
  std::int64_t staged_rows() const { return staging_.rows(); }
  StageCounts apply_stage() { return staging_.apply(schema_, spec_.table); }
  void discard_stage() { staging_.discard(); }
  // A first load: see Staging::set_defer_indexes and Staging::build_deferred.
  void set_defer_indexes(bool defer) { staging_.set_defer_indexes(defer); }
  void set_rebuild_indexes_rows(std::int64_t rows) { staging_.set_rebuild_indexes_rows(rows); }
  std::vector<std::string> build_deferred_indexes() { return staging_.build_deferred(spec_.table); }
  // The memory staged rows take before they are written out as a sorted run;
  // 0 (the default): a quarter of the page cache's size at the first stage().
  void set_stage_memory(std::size_t bytes) { staging_.set_memory(bytes); }
  // Runs written to the temporary file in the open transaction, for tests.
  std::size_t staged_runs() const { return staging_.runs(); }
  // Removes the row of a tombstone unless the stored row is newer; returns its
  // key as a JSON array, or nothing when no row was removed.
  std::optional<std::string> remove(const Record& record);

  // A full pass (FullPass): begin_pass() starts the file of seen keys, which
  // upsert() and remove() fill; after a completed pass, attach_pass(),
  // count_pass(), delete_unseen(); end_pass() is safe to call at any point.
  void begin_pass() { pass_.begin(db_, schema_, spec_); }
  // Marks a record's key seen in the pass (a rejected record whose key is usable).
  void mark_seen_in_pass(const Record& record) {
    if (pass_.active()) mark_seen(record);
  }
  void attach_pass() { pass_.attach(db_, schema_); }
  PassCounts count_pass() { return pass_.count(db_, schema_); }
  // Per partition whose `identity` fields the table holds: see
  // FullPass::count_by_partition. Empty when it holds none of them yet.
  std::vector<std::pair<std::string, PassCounts>> count_pass_by_partition(
      const std::vector<std::string>& identity);
  std::int64_t delete_unseen(const std::string& deleted_at, const std::string& stream,
                             std::int64_t run_id);
  void end_pass() { pass_.end(db_); }
  // A child stream's rows of one partition whose parent is gone: those whose
  // `identity` fields, as a JSON array, equal `identity_json`. Marks them
  // deleted at `deleted_at`, or with a hard delete removes them and logs their
  // keys in _deleted. Returns how many rows were deleted.
  std::int64_t delete_partition_rows(const std::vector<std::string>& identity,
                                     const std::string& identity_json,
                                     const std::string& deleted_at, const std::string& stream,
                                     std::int64_t run_id);
  // Reads the columns again: after a rollback undid columns added since.
  void reload();
  // About how many rows the table holds, without scanning it.
  std::int64_t estimated_rows() { return schema_.estimated_rows(); }
  const TableSpec& spec() const { return spec_; }
  // The file where a full pass of this table keeps the keys it has seen.
  const std::string& seen_path() const { return pass_.seen_path(); }

 private:
  static constexpr std::size_t kOverflow = TableSchema::kOverflow;
  struct Slot {  // where the field at one position of the last record went
    std::string field;
    std::size_t column = 0;
    bool valid = false;
  };

  void load();
  void prepare();
  // Binds into a Sink: the upsert statement, or a StagedRows row being packed.
  template <class Sink>
  void bind(Sink& sink, int index, std::size_t column, const FieldValue& value,
            const Record& record, bool is_cursor);
  void bind(SQLite::Statement& stmt, int index, std::size_t column, const FieldValue& value,
            const Record& record, bool is_cursor);
  void resolve(const Record& record);
  // Binds every column of the record's row into `stmt` (?1 .. ?n in column order).
  template <class Sink>
  void bind_row(Sink& sink, const Record& record, const std::string& deleted_at);
  void mark_seen(const Record& record);
  void ensure_deleted_column();

  SQLite::Database& db_;
  TableSpec spec_;
  TableSchema schema_;
  FullPass pass_;
  std::unique_ptr<SQLite::Statement> remove_;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> stamps_;  // the record that last bound each column
  std::uint64_t stamp_ = 0;
  std::vector<std::string> scratch_;  // per column: text made for the current record
  rapidjson::StringBuffer extra_;
  rapidjson::Writer<rapidjson::StringBuffer> extra_writer_;
  std::string extra_text_;
  std::unique_ptr<SQLite::Statement> upsert_;
  std::vector<int> key_part_;  // per column: its place in the key, or -1
  // Last, so that it goes first: it gives the page cache back its size.
  Staging staging_;
};

}  // namespace tsync
