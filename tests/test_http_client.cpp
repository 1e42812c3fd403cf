#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <httplib.h>

#include "errors.hpp"
#include "http_client.hpp"

namespace {

// cpp-httplib compresses "application/json" bodies when the client accepts it
// (tsync does), and buffers compressed output; tests about exact bytes and
// timing use a type it leaves alone.
constexpr const char* kPlainJson = "application/json; charset=utf-8";

// An HTTP server on an ephemeral loopback port, listening on its own thread for
// the lifetime of the object. Routes are added before start().
class LocalServer {
 public:
  httplib::Server http;

  void start() {
    port_ = http.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { http.listen_after_bind(); });
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~LocalServer() {
    http.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int port() const { return port_; }

 private:
  int port_ = 0;
  std::thread thread_;
};

// Reads the whole body, a chunk at a time.
std::string read_body(tsync::HttpGet& get) {
  std::string body;
  for (auto chunk = get.next_chunk(); !chunk.empty(); chunk = get.next_chunk()) body.append(chunk);
  return body;
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const tsync::Error& e) {
    return e.what();
  }
  return "no error";
}

tsync::HttpOptions quick_options() {
  tsync::HttpOptions options;
  options.timeout_seconds = 5;
  return options;
}

}  // namespace

TEST_SUITE("http_client") {
  TEST_CASE("redact_url hides credentials and nothing else") {
    CHECK(tsync::redact_url("https://user:pass@api.example.com/users?since=1") ==
          "https://***@api.example.com/users?since=1");
    CHECK(tsync::redact_url("http://token@host:8080/a") == "http://***@host:8080/a");
    CHECK(tsync::redact_url("http://host/path?email=a@b.c") == "http://host/path?email=a@b.c");
    CHECK(tsync::redact_url("http://host/a") == "http://host/a");
    CHECK(tsync::redact_url("not a url") == "not a url");
  }

  TEST_CASE("append_url_encoded keeps unreserved characters and escapes the rest") {
    std::string out = "since=";
    tsync::append_url_encoded(out, "2024-01-15T10:30:00.5+02:00");
    CHECK(out == "since=2024-01-15T10%3A30%3A00.5%2B02%3A00");
    out.clear();
    tsync::append_url_encoded(out, std::string("a b/~_\xc3\xa9\0", 9));
    CHECK(out == "a%20b%2F~_%C3%A9%00");
  }

  TEST_CASE("a response's status, headers and body arrive as sent") {
    LocalServer server;
    std::string seen_accept, seen_agent;
    server.http.Get("/users", [&](const httplib::Request& request, httplib::Response& response) {
      seen_accept = request.get_header_value("Accept");
      seen_agent = request.get_header_value("User-Agent");
      response.set_content(R"({"data":[]})", kPlainJson);
    });
    server.start();
    tsync::HttpGet get(quick_options(), server.url("/users"));
    CHECK(get.status() == 200);
    CHECK(get.content_type() == kPlainJson);
    CHECK(get.content_length() == std::optional<std::uint64_t>(11));
    CHECK(get.retry_after_seconds() == -1);
    CHECK(read_body(get) == R"({"data":[]})");
    CHECK(get.bytes_received() == 11);
    CHECK(seen_accept == "application/json");
    CHECK(seen_agent.rfind("tsync/", 0) == 0);
  }

  TEST_CASE("requests made while an HttpWarmUp is still setting libcurl up succeed") {
    LocalServer server;
    server.http.Get("/users", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(R"({"data":[]})", kPlainJson);
    });
    server.start();
    std::atomic<int> ok{0};
    auto fetch = [&] {
      tsync::HttpGet get(quick_options(), server.url("/users"));
      if (get.status() == 200 && read_body(get) == R"({"data":[]})") ++ok;
    };
    {
      const tsync::HttpWarmUp warm_up;
      const tsync::HttpWarmUp second;  // a second one only waits for the first
      std::thread other(fetch);
      fetch();
      other.join();
    }
    fetch();  // after the warm-ups are gone
    CHECK(ok == 3);
  }

  TEST_CASE("error statuses are returned with their body and Retry-After") {
    LocalServer server;
    server.http.Get("/busy", [](const httplib::Request&, httplib::Response& response) {
      response.status = 503;
      response.set_header("Retry-After", "7");
      response.set_content("try later", "text/plain");
    });
    server.http.Get("/missing", [](const httplib::Request&, httplib::Response& response) {
      response.status = 404;
      response.set_content("no such endpoint", "text/plain");
    });
    server.start();
    tsync::HttpGet busy(quick_options(), server.url("/busy"));
    CHECK(busy.status() == 503);
    CHECK(busy.retry_after_seconds() == 7);
    CHECK(read_body(busy) == "try later");
    tsync::HttpGet missing(quick_options(), server.url("/missing"));
    CHECK(missing.status() == 404);
    CHECK(missing.content_type() == "text/plain");
    CHECK(read_body(missing) == "no such endpoint");
  }

  TEST_CASE("a compressed body is decoded") {
    std::string body = R"({"data":[)";
    for (int i = 0; i < 2000; ++i)
      body += (i ? "," : "") + std::string(R"({"id":")") + std::to_string(i) + R"("})";
    body += "]}";
    LocalServer server;
    std::string accepted;
    server.http.Get("/users", [&](const httplib::Request& request, httplib::Response& response) {
      accepted = request.get_header_value("Accept-Encoding");
      response.set_content(body, "application/json");
    });
    server.start();
    tsync::HttpGet get(quick_options(), server.url("/users"));
    CHECK(get.status() == 200);
    CHECK(read_body(get) == body);
    CHECK(accepted.find("gzip") != std::string::npos);
    // Fewer bytes crossed the wire than the body holds.
    CHECK(get.content_length().value_or(body.size()) < body.size());
  }

  TEST_CASE("a large body streams through intact while the reader is slow") {
    constexpr std::size_t kSize = 5 * 1024 * 1024;
    LocalServer server;
    server.http.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content_provider(
          kSize, "application/octet-stream",
          [](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            std::string block(std::min<std::size_t>(length, 65536), '\0');
            for (std::size_t i = 0; i < block.size(); ++i)
              block[i] = static_cast<char>((offset + i) * 131 % 251);
            return sink.write(block.data(), block.size());
          });
    });
    server.start();
    tsync::HttpGet get(quick_options(), server.url("/big"));
    REQUIRE(get.status() == 200);
    CHECK(get.content_length() == std::optional<std::uint64_t>(kSize));
    std::size_t offset = 0, chunks = 0, largest = 0;
    bool intact = true;
    for (auto chunk = get.next_chunk(); !chunk.empty(); chunk = get.next_chunk()) {
      for (std::size_t i = 0; i < chunk.size(); ++i)
        intact = intact && chunk[i] == static_cast<char>((offset + i) * 131 % 251);
      offset += chunk.size();
      largest = std::max(largest, chunk.size());
      // A slow reader: the transfer is paused while its buffer is full.
      if (++chunks % 8 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(intact);
    CHECK(offset == kSize);
    // What is held in memory at once stays bounded, far below the body's size.
    CHECK(largest <= 2 * 1024 * 1024);
  }

  TEST_CASE("a connection closed in the middle of the body is a transient error naming the bytes") {
    LocalServer server;
    server.http.Get("/cut", [](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          kPlainJson, [](std::size_t offset, httplib::DataSink& sink) {
            if (offset > 0) return false;  // close the connection without ending the body
            return sink.write(R"({"data":[{"id":"1")", 17);
          });
    });
    server.start();
    tsync::HttpGet get(quick_options(), server.url("/cut"));
    CHECK(get.status() == 200);
    const auto message = error_of([&] { read_body(get); });
    CHECK(message.rfind(
              "GET " + server.url("/cut") + ": connection lost after 17 bytes of the body (", 0) ==
          0);
    CHECK_THROWS_AS(throw tsync::TransientError(message), tsync::TransientError);
    tsync::HttpGet again(quick_options(), server.url("/cut"));
    again.status();
    CHECK_THROWS_AS(read_body(again), tsync::TransientError);
  }

  TEST_CASE("a body that goes silent times out after timeout_seconds") {
    LocalServer server;
    std::atomic<bool> release{false};
    server.http.Get("/stall", [&](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          kPlainJson, [&](std::size_t offset, httplib::DataSink& sink) {
            if (offset == 0) return sink.write(R"({"data":[)", 9);
            for (int i = 0; i < 500 && !release; ++i)
              std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return false;
          });
    });
    server.start();
    tsync::HttpOptions options;
    options.timeout_seconds = 1;
    tsync::HttpGet get(options, server.url("/stall"));
    CHECK(get.status() == 200);
    const auto started = std::chrono::steady_clock::now();
    REQUIRE_THROWS_WITH_AS(
        read_body(get),
        ("GET " + server.url("/stall") +
         ": no data for too long: nothing received for 1 s after 9 bytes of the body")
            .c_str(),
        tsync::TransientError);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(4));
    release = true;
  }

  TEST_CASE("a refused connection is a transient error naming the URL") {
    std::string url;
    {
      LocalServer server;
      server.start();
      url = server.url("/gone");
    }
    tsync::HttpGet get(quick_options(), url);
    const auto message = error_of([&] { get.status(); });
    CHECK(message.rfind("GET " + url + ": ", 0) == 0);
    CHECK(message.find("onnect") != std::string::npos);
    tsync::HttpGet again(quick_options(), url);
    CHECK_THROWS_AS(again.status(), tsync::TransientError);
  }

  TEST_CASE("redirects are followed, but only to http and https") {
    LocalServer server;
    server.http.Get("/old", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/new");
    });
    server.http.Get("/new", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("moved here", "text/plain");
    });
    server.http.Get("/to-file", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("file:///etc/passwd");
    });
    server.start();
    tsync::HttpGet moved(quick_options(), server.url("/old"));
    CHECK(moved.status() == 200);
    CHECK(read_body(moved) == "moved here");

    tsync::HttpGet to_file(quick_options(), server.url("/to-file"));
    CHECK_THROWS_AS(
        {
          to_file.status();
          read_body(to_file);
        },
        tsync::PermanentError);
  }

  TEST_CASE("a URL of another scheme is refused at once") {
    tsync::HttpGet get(quick_options(), "ftp://127.0.0.1:9/users");
    CHECK_THROWS_WITH_AS(get.status(), doctest::Contains("GET ftp://127.0.0.1:9/users: "),
                         tsync::PermanentError);
  }

  TEST_CASE("the bearer token is sent, and credentials never appear in errors") {
    LocalServer server;
    std::string authorization;
    server.http.Get("/private", [&](const httplib::Request& request, httplib::Response& response) {
      authorization = request.get_header_value("Authorization");
      response.set_content(R"({"data":[]})", "application/json");
    });
    server.start();
    tsync::HttpOptions options = quick_options();
    options.bearer_token = "s3cret-token";
    tsync::HttpGet get(options, server.url("/private"));
    CHECK(get.status() == 200);
    CHECK(authorization == "Bearer s3cret-token");

    const std::string url =
        "http://alice:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/private";
    tsync::HttpGet with_password(options, url);
    CHECK(with_password.url() ==
          "http://***@127.0.0.1:" + std::to_string(server.port()) + "/private");
    server.http.stop();
    tsync::HttpGet refused(options, url);
    const auto message = error_of([&] { refused.status(); });
    CHECK(message.find("hunter2") == std::string::npos);
    CHECK(message.find("s3cret") == std::string::npos);
    CHECK(message.find("***@127.0.0.1") != std::string::npos);
  }
}
