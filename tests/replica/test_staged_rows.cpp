// SPDX-License-Identifier: Apache-2.0
// StagedRows: the external sort behind a staged transaction. Rows come back in
// key order, arrival order within a key, whether they stayed in memory or went
// through sorted runs in the temporary file; a run that cannot be written is an
// error that says where and what to do.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.hpp"
#include "replica/staged_rows.hpp"
#include "support/support.hpp"

using tsync::StagedRows;

namespace {

// A staged row of the test: an integer or a text key, and two values: its
// arrival number (column 0) and a text of its own (column 1).
struct Item {
  bool integer_key = false;
  std::int64_t n = 0;
  std::string text;
  std::int64_t arrival = 0;
  std::string payload;
};

// SQLite's order: integers before texts, texts by their bytes; then arrival.
bool before(const Item& a, const Item& b) {
  if (a.integer_key != b.integer_key) return a.integer_key;
  if (a.integer_key ? a.n != b.n : a.text != b.text)
    return a.integer_key ? a.n < b.n : a.text < b.text;
  return a.arrival < b.arrival;
}

std::vector<Item> items(unsigned seed, int count) {
  std::mt19937 rng(seed);
  std::vector<Item> out;
  for (int i = 0; i < count; ++i) {
    Item item;
    item.arrival = i;
    if (rng() % 4 == 0) {
      item.integer_key = true;
      item.n = static_cast<std::int64_t>(rng() % 200) - 100;  // negative ones too
    } else {
      // Few distinct keys, so that many arrive more than once; a NUL inside one.
      item.text = "k" + std::to_string(rng() % 300);
      if (rng() % 50 == 0) item.text += std::string(1, '\0') + "x";
    }
    item.payload = std::string(rng() % 40, static_cast<char>('a' + i % 26));
    out.push_back(item);
  }
  return out;
}

void add(StagedRows& rows, StagedRows::Builder& b, const Item& item) {
  b.clear();
  if (item.integer_key)
    b.key_integer(item.n);
  else
    b.key_text(item.text);
  b.integer(0, item.arrival);
  b.text(1, item.payload);
  if (item.arrival % 7 == 0) b.null(2);
  if (item.arrival % 5 == 0) b.real(3, 0.5 * static_cast<double>(item.arrival));
  rows.add(b, item.arrival % 3 == 0);
}

// What merge() hands over, as (arrival, payload, tombstone, values seen).
std::vector<std::tuple<std::int64_t, std::string, bool, int>> merged(StagedRows& rows) {
  std::vector<std::tuple<std::int64_t, std::string, bool, int>> out;
  rows.merge([&](const StagedRows::Row& row) {
    std::int64_t arrival = -1;
    std::string payload;
    int values = 0;
    row.each_value([&](std::size_t column, StagedRows::Kind kind, std::int64_t n, double d,
                       std::string_view text) {
      ++values;
      if (column == 0 && kind == StagedRows::Kind::Integer) arrival = n;
      if (column == 1 && kind == StagedRows::Kind::Text) payload.assign(text);
      if (column == 2) CHECK(kind == StagedRows::Kind::Null);
      if (column == 3) CHECK(d == 0.5 * static_cast<double>(arrival));
    });
    out.emplace_back(arrival, payload, row.tombstone(), values);
  });
  return out;
}

void check_order(const std::vector<Item>& in, StagedRows& rows) {
  std::vector<Item> expected = in;
  std::stable_sort(expected.begin(), expected.end(), before);
  const auto got = merged(rows);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    const Item& e = expected[i];
    CHECK(std::get<0>(got[i]) == e.arrival);
    CHECK(std::get<1>(got[i]) == e.payload);
    CHECK(std::get<2>(got[i]) == (e.arrival % 3 == 0));
    CHECK(std::get<3>(got[i]) == 2 + (e.arrival % 7 == 0) + (e.arrival % 5 == 0));
  }
}

}  // namespace

TEST_SUITE("staged rows") {
  TEST_CASE("rows held in memory come back in key order, arrival order within a key") {
    const auto in = items(1, 2000);
    StagedRows rows(64 << 20, "replica.db");
    StagedRows::Builder b;
    for (const Item& item : in) add(rows, b, item);
    CHECK(rows.rows() == 2000);
    CHECK(rows.runs() == 0);
    check_order(in, rows);
  }

  TEST_CASE("rows past the memory budget go through sorted runs and merge into one order") {
    for (unsigned seed : {2u, 3u}) {
      CAPTURE(seed);
      const auto in = items(seed, 20000);
      StagedRows rows(16 * 1024, "replica.db");  // dozens of rows a run
      StagedRows::Builder b;
      for (const Item& item : in) add(rows, b, item);
      CHECK(rows.runs() > 20);
      check_order(in, rows);
      // Cleared, the rows and the file are gone; the next transaction starts afresh.
      rows.clear();
      CHECK(rows.rows() == 0);
      CHECK(rows.runs() == 0);
      const auto again = items(seed + 10, 3000);
      for (const Item& item : again) add(rows, b, item);
      check_order(again, rows);
    }
  }

  TEST_CASE("a row larger than the memory budget and the read buffers passes whole") {
    StagedRows rows(4096, "replica.db");
    StagedRows::Builder b;
    std::vector<Item> in;
    for (int i = 0; i < 40; ++i) {
      Item item;
      item.text = "k" + std::to_string(39 - i);
      item.arrival = i;
      item.payload = std::string(i % 4 == 0 ? 300000 : 10, static_cast<char>('a' + i % 26));
      in.push_back(item);
      add(rows, b, item);
    }
    CHECK(rows.runs() >= 4);
    check_order(in, rows);
  }

  TEST_CASE("a run that cannot be written fails with where and what to do") {
    // No file of the child may grow past 256 KB: the runs' does.
    const auto outcome = tsync::test::run_with_file_limit(256 << 10, [] {
      StagedRows rows(16 * 1024, "replica.db");
      StagedRows::Builder b;
      for (const Item& item : items(4, 20000)) add(rows, b, item);
    });
    const std::string& message = outcome.message;
    CAPTURE(message);
    CHECK(outcome.exited == 3);
    CHECK(message.find("replica.db: writing a large transaction's staged rows") == 0);
    CHECK(message.find("File too large") != std::string::npos);
    CHECK(message.find("SQLITE_TMPDIR") != std::string::npos);
    CHECK(message.find("the replica keeps its last committed state") != std::string::npos);
  }

  TEST_CASE("a run that fails on the spill thread after the last row fails the merge") {
    // One run only, handed to the spill thread by the last rows added: no add()
    // follows to report its failure, so the merge must.
    const auto outcome = tsync::test::run_with_file_limit(1024, [] {
      StagedRows rows(16 * 1024, "replica.db");
      StagedRows::Builder b;
      const auto in = items(7, 400);
      std::size_t bytes = 0;
      for (const Item& item : in) {
        add(rows, b, item);
        bytes += 30 + item.text.size() + item.payload.size();
        if (bytes > 12 * 1024) break;  // past half the budget, short of all of it
      }
      rows.merge([](const StagedRows::Row&) {});
      std::fputs("the merge went on over a run that was never written", stderr);
      ::_exit(5);
    });
    const std::string& message = outcome.message;
    CAPTURE(message);
    CHECK(outcome.exited == 3);
    CHECK(message.find("replica.db: writing a large transaction's staged rows") == 0);
    CHECK(message.find("File too large") != std::string::npos);
  }

  TEST_CASE("memory kept from one transaction to the next holds none of its rows") {
    // Cleared after a merge, and after half a transaction (the rollback's
    // case), or given back, the next transaction sees its own rows only.
    StagedRows rows(16 * 1024, "replica.db");
    StagedRows::Builder b;
    for (unsigned seed : {8u, 9u, 10u}) {
      CAPTURE(seed);
      const auto in = items(seed, seed == 9 ? 300 : 5000);  // 9: no run at all
      for (const Item& item : in) add(rows, b, item);
      check_order(in, rows);
      rows.clear();
      // Half a transaction given up before its merge.
      for (const Item& item : items(seed + 100, 2000)) add(rows, b, item);
      rows.clear();
      CHECK(rows.rows() == 0);
    }
    // Given back (before an index build), the memory is taken again as needed.
    for (const Item& item : items(11, 700)) add(rows, b, item);
    rows.release();
    CHECK(rows.rows() == 0);
    CHECK(rows.runs() == 0);
    const auto in = items(12, 4000);
    for (const Item& item : in) add(rows, b, item);
    check_order(in, rows);
  }

  TEST_CASE("the temporary file goes where SQLITE_TMPDIR says, with no name left behind") {
    char folder[] = "/tmp/tsync-staged-XXXXXX";
    REQUIRE(::mkdtemp(folder) != nullptr);
    const char* before = std::getenv("SQLITE_TMPDIR");
    const std::string saved = before ? before : "";
    ::setenv("SQLITE_TMPDIR", folder, 1);
    {
      StagedRows rows(4096, "replica.db");
      StagedRows::Builder b;
      const auto in = items(5, 3000);
      for (const Item& item : in) add(rows, b, item);
      CHECK(rows.runs() > 0);
      CHECK(tsync::test::open_files_in(folder).size() == 1);
      check_order(in, rows);
    }
    if (before)
      ::setenv("SQLITE_TMPDIR", saved.c_str(), 1);
    else
      ::unsetenv("SQLITE_TMPDIR");
    CHECK(tsync::test::open_files_in(folder).empty());
    CHECK(::rmdir(folder) == 0);  // empty: nothing was left in it
  }

  TEST_CASE("a run cut short under the merge fails with where and what to do") {
    tsync::test::ScopedTmpdir tmp;
    StagedRows rows(4096, "replica.db");
    StagedRows::Builder b;
    for (const Item& item : items(6, 3000)) add(rows, b, item);
    REQUIRE(rows.runs() > 2);
    REQUIRE(tsync::test::cut_short_the_file_in(tmp.path()));
    try {
      rows.merge([](const StagedRows::Row&) {});
      FAIL("the merge read a run that was cut short");
    } catch (const tsync::Error& e) {
      const std::string message = e.what();
      CAPTURE(message);
      CHECK(message.find("replica.db: reading a large transaction's staged rows") == 0);
      CHECK(message.find(tmp.path()) != std::string::npos);
      CHECK(message.find("the replica keeps its last committed state") != std::string::npos);
    }
  }
}
