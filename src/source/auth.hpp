// SPDX-License-Identifier: Apache-2.0
#pragma once

// How a request is signed and its credentials kept alive: HTTP Basic, an API
// key in a header or the query, a session token from a login request, and
// OAuth2 access tokens (client credentials or refresh token grants, rotating
// refresh tokens kept in a credentials file beside the replica).

#include <chrono>
#include <functional>
#include <memory>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/redact.hpp"
#include "source/credentials_file.hpp"
#include "source/http_client.hpp"
#include "source/pagination.hpp"
#include "source/token_response.hpp"

namespace tsync {

enum class AuthType { Bearer, Basic, ApiKey, Session, OAuth2 };

// A secret read from the environment when the configuration was loaded.
struct EnvSecret {
  std::string env;    // the variable's name, for messages
  std::string value;  // never printed
};

// A stream's (or the top level's) "auth" setting, checked when loaded
// (docs/sign-in.md). Bearer tokens are StreamConfig::token; the other types are
// kept here.
struct AuthConfig {
  AuthType type = AuthType::Basic;
  std::string where;  // "stream \"orders\": auth" or "auth", for messages
  // basic
  std::string username;  // given as text, or read from username_env
  std::string username_env;
  EnvSecret password;
  // api_key (name, prefix also for session: the header and its prefix)
  std::string name;
  bool in_query = false;
  EnvSecret key;
  std::string prefix;
  // session
  std::string login_url;
  std::string method = "POST";
  std::string login_body;  // JSON, with the environment's values in place (a secret)
  std::vector<std::string> login_secrets;      // the environment's values in it
  std::vector<std::string> login_secret_envs;  // and the variables they came from
  JsonPath token_path;
  // oauth2
  std::string token_url;
  bool refresh_grant = false;  // grant refresh_token, else client_credentials
  EnvSecret client_id, client_secret;
  std::optional<EnvSecret> refresh_token;  // refresh_token_env
  std::string scope;
  bool client_auth_basic = false;  // client credentials as Basic, else in the body
  std::string credentials_file;    // as configured; empty: <replica>.credentials
};

// How long before it expires a token of `expires_in` seconds is renewed: a
// tenth of its lifetime, at most 60 s.
double renew_margin_seconds(double expires_in);

// A login or token request that Authenticator::apply() is about to send: for
// -v and the run's counts.
struct SignIn {
  enum class Kind { Login, TokenRequest };
  Kind kind = Kind::Login;
  std::string url;  // the login or token URL, credentials masked
  // Why: "none yet", "it expires in 12 s", "the API answered 401".
  std::string reason;
  bool renewal = false;  // a new token or login in place of one the run had
};
using SignInListener = std::function<void(const SignIn&)>;

// Signs the requests of the streams that share one auth setting: one login or
// one access token for all of them, renewed when it is about to expire or the
// API refuses it. Every secret it obtains (a session token, an access token, a
// new refresh token) is added to the redactor before it is used. Thread-safe.
class Authenticator {
 public:
  // `transport` carries the timeouts, CA file and redactor that the login and
  // token requests use; `credentials_file` is where a rotated refresh token is
  // kept (credentials_path()).
  Authenticator(std::shared_ptr<const AuthConfig> config, HttpOptions transport,
                std::shared_ptr<Redactor> redactor, std::string credentials_file);

  // Puts the credentials on the options of the next request: a header, or a
  // query parameter; logs in or obtains an access token first when there is
  // none yet or it is about to expire, telling `listener` (when set) before it
  // sends the login or token request. Login and token faults are thrown as
  // any request's are (TransientError, PermanentError naming the endpoint).
  // Returns which session or access token signed the request (to give back to
  // renew_after_refusal).
  std::uint64_t apply(HttpOptions& options, const SignInListener& listener = nullptr);

  // The API answered 401 to a request signed by apply() with token `signed_with`:
  // true when a new session or access token is worth one more try (the first
  // 401 since the last success, or a token renewed meanwhile by another
  // request in flight); false when the credential is refused for good.
  bool renew_after_refusal(std::uint64_t signed_with);
  // A request signed by apply() succeeded.
  void accepted();

  // What was refused, for messages: "the Basic credentials (user \"ada\",
  // password in $JIRA_PASSWORD)"; never a secret.
  std::string describe() const;

 private:
  std::uint64_t sign(HttpOptions& options, const SignInListener& listener);
  void announce(SignIn::Kind kind, const std::string& url, const SignInListener& listener);
  void log_in();
  void obtain_access_token();
  // The answer of a POST of `body`; `status` and `answer_type` (its
  // Content-Type) are set.
  std::string post(const std::string& url, const std::string& content_type, const std::string& body,
                   const std::vector<HttpHeader>& headers, long& status, std::string& answer_type);
  bool expiring() const;
  // "the login body's credentials, with $A and $B", for a refused login.
  std::string login_credentials() const;

  std::shared_ptr<const AuthConfig> config_;
  HttpOptions transport_;
  std::shared_ptr<Redactor> redactor_;
  std::string credentials_file_;
  std::mutex mutex_;
  std::string token_;  // the session or access token now; empty before the first
  std::uint64_t generation_ = 0;  // tokens had so far: which one token_ is
  std::uint64_t refused_generation_ = 0;  // the token whose 401 was answered with a renewal
  std::optional<std::chrono::steady_clock::time_point> renew_at_;
  double lifetime_ = 0;        // the access token's expires_in
  std::string refresh_token_;  // the refresh token to use next
  bool renewed_after_refusal_ = false;
  bool refused_ = false;  // the next login or token request follows a 401
};

}  // namespace tsync
