// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "replica/write_queue.hpp"
#include "source/pagination.hpp"
#include "source/records.hpp"
#include "sync/observer.hpp"
#include "sync/chain_keys.hpp"
#include "sync/progress.hpp"
#include "sync/tally.hpp"

namespace tsync {

// Receives the records of the pages of one chain. The cursor moves once, when
// the chain ends (ChainSink::finish), because records of a positional page (an
// offset, a page number, a link that is one of them) can slide past the pages
// while data changes at the API, and no page boundary proves that everything
// before it was read. A record that comes twice in one chain shows that data
// moved: the chain is then unsettled and the cursor stays where the chain
// began (the next run reads it again).
// Rows are committed (without the cursor) at page boundaries when commit_due():
// a commit per page would write the pages of SQLite's indexes again for every
// page of the API. A transient fault rolls back to the last commit (rewind())
// and the chain resumes from the page after it.
class ChainSink : public RecordVisitor {
 public:
  // Commit the rows at a page boundary once this much time went by since the
  // last commit: a fault then reads again at most this many seconds of pages.
  static constexpr double kCommitSeconds = 2.0;

  ChainSink(RowWriter& writer, SyncObserver& observer, const RunCounters& io,
            const StreamConfig& stream, long long checkpoint_rows, bool track_keys);

  // A page begins; its facts are filled in as it is read.
  void begin_page(PageFacts& facts);
  void on_record(const Record& record) override;
  void on_rejected(std::string_view raw, std::string_view reason) override {
    reject(nullptr, raw, reason);
  }
  void on_rejected_with_key(const Record& record, std::string_view raw,
                            std::string_view reason) override {
    reject(&record, raw, reason);
  }
  void on_value(std::size_t index, const FieldValue& value) override {
    facts_->values.at(index) = value;
  }
  // The page was read whole: what it brought counts for the chain.
  void end_page();

  // True when the page brought records and every one had come before in
  // this chain (an API that ignores the paging parameter looks like this).
  bool page_only_repeats() const {
    return track_keys_ && facts_->records > 0 && keys_.page_twice() == facts_->records;
  }

  // At a page boundary: whether the rows read since the last commit should be
  // committed now (checkpoint_rows of them, kCommitSeconds since the last
  // commit, or the first page read whole after a fault).
  bool commit_due() const;
  // Commits the rows read so far, without moving the cursor; what the pages
  // since the last commit brought now counts for good.
  void commit_rows(Tally& tally);
  // After a transient fault, once the writer has rolled back to the last
  // commit: forgets what the pages since then brought, to be read again.
  void rewind();
  // At the chain's end: commits what the pages read whole brought, and counts
  // what came twice across the keys written out (ChainKeys::settle). finish()
  // does it too.
  void settle_keys(Tally& tally) {
    settle_pending(tally);
    keys_.settle(repeats_, tally);
  }
  // Records that came twice with the same version in two pages of the chain
  // (ChainKeys::twice_across_pages): complete once settle_keys() has run.
  std::int64_t twice_across_pages() const { return keys_.twice_across_pages(); }
  // Stopped early: the rows read so far are kept, the cursor stays.
  void finish_interrupted() {
    if (writer_.uncommitted_rows() > 0) writer_.commit(nullptr, io_);
  }
  // The chain has ended: the cursor moves to the newest value it brought when
  // that is newer than `start`, unless a record came twice. Returns the
  // number of records that came more than once.
  // With `at_end` (a window of time), the cursor moves there instead, and only
  // when no record came twice, even when the chain brought no record; with
  // neither `at_end` nor `newest`, it does not move.
  std::int64_t finish(const Cursor& start, Tally& tally,
                      const std::optional<Cursor>& at_end = std::nullopt, bool newest = true);

 private:
  using Clock = std::chrono::steady_clock;

  // What the pages read whole since the last commit brought.
  struct Pending {
    std::int64_t repeats = 0;
    std::optional<Cursor> newest;
    Tally tally;
  };

  void settle_pending(Tally& tally);
  void page_record(const Record* record);
  void reject(const Record* record, std::string_view raw, std::string_view reason);

  RowWriter& writer_;
  SyncObserver& observer_;
  const RunCounters& io_;
  const std::string last_field_;
  const long long checkpoint_rows_;
  const bool track_keys_;
  PageFacts* facts_ = nullptr;
  ChainKeys keys_;
  Pending pending_;
  std::int64_t repeats_ = 0;      // records that came twice, in the pages committed
  std::optional<Cursor> newest_;  // the newest cursor value of the pages committed
  std::int64_t page_accepted_ = 0;
  std::int64_t page_rejected_ = 0;
  std::string page_first_reason_;
  std::optional<Cursor> page_newest_;
  Clock::time_point last_commit_ = Clock::now();
  bool after_fault_ = false;
  ProgressTicker progress_;
};

}  // namespace tsync
