// SPDX-License-Identifier: Apache-2.0
#include "replica/background_writer.hpp"

namespace tsync {

BackgroundWriter::BackgroundWriter(ReplicaWriter& writer)
    : writer_(writer), filling_(std::make_unique<Batch>()), counters_(writer.counters()) {
  filling_->records.resize(kBatchRows);
  thread_ = std::thread([this] { run(); });
}

BackgroundWriter::~BackgroundWriter() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
}

void BackgroundWriter::rethrow_failure() {
  if (failure_) std::rethrow_exception(failure_);
}

void BackgroundWriter::upsert(const Record& record) {
  filling_->records[filling_->size++].assign(record);  // reuses the strings' capacity
  ++uncommitted_;
  filling_->fields += record.size;
  if (filling_->size == kBatchRows || filling_->fields >= kBatchFields) flush_batch();
}

void BackgroundWriter::flush_batch() {
  if (filling_->size == 0) return;
  std::unique_lock lock(mutex_);
  rethrow_failure();
  Item item;
  item.kind = Item::Kind::Rows;
  item.batch = std::move(filling_);
  queue_.push_back(std::move(item));
  ++batches_out_;
  work_ready_.notify_one();
  // The next batch: a free one, a new one while under the bound, or wait.
  space_ready_.wait(lock,
                    [&] { return failure_ || !free_.empty() || batches_out_ + 1 < kMaxBatches; });
  if (!free_.empty()) {
    filling_ = std::move(free_.back());
    free_.pop_back();
  } else {
    filling_ = std::make_unique<Batch>();
    filling_->records.resize(kBatchRows);
  }
  filling_->size = 0;
  filling_->fields = 0;
  rethrow_failure();
}

void BackgroundWriter::push(Item item) {
  flush_batch();
  const std::lock_guard lock(mutex_);
  rethrow_failure();
  queue_.push_back(std::move(item));
  work_ready_.notify_one();
}

void BackgroundWriter::reject(std::string_view raw, std::string_view reason, const Record* keyed) {
  Item item;
  item.kind = Item::Kind::Reject;
  item.raw.assign(raw);
  item.reason.assign(reason);
  if (keyed) item.keyed.emplace().assign(*keyed);
  ++uncommitted_;
  push(std::move(item));
}

void BackgroundWriter::commit(const Cursor* cursor, const RunCounters& io) {
  Item item;
  item.kind = Item::Kind::Commit;
  if (cursor) item.cursor = *cursor;
  item.io = io;
  uncommitted_ = 0;
  push(std::move(item));
}

void BackgroundWriter::drain() {
  flush_batch();
  std::unique_lock lock(mutex_);
  space_ready_.wait(lock, [&] { return failure_ || (queue_.empty() && !busy_); });
  rethrow_failure();
}

void BackgroundWriter::settle() {
  filling_->size = 0;
  filling_->fields = 0;
  uncommitted_ = 0;
  std::unique_lock lock(mutex_);
  space_ready_.wait(lock, [&] { return failure_ || (queue_.empty() && !busy_); });
  rethrow_failure();
}

void BackgroundWriter::settle_quietly() noexcept {
  filling_->size = 0;
  filling_->fields = 0;
  uncommitted_ = 0;
  std::unique_lock lock(mutex_);
  space_ready_.wait(lock, [&] { return failure_ || (queue_.empty() && !busy_); });
}

RunCounters BackgroundWriter::counters() const {
  const std::lock_guard lock(mutex_);
  return counters_;
}

std::vector<Cursor> BackgroundWriter::take_committed_cursors() {
  const std::lock_guard lock(mutex_);
  std::vector<Cursor> taken;
  taken.swap(committed_cursors_);
  return taken;
}

void BackgroundWriter::execute(Item& item) {
  switch (item.kind) {
    case Item::Kind::Rows:
      for (std::size_t i = 0; i < item.batch->size; ++i) writer_.upsert(item.batch->records[i]);
      break;
    case Item::Kind::Reject:
      writer_.reject(item.raw, item.reason, item.keyed ? &*item.keyed : nullptr);
      break;
    case Item::Kind::Commit:
      writer_.commit(item.cursor ? &*item.cursor : nullptr, item.io);
      break;
  }
}

void BackgroundWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::exception_ptr failure;
    try {
      execute(item);
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    busy_ = false;
    if (item.batch) {
      free_.push_back(std::move(item.batch));
      --batches_out_;
    }
    if (failure) {
      // Nothing after a failure may be written: drop the rest.
      failure_ = failure;
      for (Item& dropped : queue_)
        if (dropped.batch) {
          free_.push_back(std::move(dropped.batch));
          --batches_out_;
        }
      queue_.clear();
    } else {
      counters_ = writer_.counters();
      // A partition's cursor is its own business: announcing each of a
      // million partitions' would only take memory.
      if (item.kind == Item::Kind::Commit && item.cursor && !item.cursor->partition)
        committed_cursors_.push_back(*item.cursor);
    }
    space_ready_.notify_all();
  }
}

}  // namespace tsync
