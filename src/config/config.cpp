// SPDX-License-Identifier: Apache-2.0
#include "config/config.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "common/timestamp.hpp"
#include "source/auth.hpp"

namespace tsync {
namespace {

struct Place {
  std::size_t line;
  std::size_t column;
};

Place place_of(const std::string& text, std::size_t offset) {
  Place p{1, 1};
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

class Checker {
 public:
  Checker(const rapidjson::Value& object, const std::string& origin)
      : object_(object), origin_(origin) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw ConfigError(origin_ + ": " + key + ": " + what);
  }

  const rapidjson::Value* find(const char* key) const {
    const auto it = object_.FindMember(key);
    return it == object_.MemberEnd() ? nullptr : &it->value;
  }

  std::optional<std::string> text(const char* key) const {
    const rapidjson::Value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->IsString()) fail(key, "must be a string");
    std::string s(v->GetString(), v->GetStringLength());
    if (s.empty()) fail(key, "must not be empty");
    return s;
  }

  std::optional<double> number(const char* key, double min, double max) const {
    const rapidjson::Value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->IsNumber()) fail(key, "must be a number");
    const double d = v->GetDouble();
    if (!(d >= min && d <= max))
      fail(key, "must be between " + format(min) + " and " + format(max) + ", not " + format(d));
    return d;
  }

  std::optional<long long> whole(const char* key, long long min, long long max) const {
    const rapidjson::Value* v = find(key);
    if (!v) return std::nullopt;
    if (!v->IsInt64()) fail(key, "must be a whole number");
    const long long n = v->GetInt64();
    if (n < min || n > max)
      fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                    ", not " + std::to_string(n));
    return n;
  }

 private:
  static std::string format(double d) {
    std::ostringstream out;
    out << d;
    return out.str();
  }

  const rapidjson::Value& object_;
  const std::string& origin_;
};

constexpr const char* kTopLevelKeys[] = {"base_url",
                                         "streams",
                                         "database",
                                         "start_timestamp",
                                         "lookback_seconds",
                                         "timeout_seconds",
                                         "max_retries",
                                         "retry_base_seconds",
                                         "retry_budget_seconds",
                                         "token_env",
                                         "ca_file",
                                         "cache_size_mib",
                                         "checkpoint_rows",
                                         "sorted_apply_rows",
                                         "min_bytes_per_second",
                                         "max_run_seconds",
                                         "max_delete_fraction",
                                         "auth",
                                         "max_requests_per_second",
                                         "max_concurrency"};

constexpr const char* kStreamKeys[] = {"name",
                                       "url",
                                       "table",
                                       "primary_key",
                                       "cursor_field",
                                       "cursor_format",
                                       "since_param",
                                       "records_path",
                                       "params",
                                       "headers",
                                       "columns",
                                       "start_timestamp",
                                       "lookback_seconds",
                                       "token_env",
                                       "on_delete",
                                       "delete_field",
                                       "max_delete_fraction",
                                       "pagination",
                                       "auth",
                                       "window_seconds",
                                       "until_param",
                                       "max_requests_per_second"};

// Secrets shorter than this would make masking them hide innocent text.
constexpr std::size_t kMinSecretLength = 4;

template <std::size_t N>
void check_keys(const rapidjson::Value& object, const char* const (&known)[N],
                const std::string& where) {
  for (const auto& member : object.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found)
      throw ConfigError(where + ": unknown key \"" + key +
                        "\" (known keys are listed in docs/configuration.md)");
  }
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && same_column_name(text.substr(0, prefix.size()), prefix);
}

void check_url(const Checker& c, const char* key, const std::string& url) {
  const auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme != "http" && scheme != "https")
    c.fail(key, "must be an http or https URL, not \"" + url + "\"");
  const std::size_t host_start = scheme_end + 3;
  if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == '?' ||
      url[host_start] == '#')
    c.fail(key, "has no host: \"" + url + "\"");
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos)
    c.fail(key,
           "must not contain a query or fragment (tsync adds ?since=...; put fixed "
           "parameters in \"params\"): \"" +
               url + "\"");
  for (const char ch : url)
    if (static_cast<unsigned char>(ch) <= ' ')
      c.fail(key, "must not contain spaces or control characters");
}

// The value of environment variable `name`, which must hold a secret; with
// Secrets::IfSet, "" when it is not set or too short to be one.
std::string secret_from_env(const Checker& c, const char* key, const std::string& name,
                            const std::string& what, Secrets secrets) {
  const char* value = std::getenv(name.c_str());
  if (secrets == Secrets::IfSet)
    return value && std::string_view(value).size() >= kMinSecretLength ? value : "";
  if (!value || !*value)
    c.fail(key, "environment variable " + name + " is not set (it must hold " + what + ")");
  std::string secret = value;
  if (secret.size() < kMinSecretLength)
    c.fail(key, "the value of environment variable " + name + " is shorter than " +
                    std::to_string(kMinSecretLength) +
                    " characters; tsync masks secrets in everything it writes, and one this "
                    "short would mask ordinary text");
  return secret;
}

bool is_token_char(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
}

// Settings that may be given at the top level and overridden per stream.
struct StreamDefaults {
  std::optional<std::string> start_timestamp;
  long long lookback_seconds = 0;
  std::optional<std::string> token_env;
  double max_delete_fraction = 0.5;
  double max_requests_per_second = 0;
};

void read_start_timestamp(const Checker& c, CursorFormat format, std::optional<std::string>& out) {
  const rapidjson::Value* v = c.find("start_timestamp");
  if (!v) return;
  std::string text;
  if (v->IsString()) {
    text.assign(v->GetString(), v->GetStringLength());
    if (text.empty()) c.fail("start_timestamp", "must not be empty");
  } else if (v->IsNumber() && format != CursorFormat::Iso8601) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v->Accept(writer);
    text = buffer.GetString();
  } else {
    c.fail("start_timestamp", "must be a string");
  }
  const bool ok = parse_timestamp(text) || parse_cursor(format, text);
  if (!ok)
    c.fail("start_timestamp", format == CursorFormat::Iso8601
                                  ? "not an ISO 8601 timestamp: \"" + text + "\""
                                  : "not an ISO 8601 timestamp or a " +
                                        std::string(cursor_format_name(format)) + " number: \"" +
                                        text + "\"");
  out = text;
}

void read_defaults(const Checker& c, CursorFormat format, StreamDefaults& d) {
  read_start_timestamp(c, format, d.start_timestamp);
  if (auto v = c.whole("lookback_seconds", 0, 10LL * 366 * 86400)) d.lookback_seconds = *v;
  if (auto v = c.text("token_env")) d.token_env = *v;
  if (auto v = c.number("max_delete_fraction", 0, 1)) d.max_delete_fraction = *v;
  if (const rapidjson::Value* r = c.find("max_requests_per_second")) {
    if (!r->IsNumber() || !(r->GetDouble() > 0) || r->GetDouble() > 1e6)
      c.fail("max_requests_per_second", "must be a number above 0 (requests a second)");
    d.max_requests_per_second = r->GetDouble();
  }
}

void apply_defaults(const Checker& c, const StreamDefaults& d, StreamConfig& s, Secrets secrets) {
  s.start_timestamp = d.start_timestamp;
  s.lookback_seconds = d.lookback_seconds;
  s.token_env = d.token_env;
  s.max_delete_fraction = d.max_delete_fraction;
  s.max_requests_per_second = d.max_requests_per_second;
  if (s.token_env)
    s.token = secret_from_env(c, "token_env", *s.token_env, "the API token", secrets);
}

std::vector<std::string> string_list(const Checker& c, const char* key) {
  const rapidjson::Value* v = c.find(key);
  std::vector<std::string> out;
  if (v->IsString()) {
    out.emplace_back(v->GetString(), v->GetStringLength());
  } else if (v->IsArray()) {
    for (const auto& item : v->GetArray()) {
      if (!item.IsString()) c.fail(key, "must be a string or an array of strings");
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
  } else {
    c.fail(key, "must be a string or an array of strings");
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].empty()) c.fail(key, "must not hold an empty name");
    for (std::size_t j = 0; j < i; ++j)
      if (out[j] == out[i]) c.fail(key, "names \"" + out[i] + "\" twice");
  }
  return out;
}

constexpr const char* kAuthKeys[] = {"type",
                                     "token_env",
                                     "username",
                                     "username_env",
                                     "password_env",
                                     "name",
                                     "in",
                                     "value_env",
                                     "prefix",
                                     "login_url",
                                     "body",
                                     "token_path",
                                     "method",
                                     "header",
                                     "token_url",
                                     "grant",
                                     "client_id_env",
                                     "client_secret_env",
                                     "refresh_token_env",
                                     "scope",
                                     "client_auth",
                                     "credentials_file"};

JsonPath read_json_path(const Checker& c, const char* key);

// An object with a "type" (auth, pagination) takes the keys its type names:
// every one of `required`, any of `optional`, and no other.
void check_type_keys(const rapidjson::Value& v, const Checker& c, const std::string& type,
                     const std::vector<const char*>& required,
                     const std::vector<const char*>& optional) {
  for (const auto& member : v.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    if (key == "type") continue;
    bool takes = false;
    for (const char* k : required) takes = takes || key == k;
    for (const char* k : optional) takes = takes || key == k;
    if (!takes) c.fail(key, "is not a key of type \"" + type + "\"");
  }
  for (const char* key : required)
    if (!c.find(key)) c.fail(key, "missing (type \"" + type + "\" needs it)");
}

// An "auth" object (docs/sign-in.md), at the top level or in a stream.
std::shared_ptr<const AuthConfig> read_auth(const rapidjson::Value& v, const std::string& where,
                                            Secrets secrets) {
  if (!v.IsObject())
    throw ConfigError(where +
                      ": must be an object with a \"type\" (bearer, basic, api_key, "
                      "session or oauth2)");
  check_keys(v, kAuthKeys, where);
  const Checker c(v, where);
  auto a = std::make_shared<AuthConfig>();
  a->where = where;
  const auto type = c.text("type");
  if (!type) c.fail("type", "missing (bearer, basic, api_key, session or oauth2)");
  std::vector<const char*> required, optional;
  if (*type == "bearer") {
    a->type = AuthType::Bearer;
    required = {"token_env"};
  } else if (*type == "basic") {
    a->type = AuthType::Basic;
    required = {"password_env"};
    optional = {"username", "username_env"};
  } else if (*type == "api_key") {
    a->type = AuthType::ApiKey;
    required = {"name", "in", "value_env"};
    optional = {"prefix"};
  } else if (*type == "session") {
    a->type = AuthType::Session;
    required = {"login_url", "body", "token_path"};
    optional = {"method", "header", "prefix"};
  } else if (*type == "oauth2") {
    a->type = AuthType::OAuth2;
    required = {"token_url", "grant", "client_id_env", "client_secret_env"};
    optional = {"refresh_token_env", "scope", "client_auth", "credentials_file"};
  } else {
    c.fail("type", "\"" + *type +
                       "\" is not a type of auth (bearer, basic, api_key, session or "
                       "oauth2)");
  }
  check_type_keys(v, c, *type, required, optional);
  auto env = [&](const char* key, const std::string& what) {
    EnvSecret secret;
    secret.env = *c.text(key);
    secret.value = secret_from_env(c, key, secret.env, what, secrets);
    return secret;
  };
  switch (a->type) {
    case AuthType::Bearer:
      a->key = env("token_env", "the API token");
      break;
    case AuthType::Basic:
      if (c.find("username") && c.find("username_env"))
        c.fail("username", "give username or username_env, not both");
      if (auto u = c.text("username")) {
        a->username = *u;
      } else if (c.find("username_env")) {
        a->username_env = *c.text("username_env");
        const char* value = std::getenv(a->username_env.c_str());
        if ((!value || !*value) && secrets == Secrets::Required)
          c.fail("username_env", "environment variable " + a->username_env + " is not set");
        a->username = value ? value : "";
      } else {
        c.fail("username", "missing (type \"basic\" needs username or username_env)");
      }
      if (a->username.find(':') != std::string::npos)
        c.fail("username", "must not hold a ':' (HTTP Basic joins user and password with one)");
      a->password = env("password_env", "the password");
      break;
    case AuthType::ApiKey: {
      a->name = *c.text("name");
      const std::string in = *c.text("in");
      if (in != "header" && in != "query")
        c.fail("in", "must be \"header\" or \"query\", not \"" + in + "\"");
      a->in_query = in == "query";
      if (!a->in_query && !std::all_of(a->name.begin(), a->name.end(), is_token_char))
        c.fail("name", "\"" + a->name + "\" is not a valid header name");
      if (const rapidjson::Value* p = c.find("prefix")) {
        if (!p->IsString()) c.fail("prefix", "must be a string");
        a->prefix.assign(p->GetString(), p->GetStringLength());
      }
      a->key = env("value_env", "the API key");
      break;
    }
    case AuthType::Session: {
      a->login_url = *c.text("login_url");
      check_url(c, "login_url", a->login_url);
      a->method = c.text("method").value_or("POST");
      if (a->method != "POST") c.fail("method", "must be \"POST\"");
      a->name = c.text("header").value_or("Authorization");
      if (!std::all_of(a->name.begin(), a->name.end(), is_token_char))
        c.fail("header", "\"" + a->name + "\" is not a valid header name");
      if (const rapidjson::Value* p = c.find("prefix")) {
        if (!p->IsString()) c.fail("prefix", "must be a string");
        a->prefix.assign(p->GetString(), p->GetStringLength());
      }
      const rapidjson::Value& body = *c.find("body");
      if (!body.IsObject()) c.fail("body", "must be a JSON object");
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      writer.StartObject();
      for (const auto& m : body.GetObject()) {
        writer.Key(m.name.GetString(), m.name.GetStringLength());
        const std::string field(m.name.GetString(), m.name.GetStringLength());
        if (m.value.IsObject()) {
          if (m.value.MemberCount() != 1 || !m.value.HasMember("env") || !m.value["env"].IsString())
            c.fail("body", "\"" + field + "\": an object value must be {\"env\": \"NAME\"}");
          const std::string name = m.value["env"].GetString();
          const std::string value =
              secret_from_env(c, "body", name, "the login's " + field, secrets);
          writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
          if (!value.empty()) a->login_secrets.push_back(value);
          a->login_secret_envs.push_back(name);
        } else {
          m.value.Accept(writer);
        }
      }
      writer.EndObject();
      a->login_body.assign(buffer.GetString(), buffer.GetSize());
      a->token_path = read_json_path(c, "token_path");
      break;
    }
    case AuthType::OAuth2: {
      a->token_url = *c.text("token_url");
      check_url(c, "token_url", a->token_url);
      const std::string grant = *c.text("grant");
      if (grant != "client_credentials" && grant != "refresh_token")
        c.fail("grant",
               "must be \"client_credentials\" or \"refresh_token\", not \"" + grant + "\"");
      a->refresh_grant = grant == "refresh_token";
      if (!a->refresh_grant && c.find("refresh_token_env"))
        c.fail("refresh_token_env", "is for grant \"refresh_token\" only");
      if (!a->refresh_grant && c.find("credentials_file"))
        c.fail("credentials_file", "is for grant \"refresh_token\" only");
      a->client_id = env("client_id_env", "the OAuth2 client id");
      a->client_secret = env("client_secret_env", "the OAuth2 client secret");
      if (c.find("refresh_token_env"))
        a->refresh_token = env("refresh_token_env", "a refresh token");
      if (auto scope = c.text("scope")) a->scope = *scope;
      const std::string client_auth = c.text("client_auth").value_or("body");
      if (client_auth != "body" && client_auth != "basic")
        c.fail("client_auth", "must be \"body\" or \"basic\", not \"" + client_auth + "\"");
      a->client_auth_basic = client_auth == "basic";
      if (auto file = c.text("credentials_file")) a->credentials_file = *file;
      break;
    }
  }
  return a;
}

// The secrets of an auth setting, for the redactor; those not read (not set,
// with Secrets::IfSet) are left out. A client id is not a secret (RFC 6749,
// section 2.2): messages may name it.
void add_auth_secrets(const AuthConfig& a, Redactor& redactor) {
  for (const EnvSecret* secret : {&a.password, &a.key, &a.client_secret})
    if (!secret->value.empty()) redactor.add_secret(secret->value);
  if (a.refresh_token && !a.refresh_token->value.empty())
    redactor.add_secret(a.refresh_token->value);
  if (a.type == AuthType::Basic && !a.password.value.empty())
    redactor.add_secret(a.username + ":" + a.password.value);
  if (a.type == AuthType::ApiKey && !a.prefix.empty()) redactor.add_secret(a.prefix + a.key.value);
  for (const std::string& value : a.login_secrets) redactor.add_secret(value);
}

// Gives stream `s` the auth setting `a`: a bearer token is the stream's token
// (token_env's own path), every other type its AuthConfig.
void apply_auth(const std::shared_ptr<const AuthConfig>& a, StreamConfig& s) {
  if (a->type == AuthType::Bearer) {
    s.token_env = a->key.env;
    s.token = a->key.value;
    s.auth.reset();
  } else {
    s.token_env.reset();
    s.token.clear();
    s.auth = a;
  }
}

constexpr const char* kPaginationKeys[] = {
    "type",  "path",        "param",           "has_more_path", "repeat_since",
    "field", "limit_param", "limit",           "total_path",    "size_param",
    "size",  "first",       "total_pages_path"};

// A "path" key of "pagination": "a.b.c", or a list of keys for names that
// hold a dot (["@odata.nextLink"]).
JsonPath read_json_path(const Checker& c, const char* key) {
  const rapidjson::Value* v = c.find(key);
  JsonPath path;
  if (v->IsString()) {
    const std::string text(v->GetString(), v->GetStringLength());
    std::size_t start = 0;
    for (;;) {
      const std::size_t dot = text.find('.', start);
      path.push_back(text.substr(start, dot == std::string::npos ? dot : dot - start));
      if (path.back().empty()) c.fail(key, "has an empty key: \"" + text + "\"");
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  } else if (v->IsArray() && !v->Empty()) {
    for (const auto& item : v->GetArray()) {
      if (!item.IsString() || item.GetStringLength() == 0)
        c.fail(key, "must be a dotted path or a list of non-empty keys");
      path.emplace_back(item.GetString(), item.GetStringLength());
    }
  } else {
    c.fail(key,
           "must be a dotted path (\"paging.next.after\") or a list of keys "
           "([\"@odata.nextLink\"])");
  }
  return path;
}

Pagination read_pagination(const rapidjson::Value& v, const std::string& where, bool bare_array) {
  const std::string at = where + ": pagination";
  if (!v.IsObject())
    throw ConfigError(at +
                      ": must be an object with a \"type\" (link_header, next_url, token, "
                      "last_record, offset, page or since)");
  check_keys(v, kPaginationKeys, at);
  const Checker c(v, at);
  Pagination p;
  const auto type = c.text("type");
  if (!type)
    c.fail("type", "missing (link_header, next_url, token, last_record, offset, page or since)");
  static const std::pair<const char*, PagingType> kTypes[] = {
      {"link_header", PagingType::LinkHeader},
      {"next_url", PagingType::NextUrl},
      {"token", PagingType::Token},
      {"last_record", PagingType::LastRecord},
      {"offset", PagingType::Offset},
      {"page", PagingType::Page},
      {"since", PagingType::Since}};
  bool known = false;
  for (const auto& [name, value] : kTypes)
    if (*type == name) {
      p.type = value;
      known = true;
    }
  if (!known)
    c.fail("type", "\"" + *type +
                       "\" is not a paging type (link_header, next_url, token, last_record, "
                       "offset, page or since)");
  // The keys each type takes: required ones, then optional ones.
  std::vector<const char*> required, optional;
  switch (p.type) {
    case PagingType::LinkHeader:
      break;
    case PagingType::NextUrl:
      required = {"path"};
      break;
    case PagingType::Token:
      required = {"path", "param"};
      optional = {"has_more_path", "repeat_since"};
      break;
    case PagingType::LastRecord:
      required = {"field", "param"};
      optional = {"has_more_path", "repeat_since"};
      break;
    case PagingType::Offset:
      required = {"param", "limit_param", "limit"};
      optional = {"total_path", "repeat_since"};
      break;
    case PagingType::Page:
      required = {"param", "size_param", "size"};
      optional = {"first", "total_pages_path", "repeat_since"};
      break;
    case PagingType::None:
    case PagingType::Since:
      break;
  }
  check_type_keys(v, c, *type, required, optional);
  const bool in_body = p.type == PagingType::NextUrl || p.type == PagingType::Token ||
                       c.find("has_more_path") || c.find("total_path") ||
                       c.find("total_pages_path");
  if (in_body && bare_array)
    throw ConfigError(at +
                      ": the records are a bare array (records_path \"\"), so the body "
                      "has no other value to read the next page from");
  if (c.find("path")) p.path = read_json_path(c, "path");
  if (c.find("has_more_path")) p.has_more_path = read_json_path(c, "has_more_path");
  if (c.find("total_path")) p.total_path = read_json_path(c, "total_path");
  if (c.find("total_pages_path")) p.total_pages_path = read_json_path(c, "total_pages_path");
  if (auto v2 = c.text("param")) p.param = *v2;
  if (auto v2 = c.text("field")) p.field = *v2;
  if (auto v2 = c.text("limit_param")) p.limit_param = *v2;
  if (auto v2 = c.text("size_param")) p.size_param = *v2;
  if (auto n = c.whole("limit", 1, 1000000)) p.limit = *n;
  if (auto n = c.whole("size", 1, 1000000)) p.size = *n;
  if (auto n = c.whole("first", 0, 1)) p.first = *n;
  if (const rapidjson::Value* r = c.find("repeat_since")) {
    if (!r->IsBool()) c.fail("repeat_since", "must be true or false");
    p.repeat_since = r->GetBool();
  }
  if (!p.limit_param.empty() && p.limit_param == p.param)
    c.fail("limit_param", "must differ from param");
  if (!p.size_param.empty() && p.size_param == p.param)
    c.fail("size_param", "must differ from param");
  return p;
}

StreamConfig read_stream(const rapidjson::Value& v, std::size_t index, const std::string& origin,
                         const rapidjson::Value& top,
                         const std::shared_ptr<const AuthConfig>& top_auth, Secrets secrets) {
  const std::string at = origin + ": streams[" + std::to_string(index) + "]";
  if (!v.IsObject()) throw ConfigError(at + ": must be an object with \"name\" and \"url\"");
  const rapidjson::Value* name_value = nullptr;
  if (const auto it = v.FindMember("name"); it != v.MemberEnd()) name_value = &it->value;
  if (!name_value) throw ConfigError(at + ": name: missing (every stream needs a name)");
  if (!name_value->IsString() || name_value->GetStringLength() == 0)
    throw ConfigError(at + ": name: must be a non-empty string");
  StreamConfig s;
  s.name.assign(name_value->GetString(), name_value->GetStringLength());
  const std::string where = origin + ": stream \"" + s.name + "\"";
  check_keys(v, kStreamKeys, where);
  const Checker c(v, where);

  const auto url = c.text("url");
  if (!url) c.fail("url", "missing (the URL of the stream's endpoint)");
  check_url(c, "url", *url);
  s.url = *url;
  s.table = c.text("table").value_or(s.name);
  if (starts_with_nocase(s.table, "sqlite_") || s.table.front() == '_')
    c.fail("table", "\"" + s.table +
                        "\" is reserved: names starting with _ or sqlite_ belong to tsync and "
                        "SQLite (set \"table\" to another name)");
  if (c.find("primary_key")) {
    s.primary_key = string_list(c, "primary_key");
    if (s.primary_key.empty()) c.fail("primary_key", "must name at least one field");
  }
  if (auto f = c.text("cursor_field")) s.cursor_field = *f;
  if (auto f = c.text("cursor_format")) {
    if (*f == "iso8601")
      s.cursor_format = CursorFormat::Iso8601;
    else if (*f == "unix_seconds")
      s.cursor_format = CursorFormat::UnixSeconds;
    else if (*f == "unix_millis")
      s.cursor_format = CursorFormat::UnixMillis;
    else
      c.fail("cursor_format",
             "must be \"iso8601\", \"unix_seconds\" or \"unix_millis\", not \"" + *f + "\"");
  }
  if (const rapidjson::Value* p = c.find("since_param"); p && p->IsNull())
    s.since_param.clear();
  else if (auto text = c.text("since_param"))
    s.since_param = *text;
  if (auto d = c.text("on_delete")) {
    if (*d != "soft" && *d != "hard")
      c.fail("on_delete",
             "must be \"soft\" (mark rows in _tsync_deleted_at) or \"hard\" "
             "(remove them, keeping their keys in _deleted), not \"" +
                 *d + "\"");
    s.hard_delete = *d == "hard";
  }
  if (auto d = c.text("delete_field")) s.delete_field = *d;
  if (const rapidjson::Value* p = c.find("records_path")) {
    if (!p->IsString()) c.fail("records_path", "must be a string (\"\" for a bare array)");
    const std::string path(p->GetString(), p->GetStringLength());
    s.records_path.clear();
    std::size_t start = 0;
    while (!path.empty()) {
      const std::size_t dot = path.find('.', start);
      const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
      if (part.empty()) c.fail("records_path", "has an empty key: \"" + path + "\"");
      s.records_path.push_back(part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  if (const rapidjson::Value* p = c.find("pagination"))
    s.pagination = read_pagination(*p, where, s.records_path.empty());
  for (const std::string* paging :
       {&s.pagination.param, &s.pagination.limit_param, &s.pagination.size_param})
    if (!s.since_param.empty() && *paging == s.since_param)
      c.fail("pagination",
             "\"" + s.since_param + "\" is the since parameter; the pagination needs another");
  if (const rapidjson::Value* p = c.find("params")) {
    if (!p->IsObject()) c.fail("params", "must be an object of strings");
    for (const auto& m : p->GetObject()) {
      const std::string key(m.name.GetString(), m.name.GetStringLength());
      if (!m.value.IsString()) c.fail("params", "\"" + key + "\" must be a string");
      if (key.empty()) c.fail("params", "has an empty parameter name");
      if (key == s.since_param)
        c.fail("params", "\"" + key + "\" is the since parameter, which tsync sets itself");
      for (const std::string* paging :
           {&s.pagination.param, &s.pagination.limit_param, &s.pagination.size_param})
        if (key == *paging)
          c.fail("params", "\"" + key +
                               "\" is a parameter of the pagination, which tsync "
                               "sets itself");
      s.params.emplace_back(key, std::string(m.value.GetString(), m.value.GetStringLength()));
    }
  }
  if (const rapidjson::Value* h = c.find("headers")) {
    if (!h->IsObject()) c.fail("headers", "must be an object");
    for (const auto& m : h->GetObject()) {
      HeaderSetting header;
      header.name.assign(m.name.GetString(), m.name.GetStringLength());
      if (header.name.empty() ||
          !std::all_of(header.name.begin(), header.name.end(), is_token_char))
        c.fail("headers", "\"" + header.name + "\" is not a valid header name");
      if (m.value.IsString()) {
        header.value.assign(m.value.GetString(), m.value.GetStringLength());
      } else if (m.value.IsObject() && m.value.MemberCount() == 1 && m.value.HasMember("env") &&
                 m.value["env"].IsString() && m.value["env"].GetStringLength() > 0) {
        header.env = m.value["env"].GetString();
        header.value = secret_from_env(c, "headers", *header.env,
                                       "the value of header " + header.name, secrets);
      } else {
        c.fail("headers", "\"" + header.name +
                              "\" must be a string, or {\"env\": \"VARIABLE\"} to take a "
                              "secret value from the environment");
      }
      for (const char ch : header.value)
        if (ch == '\r' || ch == '\n' || ch == '\0')
          c.fail("headers", "the value of \"" + header.name + "\" holds a line break");
      s.headers.push_back(std::move(header));
    }
  }
  if (const rapidjson::Value* cols = c.find("columns")) {
    if (!cols->IsObject()) c.fail("columns", "must be an object of field names and types");
    for (const auto& m : cols->GetObject()) {
      const std::string field(m.name.GetString(), m.name.GetStringLength());
      const std::string type_name =
          m.value.IsString() ? std::string(m.value.GetString(), m.value.GetStringLength()) : "";
      const auto type = column_type_from_name(type_name);
      if (!type)
        c.fail("columns", "\"" + field + "\": \"" + type_name + "\" is not a column type (use " +
                              column_type_names() + ")");
      s.columns.emplace_back(field, *type);
    }
  }
  for (const auto& [field, type] : s.columns) {
    if (field != s.cursor_field) continue;
    const bool iso = s.cursor_format == CursorFormat::Iso8601;
    const bool fits = iso ? type == ColumnType::UtcDatetime
                          : type == ColumnType::Long || type == ColumnType::Double;
    if (!fits)
      c.fail("columns", "\"" + field + "\" is the cursor field and is stored as " +
                            (iso ? "UTC_DATETIME" : "LONG or DOUBLE") + ", not " +
                            std::string(column_type_name(type)));
  }

  StreamDefaults defaults;
  read_defaults(Checker(top, origin), s.cursor_format, defaults);
  read_defaults(c, s.cursor_format, defaults);
  apply_defaults(c, defaults, s, secrets);
  if (auto w = c.whole("window_seconds", 1, 100LL * 366 * 86400)) s.window_seconds = *w;
  if (auto u = c.text("until_param")) s.until_param = *u;
  if (!s.until_param.empty() && s.window_seconds == 0)
    c.fail("until_param", "is for windows of time: set window_seconds too");
  if (s.pagination.type == PagingType::Since && s.since_param.empty())
    c.fail("pagination",
           "type \"since\" asks again with since_param from the newest record read, and "
           "since_param is null: without it only the first answer would be read");
  if (s.window_seconds > 0) {
    if (s.until_param.empty())
      c.fail("window_seconds", "needs until_param, the parameter that carries a window's end");
    if (s.since_param.empty())
      c.fail("window_seconds", "needs a since_param, the parameter that carries a window's start");
    if (s.until_param == s.since_param) c.fail("until_param", "must differ from since_param");
    if (s.pagination.type == PagingType::Since)
      c.fail("pagination",
             "type \"since\" asks again from the newest record read, which a window of time "
             "cannot do (a window is one request, or one chain of the API's own pages): with "
             "window_seconds, configure the pages the API gives (offset, page, token, ...)");
    if (!s.start_timestamp)
      c.fail("window_seconds",
             "needs start_timestamp (here or at the top level): a first sync from year 1 in "
             "windows would take millions of requests");
  }
  if (const rapidjson::Value* own = c.find("auth")) {
    if (c.find("token_env"))
      c.fail("auth",
             "token_env and auth: give one or the other (token_env is the short form of "
             "{\"type\": \"bearer\", \"token_env\": ...})");
    apply_auth(read_auth(*own, where + ": auth", secrets), s);
  } else if (!c.find("token_env") && top_auth) {
    apply_auth(top_auth, s);
  }
  return s;
}

}  // namespace

const StreamConfig* Config::find_stream(const std::string& name) const {
  for (const StreamConfig& s : streams)
    if (s.name == name) return &s;
  return nullptr;
}

Config parse_config(const std::string& text, const std::string& origin, Secrets secrets) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError()) {
    const Place p = place_of(text, doc.GetErrorOffset());
    throw ConfigError(origin + ": invalid JSON at line " + std::to_string(p.line) + ", column " +
                      std::to_string(p.column) + ": " + GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) throw ConfigError(origin + ": must be a JSON object");
  check_keys(doc, kTopLevelKeys, origin);

  const Checker c(doc, origin);
  Config config;
  std::shared_ptr<const AuthConfig> top_auth;
  if (const rapidjson::Value* a = c.find("auth")) {
    if (c.find("token_env"))
      throw ConfigError(origin +
                        ": auth: token_env and auth: give one or the other (token_env is "
                        "the short form of {\"type\": \"bearer\", \"token_env\": ...})");
    top_auth = read_auth(*a, origin + ": auth", secrets);
  }
  const bool has_streams = c.find("streams") != nullptr;
  if (has_streams && c.find("base_url"))
    throw ConfigError(origin +
                      ": base_url and streams: give one or the other (base_url is the short "
                      "form of a single stream named user)");
  if (!has_streams) {
    const auto base_url = c.text("base_url");
    if (!base_url)
      throw ConfigError(origin +
                        ": base_url: missing (the URL of the API endpoint, e.g. "
                        "\"http://127.0.0.1:5001/incremental/timestamp\", or a list of "
                        "\"streams\")");
    check_url(c, "base_url", *base_url);
    StreamConfig s = user_stream(*base_url);
    StreamDefaults defaults;
    read_defaults(c, s.cursor_format, defaults);
    apply_defaults(c, defaults, s, secrets);
    if (top_auth) apply_auth(top_auth, s);
    config.streams.push_back(std::move(s));
  } else {
    const rapidjson::Value& streams = doc["streams"];
    if (!streams.IsArray()) c.fail("streams", "must be an array of stream objects");
    if (streams.Empty()) c.fail("streams", "must list at least one stream");
    for (rapidjson::SizeType i = 0; i < streams.Size(); ++i) {
      StreamConfig s = read_stream(streams[i], i, origin, doc, top_auth, secrets);
      for (const StreamConfig& other : config.streams) {
        if (other.name == s.name)
          throw ConfigError(origin + ": stream \"" + s.name + "\": name: two streams have it");
        if (same_column_name(other.table, s.table))
          throw ConfigError(origin + ": stream \"" + s.name + "\": table: \"" + s.table +
                            "\" is also the table of stream \"" + other.name +
                            "\" (table names ignore case)");
      }
      config.streams.push_back(std::move(s));
    }
  }

  if (auto v = c.text("database")) config.database = *v;
  if (auto v = c.whole("timeout_seconds", 1, 86400)) config.timeout_seconds = *v;
  if (auto v = c.whole("max_retries", 0, 100)) config.max_retries = static_cast<int>(*v);
  if (auto v = c.number("retry_base_seconds", 0.001, 3600)) config.retry_base_seconds = *v;
  if (auto v = c.number("retry_budget_seconds", 0, 7 * 86400)) config.retry_budget_seconds = *v;
  if (auto v = c.whole("cache_size_mib", 1, 1 << 20)) config.cache_size_mib = *v;
  if (auto v = c.whole("checkpoint_rows", 1, 1LL << 40)) config.checkpoint_rows = *v;
  if (auto v = c.whole("sorted_apply_rows", 0, 1LL << 40)) config.sorted_apply_rows = *v;
  if (auto v = c.whole("min_bytes_per_second", 0, 1LL << 40)) config.min_bytes_per_second = *v;
  if (auto v = c.whole("max_run_seconds", 1, 30LL * 86400)) config.max_run_seconds = *v;
  if (auto v = c.whole("max_concurrency", 1, 64)) config.max_concurrency = static_cast<int>(*v);
  auto redactor = std::make_shared<Redactor>();
  for (const StreamConfig& s : config.streams) {
    if (!s.token.empty()) redactor->add_secret(s.token);
    for (const HeaderSetting& h : s.headers)
      if (h.env && !h.value.empty()) redactor->add_secret(h.value);
    if (s.auth) add_auth_secrets(*s.auth, *redactor);
  }
  config.redactor = std::move(redactor);
  if (auto v = c.text("ca_file")) {
    struct stat st {};
    if (stat(v->c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      c.fail("ca_file", "no such file: \"" + *v + "\"");
    config.ca_file = *v;
  }
  return config;
}

Config load_config(const std::string& path, Secrets secrets) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(path +
                      ": cannot read the configuration file (create it, or name "
                      "another with --config)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read the configuration file");
  return parse_config(text.str(), path, secrets);
}

}  // namespace tsync
