// SPDX-License-Identifier: Apache-2.0
#include "sync/jobs.hpp"

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "common/errors.hpp"
#include "replica/write_queue.hpp"
#include "sync/chain.hpp"
#include "sync/progress.hpp"
#include "sync/stream_run.hpp"
#include "sync/windows.hpp"

namespace tsync {
namespace {

using Clock = std::chrono::steady_clock;

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
  void on_partition(std::size_t done, std::size_t total) override {
    forward([&](SyncObserver& o) { o.on_partition(done, total); });
  }
  void on_note(const std::string& text) override {
    forward([&](SyncObserver& o) { o.on_note(text); });
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
  std::optional<std::size_t> window;     // index into the stream's windows
  std::optional<std::size_t> partition;  // index into the partitions the stream reads
};

// Runs one job: a window of a stream, or a whole stream.
void run_job(const Job& job, WriteQueue& queue, HttpSession& session, RequestSlots& ahead) {
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
  const Transport net{run.http, run.auth.get(), run.rate, session, &ahead};
  auto settle = [&] {
    try {
      rows.count_io(io);
      announce_checkpoints(rows, observer);
    } catch (...) {
    }
  };
  try {
    if (job.partition) {
      repeats = read_partition(run, run.partitions->to_read()[*job.partition], net, rows,
                               observer, io, tally);
    } else if (job.window) {
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
    if (cs->run->partitions)
      for (std::size_t i = 0; i < cs->run->partitions->to_read().size(); ++i)
        jobs.push_back({cs.get(), std::nullopt, i});
    else if (cs->windows)
      for (std::size_t i = 0; i < cs->windows->windows().size(); ++i)
        jobs.push_back({cs.get(), i, std::nullopt});
    else
      jobs.push_back({cs.get(), std::nullopt, std::nullopt});
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

}  // namespace

std::size_t parallel_jobs(const StreamConfig& stream, Replica& replica, bool full) {
  if (stream.partitions.partitioned()) return 2;  // a job per partition
  if (stream.window_seconds <= 0 || stream.change_feed) return 1;  // one chain
  const std::optional<Cursor> saved = replica.cursor(stream.name, stream.cursor_format);
  const Instant from =
      saved && !full ? saved->instant : *parse_cursor(stream.cursor_format, stream.first_cursor());
  return windows_between(windows_from(stream, from), now_second(), stream.window_seconds,
                         stream.cursor_format)
      .size();
}

void run_concurrently(const Config& config, const std::vector<const StreamConfig*>& selected,
                      Replica& replica, SyncObserver& observer, bool full,
                      std::map<const AuthConfig*, std::shared_ptr<Authenticator>>& authenticators,
                      std::vector<SyncReport>& reports) {
  const std::size_t first_report = reports.size();
  reports.resize(first_report + selected.size());
  StreamObserver::Shared shared{observer, {}, nullptr};
  std::vector<std::unique_ptr<ConcurrentStream>> streams;
  for (std::size_t i = 0; i < selected.size(); ++i) {
    const StreamConfig& stream = *selected[i];
    SyncReport& report = reports[first_report + i];
    report.stream = stream.name;
    auto cs = std::make_unique<ConcurrentStream>();
    cs->observer = std::make_unique<StreamObserver>(shared, stream.name);
    try {
      cs->run = std::make_unique<StreamRun>(
          config, stream, replica, report, full,
          stream.auth ? authenticators.at(stream.auth.get()) : nullptr, cs->observer.get());
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
    cs->of = selected.size();
    if (stream.window_seconds > 0 && !cs->run->partitions)
      cs->windows.emplace(windows_in_flight(windows_from(stream, cs->run->committed.instant),
                                            stream.window_seconds, stream.cursor_format, config));
    streams.push_back(std::move(cs));
  }
  const std::vector<Job> jobs = jobs_of(streams);
  {
    WriteQueue queue(2 * static_cast<std::size_t>(config.max_concurrency));
    std::atomic<std::size_t> next{0};
    std::atomic<bool> stop{false};
    const std::size_t workers =
        std::min(jobs.size(), static_cast<std::size_t>(config.max_concurrency));
    // The requests in flight that no worker's chain holds ask pages ahead; a
    // worker out of jobs gives its own to the chains still read.
    RequestSlots ahead(config.max_concurrency - static_cast<int>(workers));
    auto work = [&] {
      HttpSession session;  // the jobs of one worker share its connection
      for (;;) {
        const std::size_t i = next.fetch_add(1);
        if (i >= jobs.size()) {
          ahead.give();
          return;
        }
        if (stop.load()) {
          // Not started: the stream ends as the run was stopped.
          ConcurrentStream& cs = *jobs[i].stream;
          const std::lock_guard lock(cs.mutex);
          cs.skipped = true;
          if (--cs.jobs_left == 0 && cs.started) cs.observer->on_stream_end(cs.run->stream.name);
          continue;
        }
        run_job(jobs[i], queue, session, ahead);
        const std::lock_guard lock(jobs[i].stream->mutex);
        if (jobs[i].stream->stopped) stop.store(true);
      }
    };
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

}  // namespace tsync
