// SPDX-License-Identifier: Apache-2.0
// A chain of pages: the cursor moves once, at the chain's end, and not at all
// when a record came twice with a newer version; the API's own duplicates are
// told apart; a fault forgets the pages since the last commit.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/recording_writer.hpp"
#include "sync/chain_sink.hpp"

using tsync::ChainSink;
using tsync::PageFacts;
using tsync::Tally;
using tsync::test::cursor_at;
using tsync::test::record_at;
using tsync::test::RecordingWriter;

namespace {

struct Chain {
  RecordingWriter writer;
  tsync::SyncObserver observer;
  tsync::RunCounters io;
  tsync::StreamConfig stream;
  Tally tally;
};

// Reads one page of (id, seconds) records whole.
void page(ChainSink& sink, PageFacts& facts, std::vector<std::pair<std::string, int>> records) {
  facts = PageFacts();
  sink.begin_page(facts);
  for (const auto& [id, t] : records) sink.on_record(record_at(id, t));
  sink.end_page();
}

}  // namespace

TEST_SUITE("chain_sink") {
  TEST_CASE("a settled chain moves the cursor once, to its newest record") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, true);
    PageFacts facts;
    page(sink, facts, {{"1", 101}, {"2", 105}});
    page(sink, facts, {{"3", 103}});
    CHECK(c.writer.commits.empty());
    CHECK(sink.finish(cursor_at(100), c.tally) == 0);
    REQUIRE(c.writer.commits.size() == 1);
    CHECK(c.writer.commits[0].cursor == "t105");
    CHECK(c.writer.commits[0].rows == 3);
    CHECK(c.tally.accepted == 3);
  }

  TEST_CASE("a record twice with a newer version: rows kept, the cursor stays, the key named") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, true);
    PageFacts facts;
    page(sink, facts, {{"1", 101}, {"2", 102}});
    page(sink, facts, {{"2", 109}, {"3", 103}});
    CHECK(!sink.page_only_repeats());
    CHECK(sink.finish(cursor_at(100), c.tally) == 1);
    REQUIRE(c.writer.commits.size() == 1);
    CHECK(!c.writer.commits[0].cursor);
    CHECK(c.tally.moved_keys == std::vector<std::string>{"2"});
    CHECK(c.tally.duplicates == 0);
  }

  TEST_CASE("the API's own duplicate (same version) is counted apart and the cursor moves") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, true);
    PageFacts facts;
    page(sink, facts, {{"1", 101}, {"1", 101}});
    CHECK(sink.finish(cursor_at(100), c.tally) == 0);
    CHECK(c.tally.duplicates == 1);
    CHECK(c.tally.duplicate_keys == std::vector<std::string>{"1"});
    CHECK(c.writer.last_cursor() == "t101");
  }

  TEST_CASE("a page of only records seen before: an API that ignores the paging parameter") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, true);
    PageFacts facts;
    page(sink, facts, {{"1", 101}, {"2", 102}});
    CHECK(!sink.page_only_repeats());
    page(sink, facts, {{"1", 101}, {"2", 102}});
    CHECK(sink.page_only_repeats());

    Chain keyset;  // keyset pages cannot slide: their keys are not tracked
    ChainSink untracked(keyset.writer, keyset.observer, keyset.io, keyset.stream, 1000, false);
    page(untracked, facts, {{"1", 101}});
    page(untracked, facts, {{"1", 101}});
    CHECK(!untracked.page_only_repeats());
    CHECK(untracked.finish(cursor_at(100), keyset.tally) == 0);
  }

  TEST_CASE("after a fault, the pages since the last commit are forgotten and read again") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1, true);
    PageFacts facts;
    page(sink, facts, {{"1", 101}});
    REQUIRE(sink.commit_due());
    sink.commit_rows(c.tally);
    page(sink, facts, {{"2", 102}});
    c.writer.rewind();
    sink.rewind();
    CHECK(sink.commit_due() == false);  // nothing uncommitted yet
    page(sink, facts, {{"2", 102}});    // the same page again: not a repeat
    CHECK(sink.commit_due());           // the first page read whole after a fault
    CHECK(sink.finish(cursor_at(100), c.tally) == 0);
    CHECK(c.writer.last_cursor() == "t102");
    CHECK(c.tally.accepted == 2);
    CHECK(c.tally.moved_keys.empty());
    CHECK(c.tally.duplicates == 0);
  }

  TEST_CASE("a window's chain moves the cursor to the window's end, even with no record") {
    Chain c;
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, true);
    PageFacts facts;
    page(sink, facts, {});
    CHECK(sink.finish(cursor_at(100), c.tally, cursor_at(200), false) == 0);
    CHECK(c.writer.last_cursor() == "t200");
  }

  TEST_CASE("last_record paging: each page's facts hold its last record's field") {
    Chain c;
    c.stream.pagination.type = tsync::PagingType::LastRecord;
    c.stream.pagination.field = "id";
    ChainSink sink(c.writer, c.observer, c.io, c.stream, 1000, false);
    PageFacts facts;
    page(sink, facts, {{"1", 101}, {"7", 102}});
    REQUIRE(facts.last_value);
    CHECK(*facts.last_value == "7");
    CHECK(facts.records == 2);
  }
}
