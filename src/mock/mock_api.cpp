#include "mock/mock_api.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

#include <sys/socket.h>

namespace tsync::mock {
namespace {

constexpr std::size_t kSliceBytes = std::size_t{256} * 1024;
constexpr std::string_view kPrefix = "{\"data\":[";
constexpr std::string_view kSuffix = "]}";
// With a charset, as many real APIs send it; cpp-httplib then also leaves the
// body uncompressed, so a fault's byte count is a count of body bytes.
constexpr const char* kJsonType = "application/json; charset=utf-8";

// Which catalog records one response serves, and in which order.
struct Selection {
  std::shared_ptr<const Catalog> catalog;
  std::size_t begin = 0, end = 0;       // a range of the catalog, in serving order...
  std::vector<std::uint32_t> shuffled;  // ...or these indices, when not empty

  std::size_t count() const { return end - begin; }
  std::size_t index(std::size_t k) const { return shuffled.empty() ? begin + k : shuffled[k]; }
};

// The exact length of the body for `selection`.
std::size_t body_length(const Selection& s) {
  std::size_t length = kPrefix.size() + kSuffix.size();
  for (std::size_t k = 0; k < s.count(); ++k) length += s.catalog->slot(s.index(k)).length;
  if (s.count() > 1) length += s.count() - 1;
  return length;
}

// Produces the body of one response a slice at a time, from the catalog's
// pre-rendered text: memory stays at one slice whatever the body's size.
class BodyWriter {
 public:
  explicit BodyWriter(Selection selection) : s_(std::move(selection)) {}

  // Appends up to `limit` more bytes of the body to `out`; false once the body
  // has been produced whole.
  bool next(std::string& out, std::size_t limit) {
    out.clear();
    while (out.size() < limit && !finished_) {
      const std::string_view piece = current_piece();
      const std::size_t take = std::min(piece.size() - offset_, limit - out.size());
      out.append(piece.substr(offset_, take));
      offset_ += take;
      if (offset_ == piece.size()) advance();
    }
    produced_ += out.size();
    return !out.empty();
  }
  std::size_t produced() const { return produced_; }

 private:
  // Pieces: the prefix, then for each record an optional comma and its text,
  // then the suffix.
  std::string_view current_piece() const {
    switch (stage_) {
      case Stage::Prefix:
        return kPrefix;
      case Stage::Comma:
        return ",";
      case Stage::Record:
        return s_.catalog->text(s_.index(record_));
      case Stage::Suffix:
        return kSuffix;
    }
    return {};
  }
  void advance() {
    offset_ = 0;
    switch (stage_) {
      case Stage::Prefix:
        stage_ = s_.count() ? Stage::Record : Stage::Suffix;
        break;
      case Stage::Comma:
        stage_ = Stage::Record;
        break;
      case Stage::Record:
        ++record_;
        stage_ = record_ < s_.count() ? Stage::Comma : Stage::Suffix;
        break;
      case Stage::Suffix:
        finished_ = true;
        break;
    }
  }

  enum class Stage { Prefix, Comma, Record, Suffix };
  Selection s_;
  Stage stage_ = Stage::Prefix;
  std::size_t record_ = 0;
  std::size_t offset_ = 0;
  std::size_t produced_ = 0;
  bool finished_ = false;
};

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}";
  return out;
}

std::optional<std::size_t> count_param(const httplib::Request& request, const char* name) {
  if (!request.has_param(name)) return 0;
  const std::string text = request.get_param_value(name);
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return static_cast<std::size_t>(std::stoul(text));
}

}  // namespace

struct MockApi::Impl {
  explicit Impl(const Options& o) : options(o), store(o.users, o.seed, o.style) {}

  Options current_options() const {
    const std::lock_guard lock(mutex);
    return options;
  }

  // Records this data request and takes the fault queued for it, if any.
  std::optional<Fault> begin_request(const std::string& since) {
    const std::lock_guard lock(mutex);
    since_log.push_back(since);
    if (faults.empty()) return std::nullopt;
    Fault fault = std::move(faults.front());
    faults.pop_front();
    return fault;
  }

  Selection select(std::optional<Instant> since, const Options& o,
                   std::size_t request_number) const {
    Selection s;
    s.catalog = store.catalog();
    const Catalog& c = *s.catalog;
    if (since && o.since_mode == SinceMode::Exclusive) s.begin = c.first_after(*since);
    if (since && o.since_mode == SinceMode::Inclusive) s.begin = c.first_not_before(*since);
    s.end = c.size();
    if (o.page_size > 0 && s.end - s.begin > o.page_size) {
      // A page never splits the records of one instant: with an exclusive since
      // the rest of them could never be asked for again.
      s.end = s.begin + o.page_size;
      const Instant last = c.slot(s.end - 1).updated;
      while (s.end < c.size() && c.slot(s.end).updated == last) ++s.end;
    }
    if (o.unsorted && s.count() > 1) {
      s.shuffled.resize(s.count());
      std::iota(s.shuffled.begin(), s.shuffled.end(), static_cast<std::uint32_t>(s.begin));
      std::mt19937_64 rng(o.seed * 7919 + request_number);
      std::shuffle(s.shuffled.begin(), s.shuffled.end(), rng);
    }
    return s;
  }

  // Sleeps `duration` in short steps; false when the server stops meanwhile or
  // the client has gone.
  bool pause(std::chrono::milliseconds duration, httplib::DataSink& sink) const {
    const auto until = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < until) {
      if (stopping.load() || !sink.is_writable()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  void serve_users(const httplib::Request& request, httplib::Response& response) {
    const std::string since_text =
        request.has_param("since") ? request.get_param_value("since") : "";
    const std::size_t request_number = requests.fetch_add(1) + 1;
    const std::optional<Fault> fault = begin_request(since_text);
    std::optional<Instant> since;
    if (request.has_param("since")) {
      since = parse_timestamp(since_text);
      if (!since) {
        response.status = 400;
        response.set_content(
            json_error("since is not an ISO 8601 timestamp: \"" + since_text + "\""),
            "application/json");
        return;
      }
    }
    if (fault && fault->kind == Fault::Kind::Status) {
      response.status = fault->status;
      if (!fault->retry_after.empty()) response.set_header("Retry-After", fault->retry_after);
      response.set_content(json_error("injected fault: HTTP " + std::to_string(fault->status)),
                           "application/json");
      return;
    }
    if (fault && fault->kind == Fault::Kind::RawBody) {
      response.status = fault->status;
      response.set_content(fault->body, fault->content_type);
      return;
    }

    const Options o = current_options();
    Selection selection = select(since, o, request_number);
    const std::size_t length = body_length(selection);
    auto writer = std::make_shared<BodyWriter>(std::move(selection));
    const std::size_t rate = o.rate_limit_bytes_per_second;
    const std::size_t slice =
        rate ? std::clamp<std::size_t>(rate / 50, 1, kSliceBytes) : kSliceBytes;
    const auto started = std::chrono::steady_clock::now();
    // Bytes before which the body stops (Drop, Truncate) or pauses (Stall).
    const std::size_t mark = fault ? fault->after_bytes : SIZE_MAX;
    const Fault::Kind kind = fault ? fault->kind : Fault::Kind::Status;
    auto buffer = std::make_shared<std::string>();
    buffer->reserve(slice);
    auto stalled = std::make_shared<bool>(false);

    // Writes one more slice; false to cut the connection.
    auto provide = [this, writer, buffer, stalled, slice, rate, started, mark, kind,
                    stall = fault ? fault->stall
                                  : std::chrono::milliseconds(0)](httplib::DataSink& sink) -> bool {
      if (stopping.load()) return false;
      std::size_t limit = slice;
      const bool before_mark = writer->produced() < mark;
      if (before_mark) limit = std::min(limit, mark - writer->produced());
      if (!before_mark) {
        if (kind == Fault::Kind::DropAfterBytes || kind == Fault::Kind::TruncateBody) return false;
        if (kind == Fault::Kind::Stall && !*stalled) {
          *stalled = true;
          if (!pause(stall, sink)) return false;
        }
      }
      if (!writer->next(*buffer, limit)) {
        sink.done();
        return true;
      }
      if (rate) {
        const double seconds = static_cast<double>(writer->produced()) / static_cast<double>(rate);
        const auto due =
            started + std::chrono::microseconds(static_cast<std::int64_t>(seconds * 1e6));
        const auto now = std::chrono::steady_clock::now();
        if (due > now &&
            !pause(std::chrono::duration_cast<std::chrono::milliseconds>(due - now), sink))
          return false;
      }
      return sink.write(buffer->data(), buffer->size());
    };

    if (kind == Fault::Kind::DropAfterBytes) {
      response.set_chunked_content_provider(
          kJsonType, [provide](std::size_t, httplib::DataSink& sink) { return provide(sink); });
    } else {
      response.set_content_provider(
          length, kJsonType,
          [provide](std::size_t, std::size_t, httplib::DataSink& sink) { return provide(sink); });
    }
  }

  void serve_mutate(const httplib::Request& request, httplib::Response& response) {
    const auto updates = count_param(request, "update");
    const auto additions = count_param(request, "add");
    if (!updates || !additions) {
      response.status = 400;
      response.set_content(json_error("update and add must be whole numbers"), "application/json");
      return;
    }
    store.mutate(*updates, *additions);
    serve_stats(response);
  }

  void serve_stats(httplib::Response& response) {
    response.set_content("{\"users\":" + std::to_string(store.size()) +
                             ",\"requests\":" + std::to_string(requests.load()) + "}",
                         "application/json");
  }

  mutable std::mutex mutex;  // guards options, faults, since_log
  Options options;
  std::deque<Fault> faults;
  std::vector<std::string> since_log;
  std::atomic<std::size_t> requests{0};
  std::atomic<bool> stopping{false};
  UserStore store;
  httplib::Server server;
  std::thread listener;
  int port = 0;
};

MockApi::MockApi(Options options) : impl_(std::make_unique<Impl>(options)) {}

MockApi::~MockApi() { stop(); }

int MockApi::start(int port) {
  Impl& impl = *impl_;
  if (impl.listener.joinable()) throw std::runtime_error("the mock API is already running");
  impl.server.set_keep_alive_timeout(1);
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind
  // the same port and take half of its connections: a stale mock would answer
  // for the new one. SO_REUSEADDR alone allows a quick restart and no sharing.
  impl.server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  impl.server.set_write_timeout(30, 0);
  impl.server.Get(kUsersPath,
                  [&impl](const httplib::Request& request, httplib::Response& response) {
                    impl.serve_users(request, response);
                  });
  impl.server.Post("/admin/mutate",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_mutate(request, response);
                   });
  impl.server.Get("/admin/stats", [&impl](const httplib::Request&, httplib::Response& response) {
    impl.serve_stats(response);
  });
  if (port == 0) {
    impl.port = impl.server.bind_to_any_port("127.0.0.1");
  } else {
    impl.port = impl.server.bind_to_port("127.0.0.1", port) ? port : -1;
  }
  if (impl.port <= 0)
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) +
                             " (is another server using it?)");
  // The socket listens from here on: connections queue until the thread accepts.
  impl.listener = std::thread([&impl] { impl.server.listen_after_bind(); });
  // stop() only reaches a server that has begun its accept loop.
  while (!impl.server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return impl.port;
}

void MockApi::stop() {
  Impl& impl = *impl_;
  impl.stopping.store(true);
  if (impl.listener.joinable()) {
    impl.server.stop();
    impl.listener.join();
  }
}

std::string MockApi::base_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + kUsersPath;
}

UserStore& MockApi::store() { return impl_->store; }

void MockApi::push_fault(Fault fault) {
  const std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

void MockApi::set_options(const Options& options) {
  const std::lock_guard lock(impl_->mutex);
  impl_->options = options;
}

std::vector<std::string> MockApi::since_log() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->since_log;
}

std::size_t MockApi::request_count() const { return impl_->requests.load(); }

}  // namespace tsync::mock
