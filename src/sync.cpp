#include "sync.hpp"

#include <chrono>
#include <cmath>
#include <iomanip>
#include <random>
#include <sstream>
#include <thread>

#include "background_writer.hpp"
#include "errors.hpp"
#include "http_client.hpp"
#include "user_stream.hpp"

namespace tsync {
namespace {

constexpr std::string_view kStream = "user";
constexpr const char* kFirstCursor = "0001-01-01T00:00:00Z";
constexpr std::size_t kErrorBodyLimit = 300;
constexpr std::int64_t kProgressEvery = 4096;

using Clock = std::chrono::steady_clock;

// Tells the observer of the checkpoints the writer thread has made durable.
void announce_checkpoints(BackgroundWriter& writer, SyncObserver& observer) {
  for (const Cursor& cursor : writer.take_committed_cursors())
    observer.on_checkpoint(cursor, writer.counters());
}

// The body of one GET, as a ChunkSource for the record parser.
class BodySource : public ChunkSource {
 public:
  BodySource(HttpGet& get, SyncObserver& observer, RunCounters& io, const BackgroundWriter& writer,
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
  const BackgroundWriter& writer_;
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
  ResponseSink(BackgroundWriter& writer, SyncObserver& observer, const RunCounters& io,
               const Cursor& asked, Cursor& committed, long long checkpoint_rows,
               std::int64_t& table_rows)
      : writer_(writer),
        observer_(observer),
        io_(io),
        asked_(asked),
        committed_(committed),
        checkpoint_rows_(checkpoint_rows),
        table_rows_(table_rows) {}

  void on_record(const UserRecord& record) override {
    if (have_prev_) {
      if (record.updated < prev_.instant) {
        if (sorted_) sorted_ = false;
        if (checkpointed_ && record.updated <= committed_.instant) {
          writer_.upsert(record);
          commit(asked_);
          checkpointed_ = false;
          note(record);
          return;
        }
      } else if (sorted_ && record.updated > prev_.instant && prev_.instant > committed_.instant) {
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
    writer_.reject(raw, reason);
    observer_.on_rejected(reason);
  }

  // The body is complete: commit every row with the newest timestamp as cursor.
  void finish() {
    if (newest_ && newest_->instant > committed_.instant)
      commit(*newest_);
    else
      commit_rows_only();
  }

  // Stopped early (SIGINT/SIGTERM): keep the rows read so far, with the cursor
  // only as far as every record up to it is known to be stored.
  void finish_interrupted() {
    if (sorted_ && safe_ && safe_->instant > committed_.instant)
      commit(*safe_);
    else if (writer_.uncommitted_rows() > 0)
      commit_rows_only();
  }

  // True when the response held a record newer than the cursor it asked with.
  bool brought_newer() const { return newest_ && newest_->instant > asked_.instant; }

 private:
  void note(const UserRecord& record) {
    if (!newest_ || record.updated > newest_->instant)
      newest_ = Cursor{record.updated_text, record.updated};
    prev_.instant = record.updated;
    prev_.text.assign(record.updated_text);
    have_prev_ = true;
    if (++since_progress_ >= kProgressEvery) {
      since_progress_ = 0;
      announce_checkpoints(writer_, observer_);
      observer_.on_progress(writer_.counters(), static_cast<std::uint64_t>(io_.bytes),
                            std::nullopt);
    }
  }

  // A checkpoint is due after checkpoint_rows rows, or after half as many rows
  // as the table holds when that is more. Each commit writes every page it
  // dirtied, and new ids land all over the random-key id index, so a commit
  // rewrites most of that index: with a fixed interval a full sync would cost
  // rows squared. Measured on 3,000,000 users with the default cache (README,
  // Performance): 33.4 s with a fixed 200,000-row interval, 29.8 s with this.
  bool checkpoint_due() const {
    const std::int64_t rows = writer_.uncommitted_rows();
    return rows >= checkpoint_rows_ && rows >= table_rows_ / 2;
  }

  void commit(const Cursor& cursor) {
    // Queued behind the rows it covers; on a fault, the retry waits for the
    // queue (BackgroundWriter::settle) before it asks from committed_.
    table_rows_ += writer_.uncommitted_rows();
    writer_.commit(&cursor, io_);
    committed_ = cursor;
  }

  void commit_rows_only() {
    table_rows_ += writer_.uncommitted_rows();
    writer_.commit(nullptr, io_);
  }

  BackgroundWriter& writer_;
  SyncObserver& observer_;
  const RunCounters& io_;
  const Cursor asked_;
  Cursor& committed_;
  long long checkpoint_rows_;
  // Rows in the table: when the run began, plus every row committed since,
  // counted as new (an upper bound, as an update adds none).
  std::int64_t& table_rows_;
  bool sorted_ = true;
  bool checkpointed_ = false;
  bool have_prev_ = false;
  Cursor prev_;
  std::optional<Cursor> safe_;
  std::optional<Cursor> newest_;
  std::int64_t since_progress_ = 0;
};

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
  } catch (const Error&) {
    // The status says enough; the body was only for context.
  }
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string status_hint(long status, const Config& config) {
  if (status == 401 || status == 403)
    return config.token_env ? " (check the token in $" + *config.token_env + ")"
                            : " (the API wants a token: set token_env in the configuration)";
  if (status == 404) return " (check base_url)";
  return "";
}

// One request and its whole response. Returns whether it brought newer records.
bool fetch(const Config& config, const HttpOptions& http, const std::string& url,
           BackgroundWriter& writer, SyncObserver& observer, RunCounters& io, Cursor& committed,
           std::int64_t& table_rows) {
  const Cursor asked = committed;
  observer.on_request(url);
  HttpGet get(http, url);
  const long status = get.status();
  const auto length = get.content_length();
  observer.on_response(status, length);
  const std::string where = "GET " + get.url() + ": HTTP " + std::to_string(status);
  if (status == 408 || status == 429 || status >= 500) {
    const std::string body = read_error_body(get);
    throw TransientError(where + (body.empty() ? "" : ": " + body), get.retry_after_seconds());
  }
  if (status < 200 || status >= 300) {
    const std::string body = read_error_body(get);
    throw PermanentError(where + (body.empty() ? "" : ": " + body) + status_hint(status, config));
  }

  ResponseSink sink(writer, observer, io, asked, committed, config.checkpoint_rows, table_rows);
  BodySource source(get, observer, io, writer, length);
  try {
    parse_user_stream(source, sink);
  } catch (const Interrupted&) {
    sink.finish_interrupted();
    throw;
  } catch (const TransientError& e) {
    // The transfer's own errors already name the request.
    const std::string what = e.what();
    throw TransientError(what.rfind("GET ", 0) == 0 ? what : where + ": " + what);
  } catch (const PermanentError& e) {
    const std::string type = get.content_type();
    throw PermanentError(where + (type.empty() ? "" : " (" + type + ")") + ": " + e.what());
  }
  sink.finish();
  return sink.brought_newer();
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

}  // namespace

void run_sync(const Config& config, SyncObserver& observer, SyncReport& report) {
  const auto started = Clock::now();
  const HttpWarmUp warm_up;  // libcurl's set-up overlaps opening the replica
  SyncLock lock(config.database);
  Replica replica(config.database, ReplicaOptions{config.cache_size_mib});
  const std::optional<Cursor> saved = replica.cursor(kStream);
  Cursor committed;
  if (saved) {
    committed = *saved;
    report.cursor_before = saved->text;
  } else {
    committed.text = config.start_timestamp.value_or(kFirstCursor);
    committed.instant = *parse_timestamp(committed.text);
  }
  std::int64_t table_rows = replica.estimated_user_rows();
  ReplicaWriter writer(replica, std::string(kStream), saved);
  report.run_id = writer.run_id();
  BackgroundWriter background(writer);

  HttpOptions http;
  http.timeout_seconds = config.timeout_seconds;
  http.ca_file = config.ca_file.value_or("");
  http.bearer_token = config.token;

  RunCounters io;
  Backoff backoff(config);
  double waited = 0;
  int retry = 0;
  auto fill_report = [&] {
    report.counters = writer.committed();
    report.counters.requests = io.requests;
    report.counters.retries = io.retries;
    report.counters.bytes = io.bytes;
    if (!writer.cursor().empty()) report.cursor_after = writer.cursor();
    report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  };

  try {
    for (;;) {
      const Instant since = minus_seconds(committed.instant, config.lookback_seconds);
      std::string url = config.base_url + "?since=";
      append_url_encoded(url, config.lookback_seconds > 0 ? format_compact(since) : committed.text);
      ++io.requests;
      const Instant before = committed.instant;
      bool newer = false;
      try {
        newer = fetch(config, http, url, background, observer, io, committed, table_rows);
        retry = 0;
      } catch (const TransientError& e) {
        background.settle();
        announce_checkpoints(background, observer);
        writer.rollback();
        if (committed.instant > before) retry = 0;  // progress was committed: a fresh start
        if (retry >= config.max_retries)
          throw Error(std::string(e.what()) + " (gave up after " + std::to_string(retry + 1) +
                      (retry == 0 ? " attempt" : " attempts") + "; max_retries is " +
                      std::to_string(config.max_retries) + ")");
        ++retry;
        const double wait = backoff.wait(retry, e.retry_after_seconds());
        if (waited + wait > config.retry_budget_seconds) {
          std::ostringstream why;
          why << e.what() << " (gave up: waiting " << std::fixed << std::setprecision(1) << wait
              << " s more, after " << waited << " s of retries, would exceed " << std::defaultfloat
              << std::setprecision(6) << "retry_budget_seconds = " << config.retry_budget_seconds
              << ")";
          throw Error(why.str());
        }
        observer.on_retry(e.what(), wait, retry, config.max_retries);
        ++io.retries;
        interruptible_sleep(wait);
        waited += wait;
        continue;
      }
      if (!newer) break;
    }
    background.drain();
    announce_checkpoints(background, observer);
    fill_report();
    report.status = "ok";
    writer.finish("ok", "", report.counters);
  } catch (const Interrupted& e) {
    background.settle_quietly();
    announce_checkpoints(background, observer);
    fill_report();
    report.status = "interrupted";
    report.error = e.what();
    writer.finish("interrupted", e.what(), report.counters);
    throw;
  } catch (const std::exception& e) {
    background.settle_quietly();
    announce_checkpoints(background, observer);
    fill_report();
    report.status = "error";
    report.error = e.what();
    writer.finish("error", e.what(), report.counters);
    throw;
  }
}

SyncReport run_sync(const Config& config, SyncObserver& observer) {
  SyncReport report;
  run_sync(config, observer, report);
  return report;
}

}  // namespace tsync
