// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the readers of responses tell the observer as they go: the checkpoints
// the writer has made durable, and every few thousand records, the progress.

#include <cstdint>
#include <optional>

#include "replica/write_queue.hpp"
#include "sync/observer.hpp"

namespace tsync {

// Tells the observer of the checkpoints the writer thread has made durable.
inline void announce_checkpoints(RowWriter& writer, SyncObserver& observer) {
  for (const Cursor& cursor : writer.take_committed_cursors())
    observer.on_checkpoint(cursor, writer.counters());
}

// Counts the records a reader hands on, and every kEvery of them tells the
// observer of the checkpoints and the progress.
class ProgressTicker {
 public:
  static constexpr std::int64_t kEvery = 4096;

  ProgressTicker(RowWriter& writer, SyncObserver& observer, const RunCounters& io)
      : writer_(writer), observer_(observer), io_(io) {}

  void record() {
    if (++since_ < kEvery) return;
    since_ = 0;
    announce_checkpoints(writer_, observer_);
    observer_.on_progress(writer_.counters(), static_cast<std::uint64_t>(io_.bytes), std::nullopt);
  }

 private:
  RowWriter& writer_;
  SyncObserver& observer_;
  const RunCounters& io_;
  std::int64_t since_ = 0;
};

}  // namespace tsync
