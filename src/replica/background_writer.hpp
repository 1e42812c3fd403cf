// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
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

// Runs a ReplicaWriter on a thread of its own, so that SQLite's work overlaps
// the download and parsing of the body (on two cores almost all of a large sync
// is SQLite's). Records are copied into batches that are reused, so the hot path
// allocates nothing once the batches have grown; at most kMaxBatches batches are
// queued, which bounds memory whatever the size of the response.
//
// Work is done in the order it was handed over. While work is queued the
// ReplicaWriter belongs to the thread: touch it again only after drain() or
// settle().
// A failure on the thread (a full disk, say) stops all further work and is
// rethrown to the caller by the next upsert(), reject(), commit() or drain().
class BackgroundWriter {
 public:
  static constexpr std::size_t kBatchRows = 512;
  // A batch is also handed over once its records hold this many fields, so
  // that wide records take no more memory than narrow ones.
  static constexpr std::size_t kBatchFields = 4096;
  static constexpr std::size_t kMaxBatches = 8;

  explicit BackgroundWriter(ReplicaWriter& writer);
  // Stops the thread; work still queued is dropped (the writer rolls it back).
  ~BackgroundWriter();
  BackgroundWriter(const BackgroundWriter&) = delete;
  BackgroundWriter& operator=(const BackgroundWriter&) = delete;

  void upsert(const Record& record);
  // With `keyed`, the rejected record's key is marked seen in a full pass.
  void reject(std::string_view raw, std::string_view reason, const Record* keyed = nullptr);
  // Queues ReplicaWriter::commit(cursor, io) after everything handed over so far.
  void commit(const Cursor* cursor, const RunCounters& io);
  // Waits until everything handed over is done; rethrows a failure of the thread.
  void drain();
  // After a fault: drops the rows handed over since the last reject() or
  // commit() (they were never going to be committed), waits for the work
  // queued before them, and rethrows a failure of the thread.
  void settle();
  // settle() for paths already handling an error: a failure of the thread is
  // left unsaid.
  void settle_quietly() noexcept;

  // Rows handed over since the last commit().
  std::int64_t uncommitted_rows() const { return uncommitted_; }
  // The writer's row counters as of the last batch it finished.
  RunCounters counters() const;
  // Cursors committed since the last call, oldest first.
  std::vector<Cursor> take_committed_cursors();

 private:
  struct Batch {
    std::vector<Record> records;
    std::size_t size = 0;
    std::size_t fields = 0;  // fields of records[0, size)
  };
  struct Item {
    enum class Kind { Rows, Reject, Commit } kind = Kind::Rows;
    std::unique_ptr<Batch> batch;
    std::string raw, reason;
    std::optional<Record> keyed;
    std::optional<Cursor> cursor;
    RunCounters io;
  };

  void run();
  void push(Item item);
  void flush_batch();
  void rethrow_failure();  // caller holds mutex_
  void execute(Item& item);

  ReplicaWriter& writer_;
  std::unique_ptr<Batch> filling_;
  std::int64_t uncommitted_ = 0;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;   // to the thread: an item, or stop
  std::condition_variable space_ready_;  // to the caller: a free batch, or idle
  std::deque<Item> queue_;
  std::vector<std::unique_ptr<Batch>> free_;
  std::size_t batches_out_ = 0;  // batches queued or being written
  bool busy_ = false;
  bool stop_ = false;
  std::exception_ptr failure_;
  RunCounters counters_;
  std::vector<Cursor> committed_cursors_;
  std::thread thread_;
};

}  // namespace tsync
