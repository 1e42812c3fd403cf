// SPDX-License-Identifier: Apache-2.0
#include "cli/console.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cli/report.hpp"
#include "common/error_text.hpp"
#include "common/errors.hpp"
#include "source/change_feed.hpp"

namespace tsync {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

std::string megabytes(std::uint64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buffer;
}

}  // namespace

bool is_terminal(std::FILE* file) { return ::isatty(::fileno(file)) == 1; }

void write_text(std::FILE* file, const std::string& text) {
  errno = 0;
  const bool failed = std::fputs(text.c_str(), file) == EOF || std::fflush(file) == EOF;
  if (!failed) return;
  if (errno == EPIPE) output_closed();
  std::clearerr(file);
}

ConsoleObserver::ConsoleObserver(std::FILE* out, Verbosity verbosity, bool progress,
                                 std::shared_ptr<const Redactor> redactor)
    : out_(out),
      verbosity_(verbosity),
      progress_(progress),
      redactor_(std::move(redactor)),
      start_(std::chrono::steady_clock::now()) {}

void ConsoleObserver::line(const std::string& text) {
  const std::string shown = redactor_ ? redactor_->redact(text) : text;
  write_text(out_, (shown_ ? "\r\033[K" : "") + human_line("tsync: " + prefix_ + shown) + "\n");
  shown_ = false;
}

void ConsoleObserver::on_concurrent_run(std::size_t streams, int /*max_concurrency*/) {
  finish();
  concurrent_ = true;
  several_ = streams > 1;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = {};
}

void ConsoleObserver::on_focus(const std::string& stream) {
  stream_ = stream;
  prefix_ = several_ ? stream + ": " : "";
}

void ConsoleObserver::on_stream_end(const std::string& name) {
  under_way_.erase(std::remove(under_way_.begin(), under_way_.end(), name), under_way_.end());
}

void ConsoleObserver::on_stream(const std::string& name, std::size_t of) {
  if (concurrent_) {
    if (std::find(under_way_.begin(), under_way_.end(), name) == under_way_.end())
      under_way_.push_back(name);
    return;
  }
  finish();
  stream_ = name;
  prefix_ = of > 1 ? name + ": " : "";
  start_ = std::chrono::steady_clock::now();
  last_draw_ = {};
  rows_ = 0;
  bytes_total_ = 0;
  bytes_response_ = 0;
  length_.reset();
}

std::string shortened_url(const std::string& url) {
  const std::size_t question = url.find('?');
  if (question == std::string::npos) return url;
  std::string out = url.substr(0, question + 1);
  std::size_t start = question + 1;
  while (start <= url.size()) {
    const std::size_t end = std::min(url.find('&', start), url.size());
    const std::string item = url.substr(start, end - start);
    const std::size_t equals = item.find('=');
    out += equals == std::string::npos
               ? item
               : item.substr(0, equals + 1) + short_token(std::string_view(item).substr(equals + 1));
    if (end < url.size()) out += '&';
    start = end + 1;
  }
  return out;
}

void ConsoleObserver::on_request(const std::string& url) {
  bytes_total_ += bytes_response_;
  bytes_response_ = 0;
  length_.reset();
  if (verbosity_ == Verbosity::Verbose) line("GET " + shortened_url(url));
}

void ConsoleObserver::on_response(long status, std::optional<std::uint64_t> content_length) {
  length_ = content_length;
  if (verbosity_ == Verbosity::Verbose)
    line("HTTP " + std::to_string(status) +
         (content_length
              ? ", " + counted(static_cast<std::int64_t>(*content_length), "byte", "bytes")
              : ""));
}

void ConsoleObserver::on_retry(const std::string& reason, double wait_seconds, int retry,
                               int max_retries) {
  if (verbosity_ == Verbosity::Quiet) return;
  char wait[32];
  std::snprintf(wait, sizeof wait, "%.1f", wait_seconds);
  line(reason + "; retry " + std::to_string(retry) + " of " + std::to_string(max_retries) + " in " +
       wait + " s");
}

void ConsoleObserver::on_sign_in(bool login, const std::string& url, const std::string& reason,
                                 bool renewal) {
  if (verbosity_ != Verbosity::Verbose) return;
  const std::string what = login ? (renewal ? "logging in again" : "logging in")
                                 : (renewal ? "a new access token" : "an access token");
  line("POST " + url + ": " + what + " (" + reason + ")" +
       (reason == "the API answered 401" ? "; then the request again" : ""));
}

void ConsoleObserver::on_checkpoint(const Cursor& cursor, const RunCounters& committed) {
  if (verbosity_ == Verbosity::Verbose)
    line("checkpoint: cursor " + cursor.text + ", " +
         counted(committed.rows_new + committed.rows_updated, "row", "rows") + " committed");
}

void ConsoleObserver::on_rejected(std::string_view reason) {
  if (verbosity_ == Verbosity::Verbose) line("rejected a record: " + std::string(reason));
}

void ConsoleObserver::on_progress(const RunCounters& written, std::uint64_t body_bytes,
                                  std::optional<std::uint64_t> content_length) {
  if (concurrent_) {
    // Responses of several requests interleave: only rows add up.
    rows_of_[stream_] = written.rows_new + written.rows_updated;
    rows_ = 0;
    for (const auto& [name, rows] : rows_of_) rows_ += rows;
    if (!progress_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < kRedrawInterval) return;
    last_draw_ = now;
    draw();
    return;
  }
  rows_ = written.rows_new + written.rows_updated;
  if (body_bytes > bytes_response_) bytes_response_ = body_bytes;
  if (content_length) length_ = content_length;
  if (!progress_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  draw();
}

void ConsoleObserver::on_partition(std::size_t done, std::size_t total) {
  partitions_of_[stream_] = {done, total};
  if (verbosity_ == Verbosity::Verbose)
    line("partition " + std::to_string(done) + " of " + std::to_string(total) + " ended");
}

void ConsoleObserver::on_note(const std::string& text) {
  if (verbosity_ != Verbosity::Quiet) line(text);
}

std::string ConsoleObserver::partitions_text() const {
  std::size_t done = 0, total = 0;
  for (const auto& [name, counts] : partitions_of_) {
    if (!concurrent_ && name != stream_) continue;
    done += counts.first;
    total += counts.second;
  }
  if (total == 0) return "";
  return ", " + with_commas(static_cast<std::int64_t>(done)) + " of " +
         with_commas(static_cast<std::int64_t>(total)) + " partitions";
}

void ConsoleObserver::draw() {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (concurrent_) {
    std::string names;
    for (const std::string& name : under_way_) names += (names.empty() ? "" : ", ") + name;
    char tail[96];
    std::snprintf(tail, sizeof tail, " rows/s, %.1f s", elapsed);
    const std::string text =
        (names.empty() ? std::string("under way") : names + " under way") + ": " +
        counted(rows_, "row", "rows") + partitions_text() + ", " +
        with_commas(elapsed > 0.05 ? static_cast<std::int64_t>(static_cast<double>(rows_) / elapsed)
                                   : 0) +
        tail;
    write_text(out_, "\r\033[K" + text);
    shown_ = true;
    return;
  }
  const std::uint64_t bytes = bytes_total_ + bytes_response_;
  std::string text =
      stream_ + ": " + counted(rows_, "row", "rows") + partitions_text() + ", " + megabytes(bytes);
  if (elapsed > 0.05) {
    char rate[96];
    std::snprintf(
        rate, sizeof rate, ", %s rows/s, %.1f MB/s",
        with_commas(static_cast<std::int64_t>(static_cast<double>(rows_) / elapsed)).c_str(),
        static_cast<double>(bytes) / 1e6 / elapsed);
    text += rate;
  }
  char tail[96];
  std::snprintf(tail, sizeof tail, ", %.1f s", elapsed);
  text += tail;
  if (length_ && *length_ > 0 && bytes_response_ <= *length_) {
    const double fraction = static_cast<double>(bytes_response_) / static_cast<double>(*length_);
    std::snprintf(tail, sizeof tail, ", %.0f%%", fraction * 100);
    text += tail;
    if (fraction > 0.01) {
      std::snprintf(tail, sizeof tail, ", ETA %.0f s", elapsed * (1 - fraction) / fraction);
      text += tail;
    }
  }
  write_text(out_, "\r\033[K" + text);
  shown_ = true;
}

void ConsoleObserver::finish() {
  if (shown_) {
    write_text(out_, "\r\033[K");
    shown_ = false;
  }
}

}  // namespace tsync
