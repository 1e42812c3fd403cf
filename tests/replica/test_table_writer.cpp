// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "common/errors.hpp"
#include "replica/replica.hpp"
#include "replica/replica_test_support.hpp"
#include "replica/table_writer.hpp"
#include "support/support.hpp"

using tsync::ColumnType;
using tsync::Record;
using tsync::ValueKind;

using tsync::test::make_record;

TEST_SUITE("table_writer") {
  TEST_CASE("declared types: values that fit follow the type, others are stored as sent") {
    tsync::test::TempDir dir;
    tsync::Replica replica(dir.file("replica.db"));
    tsync::ReplicaWriter writer(replica, "t",
                                spec_of("t", {{"amount", ColumnType::Decimal},
                                              {"label", ColumnType::String},
                                              {"qty", ColumnType::Int},
                                              {"price", ColumnType::Double},
                                              {"ok", ColumnType::Boolean},
                                              {"seen", ColumnType::UtcDatetime},
                                              {"doc", ColumnType::Json}}),
                                std::nullopt);
    writer.upsert(make_record({{"id", ValueKind::String, "a"},
                               {"updatedAt", ValueKind::String, "2024-01-15T12:30:00+02:00"},
                               {"amount", ValueKind::Real, "1.10"},
                               {"label", ValueKind::Integer, "5"},
                               {"qty", ValueKind::String, "05"},
                               {"price", ValueKind::Integer, "3"},
                               {"ok", ValueKind::Bool, "true"},
                               {"seen", ValueKind::String, "2024-01-01T01:00:00+01:00"},
                               {"doc", ValueKind::Json, "{\"a\":[1,2.50]}"}}));
    writer.upsert(make_record({{"id", ValueKind::String, "b"},
                               {"updatedAt", ValueKind::String, "2024-01-15T12:30:00Z"},
                               {"amount", ValueKind::String, "n/a"},
                               {"qty", ValueKind::String, "many"},
                               {"ok", ValueKind::String, "yes"},
                               {"seen", ValueKind::String, "last week"}}));
    writer.commit(nullptr, {});
    SQLite::Database& db = replica.db();
    CHECK(value_of(db, "t", "updatedAt", "a") ==
          std::pair<std::string, std::string>{"text", "2024-01-15T10:30:00.000000000Z"});
    CHECK(value_of(db, "t", "amount", "a") == std::pair<std::string, std::string>{"text", "1.10"});
    CHECK(value_of(db, "t", "label", "a") == std::pair<std::string, std::string>{"text", "5"});
    CHECK(value_of(db, "t", "qty", "a") == std::pair<std::string, std::string>{"integer", "5"});
    CHECK(value_of(db, "t", "price", "a") == std::pair<std::string, std::string>{"real", "3.0"});
    CHECK(value_of(db, "t", "ok", "a") == std::pair<std::string, std::string>{"integer", "1"});
    CHECK(value_of(db, "t", "seen", "a") ==
          std::pair<std::string, std::string>{"text", "2024-01-01T00:00:00.000000000Z"});
    CHECK(value_of(db, "t", "doc", "a") ==
          std::pair<std::string, std::string>{"text", "{\"a\":[1,2.50]}"});
    // Values that do not fit their type are kept as sent, not lost.
    CHECK(value_of(db, "t", "amount", "b") == std::pair<std::string, std::string>{"text", "n/a"});
    CHECK(value_of(db, "t", "qty", "b") == std::pair<std::string, std::string>{"text", "many"});
    CHECK(value_of(db, "t", "ok", "b") == std::pair<std::string, std::string>{"text", "yes"});
    CHECK(value_of(db, "t", "seen", "b") ==
          std::pair<std::string, std::string>{"text", "last week"});
    // Fields a record does not carry are NULL.
    CHECK(value_of(db, "t", "label", "b").first == "null");
    CHECK(value_of(db, "t", "doc", "b").first == "null");
  }

  TEST_CASE(
      "an older version never overwrites a newer one, and an identical replay changes nothing") {
    tsync::test::TempDir dir;
    tsync::Replica replica(dir.file("replica.db"));
    tsync::TableSpec spec = spec_of("t");
    spec.cursor_field = "ts";
    spec.cursor_format = tsync::CursorFormat::UnixMillis;
    tsync::ReplicaWriter writer(replica, "t", spec, std::nullopt);
    auto record = [](const char* ts, const char* value) {
      Record r;
      r.add() = {"id", ValueKind::Integer, "1"};
      r.add() = {"ts", ValueKind::Integer, ts};
      r.add() = {"v", ValueKind::String, value};
      r.cursor = *tsync::parse_cursor(tsync::CursorFormat::UnixMillis, ts);
      r.cursor_text = ts;
      r.cursor_index = 1;
      return r;
    };
    writer.upsert(record("1705314600123", "new"));
    writer.upsert(record("999", "old"));
    writer.upsert(record("1705314600123", "new"));
    CHECK(writer.counters().rows_new == 1);
    CHECK(writer.counters().rows_updated == 0);
    CHECK(writer.counters().rows_unchanged == 2);
    writer.upsert(record("1705314600123", "same time, new text"));
    CHECK(writer.counters().rows_updated == 1);
    writer.commit(nullptr, {});
    CHECK(replica.db().execAndGet("SELECT v || '/' || typeof(ts) FROM t").getString() ==
          "same time, new text/integer");
  }
}
