#include "config.hpp"

#include <sys/stat.h>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "errors.hpp"
#include "timestamp.hpp"

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

constexpr const char* kKnownKeys[] = {
    "base_url",        "database",    "start_timestamp",    "lookback_seconds",
    "timeout_seconds", "max_retries", "retry_base_seconds", "retry_budget_seconds",
    "token_env",       "ca_file",     "cache_size_mib",     "checkpoint_rows"};

bool is_known(std::string_view key) {
  for (const char* k : kKnownKeys)
    if (key == k) return true;
  return false;
}

void check_url(const Checker& c, const std::string& url) {
  const auto scheme_end = url.find("://");
  std::string scheme = scheme_end == std::string::npos ? "" : url.substr(0, scheme_end);
  for (char& ch : scheme) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (scheme != "http" && scheme != "https")
    c.fail("base_url", "must be an http or https URL, not \"" + url + "\"");
  const std::size_t host_start = scheme_end + 3;
  if (host_start >= url.size() || url[host_start] == '/' || url[host_start] == '?' ||
      url[host_start] == '#')
    c.fail("base_url", "has no host: \"" + url + "\"");
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos)
    c.fail("base_url",
           "must not contain a query or fragment (tsync adds ?since=...): \"" + url + "\"");
  for (const char ch : url)
    if (static_cast<unsigned char>(ch) <= ' ')
      c.fail("base_url", "must not contain spaces or control characters");
}

}  // namespace

Config parse_config(const std::string& text, const std::string& origin) {
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError()) {
    const Place p = place_of(text, doc.GetErrorOffset());
    throw ConfigError(origin + ": invalid JSON at line " + std::to_string(p.line) + ", column " +
                      std::to_string(p.column) + ": " + GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) throw ConfigError(origin + ": must be a JSON object");

  for (const auto& member : doc.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!is_known(key))
      throw ConfigError(origin + ": unknown key \"" + key +
                        "\" (known keys are listed in the README)");
  }

  const Checker c(doc, origin);
  Config config;
  const auto base_url = c.text("base_url");
  if (!base_url)
    throw ConfigError(origin +
                      ": base_url: missing (the URL of the API endpoint, e.g. "
                      "\"http://127.0.0.1:5001/incremental/timestamp\")");
  check_url(c, *base_url);
  config.base_url = *base_url;

  if (auto v = c.text("database")) config.database = *v;
  if (auto v = c.text("start_timestamp")) {
    if (!parse_timestamp(*v))
      c.fail("start_timestamp", "not an ISO 8601 timestamp: \"" + *v + "\"");
    config.start_timestamp = *v;
  }
  if (auto v = c.whole("lookback_seconds", 0, 10LL * 366 * 86400)) config.lookback_seconds = *v;
  if (auto v = c.whole("timeout_seconds", 1, 86400)) config.timeout_seconds = *v;
  if (auto v = c.whole("max_retries", 0, 100)) config.max_retries = static_cast<int>(*v);
  if (auto v = c.number("retry_base_seconds", 0.001, 3600)) config.retry_base_seconds = *v;
  if (auto v = c.number("retry_budget_seconds", 0, 7 * 86400)) config.retry_budget_seconds = *v;
  if (auto v = c.whole("cache_size_mib", 1, 1 << 20)) config.cache_size_mib = *v;
  if (auto v = c.whole("checkpoint_rows", 1, 1LL << 40)) config.checkpoint_rows = *v;

  if (auto v = c.text("token_env")) {
    config.token_env = *v;
    const char* value = std::getenv(v->c_str());
    if (!value || !*value)
      c.fail("token_env",
             "environment variable " + *v + " is not set (it must hold the API token)");
    config.token = value;
  }
  if (auto v = c.text("ca_file")) {
    struct stat st {};
    if (stat(v->c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      c.fail("ca_file", "no such file: \"" + *v + "\"");
    config.ca_file = *v;
  }
  return config;
}

Config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw ConfigError(path +
                      ": cannot read the configuration file (create it, or name "
                      "another with --config)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError(path + ": cannot read the configuration file");
  return parse_config(text.str(), path);
}

}  // namespace tsync
