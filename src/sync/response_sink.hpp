// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replica/write_queue.hpp"
#include "source/records.hpp"
#include "sync/observer.hpp"
#include "sync/progress.hpp"

namespace tsync {

// Receives the records of one response and decides when the cursor may move.
// With records sorted by updatedAt, every record up to a timestamp T has been
// seen once a later timestamp arrives: the rows may then be committed with T as
// the cursor (a checkpoint). Once a record arrives out of order, no checkpoint is
// taken for the rest of the response, and if the record is older than a
// checkpoint already taken, the saved cursor is moved back to where the request
// started, in the transaction that stores the record.
class ResponseSink : public RecordVisitor {
 public:
  // `asked` is the cursor the request asked from, `committed` the saved one,
  // which the sink moves. With `hold_newest`, the response's newest instant is
  // not committed by finish() (an API that caps its answers may have more
  // records there than the response held); without `may_checkpoint`, the
  // cursor does not move at all while the response is read.
  ResponseSink(RowWriter& writer, SyncObserver& observer, const RunCounters& io,
               const Cursor& asked, Cursor& committed, long long checkpoint_rows,
               std::int64_t& table_rows, bool hold_newest = false, bool may_checkpoint = true);

  void on_record(const Record& record) override;
  void on_rejected(std::string_view raw, std::string_view reason) override;
  void on_rejected_with_key(const Record& record, std::string_view raw,
                            std::string_view reason) override;

  // Records of the response handed on to be stored, and records rejected.
  std::int64_t accepted() const { return accepted_; }
  std::int64_t rejected() const { return rejected_; }
  const std::string& first_reason() const { return first_reason_; }

  // The body is complete: commit every row with the newest timestamp as cursor
  // (with hold_newest, the rows alone: the cursor moves once the run has read
  // to the end).
  void finish();
  // The response is given up after it was read whole: its rows are kept, the
  // cursor does not move.
  void finish_rows_only() { commit_rows_only(); }
  // Stopped early (SIGINT/SIGTERM): keep the rows read so far, with the cursor
  // only as far as every record up to it is known to be stored.
  void finish_interrupted();

  // True when the response held a record newer than the cursor it asked with.
  bool brought_newer() const { return newest_ && newest_->instant > asked_.instant; }
  // The newest cursor value of the response, if it held a record.
  const std::optional<Cursor>& newest() const { return newest_; }
  // The newest instant every record up to which was read, when the records
  // came sorted: what the cursor may cover even if the response was cut short.
  std::optional<Cursor> safe() const { return sorted_ && safe_ ? safe_ : std::nullopt; }
  // True when every record of the response was at the instant it asked from.
  bool all_at_asked() const { return accepted_ > 0 && !beyond_asked_; }
  // True when the response held a record older than the instant it asked
  // from: the API ignores since, and sends everything each time.
  bool before_asked() const { return before_asked_; }

 private:
  void note(const Record& record);
  bool checkpoint_due() const;
  void commit(const Cursor& cursor);
  void commit_rows_only();
  void count_rejected(std::string_view reason);

  RowWriter& writer_;
  SyncObserver& observer_;
  const RunCounters& io_;
  const Cursor asked_;
  const Cursor floor_;  // the saved cursor when the response began
  Cursor& committed_;
  long long checkpoint_rows_;
  // Rows in the table: when the run began, plus every row committed since,
  // counted as new (an upper bound, as an update adds none).
  std::int64_t& table_rows_;
  const bool hold_newest_;
  const bool may_checkpoint_;
  bool beyond_asked_ = false;
  bool before_asked_ = false;
  bool sorted_ = true;
  bool checkpointed_ = false;
  bool have_prev_ = false;
  Cursor prev_;
  std::optional<Cursor> safe_;
  std::optional<Cursor> newest_;
  ProgressTicker progress_;
  std::int64_t accepted_ = 0;
  std::int64_t rejected_ = 0;
  std::string first_reason_;
};

}  // namespace tsync
