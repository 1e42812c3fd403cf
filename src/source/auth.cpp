// SPDX-License-Identifier: Apache-2.0
#include "source/auth.hpp"

#include <algorithm>
#include <cmath>

#include <rapidjson/document.h>

#include "common/errors.hpp"

namespace tsync {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

void append_form(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) out += '&';
  append_url_encoded(out, name);
  out += '=';
  append_url_encoded(out, value);
}

}  // namespace

double renew_margin_seconds(double expires_in) { return std::min(60.0, expires_in / 10); }

Authenticator::Authenticator(std::shared_ptr<const AuthConfig> config, HttpOptions transport,
                             std::shared_ptr<Redactor> redactor, std::string credentials_file)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      redactor_(std::move(redactor)),
      credentials_file_(std::move(credentials_file)) {
  if (config_->type == AuthType::OAuth2 && config_->refresh_grant) {
    if (auto saved = read_saved_refresh_token(credentials_file_)) {
      refresh_token_ = *saved;
      redactor_->add_secret(refresh_token_);
    } else if (config_->refresh_token) {
      refresh_token_ = config_->refresh_token->value;
    } else {
      throw ConfigError(config_->where +
                        ": refresh_token_env: missing, and there is no "
                        "credentials file " +
                        credentials_file_ +
                        " (give the first refresh token in an environment variable)");
    }
  }
}

std::string Authenticator::post(const std::string& url, const std::string& content_type,
                                const std::string& body, const std::vector<HttpHeader>& headers,
                                long& status, std::string& answer_type) {
  HttpOptions options = transport_;
  options.method = "POST";
  options.content_type = content_type;
  options.body = body;
  options.headers = headers;
  options.credentials_origin = url;
  options.redactor = redactor_;
  HttpGet request(options, url);
  status = request.status();
  answer_type = request.content_type();
  if (status == 408 || status == 429 || status >= 500)
    throw TransientError("POST " + request.url() + ": HTTP " + std::to_string(status),
                         request.retry_after_seconds());
  std::string answer;
  for (;;) {
    const std::string_view chunk = request.next_chunk();
    if (chunk.empty()) break;
    if (answer.size() + chunk.size() > kMaxAnswerBytes)
      throw PermanentError("POST " + request.url() + ": the answer is larger than " +
                           std::to_string(kMaxAnswerBytes) + " bytes");
    answer.append(chunk);
  }
  return answer;
}

void Authenticator::log_in() {
  const AuthConfig& c = *config_;
  long status = 0;
  std::string type;
  const std::string answer = post(c.login_url, "application/json", c.login_body, {}, status, type);
  const std::string where = c.method + " " + redactor_->redact(redact_url(c.login_url)) +
                            ": HTTP " + std::to_string(status);
  const std::string quoted =
      answer.empty() ? "" : ": " + quote_answer(answer, *redactor_, c.token_path);
  if (status < 200 || status >= 300)
    throw PermanentError(where + ": the login was refused" + quoted + " (check " +
                         login_credentials() + ")");
  rapidjson::Document doc;
  doc.Parse(answer.c_str(), answer.size());
  const std::string token = doc.HasParseError() ? "" : text_at(doc, c.token_path);
  if (token.empty())
    throw PermanentError(where + ": the login's answer has no token at " +
                         describe_path(c.token_path) + " (check token_path)" + quoted);
  if (token.size() >= Redactor::kMinSecretLength) redactor_->add_secret(token);
  token_ = token;
  ++generation_;
  renew_at_.reset();
}

std::string Authenticator::login_credentials() const {
  const std::vector<std::string>& envs = config_->login_secret_envs;
  if (envs.empty()) return "the login body's credentials";
  std::string names;
  for (std::size_t i = 0; i < envs.size(); ++i)
    names += (i == 0 ? "$" : i + 1 == envs.size() ? " and $" : ", $") + envs[i];
  return "the login body's credentials, with " + names;
}

void Authenticator::obtain_access_token() {
  const AuthConfig& c = *config_;
  std::string form;
  append_form(form, "grant_type", c.refresh_grant ? "refresh_token" : "client_credentials");
  if (c.refresh_grant) append_form(form, "refresh_token", refresh_token_);
  if (!c.scope.empty()) append_form(form, "scope", c.scope);
  std::vector<HttpHeader> headers;
  if (c.client_auth_basic) {
    // RFC 6749, section 2.3.1: each part form-encoded before they are joined.
    std::string id, secret;
    append_url_encoded(id, c.client_id.value);
    append_url_encoded(secret, c.client_secret.value);
    const std::string basic = base64_encode(id + ":" + secret);
    redactor_->add_secret(id + ":" + secret);
    headers.push_back(HttpHeader{"Authorization", "Basic " + basic, true});
  } else {
    append_form(form, "client_id", c.client_id.value);
    append_form(form, "client_secret", c.client_secret.value);
  }
  long status = 0;
  std::string type;
  const std::string answer =
      post(c.token_url, "application/x-www-form-urlencoded", form, headers, status, type);
  const TokenResponse token =
      parse_token_response(answer, status, c.token_url, *redactor_, type, &c);
  if (token.access_token.size() >= Redactor::kMinSecretLength)
    redactor_->add_secret(token.access_token);
  if (token.refresh_token && *token.refresh_token != refresh_token_ && c.refresh_grant) {
    if (token.refresh_token->size() >= Redactor::kMinSecretLength)
      redactor_->add_secret(*token.refresh_token);
    // Saved before it is used: the old one may already be void.
    save_refresh_token(credentials_file_, *token.refresh_token);
    refresh_token_ = *token.refresh_token;
  }
  token_ = token.access_token;
  ++generation_;
  if (token.expires_in) {
    lifetime_ = *token.expires_in;
    const double lifetime = *token.expires_in - renew_margin_seconds(*token.expires_in);
    renew_at_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(lifetime));
  } else {
    renew_at_.reset();
  }
}

bool Authenticator::expiring() const {
  return renew_at_ && std::chrono::steady_clock::now() >= *renew_at_;
}

std::uint64_t Authenticator::apply(HttpOptions& options, const SignInListener& listener) {
  try {
    return sign(options, listener);
  } catch (const PermanentError& e) {
    // Names the setting (and so the stream) whose login or token was refused.
    throw PermanentError(config_->where + ": " + e.what());
  }
}

// Called with mutex_ held, before a login or token request.
void Authenticator::announce(SignIn::Kind kind, const std::string& url,
                             const SignInListener& listener) {
  SignIn event;
  event.kind = kind;
  event.url = redactor_->redact(redact_url(url));
  event.renewal = refused_ || !token_.empty();
  if (refused_) {
    event.reason = "the API answered 401";
  } else if (!token_.empty() && renew_at_) {
    event.reason = "it expires in " +
                   std::to_string(static_cast<long long>(std::ceil(
                       renew_margin_seconds(lifetime_) -
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - *renew_at_)
                           .count()))) +
                   " s";
  } else {
    event.reason = "none yet";
  }
  refused_ = false;
  if (listener) listener(event);
}

std::uint64_t Authenticator::sign(HttpOptions& options, const SignInListener& listener) {
  const AuthConfig& c = *config_;
  std::string header_name = "Authorization";
  std::string value;
  std::uint64_t generation = 0;
  switch (c.type) {
    case AuthType::Bearer:
      return 0;  // StreamConfig::token, sent by HttpGet
    case AuthType::Basic:
      value = "Basic " + base64_encode(c.username + ":" + c.password.value);
      break;
    case AuthType::ApiKey:
      if (c.in_query) {
        options.query_secret_name = c.name;
        options.query_secret_value = c.prefix + c.key.value;
        return 0;
      }
      header_name = c.name;
      value = c.prefix + c.key.value;
      break;
    case AuthType::Session: {
      const std::lock_guard lock(mutex_);
      if (token_.empty()) {
        announce(SignIn::Kind::Login, c.login_url, listener);
        log_in();
      }
      header_name = c.name;
      value = c.prefix + token_;
      generation = generation_;
      break;
    }
    case AuthType::OAuth2: {
      const std::lock_guard lock(mutex_);
      if (token_.empty() || expiring()) {
        announce(SignIn::Kind::TokenRequest, c.token_url, listener);
        obtain_access_token();
      }
      value = "Bearer " + token_;
      generation = generation_;
      break;
    }
  }
  options.headers.push_back(HttpHeader{header_name, value, true});
  return generation;
}

bool Authenticator::renew_after_refusal(std::uint64_t signed_with) {
  const std::lock_guard lock(mutex_);
  if (config_->type != AuthType::Session && config_->type != AuthType::OAuth2) return false;
  // Another request in flight had the token renewed since this one was sent,
  // or is having it renewed: this one goes again with the new token.
  if (signed_with != generation_) return true;
  if (renewed_after_refusal_ && token_.empty() && refused_generation_ == signed_with) return true;
  if (renewed_after_refusal_) return false;
  refused_generation_ = signed_with;
  renewed_after_refusal_ = true;
  refused_ = true;
  token_.clear();  // the next apply() logs in again or asks for a new token
  return true;
}

void Authenticator::accepted() {
  const std::lock_guard lock(mutex_);
  renewed_after_refusal_ = false;
}

std::string Authenticator::describe() const {
  const AuthConfig& c = *config_;
  switch (c.type) {
    case AuthType::Bearer:
      return "the bearer token";
    case AuthType::Basic:
      return "the Basic credentials (user " +
             (c.username_env.empty() ? "\"" + c.username + "\"" : "in $" + c.username_env) +
             ", password in $" + c.password.env + ")";
    case AuthType::ApiKey:
      return "the API key in $" + c.key.env + " (sent in " +
             (c.in_query ? "query parameter " : "header ") + c.name + ")";
    case AuthType::Session:
      return "the session token from " + redact_url(c.login_url) +
             ", after logging in again (check " + login_credentials() + ")";
    case AuthType::OAuth2:
      return "the access token from " + redact_url(c.token_url) +
             ", after a new one was issued (client id in $" + c.client_id.env +
             ", client secret in $" + c.client_secret.env + ")";
  }
  return "the credentials";
}

}  // namespace tsync
