// SPDX-License-Identifier: Apache-2.0
#include "sync/chain.hpp"

#include "sync/chain_sink.hpp"
#include "sync/fetch_ahead.hpp"
#include "sync/progress.hpp"
#include "sync/retry.hpp"

namespace tsync {
namespace {

// The most pages of a chain asked ahead: with an offset, a page number or Link
// headers (when they show the pages to come: Pager::ahead), the run's requests
// in flight less the chain's own.
std::size_t pages_ahead(const Config& config, const StreamConfig& stream, const Transport& net) {
  const PagingType type = stream.pagination.type;
  if (!net.ahead || config.max_concurrency <= 1) return 0;
  if (type != PagingType::Offset && type != PagingType::Page && type != PagingType::LinkHeader)
    return 0;
  return static_cast<std::size_t>(config.max_concurrency - 1);
}

// How a chain's read ended: the records that came twice with a new version,
// and whether pages asked ahead leave a doubt (chain_doubtful).
struct ChainEnd {
  std::int64_t repeats = 0;
  bool doubtful = false;
};

ChainEnd read_pages(const Config& config, const StreamConfig& stream, const Transport& net,
                    RowWriter& rows, SyncObserver& observer, RunCounters& io, const Cursor& start,
                    Tally& tally, const std::optional<Window>& window,
                    const std::optional<Cursor>& window_cursor);

}  // namespace

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
  Tally read;
  const ChainEnd end =
      read_pages(config, stream, net, rows, observer, io, start, read, window, window_cursor);
  if (!end.doubtful) {
    tally.add(read);
    return end.repeats;
  }
  observer.on_note(
      "stream \"" + stream.name +
      "\": the pages asked ahead may have slid while they were read (a record came twice, "
      "or the total changed); the chain is read again one page at a time");
  const Transport in_order{net.http, net.auth, net.rate, net.session, nullptr};
  return read_pages(config, stream, in_order, rows, observer, io, start, tally, window,
                    window_cursor)
      .repeats;
}

namespace {

ChainEnd read_pages(const Config& config, const StreamConfig& stream, const Transport& net,
                    RowWriter& rows, SyncObserver& observer, RunCounters& io, const Cursor& start,
                    Tally& tally, const std::optional<Window>& window,
                    const std::optional<Cursor>& window_cursor) {
  Pager pager = make_pager(stream, start, window);
  RecordShape shape = stream.shape();
  shape.capture = pager.capture_paths();
  // Keyset pages (the last record's key) cannot slide; every other kind can.
  ChainSink sink(rows, observer, io, stream, config.checkpoint_rows,
                 stream.pagination.type != PagingType::LastRecord);
  Retrier retrier(config, observer, io);
  const std::size_t most_ahead = pages_ahead(config, stream, net);
  std::optional<FetchAhead> ahead;
  if (most_ahead > 0) ahead.emplace(stream, net, *net.ahead, most_ahead);
  std::int64_t taken_ahead = 0;  // pages taken from a FetchAhead given up since
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
      if (const std::unique_ptr<FetchedPage> held = ahead ? ahead->take(url) : nullptr) {
        held->replay(observer, io);
        if (held->error) std::rethrow_exception(held->error);
        facts.link_headers = held->link_headers;
        sink.begin_page(facts);
        HeldBody body(held->body, observer, io, rows);
        read_body(
            body, held->where, [&held] { return held->content_type; }, shape, sink);
      } else {
        std::string where;
        const std::unique_ptr<HttpGet> get = open_response(stream, net, url, observer, io, where);
        facts.link_headers = get->header_values("link");
        sink.begin_page(facts);
        read_records(*get, where, shape, sink, observer, io, rows);
      }
      sink.end_page();
    } catch (const TransientError& e) {
      if (ahead) ahead->drop();  // the pages after the fault are asked again
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
    } catch (const RunDeadline&) {
      sink.finish_interrupted();  // a safe point, as on SIGTERM
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
    if (ahead) {
      ahead->want(url, pager.ahead(most_ahead));
      if (ahead->missed()) {
        // The pages asked were not the chain's (a page came short of its
        // size, a link led elsewhere): this chain asks no more ahead.
        taken_ahead += ahead->taken();
        ahead.reset();
      }
    }
    if (sink.commit_due()) {
      sink.commit_rows(tally);
      announce_checkpoints(rows, observer);
      retrier.reset();  // progress was committed
      resume_pager = pager;
      resume_url = url;
    }
  }
  // Pages asked ahead are served in any order: a record that slid between two
  // of them can come twice with one version, or the total change, instead of
  // coming again with a newer version at the end. Such a chain moves no
  // cursor; read_chain reads it again in order.
  ChainEnd end;
  sink.settle_keys(tally);
  if (ahead) taken_ahead += ahead->taken();
  end.doubtful = taken_ahead > 0 &&
                 (sink.twice_across_pages() > 0 || pager.total_changed());
  if (end.doubtful)
    end.repeats = sink.finish(start, tally, std::nullopt, false);
  else if (window)
    end.repeats = sink.finish(start, tally, window_cursor, false);
  else
    end.repeats = sink.finish(start, tally);
  if (end.repeats > 0) end.doubtful = false;  // unsettled anyway: the next run reads it again
  return end;
}

}  // namespace

}  // namespace tsync
