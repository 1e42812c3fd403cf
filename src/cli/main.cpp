// SPDX-License-Identifier: Apache-2.0
// tsync: keep a local SQLite replica of a timestamp-filtered REST API up to date.
// This file only parses the command line, calls the library and maps errors to
// the exit codes documented in docs/commands.md.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include <SQLiteCpp/Exception.h>
#include <CLI/CLI.hpp>

#include "cli/console.hpp"
#include "cli/report.hpp"
#include "common/error_text.hpp"
#include "common/errors.hpp"
#include "common/version.hpp"
#include "config/config.hpp"
#include "discover/check.hpp"
#include "discover/init.hpp"
#include "replica/partitions.hpp"
#include "replica/replica.hpp"
#include "sync/sync.hpp"

namespace {

struct Options {
  std::string config = "configuration.json";
  std::string db;
  bool quiet = false;
  bool verbose = false;
  bool json = false;
  int runs = 5;
  std::vector<std::string> streams;
  bool full = false;
  tsync::InitOptions init;
  bool write = false;
};

tsync::Config sync_config(const Options& o) {
  tsync::Config config = tsync::load_config(o.config);
  if (!o.db.empty()) config.database = o.db;
  return config;
}

// status and reset need the replica's path: --db, else the configuration's
// database when the file exists, else the default.
// The configuration when one is named or configuration.json exists; its
// secrets' environment variables need not be set.
std::optional<tsync::Config> optional_config(const Options& o, const CLI::Option* config_given) {
  if (config_given->count() > 0 || std::filesystem::exists(o.config))
    return tsync::load_config(o.config, tsync::Secrets::IfSet);
  return std::nullopt;
}

std::string replica_path(const Options& o, const std::optional<tsync::Config>& config) {
  if (!o.db.empty()) return o.db;
  return config ? config->database : tsync::Config{}.database;
}

int run_sync(const Options& o) {
  const tsync::Config config = sync_config(o);
  // Everything printed passes through the redactor: no secret reaches a log.
  const tsync::Redactor& redactor = *config.redactor;
  // A closed output stops the run at a safe point (write_text).
  auto print = [&](std::FILE* to, const std::string& text) {
    tsync::write_text(to, redactor.redact(text) + "\n");
  };
  // For a person: masked, then cut short (no secret is cut in half); --json
  // keeps every detail.
  auto print_human = [&](std::FILE* to, const std::string& text) {
    tsync::write_text(to, tsync::human_text(redactor.redact(text)) + "\n");
  };
  auto print_error = [&](const std::string& text) { print_human(stderr, "tsync: error: " + text); };
  tsync::install_interrupt_handlers();
  const auto verbosity = o.quiet     ? tsync::Verbosity::Quiet
                         : o.verbose ? tsync::Verbosity::Verbose
                                     : tsync::Verbosity::Normal;
  const bool progress = !o.quiet && tsync::is_terminal(stderr);
  tsync::ConsoleObserver console(stderr, verbosity, progress, config.redactor);
  std::vector<tsync::SyncReport> reports;
  try {
    reports = tsync::run_streams(config, o.streams, console, o.full);
  } catch (const tsync::Error& e) {
    // Nothing was synced: the replica could not be locked or opened.
    console.finish();
    print_error(e.what());
    if (o.json && e.exit_code() != tsync::kExitLocked && e.exit_code() != tsync::kExitUsage) {
      tsync::SyncReport report;
      report.stream = o.streams.empty() ? config.streams.front().name : o.streams.front();
      report.status = "error";
      report.error = e.what();
      print(stdout, tsync::summary_json(report));
    }
    return e.exit_code();
  }
  console.finish();
  int code = tsync::kExitOk;
  const auto errors = tsync::stream_errors(reports, config.streams.size() > 1);
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const tsync::SyncReport& report = reports[i];
    if (!errors[i].empty()) print_error(errors[i]);
    if (report.exit_code != tsync::kExitOk &&
        (code == tsync::kExitOk || report.status == "interrupted"))
      code = report.exit_code;
    if (o.json) {
      print(stdout, tsync::summary_json(report));
    } else if (report.run_id != 0 && (!o.quiet || report.exit_code != tsync::kExitOk)) {
      // A run that never began has nothing to sum up beyond its error.
      print_human(report.exit_code == tsync::kExitOk ? stdout : stderr,
                  tsync::summary_line(report));
    }
  }
  std::fflush(stdout);
  return code;
}

int run_status(const Options& o, const CLI::Option* config_given) {
  const auto config = optional_config(o, config_given);
  const std::string path = replica_path(o, config);
  const auto replica = tsync::Replica::open_existing(path);
  const auto streams = replica->status();
  auto runs = replica->recent_runs(o.runs);
  const auto running = replica->running_sync();
  replica->show_died_runs(runs);
  // The replica holds texts already masked; with a configuration, mask again
  // with today's secrets, before status_text cuts long ones.
  tsync::Redactor none;
  const tsync::Redactor& redactor = config ? *config->redactor : none;
  for (tsync::RunRecord& r : runs) {
    r.error = redactor.redact(r.error);
    r.warning = redactor.redact(r.warning);
  }
  if (o.json)
    std::printf("%s\n", redactor.redact(tsync::status_json(path, streams, runs, running)).c_str());
  else
    std::fputs(redactor.redact(tsync::status_text(path, streams, runs, running)).c_str(), stdout);
  return tsync::kExitOk;
}

int run_reset(const Options& o, const CLI::Option* config_given) {
  const std::string path = replica_path(o, optional_config(o, config_given));
  if (!std::filesystem::exists(path))
    throw tsync::Error(path + ": no such replica (nothing to reset)");
  tsync::SyncLock lock(path);
  tsync::Replica replica(path);
  std::vector<std::string> names = o.streams;
  if (names.empty())
    for (const tsync::StreamStatus& s : replica.status()) names.push_back(s.stream);
  if (names.empty()) std::printf("no stream synced yet; nothing to reset\n");
  for (const std::string& name : names) {
    if (const std::int64_t partitions = tsync::reset_partitions(replica, name); partitions > 0)
      std::printf(
          "%s: the cursors of %lld partitions forgotten; the next sync reads each partition "
          "from the start (rows are kept)\n",
          name.c_str(), static_cast<long long>(partitions));
    else if (replica.reset_cursor(name))
      std::printf(
          "%s: cursor forgotten; the next sync asks for every record again (rows are "
          "kept)\n",
          name.c_str());
    else
      std::printf("%s: no cursor saved; the next sync is a full sync already\n", name.c_str());
  }
  return tsync::kExitOk;
}

int run_check(const Options& o) {
  const tsync::Config config = sync_config(o);
  tsync::install_interrupt_handlers();
  const auto reports = tsync::check_streams(config, o.streams);
  bool ok = true;
  for (const tsync::CheckReport& report : reports) {
    ok = ok && report.ok();
    const std::string text = o.json ? tsync::check_json(report) + "\n" : tsync::check_text(report);
    tsync::write_text(stdout, config.redactor->redact(text));
  }
  std::fflush(stdout);
  return ok ? tsync::kExitOk : tsync::kExitError;
}

int run_init(const Options& o) {
  tsync::install_interrupt_handlers();
  const tsync::InitResult result = tsync::propose_stream(o.init);
  tsync::write_text(stderr, tsync::init_report(result));
  if (!result.usable) {
    tsync::write_text(stderr,
                      "tsync: error: " + result.name +
                          ": no stream proposed (see above); tsync init needs records, a cursor "
                          "field and a key in the answer\n");
    return tsync::kExitError;
  }
  if (o.write) {
    tsync::write_text(stderr, tsync::add_stream_to_file(o.config, result.stream_json, result.name) +
                                  "; run `tsync check --stream " + result.name + "`\n");
  } else {
    tsync::write_text(stdout, tsync::configuration_json(result.stream_json));
  }
  std::fflush(stdout);
  return tsync::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"tsync: keep a local SQLite replica of a timestamp-filtered REST API up to date",
               "tsync"};
  app.set_version_flag("--version", [] { return tsync::version_text(); });
  app.require_subcommand(1);

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--db", o.db, "Replica file (default: the configuration's database)");
  };
  CLI::App* sync =
      app.add_subcommand("sync", "Fetch what changed since the last sync into the replica");
  CLI::Option* config_sync =
      sync->add_option("-c,--config", o.config, "Configuration file")->capture_default_str();
  add_common(sync);
  auto* quiet = sync->add_flag("-q,--quiet", o.quiet, "Print errors only");
  sync->add_flag("-v,--verbose", o.verbose, "Print each request, retry and checkpoint")
      ->excludes(quiet);
  sync->add_flag("--json", o.json,
                 "Print each stream's summary as one JSON object per line on stdout");
  sync->add_option("--stream", o.streams,
                   "Sync only this stream (repeatable; default: every stream, in order)");
  sync->add_flag("--full", o.full,
                 "A full pass: ask for every record and, once it completes, mark the rows the "
                 "API no longer returns as deleted");

  CLI::App* status =
      app.add_subcommand("status", "Show each stream's cursor, rows and recent runs");
  CLI::Option* config_status = status->add_option("-c,--config", o.config, "Configuration file");
  add_common(status);
  status->add_flag("--json", o.json, "Print the status as JSON");
  status->add_option("--runs", o.runs, "How many recent runs to show")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();

  CLI::App* reset =
      app.add_subcommand("reset", "Forget the cursors: the next sync re-reads everything");
  CLI::Option* config_reset = reset->add_option("-c,--config", o.config, "Configuration file");
  add_common(reset);
  reset->add_option("--stream", o.streams, "Forget only this stream's cursor (repeatable)");
  (void)config_sync;

  CLI::App* check = app.add_subcommand(
      "check", "Ask each stream's API as a first sync would, without writing, and name what is wrong");
  check->add_option("-c,--config", o.config, "Configuration file")->capture_default_str();
  check->add_option("--stream", o.streams, "Check only this stream (repeatable)");
  check->add_flag("--json", o.json, "Print each stream's findings as one JSON object per line");

  CLI::App* init = app.add_subcommand(
      "init", "Ask an API once and propose a stream for it (the configuration on stdout)");
  init->add_option("url", o.init.url, "The endpoint, with the query to send")->required();
  init->add_option("--name", o.init.name, "The stream's name (default: from the URL's path)");
  init->add_option("--header", o.init.headers,
                   "A request header, 'Name: value'; 'Name: $VAR' takes the value from the "
                   "environment (repeatable)");
  init->add_option("--auth-env", o.init.auth_env,
                   "Sign in from the environment: VAR (a bearer token), basic:USER_VAR:PASSWORD_VAR, "
                   "api_key:header:NAME:VAR[:PREFIX] or api_key:query:NAME:VAR");
  init->add_option("--since-param", o.init.since_param,
                   "The query parameter that filters by update time, when the answer cannot show it");
  init->add_flag("--write", o.write,
                 "Add the stream to the configuration file instead of printing it");
  init->add_option("-c,--config", o.config, "Configuration file for --write")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tsync: error: %s\nRun 'tsync --help' for usage.\n", e.what());
    return tsync::kExitUsage;
  }

  try {
    if (*sync) return run_sync(o);
    if (*status) return run_status(o, config_status);
    if (*check) return run_check(o);
    if (*init) return run_init(o);
    return run_reset(o, config_reset);
  } catch (const tsync::Error& e) {
    tsync::write_text(stderr, tsync::human_text(std::string("tsync: error: ") + e.what()) + "\n");
    return e.exit_code();
  } catch (const SQLite::Exception& e) {
    std::fprintf(stderr, "tsync: error: replica: %s\n", e.what());
    return tsync::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tsync: error: %s\n", e.what());
    return tsync::kExitError;
  }
}
