// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replica/replica.hpp"

namespace tsync {

// What a sync tells whoever runs it, as it happens. Every method has a no-op
// default. They are called one at a time: on the thread that called
// run_sync(), or, in a run with requests in flight, on whichever thread does
// the work, each call about another stream than the last one preceded by
// on_focus().
class SyncObserver {
 public:
  virtual ~SyncObserver() = default;
  // A run with requests in flight begins: `streams` streams are synced
  // together, with up to `max_concurrency` requests at a time.
  virtual void on_concurrent_run(std::size_t /*streams*/, int /*max_concurrency*/) {}
  // In a run with requests in flight: the calls that follow are about `stream`.
  virtual void on_focus(const std::string& /*stream*/) {}
  // A stream's sync begins; `of` streams are synced in this run.
  virtual void on_stream(const std::string& /*name*/, std::size_t /*of*/) {}
  // In a run with requests in flight: every request of the stream has ended.
  virtual void on_stream_end(const std::string& /*name*/) {}
  virtual void on_request(const std::string& /*url*/) {}
  virtual void on_response(long /*status*/, std::optional<std::uint64_t> /*content_length*/) {}
  // A transient fault; the request is repeated after `wait_seconds`.
  virtual void on_retry(const std::string& /*reason*/, double /*wait_seconds*/, int /*retry*/,
                        int /*max_retries*/) {}
  // A session login or OAuth2 token request is sent to `url` before the
  // request just announced; `reason` says why ("none yet", "it expires in 3 s",
  // "the API answered 401"), `renewal` whether it replaces one the run had.
  virtual void on_sign_in(bool /*login*/, const std::string& /*url*/, const std::string& /*reason*/,
                          bool /*renewal*/) {}
  virtual void on_checkpoint(const Cursor& /*cursor*/, const RunCounters& /*committed*/) {}
  // Called every few thousand records and once per chunk of body.
  virtual void on_progress(const RunCounters& /*written*/, std::uint64_t /*body_bytes*/,
                           std::optional<std::uint64_t> /*content_length*/) {}
  virtual void on_rejected(std::string_view /*reason*/) {}
  // A child stream: `done` of the `total` partitions this run reads have ended.
  virtual void on_partition(std::size_t /*done*/, std::size_t /*total*/) {}
  // Something the user should know of the stream's run ("no partitions yet").
  virtual void on_note(const std::string& /*text*/) {}
};

}  // namespace tsync
