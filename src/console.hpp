// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "redact.hpp"
#include "sync.hpp"

namespace tsync {

enum class Verbosity { Quiet, Normal, Verbose };

// Tells a person what a sync is doing, on stderr: retries (unless quiet), each
// request and checkpoint (verbose), and, when `progress` is set (stderr is a
// terminal), a live progress line redrawn a few times a second and erased by
// finish().
class ConsoleObserver : public SyncObserver {
 public:
  // Every line is passed through `redactor` (may be null) before it is written.
  ConsoleObserver(std::FILE* out, Verbosity verbosity, bool progress,
                  std::shared_ptr<const Redactor> redactor = nullptr);

  // Lines name the stream when a run syncs more than one; the progress line
  // always does, and starts afresh for each stream.
  void on_stream(const std::string& name, std::size_t of) override;
  void on_request(const std::string& url) override;
  void on_response(long status, std::optional<std::uint64_t> content_length) override;
  void on_retry(const std::string& reason, double wait_seconds, int retry,
                int max_retries) override;
  void on_checkpoint(const Cursor& cursor, const RunCounters& committed) override;
  void on_progress(const RunCounters& written, std::uint64_t body_bytes,
                   std::optional<std::uint64_t> content_length) override;
  void on_rejected(std::string_view reason) override;

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
};

// True when `file` is a terminal (for --progress defaults).
bool is_terminal(std::FILE* file);

}  // namespace tsync
