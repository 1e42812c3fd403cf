// SPDX-License-Identifier: Apache-2.0
#include "replica/write_queue.hpp"

namespace tsync {

WriteQueue::WriteQueue(std::size_t max_queued)
    : max_queued_(max_queued < 1 ? 1 : max_queued), thread_([this] { run(); }) {}

WriteQueue::~WriteQueue() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  thread_.join();
}

void WriteQueue::post(std::function<void()> work) {
  std::unique_lock lock(mutex_);
  room_ready_.wait(lock, [&] { return queue_.size() < max_queued_; });
  queue_.push_back(std::move(work));
  work_ready_.notify_one();
}

void WriteQueue::drain() {
  std::unique_lock lock(mutex_);
  room_ready_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void WriteQueue::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped, and nothing left to do
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    room_ready_.notify_all();
    try {
      work();
    } catch (...) {
      // Work reports its own failures (StreamLedger::apply); nothing else throws.
    }
    lock.lock();
    busy_ = false;
    room_ready_.notify_all();
  }
}

StreamLedger::StreamLedger(ReplicaWriter& writer) : writer_(writer), counters_(writer.counters()) {}

void StreamLedger::add_io(const RunCounters& delta) {
  const std::lock_guard lock(mutex_);
  io_.requests += delta.requests;
  io_.retries += delta.retries;
  io_.bytes += delta.bytes;
  io_.logins += delta.logins;
  io_.token_requests += delta.token_requests;
}

RunCounters StreamLedger::io() const {
  const std::lock_guard lock(mutex_);
  return io_;
}

RunCounters StreamLedger::counters() const {
  const std::lock_guard lock(mutex_);
  return counters_;
}

std::vector<Cursor> StreamLedger::take_committed_cursors() {
  const std::lock_guard lock(mutex_);
  std::vector<Cursor> out;
  out.swap(committed_);
  return out;
}

void StreamLedger::rethrow_failure() const {
  std::exception_ptr failure;
  {
    const std::lock_guard lock(mutex_);
    failure = failure_;
  }
  if (failure) std::rethrow_exception(failure);
}

void StreamLedger::hand_over(Unit unit) {
  const std::lock_guard lock(mutex_);
  inbox_.push_back(std::move(unit));
}

void StreamLedger::apply() noexcept {
  std::vector<Unit> units;
  {
    const std::lock_guard lock(mutex_);
    units.swap(inbox_);
    if (failure_ || units.empty()) return;
  }
  try {
    const Cursor* last = nullptr;
    for (Unit& unit : units) {
      if (last) writer_.save_cursor(*last);
      for (const Item& item : unit.items) {
        if (item.reject)
          writer_.reject(item.raw, item.reason, item.keyed ? &item.record : nullptr);
        else
          writer_.upsert(item.record);
      }
      last = unit.cursor ? &*unit.cursor : nullptr;
    }
    writer_.commit(last, io());
    const std::lock_guard lock(mutex_);
    counters_ = writer_.counters();
    // As BackgroundWriter: a partition's cursor is not announced.
    for (const Unit& unit : units)
      if (unit.cursor && !unit.cursor->partition) committed_.push_back(*unit.cursor);
  } catch (...) {
    writer_.rollback();
    const std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
    counters_ = writer_.counters();
  }
}

void StreamLedger::begin_full_pass(const std::optional<Cursor>& floor) noexcept {
  {
    const std::lock_guard lock(mutex_);
    if (failure_) return;
  }
  try {
    writer_.begin_full_pass(floor);
  } catch (...) {
    const std::lock_guard lock(mutex_);
    failure_ = std::current_exception();
  }
}

UnitWriter::UnitWriter(WriteQueue& queue, StreamLedger& ledger) : queue_(queue), ledger_(ledger) {}

void UnitWriter::begin_full_pass(const std::optional<Cursor>& floor) {
  if (!items_.empty()) hand_over(std::nullopt);
  uncommitted_ = 0;
  StreamLedger* ledger = &ledger_;
  queue_.post([ledger, floor] { ledger->begin_full_pass(floor); });
}

StreamLedger::Item& UnitWriter::next_item() {
  StreamLedger::Item& item = items_.emplace_back();
  ++uncommitted_;
  return item;
}

void UnitWriter::upsert(const Record& record) {
  next_item().record.assign(record);
  fields_ += record.size;
  if (items_.size() >= kUnitRows || fields_ >= kUnitFields) hand_over(std::nullopt);
}

void UnitWriter::reject(std::string_view raw, std::string_view reason, const Record* keyed) {
  StreamLedger::Item& item = next_item();
  item.reject = true;
  item.raw.assign(raw);
  item.reason.assign(reason);
  if (keyed) {
    item.keyed = true;
    item.record.assign(*keyed);
    fields_ += keyed->size;
  }
  fields_ += 1 + raw.size() / 64;
  if (items_.size() >= kUnitRows || fields_ >= kUnitFields) hand_over(std::nullopt);
}

void UnitWriter::hand_over(const std::optional<Cursor>& cursor) {
  ledger_.rethrow_failure();
  ledger_.hand_over(StreamLedger::Unit{std::move(items_), cursor});
  items_.clear();
  fields_ = 0;
  StreamLedger* ledger = &ledger_;
  queue_.post([ledger] { ledger->apply(); });
}

void UnitWriter::commit(const Cursor* cursor, const RunCounters& io) {
  count_io(io);
  if (items_.empty() && !cursor) {
    // Rows handed over on their own were committed already.
    uncommitted_ = 0;
    ledger_.rethrow_failure();
    return;
  }
  hand_over(cursor ? std::optional<Cursor>(*cursor) : std::nullopt);
  uncommitted_ = 0;
}

void UnitWriter::rewind() {
  items_.clear();
  fields_ = 0;
  uncommitted_ = 0;
  ledger_.rethrow_failure();
}

void UnitWriter::count_io(const RunCounters& io) {
  RunCounters delta;
  delta.requests = io.requests - io_counted_.requests;
  delta.retries = io.retries - io_counted_.retries;
  delta.bytes = io.bytes - io_counted_.bytes;
  delta.logins = io.logins - io_counted_.logins;
  delta.token_requests = io.token_requests - io_counted_.token_requests;
  ledger_.add_io(delta);
  io_counted_ = io;
}

}  // namespace tsync
