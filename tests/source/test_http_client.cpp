// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include "common/errors.hpp"
#include "source/http_client.hpp"
#include "support/local_server.hpp"

using tsync::test::LocalServer;

namespace {

// cpp-httplib compresses "application/json" bodies when the client accepts it
// (tsync does), and buffers compressed output; tests about exact bytes and
// timing use a type it leaves alone.
constexpr const char* kPlainJson = "application/json; charset=utf-8";

// The headers one request arrived with, kept by a server's handler.
struct SeenHeaders {
  bool called = false;
  std::string authorization, api_key, plain, cookie;

  void keep(const httplib::Request& request) {
    called = true;
    authorization = request.get_header_value("Authorization");
    api_key = request.get_header_value("X-Api-Key");
    plain = request.get_header_value("X-Client");
    cookie = request.get_header_value("Cookie");
  }
};

// Options with a bearer token, a secret header, a plain one and a cookie.
tsync::HttpOptions options_with_secrets() {
  tsync::HttpOptions options;
  options.timeout_seconds = 5;
  options.bearer_token = "s3cret-token";
  options.headers = {{"X-Api-Key", "k3y-s3cret", true},
                     {"X-Client", "tsync-tests", false},
                     {"Cookie", "session=c00kie-s3cret", false}};
  return options;
}

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
  TEST_CASE("a POST sends its body and type, and a redirect to another origin is refused") {
    LocalServer other;
    if (!other.start_on("127.0.0.2")) {
      MESSAGE("127.0.0.2 cannot be bound here");
      return;
    }
    std::string seen_body, seen_type;
    bool other_called = false;
    other.http.Post("/token", [&](const httplib::Request&, httplib::Response& response) {
      other_called = true;
      response.set_content("{}", "application/json");
    });
    LocalServer api;
    api.http.Post("/token", [&](const httplib::Request& request, httplib::Response& response) {
      seen_body = request.body;
      seen_type = request.get_header_value("Content-Type");
      response.set_content(R"({"access_token": "x"})", "application/json");
    });
    api.http.Post("/moved", [&](const httplib::Request&, httplib::Response& response) {
      response.status = 307;
      response.set_header("Location", other.url("/token"));
    });
    api.start();
    tsync::HttpOptions options = quick_options();
    options.method = "POST";
    options.body = "grant_type=client_credentials&client_secret=cl13nt-s3cret";
    options.content_type = "application/x-www-form-urlencoded";
    {
      tsync::HttpGet post(options, api.url("/token"));
      CHECK(post.status() == 200);
      CHECK(read_body(post) == R"({"access_token": "x"})");
    }
    CHECK(seen_body == options.body);
    CHECK(seen_type == "application/x-www-form-urlencoded");
    tsync::HttpGet moved(options, api.url("/moved"));
    CHECK(error_of([&] {
            moved.status();
          }).find("another origin: tsync does not send this request's body") != std::string::npos);
    CHECK_FALSE(other_called);
  }

  TEST_CASE("an API key in the query goes to the configured origin only") {
    LocalServer api;
    std::string seen_target;
    api.http.Get("/data", [&](const httplib::Request& request, httplib::Response& response) {
      seen_target = request.target;
      response.set_content("[]", kPlainJson);
    });
    api.start();
    tsync::HttpOptions options = quick_options();
    options.query_secret_name = "api_key";
    options.query_secret_value = "qu3ry-s3cret";
    options.credentials_origin = api.url("/");
    {
      tsync::HttpGet get(options, api.url("/data?x=1"));
      CHECK(get.status() == 200);
      CHECK(get.url().find("qu3ry-s3cret") == std::string::npos);  // masked in messages
    }
    CHECK(seen_target == "/data?x=1&api_key=qu3ry-s3cret");
    options.credentials_origin = "http://127.0.0.9:1";
    {
      tsync::HttpGet get(options, api.url("/data?x=2"));
      CHECK(get.status() == 200);
    }
    CHECK(seen_target == "/data?x=2");
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

  TEST_CASE("header values come without the white space around them, an empty one as \"\"") {
    // json-server 0.17.4 sends "Link: " when its answer fits one page; libcurl
    // hands that value over as "\r".
    LocalServer server;
    server.http.Get("/users", [&](const httplib::Request&, httplib::Response& response) {
      response.set_header("Link", "");
      response.set_header("X-Total-Count", "7");
      response.set_header("X-Padded", "\t a b \t");
      response.set_content("[]", kPlainJson);
    });
    server.start();
    tsync::HttpGet get(quick_options(), server.url("/users"));
    CHECK(get.status() == 200);
    CHECK(get.header_values("link") == std::vector<std::string>{""});
    CHECK(get.header_values("x-total-count") == std::vector<std::string>{"7"});
    CHECK(get.header_values("x-padded") == std::vector<std::string>{"a b"});
    CHECK(get.header_values("x-absent").empty());
    CHECK(read_body(get) == "[]");
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

  TEST_CASE("extra headers are sent with the bearer token") {
    LocalServer server;
    SeenHeaders seen;
    server.http.Get("/users", [&](const httplib::Request& request, httplib::Response& response) {
      seen.keep(request);
      response.set_content(R"({"data":[]})", kPlainJson);
    });
    server.start();
    tsync::HttpGet get(options_with_secrets(), server.url("/users"));
    CHECK(get.status() == 200);
    CHECK(read_body(get) == R"({"data":[]})");
    CHECK(get.redirected_to() == "");
    CHECK_FALSE(get.secrets_withheld());
    CHECK(seen.authorization == "Bearer s3cret-token");
    CHECK(seen.api_key == "k3y-s3cret");
    CHECK(seen.plain == "tsync-tests");
    CHECK(seen.cookie == "session=c00kie-s3cret");
  }

  TEST_CASE("options that would make a malformed request are refused as configuration errors") {
    auto options = quick_options();
    SUBCASE("a line break in a header value") {
      options.headers = {{"X-Api-Key", "abcd\r\nX-Injected: 1", true}};
      CHECK_THROWS_WITH_AS(tsync::check_http_options(options),
                           "header X-Api-Key: its value holds a line break or NUL character",
                           tsync::ConfigError);
      // HttpGet checks them too, before anything is sent.
      CHECK_THROWS_AS(tsync::HttpGet(options, "http://127.0.0.1:9/users"), tsync::ConfigError);
    }
    SUBCASE("a header name that is not a token") {
      options.headers = {{"X Api\nKey", "value", false}};
      CHECK_THROWS_WITH_AS(
          tsync::check_http_options(options),
          "header \"X Api?Key\": a header name is one or more letters, digits or !#$%&'*+-.^_`|~",
          tsync::ConfigError);
      options.headers = {{"", "value", false}};
      CHECK_THROWS_AS(tsync::check_http_options(options), tsync::ConfigError);
    }
    SUBCASE("a line break in the token") {
      options.bearer_token = "abcd\nX-Injected: 1";
      CHECK_THROWS_WITH_AS(tsync::check_http_options(options),
                           "the bearer token holds a line break or NUL character",
                           tsync::ConfigError);
    }
    SUBCASE("a secret shorter than 4 characters, named but not shown") {
      options.bearer_token = "abc";
      CHECK_THROWS_WITH_AS(
          tsync::check_http_options(options),
          "the bearer token: a secret must have at least 4 characters, this one has 3",
          tsync::ConfigError);
      options.bearer_token.clear();
      options.headers = {{"X-Api-Key", "xyz", true}};
      CHECK_THROWS_WITH_AS(
          tsync::check_http_options(options),
          "header X-Api-Key: a secret must have at least 4 characters, this one has 3",
          tsync::ConfigError);
      options.headers = {{"Authorization", "Key", false}};  // a credential whatever it says
      CHECK_THROWS_AS(tsync::check_http_options(options), tsync::ConfigError);
      options.headers = {{"X-Short", "xyz", false}};  // not a secret: any length
      CHECK_NOTHROW(tsync::check_http_options(options));
    }
    SUBCASE("a negative minimum rate") {
      options.min_bytes_per_second = -1;
      CHECK_THROWS_WITH_AS(tsync::check_http_options(options),
                           "min_bytes_per_second: must be 0 or more", tsync::ConfigError);
    }
  }

  TEST_CASE("a redirect within the same origin keeps the token and secret headers") {
    LocalServer server;
    SeenHeaders seen;
    server.http.Get("/old", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/new?since=1");
    });
    server.http.Get("/new", [&](const httplib::Request& request, httplib::Response& response) {
      seen.keep(request);
      response.set_content("moved here", "text/plain");
    });
    server.start();
    tsync::HttpGet get(options_with_secrets(), server.url("/old"));
    CHECK(get.status() == 200);
    CHECK(read_body(get) == "moved here");
    CHECK(get.url() == server.url("/old"));
    CHECK(get.redirected_to() == server.url("/new?since=1"));
    CHECK_FALSE(get.secrets_withheld());
    CHECK(seen.authorization == "Bearer s3cret-token");
    CHECK(seen.api_key == "k3y-s3cret");
    CHECK(seen.cookie == "session=c00kie-s3cret");
    CHECK(seen.plain == "tsync-tests");
  }

  TEST_CASE("a redirect to another host receives neither the token nor secret headers") {
    LocalServer other;
    if (!other.start_on("127.0.0.2")) {
      MESSAGE("cannot listen on 127.0.0.2: skipping the cross-host redirect test");
      return;
    }
    LocalServer server;
    SeenHeaders at_other, back_home;
    other.http.Get("/landed", [&](const httplib::Request& request, httplib::Response& response) {
      at_other.keep(request);
      response.set_content("elsewhere", "text/plain");
    });
    server.http.Get("/away", [&](const httplib::Request&, httplib::Response& response) {
      response.set_redirect(other.url("/landed"));
    });
    server.start();
    // The other host sends it back home: once the origin was left, secrets
    // stay off for the rest of the request.
    other.http.Get("/bounce", [&](const httplib::Request& request, httplib::Response& response) {
      at_other.keep(request);
      response.set_redirect(server.url("/home"));
    });
    server.http.Get("/home", [&](const httplib::Request& request, httplib::Response& response) {
      back_home.keep(request);
      response.set_content("home", "text/plain");
    });
    server.http.Get("/to-bounce", [&](const httplib::Request&, httplib::Response& response) {
      response.set_redirect(other.url("/bounce"), 307);
    });

    tsync::HttpGet get(options_with_secrets(), server.url("/away"));
    CHECK(get.status() == 200);
    CHECK(read_body(get) == "elsewhere");
    CHECK(get.url() == server.url("/away"));
    CHECK(get.redirected_to() == other.url("/landed"));
    CHECK(get.secrets_withheld());
    REQUIRE(at_other.called);
    CHECK(at_other.authorization == "");
    CHECK(at_other.api_key == "");
    CHECK(at_other.cookie == "");
    CHECK(at_other.plain == "tsync-tests");  // not a secret

    at_other = {};
    tsync::HttpGet bounced(options_with_secrets(), server.url("/to-bounce"));
    CHECK(bounced.status() == 200);
    CHECK(read_body(bounced) == "home");
    CHECK(at_other.called);
    CHECK(at_other.authorization == "");
    REQUIRE(back_home.called);
    CHECK(back_home.authorization == "");
    CHECK(back_home.api_key == "");
  }

  TEST_CASE("a redirect to another port of the same host is another origin") {
    LocalServer other;
    other.start();
    SeenHeaders seen;
    other.http.Get("/landed", [&](const httplib::Request& request, httplib::Response& response) {
      seen.keep(request);
      response.set_content("elsewhere", "text/plain");
    });
    LocalServer server;
    server.http.Get("/away", [&](const httplib::Request&, httplib::Response& response) {
      response.set_redirect(other.url("/landed"), 308);
    });
    server.start();
    tsync::HttpGet get(options_with_secrets(), server.url("/away"));
    CHECK(get.status() == 200);
    CHECK(read_body(get) == "elsewhere");
    REQUIRE(seen.called);
    CHECK(seen.authorization == "");
    CHECK(seen.api_key == "");
  }

  TEST_CASE("redirects end: a loop is refused after 10, and a redirect's body is not read") {
    LocalServer server;
    int hops = 0;
    server.http.Get("/loop", [&](const httplib::Request&, httplib::Response& response) {
      ++hops;
      response.set_redirect("/loop");
      response.set_content("a redirect's own body", "text/plain");
    });
    server.http.Get("/once", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/end");
      response.set_content(std::string(100000, 'x'), "text/plain");
    });
    server.http.Get("/end", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("the end", "text/plain");
    });
    server.start();
    tsync::HttpGet loop(quick_options(), server.url("/loop"));
    CHECK_THROWS_WITH_AS(loop.status(),
                         ("GET " + server.url("/loop") + " (redirected to " + server.url("/loop") +
                          "): more than 10 redirects, the last to " + server.url("/loop"))
                             .c_str(),
                         tsync::PermanentError);
    CHECK(hops == 11);
    tsync::HttpGet once(quick_options(), server.url("/once"));
    CHECK(read_body(once) == "the end");  // next_chunk alone follows it too
    CHECK(once.status() == 200);
    CHECK(once.bytes_received() == 7);
  }

  TEST_CASE("a trickling body is cut as stalled within a bounded time") {
    LocalServer server;
    std::atomic<bool> release{false};
    server.http.Get("/trickle", [&](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          kPlainJson, [&](std::size_t offset, httplib::DataSink& sink) {
            if (offset > 0)
              for (int i = 0; i < 30 && !release; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            return !release && offset < 100 && sink.write(" ", 1);
          });
    });
    server.start();
    tsync::HttpOptions options;
    options.timeout_seconds = 1;
    options.min_bytes_per_second = 100;
    tsync::HttpGet get(options, server.url("/trickle"));
    CHECK(get.status() == 200);
    const auto started = std::chrono::steady_clock::now();
    const auto message = error_of([&] { read_body(get); });
    const auto took = std::chrono::steady_clock::now() - started;
    release = true;
    const std::string prefix = "GET " + server.url("/trickle") + ": transfer stalled: ";
    const std::string suffix = " bytes in the last 1 s, below min_bytes_per_second = 100";
    CAPTURE(message);
    REQUIRE(message.rfind(prefix, 0) == 0);
    REQUIRE(message.size() > prefix.size() + suffix.size());
    CHECK(message.substr(message.size() - suffix.size()) == suffix);
    const int bytes = std::stoi(message.substr(prefix.size()));
    CHECK(bytes >= 2);
    CHECK(bytes < 100);
    // Never silent for 1 s, so only the rate can cut it: within two windows.
    CHECK(took < std::chrono::milliseconds(2500));
    CHECK_THROWS_AS(throw tsync::TransientError(message), tsync::TransientError);

    // With the check off, only silence would end it.
    release = false;
    options.min_bytes_per_second = 0;
    tsync::HttpGet unchecked(options, server.url("/trickle"));
    CHECK(unchecked.status() == 200);
    const auto chunk_started = std::chrono::steady_clock::now();
    std::size_t received = 0;
    while (std::chrono::steady_clock::now() - chunk_started < std::chrono::milliseconds(2500))
      received += unchecked.next_chunk().size();
    CHECK(received >= 5);
    release = true;
  }

  TEST_CASE("a burst then silence is named a silence, bursts between shorter silences are cut") {
    LocalServer server;
    std::atomic<bool> release{false};
    auto wait = [&](int ms) {
      for (int i = 0; i < ms / 10 && !release; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    };
    server.http.Get("/burst", [&](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(kPlainJson,
                                            [&](std::size_t offset, httplib::DataSink& sink) {
                                              if (offset >= 5000) {
                                                wait(5000);
                                                return false;
                                              }
                                              // Ten writes of 500 bytes over 400 ms, then silence.
                                              if (offset > 0) wait(40);
                                              return sink.write(std::string(500, ' ').data(), 500);
                                            });
    });
    server.http.Get("/bursts", [&](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider(
          kPlainJson, [&](std::size_t offset, httplib::DataSink& sink) {
            if (offset > 0) wait(700);
            return !release && offset < 1000 && sink.write(std::string(10, ' ').data(), 10);
          });
    });
    server.start();
    tsync::HttpOptions options;
    options.timeout_seconds = 1;
    options.min_bytes_per_second = 100000;
    tsync::HttpGet burst(options, server.url("/burst"));
    CHECK(burst.status() == 200);
    CHECK_THROWS_WITH_AS(
        read_body(burst),
        doctest::Contains(": no data for too long: nothing received for 1 s after"),
        tsync::TransientError);

    options.min_bytes_per_second = 1000;
    tsync::HttpGet bursts(options, server.url("/bursts"));
    CHECK(bursts.status() == 200);
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(
        read_body(bursts),
        doctest::Contains(" bytes in the last 1 s, below min_bytes_per_second = 1000"),
        tsync::TransientError);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(3000));
    release = true;
  }

  TEST_CASE("a fast body is not cut while the reader keeps it waiting") {
    constexpr std::size_t kSize = 3 * 1024 * 1024;
    LocalServer server;
    server.http.Get("/fast", [](const httplib::Request&, httplib::Response& response) {
      response.set_content_provider(
          kSize, "application/octet-stream",
          [](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
            const std::string block(std::min<std::size_t>(length, 65536),
                                    static_cast<char>('a' + offset % 26));
            return sink.write(block.data(), block.size());
          });
    });
    server.start();
    tsync::HttpOptions options;
    options.timeout_seconds = 1;
    // Far above what arrives per second of the reader's time, far below what
    // arrives per second of the transfer's.
    options.min_bytes_per_second = 4 * 1024 * 1024;
    tsync::HttpGet get(options, server.url("/fast"));
    REQUIRE(get.status() == 200);
    std::size_t received = 0, chunks = 0;
    const auto started = std::chrono::steady_clock::now();
    for (auto chunk = get.next_chunk(); !chunk.empty(); chunk = get.next_chunk()) {
      received += chunk.size();
      // The parser is busy: 1.2 s away from the transfer, three times.
      if (++chunks <= 3) std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    }
    CHECK(received == kSize);
    CHECK(std::chrono::steady_clock::now() - started > std::chrono::milliseconds(3600));
  }

  TEST_CASE("error messages hold no secret, wherever libcurl or the server put it") {
    SUBCASE("in the URL's query, as the options' redactor knows it") {
      std::string url;
      {
        LocalServer server;
        server.start();
        url = server.url("/gone?api_key=qu3ry-s3cret&since=1");
      }
      auto options = quick_options();
      auto redactor = std::make_shared<tsync::Redactor>();
      redactor->add_secret("qu3ry-s3cret");
      options.redactor = redactor;
      tsync::HttpGet get(options, url);
      CHECK(get.url().find("api_key=[redacted]&since=1") != std::string::npos);
      const auto message = error_of([&] { get.status(); });
      CHECK(message.find("qu3ry") == std::string::npos);
      CHECK(message.find("api_key=[redacted]") != std::string::npos);
    }
    SUBCASE("in libcurl's own error text") {
      std::string port;
      {
        LocalServer server;
        server.start();
        port = std::to_string(server.port());
      }
      // libcurl resolves *.localhost itself and names the host it could not reach.
      auto options = options_with_secrets();
      tsync::HttpGet get(options, "http://s3cret-token.localhost:" + port + "/users");
      const auto message = error_of([&] { get.status(); });
      CAPTURE(message);
      CHECK(message.find("s3cret") == std::string::npos);
      CHECK(message.find("[redacted].localhost") != std::string::npos);
    }
    SUBCASE("in a redirect's target") {
      LocalServer server;
      server.http.Get("/to-file", [](const httplib::Request& request, httplib::Response& response) {
        response.set_redirect("file:///tmp/" + request.get_header_value("X-Api-Key"));
      });
      server.http.Get("/echo", [](const httplib::Request& request, httplib::Response& response) {
        std::string token = request.get_header_value("Authorization").substr(7);
        std::string encoded;
        tsync::append_url_encoded(encoded, token);
        response.set_redirect("/cut?token=" + encoded);
      });
      server.http.Get("/cut", [](const httplib::Request&, httplib::Response& response) {
        response.set_chunked_content_provider(kPlainJson,
                                              [](std::size_t offset, httplib::DataSink& sink) {
                                                return offset == 0 && sink.write("[", 1);
                                              });
      });
      server.start();
      tsync::HttpGet to_file(options_with_secrets(), server.url("/to-file"));
      CHECK_THROWS_WITH_AS(to_file.status(),
                           ("GET " + server.url("/to-file") +
                            ": redirected to file:///tmp/[redacted], which is not an http or "
                            "https URL")
                               .c_str(),
                           tsync::PermanentError);
      tsync::HttpGet echo(options_with_secrets(), server.url("/echo"));
      CHECK(echo.status() == 200);
      const auto message = error_of([&] { read_body(echo); });
      CHECK(message.rfind("GET " + server.url("/echo") + " (redirected to " +
                              server.url("/cut?token=[redacted]") +
                              "): connection lost after 1 bytes of the body (",
                          0) == 0);
      CHECK(message.find("s3cret") == std::string::npos);
    }
    SUBCASE("in a response body, masked by the request's redactor") {
      LocalServer server;
      server.http.Get("/private", [](const httplib::Request& request, httplib::Response& response) {
        response.status = 401;
        response.set_content(R"({"error":"bad token )" + request.get_header_value("Authorization") +
                                 R"(, key )" + request.get_header_value("X-Api-Key") + R"("})",
                             "text/plain");
      });
      server.start();
      tsync::HttpGet get(options_with_secrets(), server.url("/private"));
      CHECK(get.status() == 401);
      CHECK(get.redactor().redact(read_body(get)) ==
            R"({"error":"bad token Bearer [redacted], key [redacted]"})");
    }
  }
}
