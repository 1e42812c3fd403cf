// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/record.hpp"
#include "replica/columns.hpp"
#include "replica/staged_rows.hpp"

namespace tsync {

// What a stream's table must hold: its name, its primary key, its cursor field
// and the columns the configuration declares (name and type, in order).
struct TableSpec {
  std::string table;
  std::vector<std::string> primary_key{"id"};
  std::string cursor_field = "updatedAt";
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::vector<std::pair<std::string, ColumnType>> columns;
  // A deleted record's row is removed ("on_delete": "hard") rather than marked
  // in _tsync_deleted_at.
  bool hard_delete = false;
};

// What a completed full pass found: the table's live rows, how many of them it
// did not return, and how many keys it returned.
struct PassCounts {
  std::int64_t live = 0;
  std::int64_t unseen = 0;
  std::int64_t seen = 0;
};

// What applying a transaction's staged rows did, counted as ReplicaWriter
// counts direct upserts: a tombstone's row that was inserted or updated counts
// as deleted.
struct StageCounts {
  std::int64_t inserted = 0, updated = 0, deleted = 0, unchanged = 0;
};

// The type a table stores `field` with: the declared one, else for the cursor
// field UTC_DATETIME (iso8601) or LONG (epoch formats), else Any.
ColumnType column_type_of(const TableSpec& spec, std::string_view field);

// The file beside the replica where a full pass of `table` keeps the keys it
// has seen: one per table, so that the full passes of several streams, run at
// once, never share one.
std::string seen_path_of(const std::string& replica_path, const std::string& table);

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
  // Gives the connection's page cache back its size (see apply_stage).
  ~TableWriter();
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  // Inserts or updates the record's row, in the caller's open transaction,
  // unless the stored row is newer by the cursor field or identical. A
  // tombstone's row gets `deleted_at` in _tsync_deleted_at (added to the table
  // when first needed), a live record's row NULL there: a deleted row that
  // comes back is live again. During a full pass the record's key is marked seen.
  Outcome upsert(const Record& record, const std::string& deleted_at);
  // Staging, for a large transaction: stage() keeps the record's row, bound
  // exactly as upsert() binds it, in StagedRows (memory, then sorted runs in a
  // temporary file) instead of writing it into the table, and apply_stage() (in
  // the same transaction, before it commits) upserts every staged row in key
  // order, arrival order within a key, with upsert()'s rules. When the staged
  // rows are many against the table, its plain indexes are dropped and built
  // again after, in the same transaction (a reader never sees them missing).
  // discard_stage() forgets the staged rows after a rollback.
  // stage() returns false, keeping nothing, for a record whose key cannot be
  // put in SQLite's order without SQLite (a REAL, or a text in a numeric
  // column): the caller applies the staged rows and upserts it.
  bool stage(const Record& record, const std::string& deleted_at);
  std::int64_t staged_rows() const { return staged_ ? staged_->rows() : 0; }
  StageCounts apply_stage();
  void discard_stage();
  // The memory staged rows take before they are written out as a sorted run;
  // 0 (the default): a quarter of the page cache's size at the first stage().
  void set_stage_memory(std::size_t bytes) { stage_memory_ = bytes; }
  // Runs written to the temporary file in the open transaction, for tests.
  std::size_t staged_runs() const { return staged_ ? staged_->runs() : 0; }
  // What the virtual table that hands the merged rows to apply_stage.sql reads.
  struct StageScan;
  // Removes the row of a tombstone unless the stored row is newer; returns its
  // key as a JSON array, or nothing when no row was removed.
  std::optional<std::string> remove(const Record& record);

  // A full pass: begin_pass() starts a file of seen keys beside the replica
  // (`<replica>-tsync-seen`, replacing one a killed pass left), which upsert()
  // and remove() fill through a connection of its own (never rolled back: a
  // key seen stays seen when a fault rolls rows back, as the retry asks for
  // them again). After a completed pass, attach_pass() (outside a transaction)
  // makes the keys readable here, count_pass() counts, delete_unseen() marks
  // deleted (or removes, logging to _deleted) the live rows not seen, and
  // end_pass() (outside a transaction) detaches and deletes the file; it is
  // safe to call at any point. Memory stays flat: the keys live on disk.
  void begin_pass();
  // Marks a record's key seen in the pass (a rejected record whose key is usable).
  void mark_seen_in_pass(const Record& record) {
    if (in_pass_) mark_seen(record);
  }
  void attach_pass();
  PassCounts count_pass();
  std::int64_t delete_unseen(const std::string& deleted_at, const std::string& stream,
                             std::int64_t run_id);
  void end_pass();
  // Reads the columns again: after a rollback undid columns added since.
  void reload();
  // About how many rows the table holds, without scanning it.
  std::int64_t estimated_rows();
  const TableSpec& spec() const { return spec_; }
  // The file where a full pass of this table keeps the keys it has seen.
  const std::string& seen_path() const { return seen_path_; }

 private:
  static constexpr std::size_t kOverflow = static_cast<std::size_t>(-1);
  struct Column {
    std::string name;
    ColumnType type = ColumnType::Any;
  };
  struct Slot {  // where the field at one position of the last record went
    std::string field;
    std::size_t column = 0;
    bool valid = false;
  };

  void create_table();
  void load();
  void add_column(const std::string& field, ColumnType type);
  // Records in _columns that `column` holds `field`, declared as `type`.
  void remember_column(const std::string& field, const std::string& column, ColumnType type);
  std::size_t column_of(const std::string& field, bool& added);
  // The values of upsert_row.sql's placeholders for the table's columns now.
  std::vector<std::pair<std::string_view, std::string>> upsert_template() const;
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
  std::string key_match() const;
  std::string key_columns() const;  // the quoted primary-key columns, comma-separated
  std::string key_params() const;   // ?1, ?2, ... one per primary-key column

  SQLite::Database& db_;
  TableSpec spec_;
  std::string quoted_table_;
  std::size_t max_columns_ = 0;
  std::vector<Column> columns_;
  std::unordered_map<std::string, std::size_t> by_field_;  // column index or kOverflow
  std::size_t extra_column_ = kOverflow;
  std::size_t deleted_column_ = kOverflow;
  bool in_pass_ = false;
  bool attached_ = false;
  std::string seen_path_;
  std::unique_ptr<SQLite::Database> seen_db_;
  std::int64_t seen_uncommitted_ = 0;
  std::unique_ptr<SQLite::Statement> mark_seen_;
  std::unique_ptr<SQLite::Statement> remove_;
  std::size_t cursor_column_ = 0;
  std::vector<Slot> slots_;
  std::vector<std::uint64_t> stamps_;  // the record that last bound each column
  std::uint64_t stamp_ = 0;
  std::vector<std::string> scratch_;  // per column: text made for the current record
  rapidjson::StringBuffer extra_;
  rapidjson::Writer<rapidjson::StringBuffer> extra_writer_;
  std::string extra_text_;
  std::unique_ptr<SQLite::Statement> upsert_;
  // How SQLite's affinity treats a key column's values, in the key's order.
  enum class KeyAffinity { None, Text, Numeric };
  std::vector<KeyAffinity> key_affinity_;
  std::vector<int> key_part_;  // per column: its place in the key, or -1
  std::unique_ptr<StagedRows> staged_;
  std::int64_t staged_tombstones_ = 0;
  StagedRows::Builder packing_;
  std::size_t stage_memory_ = 0;
  std::unique_ptr<StageScan> scan_;
  std::int64_t apply_counts_[4] = {0, 0, 0, 0};  // tsync_count()'s, during apply_stage()
  bool cache_shared_ = false;                    // the page cache gave the sorts part of its memory
  std::int64_t cache_before_ = 0;  // PRAGMA cache_size before that, restored at the end
};

}  // namespace tsync
