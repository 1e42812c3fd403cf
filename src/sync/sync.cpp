// SPDX-License-Identifier: Apache-2.0
// The run: a stream read from its cursor, as the configuration says (in
// windows of time, as a chain of pages, or asking again while answers bring
// newer records), its rows and the cursor covering them committed together;
// the streams of a run one after another, or as jobs with requests in flight.
#include "sync/sync.hpp"

#include <algorithm>
#include <map>

#include "common/errors.hpp"
#include "replica/background_writer.hpp"
#include "source/auth.hpp"
#include "source/http_client.hpp"
#include "sync/jobs.hpp"
#include "sync/progress.hpp"
#include "sync/request.hpp"
#include "sync/stream_run.hpp"

namespace tsync {
namespace {

// `streams` (parents first) in generations: each stream after its parent's
// generation when its parent is in the run.
std::vector<std::vector<const StreamConfig*>> generations(
    const std::vector<const StreamConfig*>& streams) {
  std::vector<std::vector<const StreamConfig*>> out;
  std::map<std::string, std::size_t> generation_of;
  for (const StreamConfig* s : streams) {
    std::size_t g = 0;
    if (const auto it = generation_of.find(s->partitions.parent); it != generation_of.end())
      g = it->second + 1;
    generation_of[s->name] = g;
    if (out.size() <= g) out.resize(g + 1);
    out[g].push_back(s);
  }
  return out;
}

// Says which indexes a sync built first, left unbuilt by a run that was killed
// while it loaded their table for the first time.
void note_deferred_indexes(const std::vector<std::string>& built, SyncObserver& observer) {
  if (built.empty()) return;
  std::string names;
  for (const std::string& name : built) names += (names.empty() ? "" : ", ") + name;
  observer.on_note("built the " + std::string(built.size() == 1 ? "index " : "indexes ") + names +
                   ", which a run that ended while it loaded the table for the first time had "
                   "left to build");
}

}  // namespace

void sync_stream(const Config& config, const StreamConfig& stream, Replica& replica,
                 SyncObserver& observer, SyncReport& report, bool full,
                 std::shared_ptr<Authenticator> auth) {
  StreamRun run(config, stream, replica, report, full, std::move(auth), &observer);
  BackgroundWriter background(*run.writer);
  BackgroundRows rows(background, *run.writer);
  RunCounters io;
  HttpSession session;  // every request of the stream, every window and page, shares it
  // The run's other requests in flight ask pages of the stream's chain ahead.
  RequestSlots ahead(config.max_concurrency - 1);
  const Transport net{run.http, run.auth.get(), run.rate, session,
                      config.max_concurrency > 1 ? &ahead : nullptr};
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
  selected = parents_first(selected);

  for (const StreamConfig* stream : selected) {
    const std::string& parent = stream->partitions.parent;
    if (!parent.empty() && std::none_of(selected.begin(), selected.end(), [&](const auto* s) {
          return s->name == parent;
        }))
      observer.on_note(stream->name + ": its partitions are the rows of " + parent +
                       " already in the replica (" + parent + " is not synced in this run)");
  }
  const RunDeadlineScope deadline(config.max_run_seconds);
  const HttpWarmUp warm_up;  // libcurl's set-up overlaps opening the replica
  SyncLock lock(config.database);
  Replica replica(config.database, ReplicaOptions{config.cache_size_mib});
  replica.mark_died_runs(lock);
  note_deferred_indexes(replica.build_deferred_indexes(lock), observer);
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
      // A child's partitions are its parent's rows: a stream runs once every
      // parent of this run has ended, with the others of its generation.
      for (const auto& generation : generations(selected)) {
        run_concurrently(config, generation, replica, observer, full, authenticators, reports);
        try {
          check_interrupted();  // a stopped run starts no further generation
        } catch (const Error&) {
          break;
        }
      }
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
  note_deferred_indexes(replica.build_deferred_indexes(lock), observer);
  sync_stream(config, config.streams.front(), replica, observer, report);
}

SyncReport run_sync(const Config& config, SyncObserver& observer) {
  SyncReport report;
  run_sync(config, observer, report);
  return report;
}
}  // namespace tsync
