// SPDX-License-Identifier: Apache-2.0
#include "replica/full_pass.hpp"

#include <cctype>
#include <cstdio>
#include <vector>

#include "common/sql_text.hpp"
#include "replica/columns.hpp"

namespace tsync {
namespace {
constexpr const char* kSeen = "tsync_pass.seen";
}  // namespace

std::string seen_path_of(const std::string& replica_path, const std::string& table) {
  // Table names ignore case, as SQLite's do; the file's name keeps letters,
  // digits, '-' and '_' of the name and adds a hash of the whole lower-cased
  // name, so that two tables never share a file.
  std::string lower, shown;
  std::uint64_t hash = 1469598103934665603ULL;  // FNV-1a
  for (const char ch : table) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    lower.push_back(c);
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    if (shown.size() < 48)
      shown.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c
                                                                                          : '_');
  }
  char suffix[24];
  std::snprintf(suffix, sizeof suffix, "-%08llx",
                static_cast<unsigned long long>(hash & 0xffffffffULL));
  return replica_path + "-tsync-seen-" + shown + suffix;
}

void FullPass::begin(SQLite::Database& db, const TableSchema& schema, const TableSpec& spec) {
  end(db);  // a file left by a killed pass
  std::vector<std::string> definitions, key;
  for (const std::string& field : spec.primary_key) {
    const TableSchema::Column& column = schema.columns()[schema.column_index(field)];
    std::string definition = quote_identifier(column.name);
    if (!sql_type(column.type).empty()) definition += " " + std::string(sql_type(column.type));
    definitions.push_back(std::move(definition));
    key.push_back(quote_identifier(column.name));
  }
  seen_db_ = std::make_unique<SQLite::Database>(
      seen_path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
  // Nothing here needs to survive a crash: a pass that did not complete is
  // started over, and its file replaced.
  seen_db_->exec(
      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;"
      "PRAGMA cache_size = -4096");
  seen_db_->exec(fill_template(sql::create_seen, {{"seen", std::string("seen")},
                                                  {"columns", joined(definitions, ",\n  ")},
                                                  {"key", joined(key, ", ")}}));
  seen_db_->exec("BEGIN");
  seen_uncommitted_ = 0;
  mark_seen_.reset();
  in_pass_ = true;
}

void FullPass::prepare_mark(const TableSchema& schema) {
  mark_seen_ = std::make_unique<SQLite::Statement>(
      *seen_db_, fill_template(sql::mark_seen, {{"seen", std::string("seen")},
                                                {"key", schema.key_columns()},
                                                {"values", schema.key_params()}}));
}

void FullPass::attach(SQLite::Database& db, const TableSchema& schema) {
  mark_seen_.reset();
  if (seen_db_) {
    seen_db_->exec(fill_template(sql::index_seen,
                                 {{"seen", std::string("seen")}, {"key", schema.key_columns()}}));
    seen_db_->exec("COMMIT");
    seen_db_.reset();
  }
  SQLite::Statement attach(db, std::string(sql::attach_seen));
  attach.bind(1, seen_path_);
  attach.exec();
  attached_ = true;
}

PassCounts FullPass::count(SQLite::Database& db, const TableSchema& schema) {
  SQLite::Statement q(db,
                      fill_template(sql::count_unseen,
                                    {{"table", schema.quoted_table()},
                                     {"seen", std::string(kSeen)},
                                     {"live", schema.deleted_column() == TableSchema::kOverflow
                                                  ? std::string("TRUE")
                                                  : quote_identifier(kDeletedColumn) + " IS NULL"},
                                     {"match", schema.key_match()}}));
  q.executeStep();
  return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()};
}

std::vector<std::pair<std::string, PassCounts>> FullPass::count_by_partition(
    SQLite::Database& db, const TableSchema& schema, const std::string& identity) {
  SQLite::Statement q(db,
                      fill_template(sql::count_unseen_by_partition,
                                    {{"table", schema.quoted_table()},
                                     {"seen", std::string(kSeen)},
                                     {"identity", identity},
                                     {"live", schema.deleted_column() == TableSchema::kOverflow
                                                  ? std::string("TRUE")
                                                  : quote_identifier(kDeletedColumn) + " IS NULL"},
                                     {"match", schema.key_match()}}));
  std::vector<std::pair<std::string, PassCounts>> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(),
                   PassCounts{q.getColumn(1).getInt64(), q.getColumn(2).getInt64(), 0}});
  return out;
}

std::int64_t FullPass::delete_unseen(SQLite::Database& db, const TableSchema& schema,
                                     const TableSpec& spec, const std::string& deleted_at,
                                     const std::string& stream, std::int64_t run_id) {
  if (spec.hard_delete) {
    std::vector<std::string> key_values;
    for (const std::string& field : spec.primary_key)
      key_values.push_back("t." +
                           quote_identifier(schema.columns()[schema.column_index(field)].name));
    SQLite::Statement log(
        db, fill_template(sql::log_unseen, {{"table", schema.quoted_table()},
                                            {"seen", std::string(kSeen)},
                                            {"match", schema.key_match()},
                                            {"key_values", joined(key_values, ", ")}}));
    log.bind(1, stream);
    log.bind(2, deleted_at);
    log.bind(3, run_id);
    log.exec();
    return db.exec(fill_template(sql::delete_unseen, {{"table", schema.quoted_table()},
                                                      {"seen", std::string(kSeen)},
                                                      {"match", schema.key_match()}}));
  }
  SQLite::Statement mark(db,
                         fill_template(sql::soft_delete_unseen, {{"table", schema.quoted_table()},
                                                                 {"seen", std::string(kSeen)},
                                                                 {"match", schema.key_match()}}));
  mark.bind(1, deleted_at);
  return mark.exec();
}

void FullPass::end(SQLite::Database& db) {
  in_pass_ = false;
  mark_seen_.reset();
  seen_db_.reset();  // an open transaction there is dropped with the file
  if (attached_) {
    attached_ = false;
    db.exec(std::string(sql::detach_seen));
  }
  for (const char* suffix : {"", "-journal", "-wal", "-shm"})
    std::remove((seen_path_ + suffix).c_str());
}

}  // namespace tsync
