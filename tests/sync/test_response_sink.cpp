// SPDX-License-Identifier: Apache-2.0
// When the cursor of one answer may move: checkpoints at a change of
// timestamp, back to where the answer began for a record older than a
// checkpoint, the newest instant held back for an API that may cap answers.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/recording_writer.hpp"
#include "sync/response_sink.hpp"

using tsync::Cursor;
using tsync::ResponseSink;
using tsync::test::cursor_at;
using tsync::test::record_at;
using tsync::test::RecordingWriter;

namespace {

struct Answer {
  RecordingWriter writer;
  tsync::SyncObserver observer;
  tsync::RunCounters io;
  Cursor committed = cursor_at(100);
  std::int64_t table_rows = 0;
};

}  // namespace

TEST_SUITE("response_sink") {
  TEST_CASE("sorted records: a checkpoint at a change of timestamp, the newest at the end") {
    Answer a;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 2, a.table_rows);
    for (const auto& [id, t] : std::vector<std::pair<const char*, int>>{
             {"1", 101}, {"2", 101}, {"3", 102}, {"4", 103}})
      sink.on_record(record_at(id, t));
    // At the first record of 102, both of 101 are in: 101 is safe and due.
    REQUIRE(a.writer.commits.size() == 1);
    CHECK(a.writer.commits[0].cursor == "t101");
    CHECK(a.writer.commits[0].rows == 2);
    CHECK(a.committed.text == "t101");
    sink.finish();
    CHECK(a.writer.last_cursor() == "t103");
    CHECK(a.committed.text == "t103");
    CHECK(a.table_rows == 4);
    CHECK(sink.brought_newer());
    CHECK(sink.accepted() == 4);
    CHECK(!sink.before_asked());
  }

  TEST_CASE("no checkpoint before the table's own size in rows: the interval grows with it") {
    Answer a;
    a.table_rows = 10;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 2, a.table_rows);
    for (int i = 0; i < 6; ++i) sink.on_record(record_at(std::to_string(i), 101 + i));
    CHECK(a.writer.commits.empty());
  }

  TEST_CASE("a record older than a checkpoint moves the cursor back to where the answer began") {
    Answer a;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 1, a.table_rows);
    sink.on_record(record_at("1", 101));
    sink.on_record(record_at("2", 102));  // checkpoint at 101
    REQUIRE(a.writer.last_cursor() == "t101");
    sink.on_record(record_at("3", 100));  // out of order, at or below the checkpoint
    CHECK(a.writer.last_cursor() == "t100");
    CHECK(a.committed.text == "t100");
    sink.on_record(record_at("4", 104));  // unsorted now: no checkpoint for the rest
    CHECK(a.writer.last_cursor() == "t100");
    sink.finish();
    CHECK(a.writer.last_cursor() == "t104");
    CHECK(!sink.safe());
  }

  TEST_CASE("hold_newest: the rows commit, the cursor waits for the run's end") {
    Answer a;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 1000, a.table_rows,
                      true);
    sink.on_record(record_at("1", 101));
    sink.on_record(record_at("2", 102));
    sink.finish();
    REQUIRE(a.writer.commits.size() == 1);
    CHECK(!a.writer.commits[0].cursor);
    CHECK(a.writer.commits[0].rows == 2);
    CHECK(a.committed.text == "t100");
    REQUIRE(sink.newest());
    CHECK(sink.newest()->text == "t102");
    REQUIRE(sink.safe());
    CHECK(sink.safe()->text == "t101");
  }

  TEST_CASE("stopped early: the cursor only as far as every record up to it is stored") {
    Answer a;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 1000, a.table_rows);
    sink.on_record(record_at("1", 101));
    sink.on_record(record_at("2", 102));
    sink.on_record(record_at("3", 102));
    sink.finish_interrupted();
    CHECK(a.writer.last_cursor() == "t101");
    CHECK(a.writer.commits.back().rows == 3);
  }

  TEST_CASE("rejected records are counted with the first reason, and all at the asked instant is told") {
    Answer a;
    ResponseSink sink(a.writer, a.observer, a.io, a.committed, a.committed, 1000, a.table_rows);
    sink.on_rejected("{}", "no id");
    sink.on_rejected_with_key(record_at("9", 100), "{\"id\":9}", "bad date");
    sink.on_record(record_at("1", 100));
    CHECK(sink.rejected() == 2);
    CHECK(sink.first_reason() == "no id");
    CHECK(a.writer.rejected == std::vector<std::string>{"no id", "bad date"});
    CHECK(sink.all_at_asked());
    CHECK(!sink.brought_newer());
    sink.on_record(record_at("2", 99));
    CHECK(sink.before_asked());
  }
}
