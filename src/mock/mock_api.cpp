#include "mock/mock_api.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
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
// With a charset, as many real APIs send it; cpp-httplib then also leaves the
// body uncompressed, so a fault's byte count is a count of body bytes.
constexpr const char* kJsonType = "application/json; charset=utf-8";

// Which catalog records one response serves, and in which order.
struct Selection {
  std::shared_ptr<const Catalog> catalog;
  std::string prefix, suffix;           // the body around the records' array
  std::size_t begin = 0, end = 0;       // a range of the catalog, in serving order...
  std::vector<std::uint32_t> shuffled;  // ...or these indices, when not empty

  std::size_t count() const { return end - begin; }
  std::size_t index(std::size_t k) const { return shuffled.empty() ? begin + k : shuffled[k]; }
};

// The exact length of the body for `selection`.
std::size_t body_length(const Selection& s) {
  std::size_t length = s.prefix.size() + s.suffix.size();
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
        return s_.prefix;
      case Stage::Comma:
        return ",";
      case Stage::Record:
        return s_.catalog->text(s_.index(record_));
      case Stage::Suffix:
        return s_.suffix;
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

void reply_error(httplib::Response& response, int status, std::string_view message) {
  response.status = status;
  response.set_content(json_error(message), "application/json");
}

std::string_view cursor_description(CursorFormat format) {
  switch (format) {
    case CursorFormat::UnixSeconds:
      return "a unix time in seconds";
    case CursorFormat::UnixMillis:
      return "a unix time in milliseconds";
    case CursorFormat::Iso8601:
      break;
  }
  return "an ISO 8601 timestamp";
}

// Where one data request's records come from, and how they are framed and filtered.
struct Feed {
  std::string path;
  std::shared_ptr<const Catalog> catalog;
  std::string prefix, suffix;
  std::string since_param = "since";
  CursorFormat format = CursorFormat::Iso8601;
  std::map<std::string, std::string> required;
  ServingOptions serving;
  std::uint64_t seed = 1;
};

// A generic endpoint: its spec (whose `serving` MockApi::Impl::mutex guards),
// the body's text around the records' array, and its records.
struct Endpoint {
  explicit Endpoint(EndpointSpec s)
      : spec(std::move(s)), store(spec.schema, spec.records, spec.seed) {
    std::size_t depth = 0;
    if (!spec.records_path.empty()) {
      std::size_t start = 0;
      while (true) {
        const std::size_t dot = spec.records_path.find('.', start);
        prefix += "{";
        append_json_string(prefix, spec.records_path.substr(start, dot - start));
        prefix += ":";
        ++depth;
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
    }
    prefix += "[";
    suffix = "]" + std::string(depth, '}');
  }

  EndpointSpec spec;
  std::string prefix, suffix;
  RecordStore store;
  std::atomic<std::size_t> requests{0};
};

}  // namespace

struct MockApi::Impl {
  explicit Impl(const Options& o) : options(o), store(o.users, o.seed, o.style) {}

  // Records this data request and takes the fault queued for it, if any.
  std::optional<Fault> begin_request(const std::string& path, const std::string& since) {
    const std::lock_guard lock(mutex);
    since_log.emplace_back(path, since);
    if (faults.empty()) return std::nullopt;
    Fault fault = std::move(faults.front());
    faults.pop_front();
    return fault;
  }

  // The generic endpoint at `path`, or null.
  Endpoint* find(const std::string& path) const {
    const std::lock_guard lock(mutex);
    const auto it = endpoints.find(path);
    return it == endpoints.end() ? nullptr : it->second.get();
  }

  static Selection select(std::optional<Instant> since, const Feed& feed,
                          std::size_t request_number) {
    Selection s;
    s.catalog = feed.catalog;
    s.prefix = feed.prefix;
    s.suffix = feed.suffix;
    const ServingOptions& o = feed.serving;
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
      std::mt19937_64 rng(feed.seed * 7919 + request_number);
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
    Feed feed;
    feed.path = kUsersPath;
    feed.catalog = store.catalog();
    feed.prefix = "{\"data\":[";
    feed.suffix = "]}";
    {
      const std::lock_guard lock(mutex);
      feed.serving = options;
      feed.seed = options.seed;
    }
    serve_feed(request, response, feed);
  }

  void serve_endpoint(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = find(request.path);
    if (!endpoint) return reply_error(response, 404, "no endpoint at " + request.path);
    ++endpoint->requests;
    Feed feed;
    feed.path = endpoint->spec.path;
    feed.catalog = endpoint->store.catalog();
    feed.prefix = endpoint->prefix;
    feed.suffix = endpoint->suffix;
    feed.since_param = endpoint->spec.since_param;
    feed.format = endpoint->spec.schema.cursor_format;
    feed.required = endpoint->spec.required_params;
    feed.seed = endpoint->spec.seed;
    {
      const std::lock_guard lock(mutex);
      feed.serving = endpoint->spec.serving;
    }
    serve_feed(request, response, feed);
  }

  void serve_feed(const httplib::Request& request, httplib::Response& response, const Feed& feed) {
    const bool has_since = request.has_param(feed.since_param);
    const std::string since_text = has_since ? request.get_param_value(feed.since_param) : "";
    const std::size_t request_number = requests.fetch_add(1) + 1;
    const std::optional<Fault> fault = begin_request(feed.path, since_text);
    for (const auto& [name, value] : feed.required) {
      if (!request.has_param(name))
        return reply_error(response, 400, "missing required parameter " + name + "=" + value);
      const std::string sent = request.get_param_value(name);
      if (sent != value)
        return reply_error(
            response, 400,
            "parameter " + name + " must be \"" + value + "\", not \"" + sent + "\"");
    }
    std::optional<Instant> since;
    if (has_since) {
      since = parse_cursor(feed.format, since_text);
      if (!since)
        return reply_error(response, 400,
                           feed.since_param + " is not " +
                               std::string(cursor_description(feed.format)) + ": \"" + since_text +
                               "\"");
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

    Selection selection = select(since, feed, request_number);
    const std::size_t length = body_length(selection);
    auto writer = std::make_shared<BodyWriter>(std::move(selection));
    const std::size_t rate = feed.serving.rate_limit_bytes_per_second;
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
    if (!updates || !additions)
      return reply_error(response, 400, "update and add must be whole numbers");
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      endpoint->store.mutate(*updates, *additions);
      return serve_endpoint_stats(*endpoint, response);
    }
    store.mutate(*updates, *additions);
    serve_stats(request, response);
  }

  void serve_delete(const httplib::Request& request, httplib::Response& response) {
    const auto count = count_param(request, "count");
    if (!request.has_param("count") || !count)
      return reply_error(response, 400, "count must be a whole number");
    const auto how = tombstone_from_name(
        request.has_param("tombstone") ? request.get_param_value("tombstone") : "none");
    if (!how) return reply_error(response, 400, "tombstone must be one of none, flag, at");
    std::vector<std::string> ids;
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      try {
        ids = endpoint->store.remove(*count, *how);
      } catch (const std::invalid_argument& e) {
        return reply_error(response, 400, e.what());
      }
    } else {
      ids = store.remove(*count, *how);
    }
    std::string body = R"({"deleted":[)";
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (k > 0) body.push_back(',');
      append_json_string(body, ids[k]);
    }
    body += "]}";
    response.set_content(body, "application/json");
  }

  void serve_restore(const httplib::Request& request, httplib::Response& response) {
    std::vector<std::string> ids;
    const std::string list = request.get_param_value("ids");
    for (std::size_t start = 0; start <= list.size();) {
      const std::size_t end = std::min(list.find(',', start), list.size());
      if (end > start) ids.push_back(list.substr(start, end - start));
      start = end + 1;
    }
    if (request.has_param("endpoint")) {
      Endpoint* endpoint = admin_endpoint(request, response);
      if (!endpoint) return;
      endpoint->store.restore(ids);
      return serve_endpoint_stats(*endpoint, response);
    }
    store.restore(ids);
    serve_stats(request, response);
  }

  void serve_add_field(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = admin_endpoint(request, response);
    if (!endpoint) return;
    if (!request.has_param("name")) return reply_error(response, 400, "name is missing");
    const auto kind = field_kind_from_name(request.get_param_value("kind"));
    if (!kind)
      return reply_error(response, 400,
                         "kind must be one of string, integer, bigint, float, bool, null, "
                         "object, array, numeric_string");
    try {
      endpoint->store.add_field({request.get_param_value("name"), *kind});
    } catch (const std::invalid_argument& e) {
      return reply_error(response, 400, e.what());
    }
    serve_endpoint_stats(*endpoint, response);
  }

  void serve_add_raw(const httplib::Request& request, httplib::Response& response) {
    Endpoint* endpoint = admin_endpoint(request, response);
    if (!endpoint) return;
    const CursorFormat format = endpoint->spec.schema.cursor_format;
    const Instant latest = endpoint->store.latest();
    std::optional<Instant> position = Instant{latest.seconds + 1, latest.nanos};
    if (request.has_param("position")) {
      position = parse_cursor(format, request.get_param_value("position"));
      if (!position)
        return reply_error(response, 400,
                           "position is not " + std::string(cursor_description(format)));
    }
    endpoint->store.add_raw(request.body, *position);
    serve_endpoint_stats(*endpoint, response);
  }

  // The generic endpoint an admin request names; null, with the answer set, when none.
  Endpoint* admin_endpoint(const httplib::Request& request, httplib::Response& response) const {
    const std::string path = request.get_param_value("endpoint");
    Endpoint* endpoint = find(path);
    if (!endpoint) reply_error(response, 404, "no endpoint at \"" + path + "\"");
    return endpoint;
  }

  void serve_stats(const httplib::Request& request, httplib::Response& response) const {
    if (request.has_param("endpoint")) {
      if (Endpoint* endpoint = admin_endpoint(request, response))
        serve_endpoint_stats(*endpoint, response);
      return;
    }
    response.set_content("{\"users\":" + std::to_string(store.size()) +
                             ",\"requests\":" + std::to_string(requests.load()) + "}",
                         "application/json");
  }

  static void serve_endpoint_stats(const Endpoint& endpoint, httplib::Response& response) {
    response.set_content("{\"records\":" + std::to_string(endpoint.store.size()) + ",\"fields\":" +
                             std::to_string(endpoint.store.schema().fields.size()) +
                             ",\"requests\":" + std::to_string(endpoint.requests.load()) + "}",
                         "application/json");
  }

  mutable std::mutex mutex;  // guards options, faults, since_log, endpoints, their serving
  Options options;
  std::deque<Fault> faults;
  std::vector<std::pair<std::string, std::string>> since_log;  // (path, since)
  std::map<std::string, std::unique_ptr<Endpoint>> endpoints;
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
  impl.server.Post("/admin/delete",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_delete(request, response);
                   });
  impl.server.Post("/admin/restore",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_restore(request, response);
                   });
  impl.server.Post("/admin/add_field",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_add_field(request, response);
                   });
  impl.server.Post("/admin/add_raw",
                   [&impl](const httplib::Request& request, httplib::Response& response) {
                     impl.serve_add_raw(request, response);
                   });
  impl.server.Get("/admin/stats",
                  [&impl](const httplib::Request& request, httplib::Response& response) {
                    impl.serve_stats(request, response);
                  });
  // Every other path: a generic endpoint, added before or after the start.
  impl.server.Get(".*", [&impl](const httplib::Request& request, httplib::Response& response) {
    impl.serve_endpoint(request, response);
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

std::string MockApi::base_url() const { return url(kUsersPath); }

UserStore& MockApi::store() { return impl_->store; }

void MockApi::push_fault(Fault fault) {
  const std::lock_guard lock(impl_->mutex);
  impl_->faults.push_back(std::move(fault));
}

std::string MockApi::add_endpoint(EndpointSpec spec) {
  check_endpoint_spec(spec);
  if (impl_->find(spec.path))
    throw std::invalid_argument("path: \"" + spec.path + "\" is already served");
  const std::string path = spec.path;
  auto endpoint = std::make_unique<Endpoint>(std::move(spec));
  {
    const std::lock_guard lock(impl_->mutex);
    if (!impl_->endpoints.emplace(path, std::move(endpoint)).second)
      throw std::invalid_argument("path: \"" + path + "\" is already served");
  }
  return url(path);
}

std::string MockApi::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port) + path;
}

RecordStore& MockApi::records(const std::string& path) {
  Endpoint* endpoint = impl_->find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  return endpoint->store;
}

void MockApi::set_serving(const std::string& path, const ServingOptions& serving) {
  Endpoint* endpoint = impl_->find(path);
  if (!endpoint) throw std::out_of_range("no mock endpoint at " + path);
  const std::lock_guard lock(impl_->mutex);
  endpoint->spec.serving = serving;
}

void MockApi::set_options(const Options& options) {
  const std::lock_guard lock(impl_->mutex);
  impl_->options = options;
}

std::vector<std::string> MockApi::since_log() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<std::string> log;
  for (const auto& [path, since] : impl_->since_log) log.push_back(since);
  return log;
}

std::vector<std::string> MockApi::since_log(const std::string& path) const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<std::string> log;
  for (const auto& [p, since] : impl_->since_log)
    if (p == path) log.push_back(since);
  return log;
}

std::size_t MockApi::request_count() const { return impl_->requests.load(); }

}  // namespace tsync::mock
