// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <set>
#include <stdexcept>
#include <string>

#include <SQLiteCpp/Database.h>

#include "replica/columns.hpp"

using tsync::ColumnType;

TEST_SUITE("columns") {
  TEST_CASE("quote_identifier makes any name an identifier SQLite reads back exactly") {
    SQLite::Database db(":memory:", SQLite::OPEN_READWRITE);
    const std::string names[] = {"plain",       "a\"b",   "\"",          "\"\"x\"\"",
                                 "[x]",         "`t`",    "a b",         "; DROP TABLE t; --",
                                 "select",      "",       "caf\xc3\xa9", "x')); DELETE FROM t; --",
                                 "line\nbreak", "{table}"};
    std::string columns;
    for (const std::string& name : names)
      columns += (columns.empty() ? "" : ", ") + tsync::quote_identifier(name);
    db.exec("CREATE TABLE " + tsync::quote_identifier("t \"1\"") + " (" + columns + ")");
    SQLite::Statement info(db, "SELECT name FROM pragma_table_info('t \"1\"') ORDER BY cid");
    for (const std::string& name : names) {
      REQUIRE(info.executeStep());
      CHECK(info.getColumn(0).getString() == name);
    }
    CHECK_FALSE(info.executeStep());
    CHECK(tsync::quote_identifier("a\"b") == "\"a\"\"b\"");
  }

  TEST_CASE("same_column_name folds ASCII case only, as SQLite does") {
    CHECK(tsync::same_column_name("Name", "name"));
    CHECK(tsync::same_column_name("NAME", "nAmE"));
    CHECK_FALSE(tsync::same_column_name("name", "name "));
    CHECK_FALSE(tsync::same_column_name("\xc3\x89", "\xc3\xa9"));  // É and é differ
    CHECK(tsync::same_column_name("", ""));
  }

  TEST_CASE("column_name_for keeps a name unless SQLite cannot hold it as it is") {
    std::set<std::string> taken_names;
    auto taken = [&](std::string_view candidate) {
      for (const std::string& t : taken_names)
        if (tsync::same_column_name(t, candidate)) return true;
      return false;
    };
    auto add = [&](std::string_view field) {
      std::string name = tsync::column_name_for(field, taken);
      taken_names.insert(name);
      return name;
    };
    CHECK(add("name") == "name");
    CHECK(add("Name") == "Name~2");
    CHECK(add("NAME") == "NAME~3");
    CHECK(add("Name~2") == "Name~2~2");  // taken by the case twin above
    CHECK(add("") == "");
    CHECK(add(std::string("a\0b", 3)) == "a\\u0000b");
    CHECK(add("_tsync_extra") == "_tsync_extra~2");
    CHECK(add("_TSYNC_deleted_at") == "_TSYNC_deleted_at~2");
    CHECK(add("_tsync") == "_tsync");
    CHECK(add("a\"b; --") == "a\"b; --");
  }

  TEST_CASE("type names are Fivetran's, each with its SQLite affinity") {
    CHECK(tsync::column_type_from_name("STRING") == ColumnType::String);
    CHECK(tsync::column_type_from_name("UTC_DATETIME") == ColumnType::UtcDatetime);
    CHECK(tsync::column_type_from_name("DECIMAL") == ColumnType::Decimal);
    CHECK_FALSE(tsync::column_type_from_name("string").has_value());
    CHECK_FALSE(tsync::column_type_from_name("").has_value());
    CHECK_FALSE(tsync::column_type_from_name("TEXT").has_value());
    CHECK(tsync::column_type_names() ==
          "STRING, UTC_DATETIME, NAIVE_DATETIME, NAIVE_DATE, BOOLEAN, SHORT, INT, LONG, FLOAT, "
          "DOUBLE, DECIMAL, JSON, BINARY");
    for (const char* name :
         {"STRING", "UTC_DATETIME", "NAIVE_DATETIME", "NAIVE_DATE", "BOOLEAN", "SHORT", "INT",
          "LONG", "FLOAT", "DOUBLE", "DECIMAL", "JSON", "BINARY"}) {
      const auto type = tsync::column_type_from_name(name);
      REQUIRE(type.has_value());
      CHECK(tsync::column_type_name(*type) == name);
    }
    CHECK(tsync::sql_type(ColumnType::Any) == "");
    CHECK(tsync::sql_type(ColumnType::Int) == "INTEGER");
    CHECK(tsync::sql_type(ColumnType::Double) == "REAL");
    CHECK(tsync::sql_type(ColumnType::Decimal) == "TEXT");  // exact digits
    CHECK(tsync::sql_type(ColumnType::Binary) == "BLOB");
  }

  TEST_CASE("fill_template fills placeholders, leaves comments alone, refuses unknown ones") {
    CHECK(tsync::fill_template("-- {a} stays\nSELECT {a}, {b} FROM {a}; -- {zzz}\n",
                               {{"a", "\"x\""}, {"b", "\"{a}\""}}) ==
          "-- {a} stays\nSELECT \"x\", \"{a}\" FROM \"x\"; -- {zzz}\n");
    CHECK_THROWS_AS(tsync::fill_template("SELECT {nope}", {}), std::logic_error);
    CHECK_THROWS_AS(tsync::fill_template("SELECT {open", {{"open", "x"}}), std::logic_error);
  }
}
