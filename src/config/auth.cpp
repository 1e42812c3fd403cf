// SPDX-License-Identifier: Apache-2.0
#include "config/auth.hpp"

#include <algorithm>
#include <cstdlib>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "config/checker.hpp"

namespace tsync::config_detail {
namespace {

// The types of auth, and the keys each takes.
std::span<const TypeKeys<AuthType>> auth_types() {
  static const TypeKeys<AuthType> kTypes[] = {
      {"bearer", AuthType::Bearer, {"token_env"}, {}},
      {"basic", AuthType::Basic, {"password_env"}, {"username", "username_env"}},
      {"api_key", AuthType::ApiKey, {"name", "in", "value_env"}, {"prefix"}},
      {"session",
       AuthType::Session,
       {"login_url", "body", "token_path"},
       {"method", "header", "prefix"}},
      {"oauth2",
       AuthType::OAuth2,
       {"token_url", "grant", "client_id_env", "client_secret_env"},
       {"refresh_token_env", "scope", "client_auth", "credentials_file"}}};
  return kTypes;
}

// The secret in the environment variable that `key` names.
EnvSecret env_secret(const Checker& c, const char* key, const std::string& what, Secrets secrets) {
  EnvSecret secret;
  secret.env = *c.text(key);
  secret.value = secret_from_env(c, key, secret.env, what, secrets);
  return secret;
}

// "prefix": text put before the key or token, which may be empty.
void read_prefix(const Checker& c, AuthConfig& a) {
  if (const rapidjson::Value* p = c.find("prefix")) {
    if (!p->IsString()) c.fail("prefix", "must be a string");
    a.prefix.assign(p->GetString(), p->GetStringLength());
  }
}

void read_basic(const Checker& c, AuthConfig& a, Secrets secrets) {
  if (c.find("username") && c.find("username_env"))
    c.fail("username", "give username or username_env, not both");
  if (auto u = c.text("username")) {
    a.username = *u;
  } else if (c.find("username_env")) {
    a.username_env = *c.text("username_env");
    const char* value = std::getenv(a.username_env.c_str());
    if ((!value || !*value) && secrets == Secrets::Required)
      c.fail("username_env", "environment variable " + a.username_env + " is not set");
    a.username = value ? value : "";
  } else {
    c.fail("username", "missing (type \"basic\" needs username or username_env)");
  }
  if (a.username.find(':') != std::string::npos)
    c.fail("username", "must not hold a ':' (HTTP Basic joins user and password with one)");
  a.password = env_secret(c, "password_env", "the password", secrets);
}

void read_api_key(const Checker& c, AuthConfig& a, Secrets secrets) {
  a.name = *c.text("name");
  const std::string in = *c.text("in");
  if (in != "header" && in != "query")
    c.fail("in", "must be \"header\" or \"query\", not \"" + in + "\"");
  a.in_query = in == "query";
  if (!a.in_query && !std::all_of(a.name.begin(), a.name.end(), is_token_char))
    c.fail("name", "\"" + a.name + "\" is not a valid header name");
  read_prefix(c, a);
  a.key = env_secret(c, "value_env", "the API key", secrets);
}

// The login request's JSON body: "body" with each {"env": NAME} value replaced
// by that variable's value, kept (with its name) as a secret.
void read_login_body(const Checker& c, AuthConfig& a, Secrets secrets) {
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
      const std::string value = secret_from_env(c, "body", name, "the login's " + field, secrets);
      writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
      if (!value.empty()) a.login_secrets.push_back(value);
      a.login_secret_envs.push_back(name);
    } else {
      m.value.Accept(writer);
    }
  }
  writer.EndObject();
  a.login_body.assign(buffer.GetString(), buffer.GetSize());
}

void read_session(const Checker& c, AuthConfig& a, Secrets secrets) {
  a.login_url = *c.text("login_url");
  check_url(c, "login_url", a.login_url);
  a.method = c.text("method").value_or("POST");
  if (a.method != "POST") c.fail("method", "must be \"POST\"");
  a.name = c.text("header").value_or("Authorization");
  if (!std::all_of(a.name.begin(), a.name.end(), is_token_char))
    c.fail("header", "\"" + a.name + "\" is not a valid header name");
  read_prefix(c, a);
  read_login_body(c, a, secrets);
  a.token_path = read_json_path(c, "token_path");
}

void read_oauth2(const Checker& c, AuthConfig& a, Secrets secrets) {
  a.token_url = *c.text("token_url");
  check_url(c, "token_url", a.token_url);
  const std::string grant = *c.text("grant");
  if (grant != "client_credentials" && grant != "refresh_token")
    c.fail("grant", "must be \"client_credentials\" or \"refresh_token\", not \"" + grant + "\"");
  a.refresh_grant = grant == "refresh_token";
  if (!a.refresh_grant && c.find("refresh_token_env"))
    c.fail("refresh_token_env", "is for grant \"refresh_token\" only");
  if (!a.refresh_grant && c.find("credentials_file"))
    c.fail("credentials_file", "is for grant \"refresh_token\" only");
  a.client_id = env_secret(c, "client_id_env", "the OAuth2 client id", secrets);
  a.client_secret = env_secret(c, "client_secret_env", "the OAuth2 client secret", secrets);
  if (c.find("refresh_token_env"))
    a.refresh_token = env_secret(c, "refresh_token_env", "a refresh token", secrets);
  if (auto scope = c.text("scope")) a.scope = *scope;
  const std::string client_auth = c.text("client_auth").value_or("body");
  if (client_auth != "body" && client_auth != "basic")
    c.fail("client_auth", "must be \"body\" or \"basic\", not \"" + client_auth + "\"");
  a.client_auth_basic = client_auth == "basic";
  if (auto file = c.text("credentials_file")) a.credentials_file = *file;
}

// The "auth" object `v`, whose errors start with `where`.
std::shared_ptr<const AuthConfig> read_auth_object(const rapidjson::Value& v,
                                                   const std::string& where, Secrets secrets) {
  const TypeKeys<AuthType>& type = read_type(v, where, kAuthKeys, auth_types(), "a type of auth");
  const Checker c(v, where);
  auto a = std::make_shared<AuthConfig>();
  a->where = where;
  a->type = type.type;
  switch (a->type) {
    case AuthType::Bearer:
      a->key = env_secret(c, "token_env", "the API token", secrets);
      break;
    case AuthType::Basic:
      read_basic(c, *a, secrets);
      break;
    case AuthType::ApiKey:
      read_api_key(c, *a, secrets);
      break;
    case AuthType::Session:
      read_session(c, *a, secrets);
      break;
    case AuthType::OAuth2:
      read_oauth2(c, *a, secrets);
      break;
  }
  return a;
}

}  // namespace

std::shared_ptr<const AuthConfig> read_auth(const Checker& c, const std::string& where,
                                            Secrets secrets) {
  const rapidjson::Value* v = c.find("auth");
  if (!v) return nullptr;
  if (c.find("token_env"))
    c.fail("auth",
           "token_env and auth: give one or the other (token_env is the short form of "
           "{\"type\": \"bearer\", \"token_env\": ...})");
  return read_auth_object(*v, where + ": auth", secrets);
}

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

}  // namespace tsync::config_detail
