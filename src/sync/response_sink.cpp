// SPDX-License-Identifier: Apache-2.0
#include "sync/response_sink.hpp"

namespace tsync {

ResponseSink::ResponseSink(RowWriter& writer, SyncObserver& observer, const RunCounters& io,
                           const Cursor& asked, Cursor& committed, long long checkpoint_rows,
                           std::int64_t& table_rows, bool hold_newest, bool may_checkpoint)
    : writer_(writer),
      observer_(observer),
      io_(io),
      asked_(asked),
      floor_(committed),
      committed_(committed),
      checkpoint_rows_(checkpoint_rows),
      table_rows_(table_rows),
      hold_newest_(hold_newest),
      may_checkpoint_(may_checkpoint),
      progress_(writer, observer, io) {}

void ResponseSink::on_record(const Record& record) {
  ++accepted_;
  if (have_prev_) {
    if (record.cursor < prev_.instant) {
      if (sorted_) sorted_ = false;
      if (checkpointed_ && record.cursor <= committed_.instant) {
        writer_.upsert(record);
        commit(floor_);
        checkpointed_ = false;
        note(record);
        return;
      }
    } else if (sorted_ && record.cursor > prev_.instant && prev_.instant > committed_.instant) {
      safe_ = prev_;
      if (checkpoint_due()) {
        commit(*safe_);
        checkpointed_ = true;
      }
    }
  }
  writer_.upsert(record);
  note(record);
}

void ResponseSink::on_rejected(std::string_view raw, std::string_view reason) {
  count_rejected(reason);
  writer_.reject(raw, reason, nullptr);
  observer_.on_rejected(reason);
}

void ResponseSink::on_rejected_with_key(const Record& record, std::string_view raw,
                                        std::string_view reason) {
  count_rejected(reason);
  writer_.reject(raw, reason, &record);
  observer_.on_rejected(reason);
}

void ResponseSink::finish() {
  if (!hold_newest_ && newest_ && newest_->instant > committed_.instant)
    commit(*newest_);
  else
    commit_rows_only();
}

void ResponseSink::finish_interrupted() {
  if (may_checkpoint_ && sorted_ && safe_ && safe_->instant > committed_.instant)
    commit(*safe_);
  else if (writer_.uncommitted_rows() > 0)
    commit_rows_only();
}

void ResponseSink::note(const Record& record) {
  if (record.cursor != asked_.instant) beyond_asked_ = true;
  if (record.cursor < asked_.instant) before_asked_ = true;
  if (!newest_ || record.cursor > newest_->instant)
    newest_ = Cursor{record.cursor_text, record.cursor};
  prev_.instant = record.cursor;
  prev_.text.assign(record.cursor_text);
  have_prev_ = true;
  progress_.record();
}

// A checkpoint is due after checkpoint_rows rows, or after as many rows as
// the table holds when that is more. A large transaction is applied in key
// order and builds the table's plain indexes again (TableWriter::stage),
// which costs as much as the table is large: with a fixed interval a full
// sync would cost rows squared; with the interval growing as the table, a
// sync of N rows applies about 2N in all, and a fault takes back at most
// half of what the run has done.
bool ResponseSink::checkpoint_due() const {
  if (!may_checkpoint_) return false;
  const std::int64_t rows = writer_.uncommitted_rows();
  return rows >= checkpoint_rows_ && rows >= table_rows_;
}

void ResponseSink::commit(const Cursor& cursor) {
  // Queued behind the rows it covers; on a fault, the retry waits for the
  // queue (RowWriter::rewind) before it asks from committed_.
  table_rows_ += writer_.uncommitted_rows();
  writer_.commit(&cursor, io_);
  committed_ = cursor;
}

void ResponseSink::commit_rows_only() {
  table_rows_ += writer_.uncommitted_rows();
  writer_.commit(nullptr, io_);
}

void ResponseSink::count_rejected(std::string_view reason) {
  if (rejected_ == 0) first_reason_.assign(reason);
  ++rejected_;
}

}  // namespace tsync
