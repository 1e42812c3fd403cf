// SPDX-License-Identifier: Apache-2.0
#include "sync/sync.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "common/error_text.hpp"
#include "common/errors.hpp"
#include "replica/background_writer.hpp"
#include "replica/write_queue.hpp"
#include "source/auth.hpp"
#include "source/http_client.hpp"
#include "source/records.hpp"
#include "sync/scheduler.hpp"

namespace tsync {

std::shared_ptr<Authenticator> make_authenticator(const Config& config, const StreamConfig& stream);

namespace {

constexpr std::size_t kErrorBodyLimit = 300;
constexpr std::int64_t kProgressEvery = 4096;

using Clock = std::chrono::steady_clock;

// Tells the observer of the checkpoints the writer thread has made durable.
void announce_checkpoints(RowWriter& writer, SyncObserver& observer) {
  for (const Cursor& cursor : writer.take_committed_cursors())
    observer.on_checkpoint(cursor, writer.counters());
}

// The body of one GET, as a ChunkSource for the record parser.
class BodySource : public ChunkSource {
 public:
  BodySource(HttpGet& get, SyncObserver& observer, RunCounters& io, const RowWriter& writer,
             std::optional<std::uint64_t> length)
      : get_(get), observer_(observer), io_(io), writer_(writer), length_(length) {}

  std::string_view next_chunk() override {
    const std::string_view chunk = get_.next_chunk();
    io_.bytes += static_cast<std::int64_t>(chunk.size());
    observer_.on_progress(writer_.counters(), get_.bytes_received(), length_);
    return chunk;
  }

 private:
  HttpGet& get_;
  SyncObserver& observer_;
  RunCounters& io_;
  const RowWriter& writer_;
  std::optional<std::uint64_t> length_;
};

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
               std::int64_t& table_rows, bool hold_newest = false, bool may_checkpoint = true)
      : writer_(writer),
        observer_(observer),
        io_(io),
        asked_(asked),
        floor_(committed),
        committed_(committed),
        checkpoint_rows_(checkpoint_rows),
        table_rows_(table_rows),
        hold_newest_(hold_newest),
        may_checkpoint_(may_checkpoint) {}

  void on_record(const Record& record) override {
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

  void on_rejected(std::string_view raw, std::string_view reason) override {
    if (rejected_ == 0) first_reason_.assign(reason);
    ++rejected_;
    writer_.reject(raw, reason, nullptr);
    observer_.on_rejected(reason);
  }

  void on_rejected_with_key(const Record& record, std::string_view raw,
                            std::string_view reason) override {
    if (rejected_ == 0) first_reason_.assign(reason);
    ++rejected_;
    writer_.reject(raw, reason, &record);
    observer_.on_rejected(reason);
  }

  // Records of the response handed on to be stored, and records rejected.
  std::int64_t accepted() const { return accepted_; }
  std::int64_t rejected() const { return rejected_; }
  const std::string& first_reason() const { return first_reason_; }

  // The body is complete: commit every row with the newest timestamp as cursor
  // (with hold_newest, the rows alone: the cursor moves once the run has read
  // to the end).
  void finish() {
    if (!hold_newest_ && newest_ && newest_->instant > committed_.instant)
      commit(*newest_);
    else
      commit_rows_only();
  }

  // The response is given up after it was read whole: its rows are kept, the
  // cursor does not move.
  void finish_rows_only() { commit_rows_only(); }

  // Stopped early (SIGINT/SIGTERM): keep the rows read so far, with the cursor
  // only as far as every record up to it is known to be stored.
  void finish_interrupted() {
    if (may_checkpoint_ && sorted_ && safe_ && safe_->instant > committed_.instant)
      commit(*safe_);
    else if (writer_.uncommitted_rows() > 0)
      commit_rows_only();
  }

  // True when the response held a record newer than the cursor it asked with.
  bool brought_newer() const { return newest_ && newest_->instant > asked_.instant; }
  // The newest cursor value of the response, if it held a record.
  const std::optional<Cursor>& newest() const { return newest_; }
  // The newest instant every record up to which was read, when the records
  // came sorted: what the cursor may cover even if the response was cut short.
  std::optional<Cursor> safe() const {
    return sorted_ && safe_ ? safe_ : std::nullopt;
  }
  // True when every record of the response was at the instant it asked from.
  bool all_at_asked() const { return accepted_ > 0 && !beyond_asked_; }
  // True when the response held a record older than the instant it asked
  // from: the API ignores since, and sends everything each time.
  bool before_asked() const { return before_asked_; }

 private:
  void note(const Record& record) {
    if (record.cursor != asked_.instant) beyond_asked_ = true;
    if (record.cursor < asked_.instant) before_asked_ = true;
    if (!newest_ || record.cursor > newest_->instant)
      newest_ = Cursor{record.cursor_text, record.cursor};
    prev_.instant = record.cursor;
    prev_.text.assign(record.cursor_text);
    have_prev_ = true;
    if (++since_progress_ >= kProgressEvery) {
      since_progress_ = 0;
      announce_checkpoints(writer_, observer_);
      observer_.on_progress(writer_.counters(), static_cast<std::uint64_t>(io_.bytes),
                            std::nullopt);
    }
  }

  // A checkpoint is due after checkpoint_rows rows, or after as many rows as
  // the table holds when that is more. A large transaction is applied in key
  // order and builds the table's plain indexes again (TableWriter::stage),
  // which costs as much as the table is large: with a fixed interval a full
  // sync would cost rows squared; with the interval growing as the table, a
  // sync of N rows applies about 2N in all, and a fault takes back at most
  // half of what the run has done.
  bool checkpoint_due() const {
    if (!may_checkpoint_) return false;
    const std::int64_t rows = writer_.uncommitted_rows();
    return rows >= checkpoint_rows_ && rows >= table_rows_;
  }

  void commit(const Cursor& cursor) {
    // Queued behind the rows it covers; on a fault, the retry waits for the
    // queue (RowWriter::rewind) before it asks from committed_.
    table_rows_ += writer_.uncommitted_rows();
    writer_.commit(&cursor, io_);
    committed_ = cursor;
  }

  void commit_rows_only() {
    table_rows_ += writer_.uncommitted_rows();
    writer_.commit(nullptr, io_);
  }

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
  std::int64_t since_progress_ = 0;
  std::int64_t accepted_ = 0;
  std::int64_t rejected_ = 0;
  std::string first_reason_;
};

// Keys a message names at most, of the records that came twice.
constexpr std::size_t kKeysNamed = 5;

// What the responses of one stream's run brought: for the all-rejected check,
// and the keys that came twice in a chain of pages, with a new version (the
// data moved under the pages) or the same one (the API's own duplicate), the
// first kKeysNamed of each as messages name them.
struct Tally {
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t all_rejected_responses = 0;
  std::string first_reason;
  std::int64_t duplicates = 0;
  std::vector<std::string> moved_keys, duplicate_keys;

  void add(const Tally& other) {
    accepted += other.accepted;
    rejected += other.rejected;
    all_rejected_responses += other.all_rejected_responses;
    if (first_reason.empty()) first_reason = other.first_reason;
    duplicates += other.duplicates;
    for (const std::string& key : other.moved_keys) note_key(moved_keys, key);
    for (const std::string& key : other.duplicate_keys) note_key(duplicate_keys, key);
  }

  static void note_key(std::vector<std::string>& keys, const std::string& key) {
    if (keys.size() < kKeysNamed) keys.push_back(key);
  }
};

// The primary key of `record` as messages show it: its values, comma-separated.
std::string key_text(const Record& record, const std::vector<std::string>& key_fields) {
  std::string text;
  for (const std::string& name : key_fields) {
    const FieldValue* f = record.find(name);
    if (!text.empty()) text += ", ";
    text += f ? f->text.substr(0, 64) : std::string("null");
  }
  return text;
}

// "keys 12, 17 and 40" for messages ("key 12" for one; "..." after the first
// kKeysNamed of more).
std::string keys_named(const std::vector<std::string>& keys, std::int64_t count) {
  std::string text = keys.size() == 1 ? "key " : "keys ";
  for (std::size_t i = 0; i < keys.size(); ++i)
    text += (i == 0 ? "" : i + 1 == keys.size() && count <= static_cast<std::int64_t>(keys.size())
                              ? " and "
                              : ", ") +
            keys[i];
  if (count > static_cast<std::int64_t>(keys.size())) text += ", ...";
  return text;
}

std::string read_error_body(HttpGet& get) {
  std::string text;
  try {
    while (text.size() < kErrorBodyLimit) {
      const std::string_view chunk = get.next_chunk();
      if (chunk.empty()) break;
      text.append(chunk.substr(0, kErrorBodyLimit - text.size()));
    }
  } catch (const Interrupted&) {
    throw;
  } catch (const RunDeadline&) {
    throw;
  } catch (const Error&) {
    // The status says enough; the body was only for context.
  }
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string status_hint(long status, const StreamConfig& stream, const Authenticator* auth) {
  if ((status == 401 || status == 403) && auth)
    return " (stream \"" + stream.name + "\": the API refused " + auth->describe() + ")";
  if (status == 401 || status == 403)
    return " (stream \"" + stream.name + "\": " +
           (stream.token_env
                ? "the API refused the bearer token: check the token in $" + *stream.token_env
                : std::string("the API wants credentials: set auth or token_env in "
                              "the configuration")) +
           ")";
  if (status == 404) return " (check the stream's url)";
  return "";
}

// How a stream's requests go out: its options, its credentials (when it has
// an auth setting), its rate, and the connections its requests share.
struct Transport {
  const HttpOptions& http;
  Authenticator* auth;
  RateLimiter& rate;
  HttpSession& session;
};

// Sends one request, signed by `auth` when there is one, and waits for its
// status: a transient fault status throws TransientError, any other failure
// PermanentError, both naming the request. A 401 to a session or access
// token is answered once with a new login or token and the same request.
// `where` is set to "GET <url>: HTTP <status>" for messages about the body.
std::unique_ptr<HttpGet> open_response(const StreamConfig& stream, const Transport& net,
                                       const std::string& url, SyncObserver& observer,
                                       RunCounters& io, std::string& where) {
  const HttpOptions& http = net.http;
  Authenticator* const auth = net.auth;
  RateLimiter& rate = net.rate;
  HttpSession& session = net.session;
  std::unique_ptr<HttpGet> get;
  long status = 0;
  const auto signing_in = [&](const SignIn& sign_in) {
    const bool login = sign_in.kind == SignIn::Kind::Login;
    ++(login ? io.logins : io.token_requests);
    observer.on_sign_in(login, sign_in.url, sign_in.reason, sign_in.renewal);
  };
  for (;;) {
    rate.acquire();
    observer.on_request(url);
    if (auth) {
      HttpOptions signed_options = http;
      auth->apply(signed_options, signing_in);
      get = std::make_unique<HttpGet>(signed_options, url, &session);
    } else {
      get = std::make_unique<HttpGet>(http, url, &session);
    }
    status = get->status();
    observer.on_response(status, get->content_length());
    if (status == 401 && auth && !get->secrets_withheld() && auth->renew_after_refusal()) {
      read_error_body(*get);  // the connection stays usable
      ++io.requests;          // the same request again, with a new login or token
      ++io.retries;
      continue;
    }
    break;
  }
  where = "GET " + get->url() + ": HTTP " + std::to_string(status);
  if (status == 429 && get->retry_after_seconds() > 0)
    rate.pause(get->retry_after_seconds());  // every request to the stream waits
  if (status == 408 || status == 429 || status >= 500) {
    const std::string body = read_error_body(*get);
    throw TransientError(where + (body.empty() ? "" : ": " + body), get->retry_after_seconds());
  }
  if (status < 200 || status >= 300) {
    const std::string body = read_error_body(*get);
    throw PermanentError(where + (body.empty() ? "" : ": " + body) +
                         status_hint(status, stream, auth));
  }
  if (auth) auth->accepted();
  return get;
}

// Reads the records of a response into `sink`, which keeps what it read so far
// when SIGINT/SIGTERM or the run's deadline stops it (Sink::finish_interrupted).
template <typename Sink>
void read_records(HttpGet& get, const std::string& where, const RecordShape& shape, Sink& sink,
                  SyncObserver& observer, RunCounters& io, const RowWriter& writer) {
  BodySource source(get, observer, io, writer, get.content_length());
  try {
    parse_records(source, shape, sink);
  } catch (const Interrupted&) {
    sink.finish_interrupted();
    throw;
  } catch (const RunDeadline&) {
    sink.finish_interrupted();  // a safe point, as on SIGTERM
    throw;
  } catch (const TransientError& e) {
    // The transfer's own errors already name the request.
    const std::string what = e.what();
    throw TransientError(what.rfind("GET ", 0) == 0 ? what : where + ": " + what);
  } catch (const PermanentError& e) {
    const std::string type = get.content_type();
    throw PermanentError(where + (type.empty() ? "" : " (" + type + ")") + ": " + e.what());
  }
}

void count_response(Tally& tally, std::int64_t accepted, std::int64_t rejected,
                    const std::string& first_reason) {
  tally.accepted += accepted;
  tally.rejected += rejected;
  if (accepted == 0 && rejected > 0) {
    ++tally.all_rejected_responses;
    if (tally.first_reason.empty()) tally.first_reason = first_reason;
  }
}

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
  answer.capped = watch_cap && previous && *previous == answer.records &&
                  answer.records >= 2 && !sink.before_asked();
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

// The since value a request starting from `committed` sends.
std::string since_value(const StreamConfig& stream, const Cursor& committed) {
  return stream.lookback_seconds > 0
             ? format_cursor(stream.cursor_format,
                             minus_seconds(committed.instant, stream.lookback_seconds))
             : committed.text;
}

// Where a stream read in windows starts from `committed`: lookback_seconds
// before it, as the since of an unwindowed request.
Instant windows_from(const StreamConfig& stream, Instant committed) {
  return stream.lookback_seconds > 0 ? minus_seconds(committed, stream.lookback_seconds)
                                     : committed;
}

// The request URL: the stream's url, its fixed parameters, then since.
std::string request_url(const StreamConfig& stream, const Cursor& committed) {
  std::string url = stream.url;
  char separator = '?';
  auto add = [&](const std::string& name, const std::string& value) {
    url += separator;
    append_url_encoded(url, name);
    url += '=';
    append_url_encoded(url, value);
    separator = '&';
  };
  for (const auto& [name, value] : stream.params) add(name, value);
  if (!stream.since_param.empty()) add(stream.since_param, since_value(stream, committed));
  return url;
}

HttpOptions http_options(const Config& config, const StreamConfig& stream) {
  HttpOptions http;
  http.timeout_seconds = config.timeout_seconds;
  http.ca_file = config.ca_file.value_or("");
  http.bearer_token = stream.token;
  http.min_bytes_per_second = config.min_bytes_per_second;
  http.redactor = config.redactor;
  http.credentials_origin = stream.url;
  for (const HeaderSetting& h : stream.headers)
    http.headers.push_back(HttpHeader{h.name, h.value, h.env.has_value()});
  return http;
}

// Sleeps `seconds`, waking early to honour SIGINT/SIGTERM.
void interruptible_sleep(double seconds) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    check_interrupted();
    const Clock::duration left = until - Clock::now();
    std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(50)));
  }
  check_interrupted();
}

class Backoff {
 public:
  explicit Backoff(const Config& config) : config_(config), random_(std::random_device{}()) {}

  // The wait before retry number `retry` (1-based): exponential with jitter,
  // at least what the server asked for.
  double wait(int retry, double retry_after) {
    const double ceiling = std::min(60.0, config_.retry_base_seconds * std::ldexp(1.0, retry - 1));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    const double backoff = ceiling * jitter(random_);
    return retry_after > 0 ? std::max(retry_after, backoff) : backoff;
  }

 private:
  const Config& config_;
  std::mt19937_64 random_;
};

// Decides, after each transient fault of a stream's run, whether to try again
// and how long to wait first: at most max_retries in a row, and at most
// retry_budget_seconds of waiting in the run.
class Retrier {
 public:
  Retrier(const Config& config, SyncObserver& observer, RunCounters& io)
      : config_(config), observer_(observer), io_(io), backoff_(config) {}

  // The attempt succeeded (or committed progress): the count starts afresh.
  void reset() { retry_ = 0; }

  // Waits before the next attempt after `e`, or throws Error when the retries
  // or their budget are spent.
  void after(const TransientError& e) {
    if (retry_ >= config_.max_retries)
      throw Error(std::string(e.what()) + " (gave up after " + std::to_string(retry_ + 1) +
                  (retry_ == 0 ? " attempt" : " attempts") + "; max_retries is " +
                  std::to_string(config_.max_retries) + ")");
    ++retry_;
    const double wait = backoff_.wait(retry_, e.retry_after_seconds());
    if (waited_ + wait > config_.retry_budget_seconds) {
      std::ostringstream why;
      why << e.what() << " (gave up: waiting " << std::fixed << std::setprecision(1) << wait
          << " s more, after " << waited_ << " s of retries, would exceed " << std::defaultfloat
          << std::setprecision(6) << "retry_budget_seconds = " << config_.retry_budget_seconds
          << ")";
      throw Error(why.str());
    }
    observer_.on_retry(e.what(), wait, retry_, config_.max_retries);
    ++io_.retries;
    interruptible_sleep(wait);
    waited_ += wait;
  }

 private:
  const Config& config_;
  SyncObserver& observer_;
  RunCounters& io_;
  Backoff backoff_;
  int retry_ = 0;
  double waited_ = 0;
};

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
            const StreamConfig& stream, long long checkpoint_rows, bool track_keys)
      : writer_(writer),
        observer_(observer),
        io_(io),
        key_fields_(stream.primary_key),
        last_field_(stream.pagination.type == PagingType::LastRecord ? stream.pagination.field
                                                                     : std::string()),
        checkpoint_rows_(checkpoint_rows),
        track_keys_(track_keys) {}

  // A page begins; its facts are filled in as it is read.
  void begin_page(PageFacts& facts) {
    facts_ = &facts;
    page_keys_.clear();
    page_repeats_ = page_duplicates_ = 0;
    page_moved_keys_.clear();
    page_duplicate_keys_.clear();
    page_accepted_ = page_rejected_ = 0;
    page_newest_.reset();
  }

  void on_record(const Record& record) override {
    ++page_accepted_;
    page_record(&record);
    writer_.upsert(record);
    if (!page_newest_ || record.cursor > page_newest_->instant)
      page_newest_ = Cursor{record.cursor_text, record.cursor};
    if (++since_progress_ >= kProgressEvery) {
      since_progress_ = 0;
      announce_checkpoints(writer_, observer_);
      observer_.on_progress(writer_.counters(), static_cast<std::uint64_t>(io_.bytes),
                            std::nullopt);
    }
  }

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
  void end_page() {
    pending_keys_.merge(page_keys_);
    pending_.repeats += page_repeats_;
    if (page_newest_ && (!pending_.newest || page_newest_->instant > pending_.newest->instant))
      pending_.newest = page_newest_;
    count_response(pending_.tally, page_accepted_, page_rejected_, page_first_reason_);
    pending_.tally.duplicates += page_duplicates_;
    for (const std::string& key : page_moved_keys_) Tally::note_key(pending_.tally.moved_keys, key);
    for (const std::string& key : page_duplicate_keys_)
      Tally::note_key(pending_.tally.duplicate_keys, key);
    page_first_reason_.clear();
  }

  // True when the page brought records and every one had come before in
  // this chain (an API that ignores the paging parameter looks like this).
  bool page_only_repeats() const {
    return track_keys_ && facts_->records > 0 &&
           page_repeats_ + page_duplicates_ == facts_->records;
  }

  // At a page boundary: whether the rows read since the last commit should be
  // committed now (checkpoint_rows of them, kCommitSeconds since the last
  // commit, or the first page read whole after a fault).
  bool commit_due() const {
    const std::int64_t rows = writer_.uncommitted_rows();
    if (rows == 0) return false;
    return rows >= checkpoint_rows_ || after_fault_ ||
           std::chrono::duration<double>(Clock::now() - last_commit_).count() >= kCommitSeconds;
  }

  // Commits the rows read so far, without moving the cursor; what the pages
  // since the last commit brought now counts for good.
  void commit_rows(Tally& tally) {
    if (writer_.uncommitted_rows() > 0) writer_.commit(nullptr, io_);
    settle_pending(tally);
    last_commit_ = Clock::now();
    after_fault_ = false;
  }

  // After a transient fault, once the writer has rolled back to the last
  // commit: forgets what the pages since then brought, to be read again.
  void rewind() {
    pending_keys_.clear();
    page_keys_.clear();
    pending_ = Pending();
    page_first_reason_.clear();
    after_fault_ = true;
  }

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
                      const std::optional<Cursor>& at_end = std::nullopt, bool newest = true) {
    settle_pending(tally);
    const std::optional<Cursor> target = at_end ? at_end : newest ? newest_ : std::nullopt;
    if (repeats_ == 0 && target && target->instant > start.instant)
      writer_.commit(&*target, io_);
    else if (writer_.uncommitted_rows() > 0)
      writer_.commit(nullptr, io_);
    return repeats_;
  }

 private:
  // What the pages read whole since the last commit brought.
  struct Pending {
    std::int64_t repeats = 0;
    std::optional<Cursor> newest;
    Tally tally;
  };

  void settle_pending(Tally& tally) {
    seen_.merge(pending_keys_);
    pending_keys_.clear();
    repeats_ += pending_.repeats;
    if (pending_.newest && (!newest_ || pending_.newest->instant > newest_->instant))
      newest_ = pending_.newest;
    tally.add(pending_.tally);
    pending_ = Pending();
  }

  void page_record(const Record* record) {
    ++facts_->records;
    if (!last_field_.empty()) {
      const FieldValue* f = record ? record->find(last_field_) : nullptr;
      if (f && f->kind != ValueKind::Null && f->kind != ValueKind::Json)
        facts_->last_value = f->text;
      else
        facts_->last_value.reset();
    }
    if (!track_keys_ || !record) return;
    // Each key is kept twice: alone, and with its version (its cursor value).
    const std::uint64_t h = SeenKeys::hash_of(*record, key_fields_);
    const std::uint64_t v = SeenKeys::with_version(h, record->cursor_text);
    auto seen = [&](std::uint64_t x) {
      return seen_.contains(x) || pending_keys_.contains(x) || page_keys_.contains(x);
    };
    if (seen(h)) {
      const bool same_version = seen(v);
      ++(same_version ? page_duplicates_ : page_repeats_);
      auto& keys = same_version ? page_duplicate_keys_ : page_moved_keys_;
      if (keys.size() < kKeysNamed) keys.push_back(key_text(*record, key_fields_));
    }
    page_keys_.insert(h);
    page_keys_.insert(v);
  }

  void reject(const Record* record, std::string_view raw, std::string_view reason) {
    if (page_rejected_ == 0) page_first_reason_.assign(reason);
    ++page_rejected_;
    page_record(record);
    writer_.reject(raw, reason, record);
    observer_.on_rejected(reason);
  }

  RowWriter& writer_;
  SyncObserver& observer_;
  const RunCounters& io_;
  const std::vector<std::string> key_fields_;
  const std::string last_field_;
  const long long checkpoint_rows_;
  const bool track_keys_;
  PageFacts* facts_ = nullptr;
  SeenKeys seen_;          // keys of the pages committed
  SeenKeys pending_keys_;  // keys of the pages read whole since the last commit
  SeenKeys page_keys_;     // keys of the page being read
  Pending pending_;
  std::int64_t repeats_ = 0;      // records that came twice, in the pages committed
  std::optional<Cursor> newest_;  // the newest cursor value of the pages committed
  std::int64_t page_repeats_ = 0;     // keys of the page that came before with another version
  std::int64_t page_duplicates_ = 0;  // keys of the page that came before with the same version
  std::vector<std::string> page_moved_keys_, page_duplicate_keys_;
  std::int64_t page_accepted_ = 0;
  std::int64_t page_rejected_ = 0;
  std::string page_first_reason_;
  std::optional<Cursor> page_newest_;
  Clock::time_point last_commit_ = Clock::now();
  bool after_fault_ = false;
  std::int64_t since_progress_ = 0;
};

// The pager of a chain that starts from `start`: the stream's params and
// since on the first request, and on the later ones as the pagination says.
// A window of time asks since=<start> and until=<end> on every page.
Pager make_pager(const StreamConfig& stream, const Cursor& start,
                 const std::optional<Window>& window = std::nullopt) {
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

// Reads one chain of pages from `start` (docs/paging.md): follows the
// API's pages until the pagination says the chain has ended and commits the
// cursor with the chain's last rows. A transient fault rolls back to the last
// commit and resumes the chain from the page after it, with the pager as it
// was then. Returns the number of records that came more than once (0: the
// chain is settled, its cursor moved).
// With a `window`, the chain asks for that window's records and, settled, moves
// the cursor to `window_cursor` when there is one (the windows before it are
// complete) and nowhere otherwise.
std::int64_t read_chain(const Config& config, const StreamConfig& stream, const Transport& net,
                        RowWriter& rows, SyncObserver& observer, RunCounters& io,
                        const Cursor& start, Tally& tally,
                        const std::optional<Window>& window = std::nullopt,
                        const std::optional<Cursor>& window_cursor = std::nullopt) {
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

// Reads an unpaged stream: asks from the newest record read so far again while
// answers bring newer records (docs/paging.md). Without a declared
// pagination the answers are watched for the signs of an API that caps them
// (docs/paging.md, "Capped answers"): the cursor moves past the newest instant of an
// answer only once the run has read to the end, and two answers in a row of
// the same size fail the stream. With "pagination": {"type": "since"} the API
// is taken at its word that an answer never splits an instant: each answer
// commits its newest record as the cursor. Returns 0: a record can only come
// twice in a chain of pages.
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
      answer = fetch(config, stream, net, url, rows, observer, io, position, committed,
                     table_rows, tally, watch_cap, first, previous);
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

// The second a run's windows end at: the second it started.
Instant now_second() {
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  return Instant{std::chrono::duration_cast<std::chrono::seconds>(wall).count(), 0};
}

std::string window_name(const StreamConfig& stream, const Window& w) {
  return "window " + format_cursor(stream.cursor_format, w.start) + " .. " +
         format_cursor(stream.cursor_format, w.end);
}

// A window's failure, for windows_failed.
Failure window_failure(const StreamConfig& stream, const Window& w, std::string why) {
  return Failure{
      window_name(stream, w),
      std::move(why),
      {format_cursor(stream.cursor_format, w.start), format_cursor(stream.cursor_format, w.end)},
      w.start.seconds};
}

// The error of a stream whose windows `failures` failed: windows that failed
// alike are said once, with their count and the first and last of them
// (group_failures); after kEachInFull, each window's error in full.
Error windows_failed(std::vector<Failure> failures) {
  const std::size_t n = failures.size();
  const GroupedFailures grouped = group_failures(failures);
  std::string text = std::to_string(n) + (n == 1 ? " window failed" : " windows failed") +
                     (n > 1 && grouped.ways == 1 ? " alike" : "") +
                     (grouped.ways > 1 ? " in " + std::to_string(grouped.ways) + " ways" : "") +
                     " (the cursor stays below the first; the next run reads it and the "
                     "windows after it again): " +
                     grouped.text;
  if (n > 1) text += std::string(kEachInFull) + each_failure(failures);
  return Error(text);
}

// The cursor that says every window up to `w` is complete: just below its end.
Cursor cursor_through(const StreamConfig& stream, const Window& w) {
  const Instant last = last_before(w.end, stream.cursor_format);
  return Cursor{format_cursor(stream.cursor_format, last), last};
}

// Reads a stream's range of time in windows of window_seconds
// (docs/windows-and-concurrency.md), from the cursor (`resume`: the saved one, else the
// stream's first) to the second the run started, each window one chain of
// pages. The cursor moves only through windows complete with every window
// before them, to just below the end of the last of them. A window that fails
// does not stop the others: their rows are stored, and the run fails at the
// end naming every window that failed. Returns the records that came twice.
std::int64_t read_windows(const Config& config, const StreamConfig& stream, const Transport& net,
                          RowWriter& rows, SyncObserver& observer, RunCounters& io,
                          const Cursor& from, Tally& tally) {
  std::int64_t repeats = 0;
  bool prefix_complete = true;
  std::vector<Failure> failures;
  for (const Window& w :
       windows_between(windows_from(stream, from.instant), now_second(), stream.window_seconds,
                       stream.cursor_format)) {
    std::optional<Cursor> cursor;
    if (prefix_complete) cursor = cursor_through(stream, w);
    try {
      const std::int64_t twice =
          read_chain(config, stream, net, rows, observer, io, from, tally, w, cursor);
      repeats += twice;
      if (twice > 0) prefix_complete = false;
    } catch (const Interrupted&) {
      throw;
    } catch (const RunDeadline&) {
      throw;
    } catch (const Error& e) {
      rows.rewind();  // a failure of the replica itself stops the stream
      announce_checkpoints(rows, observer);
      prefix_complete = false;
      failures.push_back(window_failure(stream, w, e.what()));
    }
  }
  if (!failures.empty()) throw windows_failed(failures);
  return repeats;
}

// The records of a run of one request at a time go to the stream's
// BackgroundWriter; a fault rolls its ReplicaWriter back to the last commit.
class BackgroundRows : public RowWriter {
 public:
  BackgroundRows(BackgroundWriter& background, ReplicaWriter& writer)
      : background_(background), writer_(writer) {}
  void upsert(const Record& record) override { background_.upsert(record); }
  void reject(std::string_view raw, std::string_view reason, const Record* keyed) override {
    background_.reject(raw, reason, keyed);
  }
  void commit(const Cursor* cursor, const RunCounters& io) override {
    background_.commit(cursor, io);
  }
  void rewind() override {
    background_.settle();
    writer_.rollback();
  }
  std::int64_t uncommitted_rows() const override { return background_.uncommitted_rows(); }
  RunCounters counters() const override { return background_.counters(); }
  std::vector<Cursor> take_committed_cursors() override {
    return background_.take_committed_cursors();
  }

 private:
  BackgroundWriter& background_;
  ReplicaWriter& writer_;
};

// One stream's run: where it starts, its writer, and what it has counted.
// Made and finished where the replica may be written (the caller's thread in
// a run of one request at a time, the WriteQueue's in a run of many).
struct StreamRun {
  StreamRun(const Config& settings, const StreamConfig& of, Replica& replica, SyncReport& into,
            bool full_pass, std::shared_ptr<Authenticator> authenticator)
      : config(settings),
        stream(of),
        report(into),
        full(full_pass),
        auth(std::move(authenticator)),
        http(http_options(config, stream)),
        rate(stream.max_requests_per_second) {
    if (stream.auth && !auth) auth = make_authenticator(config, stream);
    report.stream = stream.name;
    report.full = full;
    const std::optional<Cursor> saved = replica.cursor(stream.name, stream.cursor_format);
    if (saved) report.cursor_before = saved->text;
    if (saved && !full) {
      committed = *saved;
    } else {
      committed.text = stream.first_cursor();
      committed.instant = *parse_cursor(stream.cursor_format, committed.text);
    }
    writer = std::make_unique<ReplicaWriter>(replica, stream.name, stream.table_spec(), saved);
    writer->set_redactor(config.redactor);
    writer->set_stage_after(config.sorted_apply_rows);
    report.run_id = writer->run_id();
    if (full) writer->begin_full_pass(saved);
    table_rows = writer->estimated_rows();
  }

  void fill_report(const RunCounters& io) {
    report.counters = writer->committed();
    report.counters.requests = io.requests;
    report.counters.retries = io.retries;
    report.counters.bytes = io.bytes;
    report.counters.logins = io.logins;
    report.counters.token_requests = io.token_requests;
    if (!writer->cursor().empty()) report.cursor_after = writer->cursor();
    report.seconds =
        std::chrono::duration<double>((ended ? *ended : Clock::now()) - started).count();
  }

  // Everything was read (`repeats` records came twice): warns of responses
  // rejected whole and of records that came twice, fails a run that stored
  // nothing and rejected everything, reconciles a full pass, and ends the run.
  void finish_ok(const RunCounters& io) {
    report.all_rejected_responses = tally.all_rejected_responses;
    if (tally.all_rejected_responses > 0) {
      report.warning = "every record of " + std::to_string(tally.all_rejected_responses) +
                       (tally.all_rejected_responses == 1 ? " response" : " responses") +
                       " was rejected (" + tally.first_reason +
                       "; check the stream's cursor_field and primary_key)";
      writer->set_warning(report.warning);
    }
    if (tally.accepted == 0 && tally.rejected > 0)
      throw Error("stored no record and rejected all " + std::to_string(tally.rejected) +
                  " (the first because: " + tally.first_reason + "); check the stream's " +
                  "cursor_field (\"" + stream.cursor_field + "\") and primary_key, and see " +
                  "the records in _rejected");
    if (tally.duplicates > 0) {
      const std::string twice =
          std::to_string(tally.duplicates) + (tally.duplicates == 1 ? " record" : " records") +
          " came twice with the same " + stream.cursor_field + " (" +
          keys_named(tally.duplicate_keys, tally.duplicates) +
          "): the API sent one key for two records, or one record twice; the row holds the "
          "later one" +
          (full ? ", and this full pass still marks what the API did not send" : "");
      report.warning = report.warning.empty() ? twice : report.warning + "; " + twice;
      writer->set_warning(report.warning);
    }
    if (repeats > 0) {
      const std::string moved =
          std::to_string(repeats) + (repeats == 1 ? " record" : " records") +
          " came twice with a newer " + stream.cursor_field + " while the pages were read (" +
          keys_named(tally.moved_keys, repeats) +
          "): the data changed under the pages, which may have moved another record past "
          "them, so the cursor stays where this run began (" +
          committed.text + ") and the next run reads from there again" +
          (full ? "; this full pass deletes nothing" : "");
      report.warning = report.warning.empty() ? moved : report.warning + "; " + moved;
      writer->set_warning(report.warning);
    }
    if (full && repeats == 0) {
      RunCounters counts = writer->committed();
      counts.requests = io.requests;
      counts.retries = io.retries;
      counts.bytes = io.bytes;
      writer->reconcile(stream.max_delete_fraction, counts);
    }
    fill_report(io);
    report.status = "ok";
    writer->finish("ok", "", report.counters);
  }

  // The run stopped (`status` "interrupted") or failed ("error") with `e`.
  void finish_failed(const RunCounters& io, std::string_view status, const std::exception& e) {
    fill_report(io);
    report.status = status;
    report.error = e.what();
    report.exit_code = kExitError;
    if (const auto* error = dynamic_cast<const Error*>(&e)) report.exit_code = error->exit_code();
    writer->finish(status, e.what(), report.counters);
  }

  const Config& config;
  const StreamConfig& stream;
  SyncReport& report;
  const bool full;
  std::shared_ptr<Authenticator> auth;
  Clock::time_point started = Clock::now();
  std::optional<Clock::time_point> ended;  // with requests in flight: its last job's end
  Cursor committed;                        // where the run starts; an unpaged run moves it
  std::unique_ptr<ReplicaWriter> writer;
  std::int64_t table_rows = 0;
  const HttpOptions http;
  RateLimiter rate;
  Tally tally;
  std::int64_t repeats = 0;
};

// Reads the whole of a stream, as its configuration says: in windows of time,
// as one chain of pages, or asking from the cursor while there is more.
std::int64_t read_stream(StreamRun& run, const Transport& net, RowWriter& rows,
                         SyncObserver& observer, RunCounters& io) {
  const StreamConfig& stream = run.stream;
  if (stream.window_seconds > 0)
    return read_windows(run.config, stream, net, rows, observer, io, run.committed, run.tally);
  if (stream.pagination.paged())
    return read_chain(run.config, stream, net, rows, observer, io, run.committed, run.tally);
  return read_unpaged(run.config, stream, net, rows, observer, io, run.committed, run.table_rows,
                      run.tally);
}

}  // namespace

std::shared_ptr<Authenticator> make_authenticator(const Config& config,
                                                  const StreamConfig& stream) {
  if (!stream.auth) return nullptr;
  HttpOptions transport;
  transport.timeout_seconds = config.timeout_seconds;
  transport.ca_file = config.ca_file.value_or("");
  transport.min_bytes_per_second = config.min_bytes_per_second;
  return std::make_shared<Authenticator>(
      stream.auth, transport, config.redactor,
      credentials_path(config.database, stream.auth->credentials_file));
}

void sync_stream(const Config& config, const StreamConfig& stream, Replica& replica,
                 SyncObserver& observer, SyncReport& report, bool full,
                 std::shared_ptr<Authenticator> auth) {
  StreamRun run(config, stream, replica, report, full, std::move(auth));
  BackgroundWriter background(*run.writer);
  BackgroundRows rows(background, *run.writer);
  RunCounters io;
  HttpSession session;  // every request of the stream, every window and page, shares it
  const Transport net{run.http, run.auth.get(), run.rate, session};
  try {
    run.repeats = read_stream(run, net, rows, observer, io);
    background.drain();
    announce_checkpoints(rows, observer);
    run.finish_ok(io);
  } catch (const Interrupted& e) {
    background.settle_quietly();
    announce_checkpoints(rows, observer);
    run.finish_failed(io, "interrupted", e);
    throw;
  } catch (const std::exception& e) {
    background.settle_quietly();
    announce_checkpoints(rows, observer);
    run.finish_failed(io, "error", e);
    throw;
  }
}

namespace {

// The observer of one stream in a run with requests in flight: calls from
// every thread, one at a time, each about another stream than the last
// preceded by on_focus().
class StreamObserver : public SyncObserver {
 public:
  struct Shared {
    SyncObserver& target;
    std::mutex mutex;
    const std::string* focus = nullptr;
  };

  StreamObserver(Shared& shared, const std::string& name) : shared_(shared), name_(name) {}

  void on_stream(const std::string& name, std::size_t of) override {
    forward([&](SyncObserver& o) { o.on_stream(name, of); });
  }
  void on_stream_end(const std::string& name) override {
    forward([&](SyncObserver& o) { o.on_stream_end(name); });
  }
  void on_request(const std::string& url) override {
    forward([&](SyncObserver& o) { o.on_request(url); });
  }
  void on_response(long status, std::optional<std::uint64_t> length) override {
    forward([&](SyncObserver& o) { o.on_response(status, length); });
  }
  void on_retry(const std::string& reason, double wait, int retry, int max_retries) override {
    forward([&](SyncObserver& o) { o.on_retry(reason, wait, retry, max_retries); });
  }
  void on_sign_in(bool login, const std::string& url, const std::string& reason,
                  bool renewal) override {
    forward([&](SyncObserver& o) { o.on_sign_in(login, url, reason, renewal); });
  }
  void on_checkpoint(const Cursor& cursor, const RunCounters& committed) override {
    forward([&](SyncObserver& o) { o.on_checkpoint(cursor, committed); });
  }
  void on_progress(const RunCounters& written, std::uint64_t body_bytes,
                   std::optional<std::uint64_t> length) override {
    forward([&](SyncObserver& o) { o.on_progress(written, body_bytes, length); });
  }
  void on_rejected(std::string_view reason) override {
    forward([&](SyncObserver& o) { o.on_rejected(reason); });
  }

 private:
  template <typename Call>
  void forward(Call call) {
    const std::lock_guard lock(shared_.mutex);
    if (shared_.focus != &name_) {
      shared_.focus = &name_;
      shared_.target.on_focus(name_);
    }
    call(shared_.target);
  }

  Shared& shared_;
  const std::string& name_;
};

// The windows of a stream read in a run with requests in flight, and the
// prefix of them that is complete: the cursor is committed through it.
class WindowPrefix {
 public:
  explicit WindowPrefix(std::vector<Window> windows)
      : windows_(std::move(windows)), state_(windows_.size(), kPending) {}

  const std::vector<Window>& windows() const { return windows_; }

  // Window `i` was read whole and settled (`complete`), or not. When that
  // makes the prefix of complete windows longer, commits the cursor through
  // it, behind the rows of those windows (each window's chain committed its
  // rows before it ended).
  void done(std::size_t i, bool complete, const StreamConfig& stream, RowWriter& rows,
            const RunCounters& io) {
    const std::lock_guard lock(mutex_);  // cursors are handed over in order
    state_[i] = complete ? kComplete : kIncomplete;
    const std::size_t before = prefix_;
    while (prefix_ < state_.size() && state_[prefix_] == kComplete) ++prefix_;
    if (prefix_ > before) {
      const Cursor cursor = cursor_through(stream, windows_[prefix_ - 1]);
      rows.commit(&cursor, io);
    }
  }

 private:
  static constexpr signed char kPending = 0, kComplete = 1, kIncomplete = -1;
  std::mutex mutex_;
  const std::vector<Window> windows_;
  std::vector<signed char> state_;
  std::size_t prefix_ = 0;
};

// A stream of a run with requests in flight: its run, its writes, and how its
// jobs (its windows, or the whole stream) ended.
struct ConcurrentStream {
  std::unique_ptr<StreamRun> run;
  std::unique_ptr<StreamLedger> ledger;
  std::unique_ptr<StreamObserver> observer;
  std::optional<WindowPrefix> windows;  // a windowed stream's
  std::mutex mutex;                     // guards what follows
  std::size_t of = 1;                   // streams in the run
  std::size_t jobs_left = 0;
  bool started = false;
  bool skipped = false;        // a job of it was not started: the run was stopped
  std::exception_ptr stopped;  // Interrupted or RunDeadline
  std::exception_ptr failed;   // the stream's failure (not a window's)
  std::vector<Failure> window_failures;
};

struct Job {
  ConcurrentStream* stream;
  std::optional<std::size_t> window;  // index into the stream's windows
};

// Runs one job: a window of a stream, or a whole stream.
void run_job(const Job& job, WriteQueue& queue, HttpSession& session) {
  ConcurrentStream& cs = *job.stream;
  StreamRun& run = *cs.run;
  SyncObserver& observer = *cs.observer;
  {
    const std::lock_guard lock(cs.mutex);
    if (!cs.started) {
      run.started = Clock::now();
      observer.on_stream(run.stream.name, cs.of);
    }
    cs.started = true;
  }
  UnitWriter rows(queue, *cs.ledger);
  RunCounters io;
  Tally tally;
  std::int64_t repeats = 0;
  const Transport net{run.http, run.auth.get(), run.rate, session};
  auto settle = [&] {
    try {
      rows.count_io(io);
      announce_checkpoints(rows, observer);
    } catch (...) {
    }
  };
  try {
    if (job.window) {
      const Window& w = cs.windows->windows()[*job.window];
      repeats =
          read_chain(run.config, run.stream, net, rows, observer, io, run.committed, tally, w);
      cs.windows->done(*job.window, repeats == 0, run.stream, rows, io);
    } else {
      repeats = read_stream(run, net, rows, observer, io);
    }
    rows.count_io(io);
    cs.ledger->rethrow_failure();
  } catch (const Interrupted&) {
    settle();
    const std::lock_guard lock(cs.mutex);
    if (!cs.stopped) cs.stopped = std::current_exception();
  } catch (const RunDeadline&) {
    settle();
    const std::lock_guard lock(cs.mutex);
    if (!cs.stopped) cs.stopped = std::current_exception();
  } catch (const std::exception& e) {
    settle();
    const std::lock_guard lock(cs.mutex);
    if (job.window)
      cs.window_failures.push_back(
          window_failure(run.stream, cs.windows->windows()[*job.window], e.what()));
    else
      cs.failed = std::current_exception();
    if (job.window) {
      try {
        cs.windows->done(*job.window, false, run.stream, rows, io);
      } catch (...) {
      }
    }
  }
  announce_checkpoints(rows, observer);
  const std::lock_guard lock(cs.mutex);
  run.repeats += repeats;
  run.tally.add(tally);
  if (--cs.jobs_left == 0) {
    run.ended = Clock::now();
    observer.on_stream_end(run.stream.name);
  }
}

// Ends a stream of a run with requests in flight, on the writer's thread once
// every job has ended.
void finish_concurrent(ConcurrentStream& cs) {
  StreamRun& run = *cs.run;
  const RunCounters io = cs.ledger->io();
  try {
    if (cs.stopped) std::rethrow_exception(cs.stopped);
    cs.ledger->rethrow_failure();  // a failure of the replica itself
    if (cs.failed) std::rethrow_exception(cs.failed);
    if (!cs.window_failures.empty()) throw windows_failed(cs.window_failures);
    run.finish_ok(io);
  } catch (const Interrupted& e) {
    run.finish_failed(io, "interrupted", e);
  } catch (const std::exception& e) {
    run.finish_failed(io, "error", e);
  }
}

// The jobs of a run: each stream's windows, or the stream whole, taken in
// turns from the streams so that every stream starts early.
std::vector<Job> jobs_of(std::vector<std::unique_ptr<ConcurrentStream>>& streams) {
  std::vector<std::vector<Job>> per_stream;
  for (auto& cs : streams) {
    std::vector<Job>& jobs = per_stream.emplace_back();
    if (cs->windows)
      for (std::size_t i = 0; i < cs->windows->windows().size(); ++i) jobs.push_back({cs.get(), i});
    else
      jobs.push_back({cs.get(), std::nullopt});
    cs->jobs_left = jobs.size();
  }
  std::vector<Job> out;
  for (std::size_t turn = 0;; ++turn) {
    bool any = false;
    for (const auto& jobs : per_stream)
      if (turn < jobs.size()) {
        out.push_back(jobs[turn]);
        any = true;
      }
    if (!any) return out;
  }
}

// How many requests a stream could have in flight at once: a windowed stream
// one per window from where it starts, any other one.
std::size_t parallel_jobs(const StreamConfig& stream, Replica& replica, bool full) {
  if (stream.window_seconds <= 0) return 1;
  const std::optional<Cursor> saved = replica.cursor(stream.name, stream.cursor_format);
  const Instant from =
      saved && !full ? saved->instant : *parse_cursor(stream.cursor_format, stream.first_cursor());
  return windows_between(windows_from(stream, from), now_second(), stream.window_seconds,
                         stream.cursor_format)
      .size();
}

// The windows of a stream read with requests in flight. A window's pages come
// one after another, so a range of a few long windows would leave most of the
// requests allowed idle once the first windows end: a range of at least
// max_concurrency windows (a first sync, a catch-up; not a nightly top-up of
// a window or two) is cut into windows shorter than window_seconds, about
// kWindowsPerRequest per request allowed in flight, at least a second each.
// Shorter windows are still within what the API accepts, and the cursor rules
// are the same.
constexpr std::size_t kWindowsPerRequest = 6;

std::vector<Window> windows_in_flight(Instant from, long long window_seconds,
                                      CursorFormat format, const Config& config) {
  const Instant now = now_second();
  std::vector<Window> windows = windows_between(from, now, window_seconds, format);
  const auto allowed = static_cast<std::size_t>(config.max_concurrency);
  const std::size_t wanted = kWindowsPerRequest * allowed;
  if (windows.size() < allowed || windows.size() >= wanted) return windows;
  const auto parts = static_cast<long long>((wanted + windows.size() - 1) / windows.size());
  return windows_between(from, now, std::max(1LL, (window_seconds + parts - 1) / parts), format);
}

// Syncs `selected` with up to max_concurrency requests in flight: worker
// threads take the jobs (windows and streams) in turn, each over a connection
// of its own, and hand their rows to one writer thread.
void run_concurrently(const Config& config, const std::vector<const StreamConfig*>& selected,
                      Replica& replica, SyncObserver& observer, bool full,
                      std::map<const AuthConfig*, std::shared_ptr<Authenticator>>& authenticators,
                      std::vector<SyncReport>& reports) {
  reports.resize(selected.size());
  StreamObserver::Shared shared{observer, {}, nullptr};
  std::vector<std::unique_ptr<ConcurrentStream>> streams;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const StreamConfig& stream = *selected[i];
    SyncReport& report = reports[i];
    report.stream = stream.name;
    auto cs = std::make_unique<ConcurrentStream>();
    try {
      cs->run =
          std::make_unique<StreamRun>(config, stream, replica, report, full,
                                      stream.auth ? authenticators.at(stream.auth.get()) : nullptr);
    } catch (const std::exception& e) {
      report.status = "error";
      report.error = e.what();
      const auto* error = dynamic_cast<const Error*>(&e);
      report.exit_code = error ? error->exit_code() : kExitError;
      continue;
    }
    // Transactions are small and many: applying one staged, in key order,
    // would build the table's indexes again each time.
    cs->run->writer->set_stage_after(0);
    cs->ledger = std::make_unique<StreamLedger>(*cs->run->writer);
    cs->observer = std::make_unique<StreamObserver>(shared, stream.name);
    cs->of = selected.size();
    if (stream.window_seconds > 0)
      cs->windows.emplace(
          windows_in_flight(windows_from(stream, cs->run->committed.instant),
                            stream.window_seconds, stream.cursor_format, config));
    streams.push_back(std::move(cs));
  }
  const std::vector<Job> jobs = jobs_of(streams);
  {
    WriteQueue queue(2 * static_cast<std::size_t>(config.max_concurrency));
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    auto work = [&] {
      HttpSession session;  // the jobs of one worker share its connection
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= jobs.size()) return;
        if (stop.load()) {
          // Not started: the stream ends as the run was stopped.
          ConcurrentStream& cs = *jobs[i].stream;
          const std::lock_guard lock(cs.mutex);
          cs.skipped = true;
          if (--cs.jobs_left == 0 && cs.started) cs.observer->on_stream_end(cs.run->stream.name);
          continue;
        }
        run_job(jobs[i], queue, session);
        const std::lock_guard lock(jobs[i].stream->mutex);
        if (jobs[i].stream->stopped) stop.store(true);
      }
    };
    const std::size_t workers =
        std::min(jobs.size(), static_cast<std::size_t>(config.max_concurrency));
    std::vector<std::thread> threads;
    for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
    work();
    for (std::thread& t : threads) t.join();
    std::exception_ptr stopped;
    for (auto& cs : streams)
      if (cs->stopped && !stopped) stopped = cs->stopped;
    queue.post([&] {
      for (auto& cs : streams) {
        // A stream of a stopped run whose jobs did not all run ends stopped.
        if (stopped && !cs->stopped && cs->skipped) cs->stopped = stopped;
        finish_concurrent(*cs);
      }
    });
    queue.drain();
  }
}

}  // namespace

std::vector<SyncReport> run_streams(const Config& config, const std::vector<std::string>& names,
                                    SyncObserver& observer, bool full) {
  std::vector<const StreamConfig*> selected;
  for (const std::string& name : names) {
    const StreamConfig* stream = config.find_stream(name);
    if (!stream) {
      std::string known;
      for (const StreamConfig& s : config.streams) known += (known.empty() ? "" : ", ") + s.name;
      throw ConfigError("--stream " + name +
                        ": no such stream in the configuration (it has: " + known + ")");
    }
    if (std::find(selected.begin(), selected.end(), stream) == selected.end())
      selected.push_back(stream);
  }
  if (names.empty())
    for (const StreamConfig& s : config.streams) selected.push_back(&s);

  const RunDeadlineScope deadline(config.max_run_seconds);
  const HttpWarmUp warm_up;  // libcurl's set-up overlaps opening the replica
  SyncLock lock(config.database);
  Replica replica(config.database, ReplicaOptions{config.cache_size_mib});
  replica.mark_died_runs(lock);
  // Streams that share an auth setting (the top level's) share one login or
  // access token.
  std::map<const AuthConfig*, std::shared_ptr<Authenticator>> authenticators;
  for (const StreamConfig* stream : selected)
    if (stream->auth && !authenticators.count(stream->auth.get()))
      authenticators[stream->auth.get()] = make_authenticator(config, *stream);
  std::vector<SyncReport> reports;
  if (config.max_concurrency > 1) {
    std::size_t jobs = 0;
    for (const StreamConfig* stream : selected) jobs += parallel_jobs(*stream, replica, full);
    if (jobs > 1) {
      observer.on_concurrent_run(selected.size(), config.max_concurrency);
      run_concurrently(config, selected, replica, observer, full, authenticators, reports);
      return reports;
    }
  }
  for (const StreamConfig* stream : selected) {
    observer.on_stream(stream->name, selected.size());
    reports.emplace_back();
    SyncReport& report = reports.back();
    report.stream = stream->name;
    try {
      sync_stream(config, *stream, replica, observer, report, full,
                  stream->auth ? authenticators.at(stream->auth.get()) : nullptr);
    } catch (const Interrupted& e) {
      report.status = "interrupted";
      report.error = e.what();
      report.exit_code = e.exit_code();
      break;
    } catch (const RunDeadline& e) {
      report.status = "error";
      report.error = e.what();
      report.exit_code = e.exit_code();
      break;  // the streams after it are not started
    } catch (const std::exception& e) {
      report.status = "error";
      report.error = e.what();
      const auto* error = dynamic_cast<const Error*>(&e);
      report.exit_code = error ? error->exit_code() : kExitError;
    }
  }
  return reports;
}

void run_sync(const Config& config, SyncObserver& observer, SyncReport& report) {
  const RunDeadlineScope deadline(config.max_run_seconds);
  const HttpWarmUp warm_up;  // libcurl's set-up overlaps opening the replica
  SyncLock lock(config.database);
  Replica replica(config.database, ReplicaOptions{config.cache_size_mib});
  replica.mark_died_runs(lock);
  sync_stream(config, config.streams.front(), replica, observer, report);
}

SyncReport run_sync(const Config& config, SyncObserver& observer) {
  SyncReport report;
  run_sync(config, observer, report);
  return report;
}

}  // namespace tsync
