// SPDX-License-Identifier: Apache-2.0
#pragma once
// One request of a stream: its URL, its options and credentials, sending it
// and checking its status, and reading the records of its body into a sink.

#include <memory>
#include <optional>
#include <string>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "replica/write_queue.hpp"
#include "source/auth.hpp"
#include "source/http_client.hpp"
#include "source/records.hpp"
#include "sync/observer.hpp"
#include "sync/scheduler.hpp"

namespace tsync {

// How a stream's requests go out: its options, its credentials (when it has
// an auth setting), its rate, the connections its requests share, and the
// run's requests in flight that a chain may use to ask pages ahead (none:
// one request at a time).
struct Transport {
  const HttpOptions& http;
  Authenticator* auth;
  RateLimiter& rate;
  HttpSession& session;
  RequestSlots* ahead;
};

// The HTTP options of a stream's requests: the run's settings, the stream's
// token and headers.
HttpOptions http_options(const Config& config, const StreamConfig& stream);

// The sign-in of a stream that has an auth setting (nullptr for one without).
std::shared_ptr<Authenticator> make_authenticator(const Config& config, const StreamConfig& stream);

// The since value a request starting from `committed` sends.
std::string since_value(const StreamConfig& stream, const Cursor& committed);

// The request URL: the stream's url, its fixed parameters, then since.
std::string request_url(const StreamConfig& stream, const Cursor& committed);

// Sends one request, signed by `auth` when there is one, and waits for its
// status: a transient fault status throws TransientError, any other failure
// PermanentError, both naming the request. A 401 to a session or access
// token is answered once with a new login or token and the same request.
// `where` is set to "GET <url>: HTTP <status>" for messages about the body.
std::unique_ptr<HttpGet> open_response(const StreamConfig& stream, const Transport& net,
                                       const std::string& url, SyncObserver& observer,
                                       RunCounters& io, std::string& where);

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

// Reads the records of a body into `sink`, which keeps what it read so far
// when SIGINT/SIGTERM or the run's deadline stops it (Sink::finish_interrupted).
// `where` names the request, `content_type()` gives its Content-Type, for
// messages.
template <typename Sink, typename ContentType>
void read_body(ChunkSource& source, const std::string& where, ContentType content_type,
               const RecordShape& shape, Sink& sink) {
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
    const std::string type = content_type();
    throw PermanentError(where + (type.empty() ? "" : " (" + type + ")") + ": " + e.what());
  }
}

// Reads the records of a response as it arrives into `sink` (read_body).
template <typename Sink>
void read_records(HttpGet& get, const std::string& where, const RecordShape& shape, Sink& sink,
                  SyncObserver& observer, RunCounters& io, const RowWriter& writer) {
  BodySource source(get, observer, io, writer, get.content_length());
  read_body(
      source, where, [&get] { return get.content_type(); }, shape, sink);
}

}  // namespace tsync
