// SPDX-License-Identifier: Apache-2.0
#include "mock/mock_api.hpp"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "mock/admin_routes.hpp"
#include "mock/auth.hpp"
#include "mock/data_routes.hpp"
#include "mock/endpoints.hpp"
#include "mock/google_admin.hpp"
#include "mock/graph_admin.hpp"
#include "mock/load_meter.hpp"
#include "mock/nested_admin.hpp"
#include "mock/nested_routes.hpp"
#include "mock/request_log.hpp"
#include "mock/session_login.hpp"
#include "mock/zendesk_admin.hpp"

#include <sys/socket.h>

namespace tsync::mock {

// The rooms of the mock, wired together; the server and its thread.
struct MockApi::Impl {
  explicit Impl(const Options& options)
      : users(options),
        login(tokens, sign_in_faults,
              [this](const std::string& username, const std::string& password) {
                return session_credentials(username, password);
              }),
        token(tokens, sign_in_faults),
        seed(options.seed),
        data({users, endpoints, log, load, faults, tokens, nested, stopping}) {}

  // Whether some Session endpoint signs in with these credentials.
  bool session_credentials(const std::string& username, const std::string& password) const {
    const auto matches = [&](const AuthRequirement& auth) {
      return auth.kind == AuthRequirement::Kind::Session && auth.username == username &&
             auth.password == password;
    };
    return matches(users.auth()) || endpoints.any_auth(matches);
  }

  // Sets the server's options and registers every route.
  void configure();

  UsersEndpoint users;
  Endpoints endpoints;
  RequestLog log;
  LoadMeter load;  // outlives the server, whose responses hold its tickets
  FaultQueue faults, sign_in_faults;
  TokenBook tokens;
  SessionLogin login;
  TokenEndpoint token;
  ChangeClock clock;
  GithubOrg github{clock};
  StripeInvoices stripe{clock};
  ZendeskTickets zendesk{clock};
  GraphUsers graph{clock};
  GoogleEvents google{clock};
  NestedRoutes nested{github, stripe, zendesk, graph, google};
  std::uint64_t seed;  // of the nested resources
  std::atomic<bool> stopping{false};
  DataRoutes data;
  httplib::Server server;
  std::thread listener;
  std::string host = "127.0.0.1";
  int port = 0;
  socket_t listening = INVALID_SOCKET;  // the server's socket, once bound
};

void MockApi::Impl::configure() {
  // One client connection can carry hundreds of pages; an idle one holds a
  // worker thread until the timeout, hence more workers than the default.
  server.set_keep_alive_max_count(1'000'000);
  server.set_keep_alive_timeout(5);
  // The head and the body go out in separate writes: without this, Nagle's
  // algorithm and the client's delayed ACK hold each response back 40 ms.
  server.set_tcp_nodelay(true);
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_pre_routing_handler([this](const httplib::Request& request, httplib::Response&) {
    log.note_connection(request);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // cpp-httplib's default also sets SO_REUSEPORT, which lets a second server bind
  // the same port and take half of its connections: a stale mock would answer
  // for the new one. SO_REUSEADDR alone allows a quick restart and no sharing.
  server.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listening = sock;
  });
  server.set_write_timeout(30, 0);
  add_admin_routes(server, {users.store(), endpoints, log, load});
  login.add_route(server);
  token.add_route(server);
  add_nested_admin_routes(server, github, stripe);
  add_zendesk_admin_routes(server, zendesk);
  add_graph_admin_routes(server, graph);
  add_google_admin_routes(server, google);
  // Last: its routes take every GET path the others did not.
  data.add_routes(server);
}

MockApi::MockApi(Options options) : impl_(std::make_unique<Impl>(options)) {}

MockApi::~MockApi() { stop(); }

int MockApi::start(int port, const std::string& host) {
  Impl& impl = *impl_;
  if (impl.listener.joinable()) throw std::runtime_error("the mock API is already running");
  impl.configure();
  impl.host = host;
  if (port == 0) {
    impl.port = impl.server.bind_to_any_port(host);
  } else {
    impl.port = impl.server.bind_to_port(host, port) ? port : -1;
  }
  if (impl.port <= 0) {
    impl.port = 0;
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (is another server using it?)");
  }
  impl.data.set_origin("http://" + host + ":" + std::to_string(impl.port));
  // cpp-httplib listens with a backlog of 5: a burst of new connections beyond it
  // loses SYNs, which the clients send again a second later. Listening again
  // sets a longer queue, so that many clients can connect at once.
  if (impl.listening != INVALID_SOCKET) ::listen(impl.listening, SOMAXCONN);
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

UserStore& MockApi::store() { return impl_->users.store(); }

void MockApi::push_fault(Fault fault) { impl_->faults.push(std::move(fault)); }

std::string MockApi::add_endpoint(EndpointSpec spec) {
  const std::string path = spec.path;
  impl_->endpoints.add(std::move(spec));
  return url(path);
}

std::string MockApi::url(const std::string& path) const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port) + path;
}

RecordStore& MockApi::records(const std::string& path) { return impl_->endpoints.at(path).store; }

void MockApi::set_serving(const std::string& path, const ServingOptions& serving) {
  impl_->endpoints.set_serving(path, serving);
}

void MockApi::set_auth(const std::string& path, const AuthRequirement& auth) {
  impl_->endpoints.set_auth(path, auth);
}

void MockApi::push_sign_in_fault(Fault fault) { impl_->sign_in_faults.push(std::move(fault)); }

void MockApi::set_oauth(const OAuthOptions& options) { impl_->token.set_options(options); }

std::string MockApi::current_refresh_token() const { return impl_->token.refresh_token(); }

std::size_t MockApi::token_requests() const { return impl_->token.requests(); }

std::size_t MockApi::login_requests() const { return impl_->login.requests(); }

void MockApi::expire_tokens() { impl_->tokens.expire_all(); }

std::size_t MockApi::peak_concurrent_requests() const { return impl_->load.peak_in_flight(); }

std::size_t MockApi::peak_requests_per_second() const { return impl_->load.peak_per_second(); }

std::size_t MockApi::peak_requests_per_second(const std::string& path) const {
  return impl_->load.peak_per_second(path);
}

void MockApi::reset_load_counters() { impl_->load.reset(); }

void MockApi::set_options(const Options& options) { impl_->users.set_options(options); }

void MockApi::set_request_hook(std::function<void(std::size_t data_request_number)> hook) {
  impl_->log.set_hook(std::move(hook));
}

std::vector<std::string> MockApi::target_log() const { return impl_->log.target_log(); }

std::vector<std::string> MockApi::authorization_log() const {
  return impl_->log.authorization_log();
}

std::size_t MockApi::connection_count() const { return impl_->log.connection_count(); }

std::vector<std::string> MockApi::since_log() const { return impl_->log.since_log(); }

std::vector<std::string> MockApi::since_log(const std::string& path) const {
  return impl_->log.since_log(path);
}

std::string MockApi::serve_github(const GithubOptions& options) {
  impl_->github.serve(options, impl_->seed);
  return url("/orgs/" + options.org + "/repos");
}

GithubOrg& MockApi::github() {
  if (!impl_->github.serving()) throw std::logic_error("no GitHub resources are served");
  return impl_->github;
}

std::string MockApi::serve_stripe(const StripeOptions& options) {
  impl_->stripe.serve(options, impl_->seed);
  return url("/v1/invoices");
}

StripeInvoices& MockApi::stripe() {
  if (!impl_->stripe.serving()) throw std::logic_error("no Stripe resources are served");
  return impl_->stripe;
}

std::string MockApi::serve_zendesk(const ZendeskOptions& options) {
  impl_->zendesk.serve(options, impl_->seed);
  return url("/api/v2/incremental/tickets/cursor.json");
}

ZendeskTickets& MockApi::zendesk() {
  if (!impl_->zendesk.serving()) throw std::logic_error("no Zendesk tickets are served");
  return impl_->zendesk;
}

std::string MockApi::serve_graph(const GraphOptions& options) {
  impl_->graph.serve(options, impl_->seed);
  return url("/v1.0/users/delta");
}

GraphUsers& MockApi::graph() {
  if (!impl_->graph.serving()) throw std::logic_error("no Graph users are served");
  return impl_->graph;
}

std::string MockApi::serve_google(const GoogleOptions& options) {
  impl_->google.serve(options, impl_->seed);
  return url("/calendar/v3/calendars/primary/events");
}

GoogleEvents& MockApi::google() {
  if (!impl_->google.serving()) throw std::logic_error("no Google events are served");
  return impl_->google;
}

ChangeClock& MockApi::change_clock() { return impl_->clock; }

std::size_t MockApi::request_count() const { return impl_->log.count(); }

}  // namespace tsync::mock
