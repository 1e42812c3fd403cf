// SPDX-License-Identifier: Apache-2.0
#include "config/checker.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>

#include "common/errors.hpp"

namespace tsync::config_detail {
namespace {

// Secrets shorter than this would make masking them hide innocent text.
constexpr std::size_t kMinSecretLength = 4;

std::string format(double d) {
  std::ostringstream out;
  out << d;
  return out.str();
}

}  // namespace

void Checker::fail(const std::string& key, const std::string& what) const {
  throw ConfigError(origin_ + ": " + key + ": " + what);
}

const rapidjson::Value* Checker::find(const char* key) const {
  const auto it = object_.FindMember(key);
  return it == object_.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string> Checker::text(const char* key) const {
  const rapidjson::Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->IsString()) fail(key, "must be a string");
  std::string s(v->GetString(), v->GetStringLength());
  if (s.empty()) fail(key, "must not be empty");
  return s;
}

std::optional<double> Checker::number(const char* key, double min, double max) const {
  const rapidjson::Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->IsNumber()) fail(key, "must be a number");
  const double d = v->GetDouble();
  if (!(d >= min && d <= max))
    fail(key, "must be between " + format(min) + " and " + format(max) + ", not " + format(d));
  return d;
}

std::optional<long long> Checker::whole(const char* key, long long min, long long max) const {
  const rapidjson::Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->IsInt64()) fail(key, "must be a whole number");
  const long long n = v->GetInt64();
  if (n < min || n > max)
    fail(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", not " +
                  std::to_string(n));
  return n;
}

void check_keys(const rapidjson::Value& object, KeyList known, const std::string& where) {
  for (const auto& member : object.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    bool found = false;
    for (const std::string_view k : known) found = found || key == k;
    if (!found)
      throw ConfigError(where + ": unknown key \"" + key +
                        "\" (known keys are listed in docs/configuration.md)");
  }
}

std::size_t type_index(const rapidjson::Value& v, const std::string& where, KeyList known,
                       const std::vector<const char*>& names, const char* kind) {
  std::string list;
  for (std::size_t i = 0; i < names.size(); ++i)
    list += std::string(i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  if (!v.IsObject())
    throw ConfigError(where + ": must be an object with a \"type\" (" + list + ")");
  check_keys(v, known, where);
  const Checker c(v, where);
  const auto type = c.text("type");
  if (!type) c.fail("type", "missing (" + list + ")");
  for (std::size_t i = 0; i < names.size(); ++i)
    if (*type == names[i]) return i;
  c.fail("type", "\"" + *type + "\" is not " + kind + " (" + list + ")");
}

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

}  // namespace tsync::config_detail
