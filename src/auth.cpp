// SPDX-License-Identifier: Apache-2.0
#include "auth.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "errors.hpp"

namespace tsync {
namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

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

// A text for messages from an answer body: one line, at most 200 characters.
std::string excerpt(std::string_view body, const Redactor& redactor) {
  std::string text(body.substr(0, 200));
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  return redactor.redact(text);
}

void append_form(std::string& out, std::string_view name, std::string_view value) {
  if (!out.empty()) out += '&';
  append_url_encoded(out, name);
  out += '=';
  append_url_encoded(out, value);
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

TokenResponse parse_token_response(std::string_view body, long status, const std::string& token_url,
                                   const Redactor& redactor) {
  const std::string where =
      "POST " + redactor.redact(redact_url(token_url)) + ": HTTP " + std::to_string(status);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject())
    throw PermanentError(where + ": the token endpoint's answer is not a JSON object" +
                         (body.empty() ? "" : ": " + excerpt(body, redactor)));
  const std::string error = text_at(doc, {"error"});
  if (!error.empty() || status < 200 || status >= 300) {
    const std::string description = text_at(doc, {"error_description"});
    throw PermanentError(
        where + ": the token endpoint refused: " + redactor.redact(error.empty() ? "?" : error) +
        (description.empty() ? "" : " (" + redactor.redact(description) + ")") +
        (error == "invalid_grant"
             ? "; the refresh token is no longer valid: get a new one and put it in the "
               "environment variable the configuration names (and remove the credentials file "
               "if one was written)"
         : error == "invalid_client" ? "; check the client id and secret"
                                     : ""));
  }
  TokenResponse out;
  out.access_token = text_at(doc, {"access_token"});
  if (out.access_token.empty())
    throw PermanentError(where + ": the token endpoint's answer has no access_token");
  if (const auto it = doc.FindMember("expires_in"); it != doc.MemberEnd()) {
    if (it->value.IsNumber()) {
      out.expires_in = it->value.GetDouble();
    } else if (it->value.IsString()) {
      try {
        out.expires_in = std::stod(it->value.GetString());
      } catch (const std::exception&) {
        throw PermanentError(where + ": expires_in is not a number");
      }
    }
    if (out.expires_in && !(*out.expires_in > 0))
      throw PermanentError(where + ": expires_in is not a positive number of seconds");
  }
  const std::string refresh = text_at(doc, {"refresh_token"});
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
                                long& status) {
  HttpOptions options = transport_;
  options.method = "POST";
  options.content_type = content_type;
  options.body = body;
  options.headers = headers;
  options.credentials_origin = url;
  options.redactor = redactor_;
  HttpGet request(options, url);
  status = request.status();
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
  const std::string answer = post(c.login_url, "application/json", c.login_body, {}, status);
  const std::string where = c.method + " " + redactor_->redact(redact_url(c.login_url)) +
                            ": HTTP " + std::to_string(status);
  if (status < 200 || status >= 300)
    throw PermanentError(where + ": the login was refused" +
                         (answer.empty() ? "" : ": " + excerpt(answer, *redactor_)) +
                         " (check the login body's credentials)");
  rapidjson::Document doc;
  doc.Parse(answer.c_str(), answer.size());
  const std::string token = doc.HasParseError() ? "" : text_at(doc, c.token_path);
  if (token.empty())
    throw PermanentError(where + ": the login's answer has no token at " +
                         describe_path(c.token_path) + " (check token_path)");
  if (token.size() >= Redactor::kMinSecretLength) redactor_->add_secret(token);
  token_ = token;
  renew_at_.reset();
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
  const std::string answer =
      post(c.token_url, "application/x-www-form-urlencoded", form, headers, status);
  const TokenResponse token = parse_token_response(answer, status, c.token_url, *redactor_);
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

void Authenticator::apply(HttpOptions& options) {
  try {
    sign(options);
  } catch (const PermanentError& e) {
    // Names the setting (and so the stream) whose login or token was refused.
    throw PermanentError(config_->where + ": " + e.what());
  }
}

void Authenticator::sign(HttpOptions& options) {
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
      if (token_.empty()) log_in();
      header_name = c.name;
      value = c.prefix + token_;
      break;
    }
    case AuthType::OAuth2: {
      const std::lock_guard lock(mutex_);
      if (token_.empty() || expiring()) obtain_access_token();
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
      return "the session token from " + redact_url(c.login_url) + ", after logging in again";
    case AuthType::OAuth2:
      return "the access token from " + redact_url(c.token_url) + ", after a new one was issued";
  }
  return "the credentials";
}

}  // namespace tsync
