// SPDX-License-Identifier: Apache-2.0
#pragma once
// One stream's run: where it starts, its writer, what it counted, how it ends.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "config/config.hpp"
#include "replica/background_writer.hpp"
#include "replica/replica.hpp"
#include "replica/write_queue.hpp"
#include "sync/partitions.hpp"
#include "sync/request.hpp"
#include "sync/scheduler.hpp"
#include "sync/sync.hpp"
#include "sync/tally.hpp"

namespace tsync {

// The records of a run of one request at a time go to the stream's
// BackgroundWriter; a fault rolls its ReplicaWriter back to the last commit.
class BackgroundRows : public RowWriter {
 public:
  BackgroundRows(BackgroundWriter& background, ReplicaWriter& writer)
      : background_(background), writer_(writer) {}
  void upsert(const Record& record) override { background_.upsert(record); }
  void reject(std::string_view raw, std::string_view reason, const Record* keyed) override {
    background_.reject(raw, reason, keyed);
  }
  void commit(const Cursor* cursor, const RunCounters& io) override {
    background_.commit(cursor, io);
  }
  void rewind() override {
    background_.settle();
    writer_.rollback();
  }
  std::int64_t uncommitted_rows() const override { return background_.uncommitted_rows(); }
  RunCounters counters() const override { return background_.counters(); }
  std::vector<Cursor> take_committed_cursors() override {
    return background_.take_committed_cursors();
  }
  void begin_full_pass(const std::optional<Cursor>& floor) override {
    background_.settle();
    writer_.begin_full_pass(floor);
  }

 private:
  BackgroundWriter& background_;
  ReplicaWriter& writer_;
};

// One stream's run: where it starts, its writer, and what it has counted.
// Made and finished where the replica may be written (the caller's thread in
// a run of one request at a time, the WriteQueue's in a run of many).
struct StreamRun {
  // A child stream's run lists its partitions, and deletes the rows of those
  // whose parent is gone, each with its _partition row, before anything is read.
  StreamRun(const Config& settings, const StreamConfig& of, Replica& replica, SyncReport& into,
            bool full_pass, std::shared_ptr<Authenticator> authenticator,
            SyncObserver* observer = nullptr);

  // The report's counters, cursor and time, from the writer and `io`.
  void fill_report(const RunCounters& io);

  // Everything was read (`repeats` records came twice): warns of responses
  // rejected whole and of records that came twice, fails a run that stored
  // nothing and rejected everything, reconciles a full pass, and ends the run.
  void finish_ok(const RunCounters& io);

  // The run stopped (`status` "interrupted") or failed ("error") with `e`.
  void finish_failed(const RunCounters& io, std::string_view status, const std::exception& e);

  const Config& config;
  const StreamConfig& stream;
  SyncReport& report;
  bool full;  // a change feed whose token expired becomes a full pass mid-run
  std::shared_ptr<Authenticator> auth;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point>
      ended;         // with requests in flight: its last job's end
  Cursor committed;  // where the run starts; an unpaged run moves it
  std::optional<Cursor> saved;  // the cursor saved before the run (a change feed's token)
  std::unique_ptr<ReplicaWriter> writer;
  std::int64_t table_rows = 0;
  const HttpOptions http;
  RateLimiter rate;
  Tally tally;
  std::int64_t repeats = 0;
  // A child stream's partitions: which this run reads, and how they went.
  std::unique_ptr<PartitionPlan> partitions;

 private:
  void start_partitions(Replica& replica, SyncObserver* observer);
};

// Reads the whole of a stream, as its configuration says: in windows of time,
// as one chain of pages, or asking from the cursor while there is more.
std::int64_t read_stream(StreamRun& run, const Transport& net, RowWriter& rows,
                         SyncObserver& observer, RunCounters& io);

}  // namespace tsync
