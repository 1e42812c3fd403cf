// SPDX-License-Identifier: Apache-2.0
#pragma once

// The writes of a run with requests in flight (max_concurrency above 1): every
// chain of pages hands its rows over as whole transactions, and one thread
// applies them, one after another, in the order handed over.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/record.hpp"
#include "replica/replica.hpp"

namespace tsync {

// Where the records of a stream's responses go. A run of one request at a
// time hands them to the stream's BackgroundWriter; a run of many, to a
// UnitWriter per chain of pages.
class RowWriter {
 public:
  virtual ~RowWriter() = default;
  virtual void upsert(const Record& record) = 0;
  // With `keyed`, a full pass counts the rejected record's key as seen.
  virtual void reject(std::string_view raw, std::string_view reason, const Record* keyed) = 0;
  // Commits what was handed over since the last commit (after it, in order),
  // saving `cursor` as the stream's cursor when given. `io` is the caller's
  // count of requests, retries and bytes.
  virtual void commit(const Cursor* cursor, const RunCounters& io) = 0;
  // After a fault: forgets what was handed over since the last commit, and
  // rethrows a failure of the writes already handed over.
  virtual void rewind() = 0;
  // Records and rejects handed over since the last commit.
  virtual std::int64_t uncommitted_rows() const = 0;
  // The stream's row counters as far as they were written.
  virtual RunCounters counters() const = 0;
  // Cursors committed since the last call, oldest first.
  virtual std::vector<Cursor> take_committed_cursors() = 0;
  // From now on the run is a full pass (ReplicaWriter::begin_full_pass), as
  // when a change feed's token has expired and the feed is read again from
  // its beginning: what was handed over before is committed first.
  virtual void begin_full_pass(const std::optional<Cursor>& floor) = 0;
};

// One thread that runs the work handed to it, in order. At most `max_queued`
// pieces of work wait at a time: post() waits for room, which bounds the
// memory of the rows waiting to be written.
class WriteQueue {
 public:
  explicit WriteQueue(std::size_t max_queued);
  // Runs the work still queued, then stops the thread.
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues `work`, which must not throw (what it throws is lost).
  void post(std::function<void()> work);
  // Waits until every piece of work posted so far is done.
  void drain();

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable room_ready_;  // and: the queue is idle
  std::deque<std::function<void()>> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// One stream's writes in a run with requests in flight: its ReplicaWriter,
// used only on the WriteQueue's thread, and what that thread reports back.
class StreamLedger {
 public:
  explicit StreamLedger(ReplicaWriter& writer);

  ReplicaWriter& writer() { return writer_; }
  // Adds a chain's requests, retries and bytes to the stream's.
  void add_io(const RunCounters& delta);
  RunCounters io() const;
  RunCounters counters() const;
  std::vector<Cursor> take_committed_cursors();
  // Rethrows the failure of a transaction of the stream, if one failed.
  void rethrow_failure() const;

  struct Item {
    bool reject = false;
    Record record;  // a row, or the rejected record's key when `keyed`
    bool keyed = false;
    std::string raw, reason;
  };
  // A unit of work: rows, then the cursor they complete, if any.
  struct Unit {
    std::vector<Item> items;
    std::optional<Cursor> cursor;
  };
  // Hands a unit over, to be written by the next apply().
  void hand_over(Unit unit);
  // On the WriteQueue's thread, after the units handed over before: the
  // stream's run becomes a full pass.
  void begin_full_pass(const std::optional<Cursor>& floor) noexcept;
  // On the WriteQueue's thread: writes every unit handed over so far, in order,
  // each unit's cursor saved after its rows, and commits them in one
  // transaction (units that wait together commit together: fewer, larger
  // transactions when the writer is the bottleneck). After a failure the
  // transaction is rolled back and nothing more of the stream is written.
  void apply() noexcept;

 private:
  ReplicaWriter& writer_;
  mutable std::mutex mutex_;
  RunCounters io_;
  RunCounters counters_;
  std::vector<Cursor> committed_;
  std::exception_ptr failure_;
  std::vector<Unit> inbox_;  // handed over, not yet written
};

// The writes of one chain of pages in a run with requests in flight. Rows are
// kept until commit(), then handed to the WriteQueue as one transaction; a
// rewind() drops them unwritten. So that a long chain takes no more memory
// than a short one, rows held past kUnitRows records or kUnitFields fields are
// handed over and committed without a cursor (rows without a cursor are always
// safe to commit: the cursor, not the rows, says what is complete).
class UnitWriter : public RowWriter {
 public:
  static constexpr std::size_t kUnitRows = 2048;
  static constexpr std::size_t kUnitFields = 16384;

  UnitWriter(WriteQueue& queue, StreamLedger& ledger);

  void upsert(const Record& record) override;
  void reject(std::string_view raw, std::string_view reason, const Record* keyed) override;
  void commit(const Cursor* cursor, const RunCounters& io) override;
  void rewind() override;
  std::int64_t uncommitted_rows() const override { return uncommitted_; }
  RunCounters counters() const override { return ledger_.counters(); }
  std::vector<Cursor> take_committed_cursors() override { return ledger_.take_committed_cursors(); }
  void begin_full_pass(const std::optional<Cursor>& floor) override;
  // Adds the chain's requests, retries and bytes not yet counted to the stream's.
  void count_io(const RunCounters& io);

 private:
  StreamLedger::Item& next_item();
  void hand_over(const std::optional<Cursor>& cursor);

  WriteQueue& queue_;
  StreamLedger& ledger_;
  std::vector<StreamLedger::Item> items_;
  std::size_t fields_ = 0;
  std::int64_t uncommitted_ = 0;
  RunCounters io_counted_;
};

}  // namespace tsync
