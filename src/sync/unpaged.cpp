// SPDX-License-Identifier: Apache-2.0
#include "sync/unpaged.hpp"

#include <optional>
#include <string>

#include "sync/progress.hpp"
#include "sync/response_sink.hpp"
#include "sync/retry.hpp"

namespace tsync {
namespace {

// What one answer of an unpaged stream brought.
struct Answer {
  bool newer = false;            // a record newer than the cursor it asked from
  std::int64_t records = 0;      // records in it, stored or rejected
  std::optional<Cursor> newest;  // its newest cursor value
  std::optional<Cursor> safe;    // the instant before its newest, when it came sorted
  bool capped = false;           // as many records as the answer before it
  bool all_at_asked = false;     // every record at the instant it asked from
  std::string url;               // the URL that answered, after redirects
};

// The error of an unpaged stream whose answers look capped: `records`, as many
// as the answer before, in the answer to `url`.
Error capped_answers(const StreamConfig& stream, const std::string& url, std::int64_t records,
                     bool all_at_asked, const Cursor& asked, const Cursor& committed) {
  const std::string n = std::to_string(records);
  std::string what =
      "GET " + url + ": the API answered " + n + " records, as many as the answer before it";
  what += all_at_asked ? ", all at " + asked.text +
                             ", the instant it asked from: an API that caps its answers at " + n +
                             " cannot get past the records of that instant"
                       : ": the API seems to cap its answers at " + n +
                             " records, and an answer cut in the middle of the records of one "
                             "instant makes the next request skip the rest of them";
  return Error(what + ". " +
               (committed.text.empty() ? std::string("No cursor is saved")
                                       : "The cursor stays at " + committed.text) +
               ", below what may have been skipped. Stream \"" + stream.name +
               "\" has no \"pagination\": configure the API's own paging there "
               "(docs/paging.md, \"Capped answers\"), or, for an API that answers a page at a "
               "time along since and never splits the records of one instant between answers, "
               "\"pagination\": {\"type\": \"since\"}");
}

// One request and its whole response, asked from `asked`. With `watch_cap`
// (an unpaged stream), the response's newest instant is not committed, the
// cursor moves only in the first answer of the run (`first`), and an answer of
// as many records as `previous` (the answer before it) is marked capped, its
// rows committed and the cursor left alone.
Answer fetch(const Config& config, const StreamConfig& stream, const Transport& net,
             const std::string& url, RowWriter& writer, SyncObserver& observer, RunCounters& io,
             const Cursor& asked, Cursor& committed, std::int64_t& table_rows, Tally& tally,
             bool watch_cap, bool first, std::optional<std::int64_t> previous) {
  std::string where;
  const std::unique_ptr<HttpGet> get = open_response(stream, net, url, observer, io, where);
  ResponseSink sink(writer, observer, io, asked, committed, config.checkpoint_rows, table_rows,
                    watch_cap, !watch_cap || first);
  read_records(*get, where, stream.shape(), sink, observer, io, writer);
  Answer answer;
  answer.newer = sink.brought_newer();
  answer.records = sink.accepted() + sink.rejected();
  answer.newest = sink.newest();
  answer.safe = sink.safe();
  // An API that ignores since answers with everything each time, of one size
  // too; only an API that honours it can be caught capping.
  answer.capped = watch_cap && previous && *previous == answer.records && answer.records >= 2 &&
                  !sink.before_asked();
  if (answer.capped) {
    answer.all_at_asked = sink.all_at_asked();
    answer.url = get->url();
    sink.finish_rows_only();
  } else {
    sink.finish();
  }
  count_response(tally, sink.accepted(), sink.rejected(), sink.first_reason());
  return answer;
}

}  // namespace

std::int64_t read_unpaged(const Config& config, const StreamConfig& stream, const Transport& net,
                          RowWriter& rows, SyncObserver& observer, RunCounters& io,
                          Cursor& committed, std::int64_t& table_rows, Tally& tally) {
  const bool watch_cap = stream.pagination.type == PagingType::None;
  Retrier retrier(config, observer, io);
  Cursor position = committed;  // where the next request asks from
  std::optional<std::int64_t> previous;
  std::optional<Cursor> first_safe;  // what the first answer covers for certain
  bool first = true;
  for (;;) {
    const std::string url = request_url(stream, position);
    ++io.requests;
    const Instant before = committed.instant;
    Answer answer;
    try {
      answer = fetch(config, stream, net, url, rows, observer, io, position, committed, table_rows,
                     tally, watch_cap, first, previous);
      retrier.reset();
    } catch (const TransientError& e) {
      rows.rewind();
      announce_checkpoints(rows, observer);
      if (first) position = committed;  // the answers after the first commit no cursor
      if (committed.instant > before) retrier.reset();  // progress was committed
      retrier.after(e);
      continue;
    }
    if (answer.capped) {
      // The first answer was read whole up to its newest instant, which the
      // cap may have cut.
      if (first_safe && first_safe->instant > committed.instant) {
        rows.commit(&*first_safe, io);
        committed = *first_safe;
      }
      throw capped_answers(stream, answer.url, answer.records, answer.all_at_asked, position,
                           committed);
    }
    if (first) first_safe = answer.safe;
    first = false;
    previous = answer.records;
    if (answer.newest && answer.newest->instant > position.instant) position = *answer.newest;
    // Without a since parameter, asking again would bring the same records.
    if (!answer.newer || stream.since_param.empty()) break;
  }
  if (position.instant > committed.instant) {
    table_rows += rows.uncommitted_rows();
    rows.commit(&position, io);
    committed = position;
  }
  return 0;
}

}  // namespace tsync
