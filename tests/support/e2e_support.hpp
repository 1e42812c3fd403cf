// SPDX-License-Identifier: Apache-2.0
#pragma once
// Helpers for end-to-end tests: a replica in a temp dir synced from the
// in-process mock API, and comparison of the replica with the mock's truth.

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/timestamp.hpp"
#include "config/config.hpp"
#include "mock/mock_api.hpp"
#include "support/support.hpp"
#include "sync/sync.hpp"

namespace e2e {

// A private temp dir, removed with everything in it.
using ScratchDir = tsync::test::TempDir;

// The set-up of most end-to-end tests: a scratch dir and a started mock API.
// Tests bind its parts by name: `auto& [dir, api] = scene;`.
struct Scene {
  explicit Scene(const tsync::mock::Options& options) : api(options) { api.start(); }
  explicit Scene(std::size_t users) : Scene(with_users(users)) {}

  ScratchDir dir;
  tsync::mock::MockApi api;

 private:
  static tsync::mock::Options with_users(std::size_t users) {
    tsync::mock::Options options;
    options.users = users;
    return options;
  }
};

// Records what a sync reported, for assertions.
class RecordingObserver : public tsync::SyncObserver {
 public:
  void on_request(const std::string& url) override { urls.push_back(url); }
  void on_retry(const std::string& reason, double wait, int, int) override {
    retries.push_back(reason);
    waits.push_back(wait);
  }
  void on_checkpoint(const tsync::Cursor& cursor, const tsync::RunCounters&) override {
    checkpoints.push_back(cursor.text);
  }
  std::vector<std::string> urls, retries, checkpoints;
  std::vector<double> waits;
};

inline tsync::Config config_for(const tsync::mock::MockApi& api, const ScratchDir& dir) {
  tsync::Config config;
  config.streams = {tsync::user_stream(api.base_url())};
  config.database = dir.file("replica.db");
  config.timeout_seconds = 2;
  config.retry_base_seconds = 0.01;
  config.max_retries = 3;
  // The first rows of a transaction row by row, the rest staged and applied in
  // key order at its commit: every end-to-end test runs both paths.
  config.sorted_apply_rows = 7;
  return config;
}

struct Row {
  std::string name, email, address, company, job, updatedAt, createdAt;
};

inline std::map<std::string, Row> read_rows(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(
      db, "SELECT id, name, email, address, company, job, updatedAt, createdAt FROM user");
  std::map<std::string, Row> rows;
  while (q.executeStep()) {
    auto text = [&](int i) { return q.getColumn(i).getString(); };
    rows[text(0)] = Row{text(1), text(2), text(3), text(4), text(5), text(6), text(7)};
  }
  return rows;
}

inline std::string normalised(const std::string& api_text) {
  const auto instant = tsync::parse_timestamp(api_text);
  REQUIRE_MESSAGE(instant, "mock served an unparseable timestamp: " << api_text);
  return tsync::format_utc(*instant);
}

// The replica holds exactly the mock's users, field by field.
inline void check_replica_equals(const std::string& db_path,
                                 const tsync::mock::MockApi& api_const) {
  auto& api = const_cast<tsync::mock::MockApi&>(api_const);
  const auto truth = api.store().snapshot();
  const auto rows = read_rows(db_path);
  REQUIRE(rows.size() == truth.size());
  for (const auto& u : truth) {
    const auto it = rows.find(u.id);
    REQUIRE_MESSAGE(it != rows.end(), "missing id " << u.id);
    const Row& r = it->second;
    CHECK(r.name == u.name);
    CHECK(r.email == u.email);
    CHECK(r.address == u.address);
    CHECK(r.company == u.company);
    CHECK(r.job == u.job);
    CHECK(r.updatedAt == normalised(u.updatedAt));
    CHECK(r.createdAt == normalised(u.createdAt));
  }
}

// The first column of the first row of `sql`, as text ("" for NULL).
inline std::string text_of(const std::string& db_path, const std::string& sql) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, sql);
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

inline std::string saved_cursor(const std::string& db_path) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT last_timestamp FROM _state WHERE stream = 'user'");
  if (!q.executeStep() || q.getColumn(0).isNull()) return "";
  return q.getColumn(0).getString();
}

// How many of the mock's users have updatedAt <= `cursor` (a timestamp's text).
inline std::int64_t users_covered(tsync::mock::MockApi& api, const std::string& cursor) {
  const auto instant = tsync::parse_timestamp(cursor);
  REQUIRE_MESSAGE(instant, "not a timestamp: " << cursor);
  std::int64_t n = 0;
  for (const auto& u : api.store().snapshot()) n += u.updated <= *instant ? 1 : 0;
  return n;
}

// The API's text of the newest updatedAt among the mock's users.
inline std::string newest_text(tsync::mock::MockApi& api) {
  const auto truth = api.store().snapshot();
  REQUIRE(!truth.empty());
  return truth.back().updatedAt;
}

// One top-level field of a served record, read independently of tsync's parser:
// its JSON kind and its exact text (a string unescaped, a number as written, an
// object or array as compact JSON).
struct TruthField {
  enum Kind { Null, String, Number, Bool, Json } kind = Null;
  std::string text;
};

// Reads the top-level fields of one JSON object, in order.
inline std::vector<std::pair<std::string, TruthField>> truth_fields(const std::string& json) {
  struct Handler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Handler> {
    std::vector<std::pair<std::string, TruthField>> fields;
    int depth = 0;
    rapidjson::StringBuffer nested;
    rapidjson::Writer<rapidjson::StringBuffer> writer{nested};
    bool value(TruthField::Kind kind, std::string text) {
      fields.back().second = TruthField{kind, std::move(text)};
      return true;
    }
    bool Null() { return depth > 1 ? writer.Null() : value(TruthField::Null, ""); }
    bool Bool(bool b) {
      return depth > 1 ? writer.Bool(b) : value(TruthField::Bool, b ? "true" : "false");
    }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
      return depth > 1 ? writer.RawValue(s, n, rapidjson::kNumberType)
                       : value(TruthField::Number, std::string(s, n));
    }
    bool String(const char* s, rapidjson::SizeType n, bool) {
      return depth > 1 ? writer.String(s, n) : value(TruthField::String, std::string(s, n));
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
      if (depth > 1) return writer.Key(s, n);
      fields.emplace_back(std::string(s, n), TruthField{});
      return true;
    }
    bool open(bool object) {
      if (++depth == 1) return object;
      if (depth == 2) {
        nested.Clear();
        writer.Reset(nested);
      }
      return object ? writer.StartObject() : writer.StartArray();
    }
    bool close(bool object) {
      if (--depth == 0) return true;
      const bool ok = object ? writer.EndObject() : writer.EndArray();
      if (depth == 1) return value(TruthField::Json, nested.GetString());
      return ok;
    }
    bool StartObject() { return open(true); }
    bool EndObject(rapidjson::SizeType) { return close(true); }
    bool StartArray() { return open(false); }
    bool EndArray(rapidjson::SizeType) { return close(false); }
  } handler;
  rapidjson::Reader reader;
  rapidjson::StringStream in(json.c_str());
  REQUIRE_MESSAGE(reader.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, handler),
                  "the mock served invalid JSON: " << json);
  return handler.fields;
}

// The column holding each field of a stream's table, from _columns.
inline std::map<std::string, std::string> column_of_field(SQLite::Database& db,
                                                          const std::string& table) {
  SQLite::Statement q(db, "SELECT field, column_name FROM _columns WHERE table_name = ?1");
  q.bind(1, table);
  std::map<std::string, std::string> columns;
  while (q.executeStep()) columns[q.getColumn(0).getString()] = q.getColumn(1).getString();
  return columns;
}

inline std::string quoted(const std::string& name) {
  std::string q = "\"";
  for (const char c : name) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// The rows of `table` a reader sees now: 0 while the replica or the table does
// not exist yet or cannot be read at this moment. For waiting on a sync that
// runs in another process.
inline std::int64_t committed_rows(const std::string& db_path, const std::string& table) {
  try {
    if (!std::filesystem::exists(db_path)) return 0;
    SQLite::Database db(db_path, SQLite::OPEN_READONLY);
    if (!db.tableExists(table)) return 0;
    return db.execAndGet("SELECT count(*) FROM " + quoted(table)).getInt64();
  } catch (const SQLite::Exception&) {
    return 0;
  }
}

// Checks that a stored SQLite value is what tsync promises for a field of an
// undeclared column (or the cursor field, stored by its format).
inline void check_value(const SQLite::Column& stored, const TruthField& sent, bool iso_cursor,
                        const std::string& what) {
  CAPTURE(what);
  CAPTURE(sent.text);
  auto bytes = [&] {
    return std::string(static_cast<const char*>(stored.getBlob()),
                       static_cast<std::size_t>(stored.getBytes()));
  };
  switch (sent.kind) {
    case TruthField::Null:
      CHECK(stored.isNull());
      break;
    case TruthField::Bool:
      REQUIRE(stored.isInteger());
      CHECK(stored.getInt64() == (sent.text == "true" ? 1 : 0));
      break;
    case TruthField::String:
      REQUIRE(stored.isText());
      CHECK(bytes() == (iso_cursor ? normalised(sent.text) : sent.text));
      break;
    case TruthField::Number: {
      const bool integer = sent.text.find_first_of(".eE") == std::string::npos;
      errno = 0;
      char* end = nullptr;
      const long long n = std::strtoll(sent.text.c_str(), &end, 10);
      if (integer && errno == 0) {
        REQUIRE(stored.isInteger());
        CHECK(stored.getInt64() == n);
      } else if (integer) {  // beyond 64 bits: its digits as text
        REQUIRE(stored.isText());
        CHECK(bytes() == sent.text);
      } else {
        REQUIRE(stored.isFloat());
        CHECK(stored.getDouble() == std::strtod(sent.text.c_str(), nullptr));
      }
      break;
    }
    case TruthField::Json: {
      REQUIRE(stored.isText());
      rapidjson::Document a, b;
      a.Parse(bytes().c_str());
      b.Parse(sent.text.c_str());
      CHECK(a == b);
      break;
    }
  }
}

// The stream's table holds exactly the store's records (raw ones left out),
// every field in the column _columns names, value by value and type by type;
// the table's other columns are NULL in a record's row.
inline void check_table_equals(const std::string& db_path, const std::string& table,
                               const tsync::mock::RecordStore& store) {
  SQLite::Database db(db_path, SQLite::OPEN_READONLY);
  const auto columns = column_of_field(db, table);
  const tsync::mock::RecordSchema schema = store.schema();
  const bool iso = schema.cursor_format == tsync::mock::CursorFormat::Iso8601;
  std::size_t served = 0;
  std::vector<std::string> table_columns;
  {
    SQLite::Statement info(db, "SELECT name FROM pragma_table_info(?1)");
    info.bind(1, table);
    while (info.executeStep()) table_columns.push_back(info.getColumn(0).getString());
  }
  for (const auto& record : store.snapshot()) {
    if (record.raw) continue;
    ++served;
    const auto fields = truth_fields(record.json);
    std::string where = " WHERE id = ?1";
    if (record.account_id) where += " AND account_id = ?2";
    SQLite::Statement q(db, "SELECT * FROM " + quoted(table) + where);
    const bool integer_id = schema.key != tsync::mock::KeyKind::Uuid;
    if (integer_id)
      q.bind(1, static_cast<std::int64_t>(std::stoll(record.id)));
    else
      q.bind(1, record.id);
    if (record.account_id) q.bind(2, *record.account_id);
    REQUIRE_MESSAGE(q.executeStep(), "no row for " << record.json);
    std::map<std::string, bool> seen;
    for (const auto& [field, value] : fields) {
      const auto it = columns.find(field);
      REQUIRE_MESSAGE(it != columns.end(), "no column for field " << field);
      const int index = q.getColumnIndex(it->second.c_str());
      check_value(q.getColumn(index), value, iso && field == schema.cursor_field,
                  table + "." + field);
      seen[it->second] = true;
    }
    for (const std::string& column : table_columns)
      if (!seen[column]) CHECK_MESSAGE(q.getColumn(column.c_str()).isNull(), column);
  }
  CHECK(db.execAndGet("SELECT count(*) FROM " + quoted(table)).getInt64() ==
        static_cast<std::int64_t>(served));
}

// The configuration marked `<!-- tested: NAME -->` in docs/parents-and-children.md,
// its mock address replaced by `origin`, its database by `db`.
inline std::string documented_configuration(const std::string& name, const std::string& origin,
                                      const std::string& db) {
  std::ifstream in(std::string(TSYNC_SOURCE_DIR) + "/docs/parents-and-children.md");
  REQUIRE(in);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t marker = text.find("<!-- tested: " + name + " -->\n```json\n");
  REQUIRE_MESSAGE(marker != std::string::npos, "no configuration marked " << name);
  const std::size_t start = text.find("```json\n", marker) + 8;
  const std::size_t end = text.find("```", start);
  std::string config = text.substr(start, end - start);
  for (std::size_t at; (at = config.find("http://127.0.0.1:5001")) != std::string::npos;)
    config.replace(at, 21, origin);
  const std::size_t database = config.find("\"database\": \"");
  REQUIRE(database != std::string::npos);
  const std::size_t value = database + 13;
  config.replace(value, config.find('"', value) - value, db);
  return config;
}

}  // namespace e2e
