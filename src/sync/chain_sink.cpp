// SPDX-License-Identifier: Apache-2.0
#include "sync/chain_sink.hpp"

namespace tsync {

ChainSink::ChainSink(RowWriter& writer, SyncObserver& observer, const RunCounters& io,
                     const StreamConfig& stream, long long checkpoint_rows, bool track_keys)
    : writer_(writer),
      observer_(observer),
      io_(io),
      last_field_(stream.pagination.type == PagingType::LastRecord ? stream.pagination.field
                                                                   : std::string()),
      checkpoint_rows_(checkpoint_rows),
      track_keys_(track_keys),
      keys_(stream.primary_key),
      progress_(writer, observer, io) {}

void ChainSink::begin_page(PageFacts& facts) {
  facts_ = &facts;
  keys_.begin_page();
  page_accepted_ = page_rejected_ = 0;
  page_newest_.reset();
}

void ChainSink::on_record(const Record& record) {
  ++page_accepted_;
  page_record(&record);
  writer_.upsert(record);
  if (!page_newest_ || record.cursor > page_newest_->instant)
    page_newest_ = Cursor{record.cursor_text, record.cursor};
  progress_.record();
}

void ChainSink::end_page() {
  keys_.end_page(pending_.repeats, pending_.tally);
  if (page_newest_ && (!pending_.newest || page_newest_->instant > pending_.newest->instant))
    pending_.newest = page_newest_;
  count_response(pending_.tally, page_accepted_, page_rejected_, page_first_reason_);
  page_first_reason_.clear();
}

bool ChainSink::commit_due() const {
  const std::int64_t rows = writer_.uncommitted_rows();
  if (rows == 0) return false;
  return rows >= checkpoint_rows_ || after_fault_ ||
         std::chrono::duration<double>(Clock::now() - last_commit_).count() >= kCommitSeconds;
}

void ChainSink::commit_rows(Tally& tally) {
  if (writer_.uncommitted_rows() > 0) writer_.commit(nullptr, io_);
  settle_pending(tally);
  last_commit_ = Clock::now();
  after_fault_ = false;
}

void ChainSink::rewind() {
  keys_.rewind();
  pending_ = Pending();
  page_first_reason_.clear();
  after_fault_ = true;
}

std::int64_t ChainSink::finish(const Cursor& start, Tally& tally,
                               const std::optional<Cursor>& at_end, bool newest) {
  settle_keys(tally);
  const std::optional<Cursor> target = at_end ? at_end : newest ? newest_ : std::nullopt;
  if (repeats_ == 0 && target && target->instant > start.instant)
    writer_.commit(&*target, io_);
  else if (writer_.uncommitted_rows() > 0)
    writer_.commit(nullptr, io_);
  return repeats_;
}

void ChainSink::settle_pending(Tally& tally) {
  keys_.commit();
  repeats_ += pending_.repeats;
  if (pending_.newest && (!newest_ || pending_.newest->instant > newest_->instant))
    newest_ = pending_.newest;
  tally.add(pending_.tally);
  pending_ = Pending();
}

void ChainSink::page_record(const Record* record) {
  ++facts_->records;
  if (!last_field_.empty()) {
    const FieldValue* f = record ? record->find(last_field_) : nullptr;
    if (f && f->kind != ValueKind::Null && f->kind != ValueKind::Json)
      facts_->last_value = f->text;
    else
      facts_->last_value.reset();
  }
  if (track_keys_ && record) keys_.note(*record);
}

void ChainSink::reject(const Record* record, std::string_view raw, std::string_view reason) {
  if (page_rejected_ == 0) page_first_reason_.assign(reason);
  ++page_rejected_;
  page_record(record);
  writer_.reject(raw, reason, record);
  observer_.on_rejected(reason);
}

}  // namespace tsync
