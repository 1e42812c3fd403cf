// SPDX-License-Identifier: Apache-2.0
#include "sync/chain.hpp"

#include "sync/chain_sink.hpp"
#include "sync/progress.hpp"
#include "sync/retry.hpp"

namespace tsync {

Pager make_pager(const StreamConfig& stream, const Cursor& start,
                 const std::optional<Window>& window) {
  std::vector<std::pair<std::string, std::string>> base(stream.params.begin(), stream.params.end());
  std::vector<std::pair<std::string, std::string>> first_only;
  if (window) {
    base.emplace_back(stream.since_param, format_cursor(stream.cursor_format, window->start));
    base.emplace_back(stream.until_param, format_cursor(stream.cursor_format, window->end));
  } else if (!stream.since_param.empty()) {
    auto& to = stream.pagination.repeat_since ? base : first_only;
    to.emplace_back(stream.since_param, since_value(stream, start));
  }
  return Pager(stream.name, stream.pagination, stream.url, std::move(base), std::move(first_only));
}

std::int64_t read_chain(const Config& config, const StreamConfig& stream, const Transport& net,
                        RowWriter& rows, SyncObserver& observer, RunCounters& io,
                        const Cursor& start, Tally& tally, const std::optional<Window>& window,
                        const std::optional<Cursor>& window_cursor) {
  Pager pager = make_pager(stream, start, window);
  RecordShape shape = stream.shape();
  shape.capture = pager.capture_paths();
  // Keyset pages (the last record's key) cannot slide; every other kind can.
  ChainSink sink(rows, observer, io, stream, config.checkpoint_rows,
                 stream.pagination.type != PagingType::LastRecord);
  Retrier retrier(config, observer, io);
  std::string url = pager.first_url();
  // Where the chain resumes after a fault: the pager and the URL of the page
  // after the last commit.
  Pager resume_pager = pager;
  std::string resume_url = url;
  for (;;) {
    ++io.requests;
    PageFacts facts;
    facts.values.resize(shape.capture.size());
    try {
      std::string where;
      const std::unique_ptr<HttpGet> get = open_response(stream, net, url, observer, io, where);
      facts.link_headers = get->header_values("link");
      sink.begin_page(facts);
      read_records(*get, where, shape, sink, observer, io, rows);
      sink.end_page();
    } catch (const TransientError& e) {
      rows.rewind();
      announce_checkpoints(rows, observer);
      sink.rewind();
      pager = resume_pager;
      url = resume_url;
      retrier.after(e);
      continue;
    } catch (const Interrupted&) {
      sink.finish_interrupted();  // stopped between pages: the pages read whole stay
      throw;
    }
    std::optional<std::string> next;
    try {
      next = pager.next(url, facts, sink.page_only_repeats());
    } catch (const PermanentError&) {
      sink.commit_rows(tally);  // the pages read whole stay, the cursor does not move
      throw;
    }
    if (!next) break;
    url = *next;
    if (sink.commit_due()) {
      sink.commit_rows(tally);
      announce_checkpoints(rows, observer);
      retrier.reset();  // progress was committed
      resume_pager = pager;
      resume_url = url;
    }
  }
  if (window) return sink.finish(start, tally, window_cursor, false);
  return sink.finish(start, tally);
}

}  // namespace tsync
