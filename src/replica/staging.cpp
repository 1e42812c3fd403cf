// SPDX-License-Identifier: Apache-2.0
#include "replica/staging.hpp"

#include <malloc.h>
#include <sqlite3.h>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <vector>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include "common/sql_text.hpp"
#include "replica/columns.hpp"

namespace tsync {

// The staged rows as a virtual table, for apply_stage.sql: a scan of it hands
// over the rows of the merge (StagedRows::next_row) in key order, each value as
// it was bound. Made in the TEMP schema for one apply and dropped after it.
struct StageScan {
  StagedRows* rows = nullptr;
  std::string declaration;  // CREATE TABLE x(...): the stream table's columns
  std::size_t columns = 0;
  std::exception_ptr failure;  // from reading the runs back: rethrown as it was
  std::string module;          // the module's name on the connection
};

namespace {

// tsync_count(kind): counts one row of `kind` (0 to 3) and returns 1 (apply_stage.sql).
void count_rows_of_kind(sqlite3_context* context, int, sqlite3_value** argv) {
  auto* counts = static_cast<std::int64_t*>(sqlite3_user_data(context));
  const int kind = sqlite3_value_int(argv[0]);
  if (kind >= 0 && kind < 4) ++counts[kind];
  sqlite3_result_int(context, 1);
}

struct StageValue {
  StagedRows::Kind kind = StagedRows::Kind::Null;
  std::int64_t n = 0;
  double d = 0;
  std::string_view text;
};

struct StageVtab {
  sqlite3_vtab base{};
  StageScan* scan = nullptr;
};

struct StageCursor {
  sqlite3_vtab_cursor base{};
  const StagedRows::Row* row = nullptr;
  std::vector<StageValue> values;  // the current row's, by column
  std::vector<std::size_t> set;    // columns the current row set
  sqlite3_int64 rowid = 0;
};

int stage_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  auto* scan = static_cast<StageScan*>(aux);
  if (const int rc = sqlite3_declare_vtab(db, scan->declaration.c_str()); rc != SQLITE_OK)
    return rc;
  auto* table = new StageVtab;
  table->scan = scan;
  *out = &table->base;
  return SQLITE_OK;
}

int stage_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  const auto* table = reinterpret_cast<StageVtab*>(vtab);
  info->estimatedRows = table->scan->rows ? table->scan->rows->rows() : 0;
  info->estimatedCost = static_cast<double>(info->estimatedRows) + 1;
  return SQLITE_OK;
}

int stage_disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<StageVtab*>(vtab);
  return SQLITE_OK;
}

int stage_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* cursor = new StageCursor;
  cursor->values.resize(reinterpret_cast<StageVtab*>(vtab)->scan->columns);
  *out = &cursor->base;
  return SQLITE_OK;
}

int stage_close(sqlite3_vtab_cursor* base) {
  delete reinterpret_cast<StageCursor*>(base);
  return SQLITE_OK;
}

// Moves to the merge's next row and spreads its values over the columns.
int stage_step(sqlite3_vtab_cursor* base, bool first) {
  auto* cursor = reinterpret_cast<StageCursor*>(base);
  StageScan* scan = reinterpret_cast<StageVtab*>(base->pVtab)->scan;
  for (const std::size_t column : cursor->set) cursor->values[column] = StageValue{};
  cursor->set.clear();
  try {
    if (first) scan->rows->begin_merge();
    cursor->row = scan->rows->next_row();
  } catch (...) {
    scan->failure = std::current_exception();
    cursor->row = nullptr;
    return SQLITE_ERROR;
  }
  if (!cursor->row) return SQLITE_OK;
  ++cursor->rowid;
  cursor->row->each_value([&](std::size_t column, StagedRows::Kind kind, std::int64_t n, double d,
                              std::string_view text) {
    if (column >= cursor->values.size()) return;  // never: columns are only added
    cursor->values[column] = StageValue{kind, n, d, text};
    cursor->set.push_back(column);
  });
  return SQLITE_OK;
}

int stage_filter(sqlite3_vtab_cursor* base, int, const char*, int, sqlite3_value**) {
  return stage_step(base, true);
}

int stage_next(sqlite3_vtab_cursor* base) { return stage_step(base, false); }

int stage_eof(sqlite3_vtab_cursor* base) {
  return reinterpret_cast<StageCursor*>(base)->row == nullptr;
}

int stage_column(sqlite3_vtab_cursor* base, sqlite3_context* context, int column) {
  const auto* cursor = reinterpret_cast<StageCursor*>(base);
  const StageValue& value = cursor->values[static_cast<std::size_t>(column)];
  switch (value.kind) {
    case StagedRows::Kind::Null:
      sqlite3_result_null(context);
      break;
    case StagedRows::Kind::Integer:
      sqlite3_result_int64(context, value.n);
      break;
    case StagedRows::Kind::Real:
      sqlite3_result_double(context, value.d);
      break;
    case StagedRows::Kind::Text:
      // Copied: the merge's buffers move on with the next row.
      sqlite3_result_text(context, value.text.data(), static_cast<int>(value.text.size()),
                          SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

int stage_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = reinterpret_cast<StageCursor*>(base)->rowid;
  return SQLITE_OK;
}

const sqlite3_module* stage_module() {
  static const sqlite3_module module = [] {
    sqlite3_module m{};
    m.iVersion = 1;
    m.xCreate = stage_connect;
    m.xConnect = stage_connect;
    m.xBestIndex = stage_best_index;
    m.xDisconnect = stage_disconnect;
    m.xDestroy = stage_disconnect;
    m.xOpen = stage_open;
    m.xClose = stage_close;
    m.xFilter = stage_filter;
    m.xNext = stage_next;
    m.xEof = stage_eof;
    m.xColumn = stage_column;
    m.xRowid = stage_rowid;
    return m;
  }();
  return &module;
}

}  // namespace

Staging::Staging(SQLite::Database& db) : db_(db) {}

Staging::~Staging() {
  // The module reads scan_, which goes with these staged rows: it goes first.
  if (scan_)
    sqlite3_create_module_v2(db_.getHandle(), scan_->module.c_str(), nullptr, nullptr, nullptr);
  if (!cache_shared_) return;
  try {
    db_.exec("PRAGMA main.cache_size = " + std::to_string(cache_before_));
  } catch (...) {
    // Only the speed of what the connection does next depends on it.
  }
}

void Staging::start() {
  std::size_t memory = memory_;
  if (memory == 0) {
    // A quarter of the page cache's size, as SQLite's own sorts took.
    const std::int64_t cache = db_.execAndGet("PRAGMA main.cache_size").getInt64();
    const std::int64_t page = db_.execAndGet("PRAGMA main.page_size").getInt64();
    const std::int64_t bytes = cache < 0 ? -cache * 1024 : cache * page;
    memory = static_cast<std::size_t>(std::clamp<std::int64_t>(bytes / 4, 256 << 10, 1LL << 30));
  }
  staged_ = std::make_unique<StagedRows>(memory, db_.getFilename());
}

StageCounts Staging::apply(const TableSchema& schema, const std::string& table) {
  StageCounts out;
  if (rows() == 0) return out;
  const std::int64_t staged = rows();

  if (!cache_shared_) {
    // From the first apply on (before it drops an index, which reads every page
    // of it), the writer's page cache keeps a quarter of its size: a sorted
    // apply reads each page about once and needs no large cache, and the staged
    // rows take a quarter of their own. The destructor gives the cache its size back.
    cache_before_ = db_.execAndGet("PRAGMA main.cache_size").getInt64();
    const std::int64_t cache_kib = std::max<std::int64_t>(2048, std::abs(cache_before_) / 4);
    db_.exec("PRAGMA main.cache_size = -" + std::to_string(cache_kib));
    malloc_trim(0);  // the pages the cache gave up go back to the system
    cache_shared_ = true;
  }
  // Many rows against the table: its plain indexes are built again after
  // rather than updated in an order that is random to them.
  std::vector<std::string> rebuild;
  // Fewer staged rows are applied with the indexes in place: updating them
  // row by row costs less than building them again.
  if (staged >= rebuild_indexes_rows_ && staged * 2 >= schema.estimated_rows()) {
    SQLite::Statement list(db_, std::string(sql::table_indexes));
    list.bind(1, table);
    std::vector<std::string> names;
    while (list.executeStep()) {
      names.push_back(list.getColumn(0).getString());
      rebuild.push_back(list.getColumn(1).getString());
    }
    for (const std::string& name : names) db_.exec("DROP INDEX " + quote_identifier(name));
    if (defer_indexes_ && !names.empty()) {
      SQLite::Statement defer(db_, std::string(sql::defer_index));
      for (std::size_t i = 0; i < names.size(); ++i) {
        defer.bind(1, table);
        defer.bind(2, names[i]);
        defer.bind(3, rebuild[i]);
        defer.exec();
        defer.reset();
      }
      rebuild.clear();  // built once, when the run ends
    }
  }

  // The module, once per writer: its name is this writer's on the connection.
  if (!scan_) {
    static std::atomic<unsigned> writers{0};
    scan_ = std::make_unique<StageScan>();
    scan_->module = "tsync_staged_" + std::to_string(++writers);
    if (const int rc = sqlite3_create_module_v2(db_.getHandle(), scan_->module.c_str(),
                                                stage_module(), scan_.get(), nullptr);
        rc != SQLITE_OK)
      throw SQLite::Exception(db_.getHandle(), rc);
  }
  std::vector<std::string> names;
  for (const TableSchema::Column& c : schema.columns()) names.push_back(quote_identifier(c.name));
  scan_->rows = staged_.get();
  scan_->columns = schema.columns().size();
  scan_->declaration = "CREATE TABLE x(" + joined(names, ", ") + ")";
  scan_->failure = nullptr;
  const std::string stage = "temp." + quote_identifier(scan_->module);

  std::int64_t* counts = apply_counts_;
  std::fill(counts, counts + 4, 0);
  if (sqlite3_create_function_v2(db_.getHandle(), "tsync_count", 1, SQLITE_UTF8, counts,
                                 count_rows_of_kind, nullptr, nullptr, nullptr) != SQLITE_OK)
    throw SQLite::Exception(db_.getHandle());
  auto values = schema.upsert_template();
  const std::string deleted =
      schema.deleted_column() == TableSchema::kOverflow
          ? std::string("0")
          : "(excluded." + quote_identifier(kDeletedColumn) + " IS NOT NULL)";
  values.emplace_back("stage", stage);
  values.emplace_back("conflict_kind", deleted);
  values.emplace_back("update_kind", "2 + " + deleted);
  db_.exec("CREATE VIRTUAL TABLE " + stage + " USING " + quote_identifier(scan_->module));
  try {
    db_.exec(fill_template(sql::apply_stage, values));
  } catch (...) {
    try {
      db_.exec("DROP TABLE IF EXISTS " + stage);
    } catch (...) {
      // The rollback that follows removes it with the transaction.
    }
    if (scan_->failure) std::rethrow_exception(scan_->failure);  // the runs' own error
    throw;
  }
  db_.exec("DROP TABLE " + stage);
  // The temporary file's space goes back before the index builds take theirs,
  // and the staged rows' memory too when there are builds: they sort the whole
  // table, a transaction large enough to call for them comes about once each
  // time the table doubles, and the two peaks would add up (at 10M users, with
  // the memory kept through the builds, a full pass peaked at 97.7 MiB; given
  // back, 87.3 MiB).
  if (rebuild.empty())
    staged_->clear();
  else
    staged_->release();
  for (const std::string& index : rebuild) db_.exec(index);

  const std::int64_t staged_live = staged - tombstones_;
  const std::int64_t conflicts_live = counts[0], conflicts_tombstones = counts[1];
  const std::int64_t updated_live = counts[2], updated_tombstones = counts[3];
  out.inserted = staged_live - conflicts_live;
  out.updated = updated_live;
  out.deleted = (tombstones_ - conflicts_tombstones) + updated_tombstones;
  out.unchanged = (conflicts_live - updated_live) + (conflicts_tombstones - updated_tombstones);
  tombstones_ = 0;
  return out;
}

std::vector<std::string> Staging::build_deferred(const std::string& table) {
  if (staged_) {
    staged_->release();  // the builds sort the table: the two peaks would add up
    malloc_trim(0);      // and the sorter's thread takes its memory from an arena of its own
  }
  return build_deferred_indexes(db_, table);
}

std::vector<std::string> build_deferred_indexes(SQLite::Database& db, const std::string& table) {
  struct Deferred {
    std::string table, name, sql;
  };
  std::vector<Deferred> deferred;
  {
    SQLite::Statement list(db, std::string(sql::deferred_indexes));
    if (table.empty())
      list.bind(1);
    else
      list.bind(1, table);
    while (list.executeStep())
      deferred.push_back({list.getColumn(0).getString(), list.getColumn(1).getString(),
                          list.getColumn(2).getString()});
  }
  std::vector<std::string> built;
  if (deferred.empty()) return built;
  // Each build sorts the whole table, at a run's end when nothing else runs:
  // SQLite's sorter may take a second thread for it (a 10M-row cursor index in
  // 6.7 s rather than 9.3 s, for about 16 MiB more, which the staged rows gave back).
  const std::int64_t threads_before = db.execAndGet("PRAGMA threads").getInt64();
  db.exec("PRAGMA threads = 1");
  struct RestoreThreads {
    SQLite::Database& db;
    std::int64_t threads;
    ~RestoreThreads() {
      try {
        db.exec("PRAGMA threads = " + std::to_string(threads));
      } catch (...) {
        // Only the speed of a later sort depends on it.
      }
    }
  } restore{db, threads_before};
  SQLite::Statement exists(db, std::string(sql::index_exists));
  SQLite::Statement forget(db, std::string(sql::forget_deferred_index));
  for (const Deferred& d : deferred) {
    exists.bind(1, d.name);
    exists.executeStep();
    const bool there = exists.getColumn(0).getInt() > 0;
    exists.reset();
    if (!there) {
      try {
        db.exec(d.sql);
      } catch (const SQLite::Exception& e) {
        throw IndexBuildError(d.table + "." + d.name, e);
      }
      built.push_back(d.table + "." + d.name);
    }
    forget.bind(1, d.table);
    forget.bind(2, d.name);
    forget.exec();
    forget.reset();
  }
  return built;
}

void Staging::discard() {
  if (staged_) staged_->clear();
  tombstones_ = 0;
}

}  // namespace tsync
