// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/redact.hpp"
#include "sync/sync.hpp"

namespace tsync {

// `url` with each query value longer than about 40 characters (a change
// token, a skip token) shortened as short_token() does: for -v lines.
std::string shortened_url(const std::string& url);

enum class Verbosity { Quiet, Normal, Verbose };

// Tells a person what a sync is doing, on stderr: retries (unless quiet), each
// request and checkpoint (verbose), and, when `progress` is set (stderr is a
// terminal), a live progress line redrawn a few times a second and erased by
// finish(). Writes through write_text: a closed output stops the run.
class ConsoleObserver : public SyncObserver {
 public:
  // Every line is passed through `redactor` (may be null) before it is written.
  ConsoleObserver(std::FILE* out, Verbosity verbosity, bool progress,
                  std::shared_ptr<const Redactor> redactor = nullptr);

  // Lines name the stream when a run syncs more than one; the progress line
  // always does, and starts afresh for each stream.
  void on_stream(const std::string& name, std::size_t of) override;
  // With requests in flight, lines name their stream (when the run has more
  // than one) and the progress line counts the rows of the run and names the
  // streams under way.
  void on_concurrent_run(std::size_t streams, int max_concurrency) override;
  void on_focus(const std::string& stream) override;
  void on_stream_end(const std::string& name) override;
  void on_request(const std::string& url) override;
  void on_response(long status, std::optional<std::uint64_t> content_length) override;
  void on_retry(const std::string& reason, double wait_seconds, int retry,
                int max_retries) override;
  void on_sign_in(bool login, const std::string& url, const std::string& reason,
                  bool renewal) override;
  void on_checkpoint(const Cursor& cursor, const RunCounters& committed) override;
  void on_progress(const RunCounters& written, std::uint64_t body_bytes,
                   std::optional<std::uint64_t> content_length) override;
  void on_rejected(std::string_view reason) override;
  // A child stream: the progress line counts its partitions done of total.
  void on_partition(std::size_t done, std::size_t total) override;
  void on_note(const std::string& text) override;

  // Erases the progress line, if one is shown.
  void finish();

 private:
  void line(const std::string& text);
  void draw();

  std::FILE* out_;
  Verbosity verbosity_;
  bool progress_;
  bool shown_ = false;
  std::shared_ptr<const Redactor> redactor_;
  std::string stream_ = "user";
  std::string prefix_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
  std::int64_t rows_ = 0;
  std::uint64_t bytes_total_ = 0;     // body bytes of earlier responses
  std::uint64_t bytes_response_ = 0;  // body bytes of the current response
  std::optional<std::uint64_t> length_;
  bool concurrent_ = false;
  bool several_ = false;                         // a concurrent run of several streams
  std::vector<std::string> under_way_;           // streams begun and not ended
  std::map<std::string, std::int64_t> rows_of_;  // rows written, per stream
  // A child stream's partitions ended and to read in this run, per stream.
  std::map<std::string, std::pair<std::size_t, std::size_t>> partitions_of_;
  std::string partitions_text() const;  // ", 3 of 40 partitions", or ""
};

// True when `file` is a terminal (for --progress defaults).
bool is_terminal(std::FILE* file);

// Writes `text` to `file` and flushes it. When the reader of `file` is gone
// (EPIPE: a pipe into `head` that has read its fill), calls output_closed(),
// so that a run stops at its next safe point, as on SIGTERM. Other write
// failures are ignored: there is nowhere left to tell them.
void write_text(std::FILE* file, const std::string& text);

}  // namespace tsync
