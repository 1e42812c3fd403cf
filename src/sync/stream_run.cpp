// SPDX-License-Identifier: Apache-2.0
#include "sync/stream_run.hpp"

#include "common/errors.hpp"
#include "sync/chain.hpp"
#include "sync/change_feed.hpp"
#include "sync/unpaged.hpp"
#include "sync/windows.hpp"

namespace tsync {

StreamRun::StreamRun(const Config& settings, const StreamConfig& of, Replica& replica,
                     SyncReport& into, bool full_pass, std::shared_ptr<Authenticator> authenticator,
                     SyncObserver* observer)
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
  saved = stream.change_feed ? replica.token(stream.name)
                             : replica.cursor(stream.name, stream.cursor_format);
  if (saved) report.cursor_before = saved->text;
  if (saved && !full) {
    committed = *saved;
  } else if (stream.change_feed) {
    committed = Cursor{};  // no token: the feed is read from its beginning
  } else {
    committed.text = stream.first_cursor();
    committed.instant = *parse_cursor(stream.cursor_format, committed.text);
  }
  writer = std::make_unique<ReplicaWriter>(replica, stream.name, stream.table_spec(), saved);
  writer->set_redactor(config.redactor);
  writer->set_stage_after(config.sorted_apply_rows);
  report.run_id = writer->run_id();
  if (stream.partitions.partitioned()) start_partitions(replica, observer);
  if (full) writer->begin_full_pass(saved);
  table_rows = writer->estimated_rows();
}

void StreamRun::start_partitions(Replica& replica, SyncObserver* observer) {
  partitions = std::make_unique<PartitionPlan>(replica, stream, full);
  const PartitionSettings& p = stream.partitions;
  if (!p.parent.empty() && !partitions->parent_synced() && observer)
    observer->on_note("no partitions: the parent stream " + p.parent +
                      " has not been synced into this replica yet");
  if (partitions->gone().empty()) return;
  std::int64_t deleted = 0;
  for (const std::string& key : partitions->gone())
    deleted += writer->remove_partition(key, partitions->identity());
  writer->commit(nullptr, RunCounters{});
  if (observer)
    observer->on_note(std::to_string(partitions->gone().size()) +
                      (partitions->gone().size() == 1 ? " partition is" : " partitions are") +
                      " gone (" + (p.parent.empty() ? "no longer in the list" : "the parent row was deleted") +
                      "): its rows were deleted (" + std::to_string(deleted) + ")");
}

void StreamRun::fill_report(const RunCounters& io) {
  report.counters = writer->committed();
  report.counters.requests = io.requests;
  report.counters.retries = io.retries;
  report.counters.bytes = io.bytes;
  report.counters.logins = io.logins;
  report.counters.token_requests = io.token_requests;
  if (!writer->cursor().empty()) report.cursor_after = writer->cursor();
  if (partitions)
    report.partitions =
        SyncReport::Partitions{partitions->done(), partitions->to_read().size(), partitions->live()};
  report.seconds =
      std::chrono::duration<double>((ended ? *ended : std::chrono::steady_clock::now()) - started)
          .count();
}

void StreamRun::finish_ok(const RunCounters& io) {
  writer->build_indexes();  // every row is committed: a first load's indexes are built once
  if (partitions) {
    const std::string missing = partitions->not_found(stream);
    // A run that fails still says which partitions were answered 404 or 410.
    if (std::string failed = partitions->failures(stream); !failed.empty())
      throw Error(missing.empty() ? failed : failed + "; " + missing);
    if (!missing.empty()) {
      report.warning = missing;
      writer->set_warning(report.warning);
    }
  }
  report.all_rejected_responses = tally.all_rejected_responses;
  if (tally.all_rejected_responses > 0) {
    const std::string rejected =
        "every record of " + std::to_string(tally.all_rejected_responses) +
        (tally.all_rejected_responses == 1 ? " response" : " responses") + " was rejected (" +
        tally.first_reason + "; check the stream's cursor_field and primary_key)";
    report.warning = report.warning.empty() ? rejected : report.warning + "; " + rejected;
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
    if (partitions) {
      const ReplicaWriter::PartitionGuard guard{partitions->identity(),
                                                partitions->not_found_keys()};
      writer->reconcile(stream.max_delete_fraction, counts, &guard);
    } else {
      writer->reconcile(stream.max_delete_fraction, counts);
    }
  }
  fill_report(io);
  report.status = "ok";
  writer->finish("ok", "", report.counters);
}

void StreamRun::finish_failed(const RunCounters& io, std::string_view status,
                              const std::exception& e) {
  fill_report(io);
  report.status = status;
  report.error = e.what();
  report.exit_code = kExitError;
  if (const auto* error = dynamic_cast<const Error*>(&e)) report.exit_code = error->exit_code();
  writer->finish(status, e.what(), report.counters);
}

std::int64_t read_stream(StreamRun& run, const Transport& net, RowWriter& rows,
                         SyncObserver& observer, RunCounters& io) {
  const StreamConfig& stream = run.stream;
  if (run.partitions) return read_partitions(run, net, rows, observer, io);
  if (stream.change_feed) return read_feed(run, net, rows, observer, io);
  if (stream.window_seconds > 0)
    return read_windows(run.config, stream, net, rows, observer, io, run.committed, run.tally);
  if (stream.pagination.paged())
    return read_chain(run.config, stream, net, rows, observer, io, run.committed, run.tally);
  return read_unpaged(run.config, stream, net, rows, observer, io, run.committed, run.table_rows,
                      run.tally);
}

}  // namespace tsync
