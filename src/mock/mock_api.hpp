// SPDX-License-Identifier: Apache-2.0
#pragma once

// The bundled mock of the source API: an HTTP server on loopback that serves
// generated users the way DESIGN.md describes, generated records of other shapes
// at any number of generic endpoints, and misbehaves on request. The tests run
// it in-process; `tsync-mock-api` runs it for the demo and the benchmark.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mock/endpoint_spec.hpp"
#include "mock/fault.hpp"
#include "mock/github_org.hpp"
#include "mock/google_events.hpp"
#include "mock/graph_users.hpp"
#include "mock/record_store.hpp"
#include "mock/stripe_invoices.hpp"
#include "mock/token_endpoint.hpp"
#include "mock/user_store.hpp"
#include "mock/users_endpoint.hpp"
#include "mock/zendesk_tickets.hpp"

namespace tsync::mock {

// The server. Endpoints:
//   GET  /incremental/timestamp?since=T    the users, {"data": [...]}; 400 when T
//                                          is not an ISO 8601 timestamp
//   GET  <path>?<since_param>=T&...        a generic endpoint (add_endpoint): its
//                                          records at its records path; 400 when T
//                                          is not in its cursor format or a required
//                                          parameter is missing or wrong
//   POST /admin/mutate?update=N&add=M      UserStore::mutate(N, M)
//   POST /admin/delete?count=N[&tombstone=H]
//                                          UserStore::remove(N, H), H one of none
//                                          (the default), flag, at; answers
//                                          {"deleted": [ids...]}
//   POST /admin/restore?ids=a,b,c          UserStore::restore({a, b, c})
//   GET  /admin/stats                      {"users": .., "requests": ..}
//   GET  /admin/load[?endpoint=P]          {"peak_concurrent_requests": ..,
//                                          "peak_requests_per_second": ..}: the
//                                          peaks below, the rate of every endpoint
//                                          or of P (kUsersPath for the users)
//   POST /auth/session_token/login         JSON {"username", "password"} of any
//                                          Session endpoint -> {"token": ...}, a
//                                          token for every Session endpoint; 401
//                                          for other credentials, 400 for another
//                                          body (errors as JSON)
//   POST /oauth/v1/token                   the OAuth2 token endpoint (OAuthOptions)
//   GET  /orgs/.., /repos/.., /v1/invoices.., /api/v2/.., /v1.0/..,
//        /calendar/v3/..                   the nested resources and change feeds,
//                                          once served (serve_github, serve_stripe,
//                                          serve_zendesk, serve_graph, serve_google)
// and for a generic endpoint P (answering {"records":..,"fields":..,"requests":..},
// 404 for an unknown P, 400 for a bad value):
//   POST /admin/mutate?endpoint=P&update=N&add=M     RecordStore::mutate(N, M)
//   POST /admin/add_field?endpoint=P&name=X&kind=K   RecordStore::add_field (K as
//                                                    in field_kind_from_name)
//   POST /admin/add_raw?endpoint=P[&position=T]      the request body served verbatim
//                                                    at cursor T (default: 1 s after
//                                                    the latest cursor)
//   POST /admin/delete?endpoint=P&count=N[&tombstone=H]
//                                                    RecordStore::remove(N, H),
//                                                    answering {"deleted": [ids...]}
//                                                    (composite ids as "account_id/id")
//   POST /admin/restore?endpoint=P&ids=a,b,c         RecordStore::restore({a, b, c})
//   GET  /admin/stats?endpoint=P
// Faults, the logs, the load counters and the request hook cover the data
// requests of every endpoint; a data request of an endpoint with an
// AuthRequirement that does not carry it gets 401 after its hook and latency,
// taking no fault. Each pages as its ServingOptions say (PagingStyle), 400 for a bad
// paging parameter. Responses of any size stream from pre-rendered text with
// constant memory. A client connection is kept alive for up to 1,000,000
// requests and 5 s idle.
class MockApi {
 public:
  // Throws std::invalid_argument for options that check_serving refuses and
  // for an updated_within_days out of range.
  explicit MockApi(Options options = {});
  ~MockApi();  // stops the server
  MockApi(const MockApi&) = delete;
  MockApi& operator=(const MockApi&) = delete;

  // Starts serving on `host`:`port` (0: any free port) and returns the port.
  // `host` is a loopback address: 127.0.0.2 serves as another origin than
  // 127.0.0.1. Throws std::runtime_error when the port cannot be bound.
  int start(int port = 0, const std::string& host = "127.0.0.1");
  // Stops serving; in-flight responses are cut. Safe to call twice.
  void stop();

  // "http://<host>:<port>/incremental/timestamp".
  std::string base_url() const;
  UserStore& store();

  // Serves a generic endpoint from now on, whether or not the server runs yet,
  // and returns url(spec.path). Throws std::invalid_argument for a spec that
  // check_endpoint_spec refuses or a path already served.
  std::string add_endpoint(EndpointSpec spec);
  // "http://<host>:<port><path>" (the port is 0 before start()).
  std::string url(const std::string& path) const;
  // The records of the generic endpoint at `path`; std::out_of_range when none.
  RecordStore& records(const std::string& path);
  // Replaces how the generic endpoint at `path` serves; std::out_of_range when
  // none, std::invalid_argument for options that check_serving refuses.
  void set_serving(const std::string& path, const ServingOptions& serving);
  // Replaces what the data requests of the generic endpoint at `path` must
  // carry; std::out_of_range when none, std::invalid_argument for a requirement
  // that check_auth refuses.
  void set_auth(const std::string& path, const AuthRequirement& auth);

  // Serves GitHub-shaped repositories, issues and comments (nested_routes.hpp
  // lists the routes, nested_admin.hpp their admin requests) from now on,
  // generated from `options` and the seed of the users, whether or not the
  // server runs yet; again, generated afresh. Returns url("/orgs/<org>/repos").
  // Throws std::invalid_argument for options that check_github refuses. A
  // generic endpoint at one of their paths is served instead. Their requests
  // are counted, logged (under the request's path), hooked and faulted as every
  // data request, and take the users' latency and rate (Options); they ask
  // for no credentials.
  std::string serve_github(const GithubOptions& options = {});
  // The GitHub resources, to change them and read what is served;
  // std::logic_error before serve_github().
  GithubOrg& github();
  // The same for Stripe-shaped invoices and their lines; returns
  // url("/v1/invoices"). Throws std::invalid_argument for options that
  // check_stripe refuses.
  std::string serve_stripe(const StripeOptions& options = {});
  StripeInvoices& stripe();
  // The same for Zendesk-shaped tickets, read through the incremental cursor
  // export, and their audits (zendesk_routes.hpp, zendesk_admin.hpp); returns
  // url("/api/v2/incremental/tickets/cursor.json"). Throws
  // std::invalid_argument for options that check_zendesk refuses. The
  // export's start_time is logged as since (since_log).
  std::string serve_zendesk(const ZendeskOptions& options = {});
  ZendeskTickets& zendesk();
  // The same for Microsoft Graph-shaped users read through the users delta
  // query (graph_routes.hpp, graph_admin.hpp); returns url("/v1.0/users/delta").
  // Throws std::invalid_argument for options that check_graph refuses. A
  // request's $deltatoken is logged as since (since_log).
  std::string serve_graph(const GraphOptions& options = {});
  GraphUsers& graph();
  // The same for Google Calendar-shaped events read with sync tokens
  // (google_routes.hpp, google_admin.hpp); returns
  // url("/calendar/v3/calendars/primary/events"). Throws std::invalid_argument
  // for options that check_google refuses. A request's syncToken is logged as
  // since.
  std::string serve_google(const GoogleOptions& options = {});
  GoogleEvents& google();
  // The clock the nested resources are changed at and the change feeds' tokens
  // are issued and aged by: a test moves it forward (ChangeClock::after) to
  // age tokens past their TTL without sleeping.
  ChangeClock& change_clock();

  // Replaces the token endpoint's settings; the current refresh token becomes
  // options.refresh_token. Access tokens issued before keep their expiry.
  void set_oauth(const OAuthOptions& options);
  // The refresh token that works now.
  std::string current_refresh_token() const;
  // POSTs to kTokenPath and to kLoginPath so far, refused and faulted ones included.
  std::size_t token_requests() const;
  std::size_t login_requests() const;
  // Every access token and session token issued so far is refused from now on
  // (to make a 401 happen in the middle of a sync); those issued later work.
  void expire_tokens();

  // Queues a fault for the next data request that finds none queued before it
  // and is not refused for its credentials.
  void push_fault(Fault fault);
  // Queues a fault for the next POST to the login or token endpoint (kinds
  // Status and RawBody; the others are served as Status).
  void push_sign_in_fault(Fault fault);
  // Replaces the serving options (users and seed are fixed at construction);
  // std::invalid_argument for options that check_serving refuses.
  void set_options(const Options& options);

  // Called on the server thread at the start of every data request, before
  // its fault is taken and its records are selected, with the request's number
  // (1-based, as request_count() counts): hook(3) runs before the third data
  // request is answered, so it can change the data or push a fault for it.
  // Null removes it. The hook may call any member but stop().
  void set_request_hook(std::function<void(std::size_t data_request_number)> hook);

  // The `since` of every data request so far, as sent (decoded), in order; empty
  // when the request had none. All endpoints, or those of `path` only.
  std::vector<std::string> since_log() const;
  std::vector<std::string> since_log(const std::string& path) const;
  // The request target (path and query exactly as received) of every data
  // request so far, in order.
  std::vector<std::string> target_log() const;
  // The Authorization header of every data request so far ("" when absent), in order.
  std::vector<std::string> authorization_log() const;
  // Number of data requests so far, all endpoints, faulted ones included.
  std::size_t request_count() const;
  // Number of distinct client connections (remote address and port) seen so
  // far, by requests of any path.
  std::size_t connection_count() const;

  // The most data requests in flight at once so far: each counts from the
  // start of its handler until its response body has been produced or its
  // connection closed. The server answers at least 32 requests at once.
  std::size_t peak_concurrent_requests() const;
  // The most data requests started within any window of one second so far, of
  // all endpoints or of the endpoint at `path` (kUsersPath for the users).
  std::size_t peak_requests_per_second() const;
  std::size_t peak_requests_per_second(const std::string& path) const;
  // Starts both peaks afresh (requests in flight stay counted).
  void reset_load_counters();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tsync::mock
