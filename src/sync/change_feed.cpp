// SPDX-License-Identifier: Apache-2.0
#include "sync/change_feed.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "source/url.hpp"
#include "sync/progress.hpp"
#include "sync/retry.hpp"

namespace tsync {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string with_params(std::string url, const Params& params) {
  char separator = url.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    url += separator;
    append_url_encoded(url, name);
    url += '=';
    append_url_encoded(url, value);
    separator = '&';
  }
  return url;
}

Instant now_instant() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  return Instant{ns / 1000000000, static_cast<std::int32_t>(ns % 1000000000)};
}

// The records of one page of the feed, and the values that say what follows.
class FeedSink : public RecordVisitor {
 public:
  FeedSink(RowWriter& rows, const RunCounters& io) : rows_(rows), io_(io) {}

  void on_record(const Record& record) override {
    rows_.upsert(record);
    ++accepted_;
  }
  void on_rejected(std::string_view raw, std::string_view reason) override {
    rows_.reject(raw, reason, nullptr);
    note(reason);
  }
  void on_rejected_with_key(const Record& record, std::string_view raw,
                            std::string_view reason) override {
    rows_.reject(raw, reason, &record);
    note(reason);
  }
  void on_value(std::size_t index, const FieldValue& value) override {
    if (index < values_.size()) values_[index] = value;
  }
  // Stopped inside a page: the records read so far are kept (the token is not
  // moved by them).
  void finish_interrupted() { rows_.commit(nullptr, io_); }

  // The captured value `index` as text (a string, a number or true/false);
  // nullopt when absent or null.
  std::optional<std::string> text(std::size_t index) const {
    const auto& v = values_[index];
    if (!v || v->kind == ValueKind::Null || v->kind == ValueKind::Json) return std::nullopt;
    return v->text;
  }
  std::int64_t accepted() const { return accepted_; }
  std::int64_t rejected() const { return rejected_; }
  const std::string& first_reason() const { return first_reason_; }

 private:
  void note(std::string_view reason) {
    if (rejected_++ == 0) first_reason_ = reason;
  }
  RowWriter& rows_;
  const RunCounters& io_;
  std::vector<std::optional<FieldValue>> values_{2};
  std::int64_t accepted_ = 0, rejected_ = 0;
  std::string first_reason_;
};

// How one read of the feed goes from request to request.
class FeedRequests {
 public:
  FeedRequests(const StreamConfig& stream) : stream_(stream), feed_(*stream.change_feed) {
    base_ = with_params(stream.url, stream.params);
  }

  // The first request of a read from `token` ("": from the beginning).
  std::string first(const std::string& token) const {
    if (token.empty()) {
      if (feed_.type != FeedType::CursorExport) return base_;
      const Instant start = *parse_cursor(stream_.cursor_format, stream_.first_cursor());
      return with_params(base_,
                         {{feed_.start_param, format_cursor(CursorFormat::UnixSeconds, start)}});
    }
    switch (feed_.type) {
      case FeedType::DeltaLink:
        return token;  // the delta link is the URL to ask
      case FeedType::SyncToken:
        return with_params(base_, {{feed_.token_param, token}});
      case FeedType::CursorExport:
        break;
    }
    return with_params(base_, {{feed_.page_param, token}});
  }

  // The request of the page after `request`, given the next page's link or
  // token the answer holds.
  std::string next(const std::string& request, const std::string& link_or_token) const {
    if (feed_.type == FeedType::DeltaLink) return resolve_url(request, link_or_token);
    return with_params(base_, {{feed_.page_param, link_or_token}});
  }

 private:
  const StreamConfig& stream_;
  const ChangeFeed& feed_;
  std::string base_;
};

bool expired(const ChangeFeed& feed, const PermanentError& e) {
  return feed_token_expired(feed, e.http_status(), e.what());
}

}  // namespace

std::string feed_first_request(const StreamConfig& stream) {
  return FeedRequests(stream).first("");
}

std::int64_t read_feed(StreamRun& run, const Transport& net, RowWriter& rows,
                       SyncObserver& observer, RunCounters& io) {
  const StreamConfig& stream = run.stream;
  const ChangeFeed& feed = *stream.change_feed;
  const FeedRequests requests(stream);
  RecordShape shape = stream.shape();
  shape.capture = {feed.next_path, feed.end_path};
  const bool read_at = stream.cursor_field == kFeedReadAt;
  Retrier retrier(run.config, observer, io);
  std::string token = run.committed.text;  // "": the feed from its beginning
  bool from_start = token.empty();
  std::string url = requests.first(token);
  std::string resume = url;  // the request after the last commit
  std::unordered_set<std::string> followed{url};
  Instant last_read{};
  for (;;) {
    ++io.requests;
    std::unique_ptr<HttpGet> get;
    std::string where;
    try {
      get = open_response(stream, net, url, observer, io, where);
    } catch (const TransientError& e) {
      rows.rewind();
      announce_checkpoints(rows, observer);
      url = resume;
      retrier.after(e);
      continue;
    } catch (const PermanentError& e) {
      if (!expired(feed, e)) throw;
      if (from_start)
        throw PermanentError(std::string(e.what()) +
                                 " (a read of the feed from its beginning was refused as "
                                 "expired too: check change_feed's expired_statuses and "
                                 "expired_codes)",
                             e.http_status());
      // The token has expired: everything again, as a full pass, in this run.
      observer.on_note("the change token has expired (" + short_token(e.what()) +
                       "): reading the feed again from its beginning, as a full pass");
      rows.rewind();
      rows.begin_full_pass(run.saved);
      run.full = true;
      run.report.full = true;
      from_start = true;
      token.clear();
      url = resume = requests.first("");
      followed = {url};
      continue;
    }
    FeedSink sink(rows, io);
    if (read_at) {
      // The time the page was read, growing from page to page.
      Instant at = now_instant();
      if (!(last_read < at)) at = Instant{last_read.seconds, last_read.nanos + 1};
      if (at.nanos > 999999999) at = Instant{at.seconds + 1, 0};
      last_read = at;
      shape.added = {FieldValue{kFeedReadAt, ValueKind::String, format_utc(at)}};
    }
    try {
      read_records(*get, where, shape, sink, observer, io, rows);
    } catch (const TransientError& e) {
      rows.rewind();
      announce_checkpoints(rows, observer);
      url = resume;
      retrier.after(e);
      continue;
    }
    count_response(run.tally, sink.accepted(), sink.rejected(), sink.first_reason());
    const std::optional<std::string> next = sink.text(0);
    const std::optional<std::string> end = sink.text(1);
    std::optional<std::string> follow;  // the next page's request
    std::optional<std::string> save;    // the token to save with this page's rows
    bool done = false;
    if (feed.type == FeedType::CursorExport) {
      if (!next || next->empty())
        throw PermanentError(where + ": no cursor at " + describe_path(feed.next_path) +
                             " (change_feed cursor_path): the export cannot go on");
      save = *next;
      done = end && *end == "true";
      if (!done) follow = requests.next(url, *next);
    } else if (next && !next->empty()) {
      follow = requests.next(url, *next);
    } else if (end && !end->empty()) {
      save = feed.type == FeedType::DeltaLink ? resolve_url(url, *end) : *end;
      done = true;
    } else {
      throw PermanentError(where + ": neither " + describe_path(feed.next_path) + " nor " +
                           describe_path(feed.end_path) +
                           " in the answer: the feed's last page must say what to ask next time "
                           "(check change_feed)");
    }
    if (save) {
      const Cursor cursor(*save, now_instant());
      rows.commit(&cursor, io);
      token = *save;
    } else {
      rows.commit(nullptr, io);
    }
    announce_checkpoints(rows, observer);
    retrier.reset();  // progress was committed
    if (done) return 0;
    if (!followed.insert(*follow).second)
      throw PermanentError(where + ": the feed links again to a page it gave before (" +
                           short_token(*follow) + "): it would page forever");
    url = resume = *follow;
  }
}

}  // namespace tsync
