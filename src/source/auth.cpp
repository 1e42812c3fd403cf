// SPDX-License-Identifier: Apache-2.0
#include "source/auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"

namespace tsync {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;
// The most characters of an answer quoted in a message.
constexpr std::size_t kQuotedAnswerChars = 300;

// The value at `path` in `doc` as text (a string, or a number's digits); "" when
// absent or of another kind.
std::string text_at(const rapidjson::Value& doc, const JsonPath& path) {
  const rapidjson::Value* v = &doc;
  for (const std::string& key : path) {
    if (!v->IsObject()) return "";
    const auto it =
        v->FindMember(rapidjson::Value(key.c_str(), static_cast<rapidjson::SizeType>(key.size())));
    if (it == v->MemberEnd()) return "";
    v = &it->value;
  }
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  return "";
}

// The fields whose values a login or token endpoint's answer may hold as
// secrets, with the last key of the configured token path.
std::vector<std::string> secret_fields(const JsonPath& token_path = {}) {
  std::vector<std::string> names{"access_token", "refresh_token", "id_token", "token"};
  if (!token_path.empty()) names.push_back(token_path.back());
  return names;
}

// Adds the strings of `v`, at any depth, under a key named in `names` to `out`.
void collect_json_values(const rapidjson::Value& v, const std::vector<std::string>& names,
                         std::vector<std::string>& out) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) collect_json_values(item, names, out);
    return;
  }
  if (!v.IsObject()) return;
  for (const auto& m : v.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const bool named = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return n.size() == key.size() &&
             std::equal(n.begin(), n.end(), key.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
    });
    if (named && m.value.IsString())
      out.emplace_back(m.value.GetString(), m.value.GetStringLength());
    collect_json_values(m.value, names, out);
  }
}

// `part` of a form-encoded text decoded ('+' a space, %XX a byte); nullopt for
// a bad escape.
std::optional<std::string> form_decoded(std::string_view part) {
  std::string out;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '+') {
      out.push_back(' ');
    } else if (part[i] != '%') {
      out.push_back(part[i]);
    } else {
      if (i + 2 >= part.size() || !std::isxdigit(static_cast<unsigned char>(part[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(part[i + 2])))
        return std::nullopt;
      out.push_back(static_cast<char>(std::stoi(std::string(part.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

// The fields of an application/x-www-form-urlencoded answer
// ("access_token=...&expires_in=5&token_type=bearer", as GitHub's OAuth
// endpoint answers unless asked for JSON); nullopt when `body` is not one.
std::optional<std::map<std::string, std::string>> form_fields(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty()) return std::nullopt;
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('&', start), body.size());
    const std::string_view item = body.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    for (const char c : item)
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '"') return std::nullopt;
    auto name = form_decoded(item.substr(0, equals));
    auto value = form_decoded(item.substr(equals + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace(std::move(*name), std::move(*value));
  }
  return fields;
}

// The fields of a token answer in JSON: its top-level strings and numbers as
// text, other values as "" ("expires_in": true is then not a number).
std::map<std::string, std::string> json_fields(const rapidjson::Value& doc) {
  std::map<std::string, std::string> fields;
  for (const auto& m : doc.GetObject()) {
    std::string text;
    if (m.value.IsString()) {
      text.assign(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsNumber()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      m.value.Accept(writer);
      text = buffer.GetString();
    }
    fields.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), text);
  }
  return fields;
}

// What to do about a token endpoint's `error` (RFC 6749, section 5.2), naming
// the environment variables of `config` when given.
std::string refusal_hint(const std::string& error, const AuthConfig* config) {
  if (error == "invalid_grant")
    return "; the refresh token is no longer valid: get a new one and put it in " +
           (config && config->refresh_token ? "$" + config->refresh_token->env
                                            : std::string("the environment variable the "
                                                          "configuration names")) +
           " (and remove the credentials file if one was written)";
  if (error == "invalid_client")
    return config ? "; check the client id in $" + config->client_id.env +
                        " and the client secret in $" + config->client_secret.env
                  : "; check the client id and secret";
  return "";
}

std::string field(const std::map<std::string, std::string>& fields, const char* name) {
  const auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

void append_form(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) out += '&';
  append_url_encoded(out, name);
  out += '=';
  append_url_encoded(out, value);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

std::string quote_answer(std::string_view body, const Redactor& redactor,
                         const JsonPath& token_path) {
  const std::vector<std::string> names = secret_fields(token_path);
  Redactor masks = redactor;
  std::vector<std::string> values = field_values(body, names);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError()) collect_json_values(doc, names, values);
  for (const std::string& value : values)
    if (value.size() >= Redactor::kMinSecretLength) masks.add_secret(value);
  std::string text = masks.redact(mask_field_values(body, names));
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  if (text.size() > kQuotedAnswerChars) {
    text.resize(kQuotedAnswerChars);
    // A mask cut in two would look like part of the answer.
    const std::size_t mask = text.rfind('[');
    if (mask != std::string::npos && text.find(']', mask) == std::string::npos &&
        std::string_view(Redactor::kMask).substr(0, text.size() - mask) == text.substr(mask))
      text.resize(mask);
    text += "...";
  }
  return text;
}

TokenResponse parse_token_response(std::string_view body, long status, const std::string& token_url,
                                   const Redactor& redactor, std::string_view content_type,
                                   const AuthConfig* config) {
  const std::string where =
      "POST " + redactor.redact(redact_url(token_url)) + ": HTTP " + std::to_string(status);
  std::map<std::string, std::string> fields;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  const bool form_type = content_type.substr(0, 33) == "application/x-www-form-urlencoded";
  if (!doc.HasParseError() && doc.IsObject()) {
    fields = json_fields(doc);
  } else if (auto form = form_fields(body);
             form && (form_type || form->count("access_token") || form->count("error"))) {
    fields = std::move(*form);
  } else {
    throw PermanentError(where + ": the token endpoint's answer is neither a JSON object nor " +
                         "form-encoded" +
                         (body.empty() ? "" : ": " + quote_answer(body, redactor)));
  }
  // Texts of the answer pass through quote_answer: a token may hide in any of them.
  const auto quoted = [&](const std::string& text) { return quote_answer(text, redactor); };
  Redactor masks = redactor;
  for (const char* name : {"access_token", "refresh_token", "id_token"})
    if (field(fields, name).size() >= Redactor::kMinSecretLength)
      masks.add_secret(field(fields, name));
  const std::string error = field(fields, "error");
  if (!error.empty() || status < 200 || status >= 300) {
    const std::string description = field(fields, "error_description");
    throw PermanentError(
        where +
        ": the token endpoint refused: " + masks.redact(error.empty() ? "?" : quoted(error)) +
        (description.empty() ? "" : " (" + masks.redact(quoted(description)) + ")") +
        refusal_hint(error, config));
  }
  TokenResponse out;
  out.access_token = field(fields, "access_token");
  if (out.access_token.empty())
    throw PermanentError(where + ": the token endpoint's answer has no access_token");
  if (fields.count("expires_in")) {
    try {
      std::size_t used = 0;
      const std::string text = field(fields, "expires_in");
      out.expires_in = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw PermanentError(where + ": expires_in is not a number");
    }
    if (!(*out.expires_in > 0))
      throw PermanentError(where + ": expires_in is not a positive number of seconds");
  }
  const std::string refresh = field(fields, "refresh_token");
  if (!refresh.empty()) out.refresh_token = refresh;
  return out;
}

double renew_margin_seconds(double expires_in) { return std::min(60.0, expires_in / 10); }

std::string credentials_path(const std::string& replica, const std::string& configured) {
  if (configured.empty()) return replica + ".credentials";
  const std::filesystem::path path(configured);
  if (path.is_absolute()) return configured;
  return (std::filesystem::path(replica).parent_path() / path).string();
}

std::optional<std::string> read_saved_refresh_token(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw ConfigError(path + ": cannot read the credentials file: " + errno_text());
  }
  if ((st.st_mode & 077) != 0)
    throw ConfigError(path +
                      ": the credentials file can be read by others than its owner "
                      "(chmod 600 it)");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw ConfigError(path + ": cannot read the credentials file");
  rapidjson::Document doc;
  const std::string body = text.str();
  doc.Parse(body.c_str(), body.size());
  const std::string token = doc.HasParseError() ? "" : text_at(doc, {"refresh_token"});
  if (token.empty())
    throw ConfigError(path +
                      ": not a credentials file written by tsync (no refresh_token); "
                      "remove it to start again from refresh_token_env");
  return token;
}

void save_refresh_token(const std::string& path, const std::string& refresh_token) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("refresh_token");
  writer.String(refresh_token.c_str(), static_cast<rapidjson::SizeType>(refresh_token.size()));
  writer.EndObject();
  const std::string text = std::string(buffer.GetString(), buffer.GetSize()) + "\n";
  const std::string temp = path + ".new";
  auto fail = [&](const std::string& what) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    throw Error(path + ": cannot save the new refresh token (" + what + ": " + reason +
                "); the next run will need a new one");
  };
  ::unlink(temp.c_str());  // a file left by a run killed while writing
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) fail("create " + temp);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("fsync");
  }
  if (::close(fd) != 0) fail("close");
  if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename");
  // The rename itself is made durable by syncing the folder.
  std::string folder = std::filesystem::path(path).parent_path().string();
  if (folder.empty()) folder = ".";
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

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

void Authenticator::apply(HttpOptions& options, const SignInListener& listener) {
  try {
    sign(options, listener);
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

void Authenticator::sign(HttpOptions& options, const SignInListener& listener) {
  const AuthConfig& c = *config_;
  std::string header_name = "Authorization";
  std::string value;
  switch (c.type) {
    case AuthType::Bearer:
      return;  // StreamConfig::token, sent by HttpGet
    case AuthType::Basic:
      value = "Basic " + base64_encode(c.username + ":" + c.password.value);
      break;
    case AuthType::ApiKey:
      if (c.in_query) {
        options.query_secret_name = c.name;
        options.query_secret_value = c.prefix + c.key.value;
        return;
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
      break;
    }
    case AuthType::OAuth2: {
      const std::lock_guard lock(mutex_);
      if (token_.empty() || expiring()) {
        announce(SignIn::Kind::TokenRequest, c.token_url, listener);
        obtain_access_token();
      }
      value = "Bearer " + token_;
      break;
    }
  }
  options.headers.push_back(HttpHeader{header_name, value, true});
}

bool Authenticator::renew_after_refusal() {
  const std::lock_guard lock(mutex_);
  if (renewed_after_refusal_) return false;
  if (config_->type != AuthType::Session && config_->type != AuthType::OAuth2) return false;
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
