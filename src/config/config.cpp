// SPDX-License-Identifier: Apache-2.0
#include "config/config.hpp"

#include <sys/stat.h>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include "common/errors.hpp"
#include "config/auth.hpp"
#include "config/checker.hpp"
#include "config/parents.hpp"
#include "config/streams.hpp"

namespace tsync {
namespace {

using config_detail::Checker;

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

// The short form: {"base_url": URL, ...} is the one stream user_stream(URL).
StreamConfig read_short_form(const Checker& c, const std::shared_ptr<const AuthConfig>& top_auth,
                             Secrets secrets) {
  const auto base_url = c.text("base_url");
  if (!base_url)
    c.fail("base_url",
           "missing (the URL of the API endpoint, e.g. "
           "\"http://127.0.0.1:5001/incremental/timestamp\", or a list of \"streams\")");
  config_detail::check_url(c, "base_url", *base_url);
  StreamConfig s = user_stream(*base_url);
  config_detail::StreamDefaults defaults;
  config_detail::read_defaults(c, s.cursor_format, defaults);
  config_detail::apply_defaults(c, defaults, s, secrets);
  if (top_auth) config_detail::apply_auth(top_auth, s);
  return s;
}

// The long form: "streams", each with a name and a table no other has.
std::vector<StreamConfig> read_streams(const rapidjson::Document& doc, const std::string& origin,
                                       const std::shared_ptr<const AuthConfig>& top_auth,
                                       Secrets secrets) {
  const Checker c(doc, origin);
  const rapidjson::Value& streams = doc["streams"];
  if (!streams.IsArray()) c.fail("streams", "must be an array of stream objects");
  if (streams.Empty()) c.fail("streams", "must list at least one stream");
  std::vector<StreamConfig> out;
  for (rapidjson::SizeType i = 0; i < streams.Size(); ++i) {
    StreamConfig s = config_detail::read_stream(streams[i], i, origin, doc, top_auth, secrets);
    for (const StreamConfig& other : out) {
      if (other.name == s.name)
        throw ConfigError(origin + ": stream \"" + s.name + "\": name: two streams have it");
      if (same_column_name(other.table, s.table))
        throw ConfigError(origin + ": stream \"" + s.name + "\": table: \"" + s.table +
                          "\" is also the table of stream \"" + other.name +
                          "\" (table names ignore case)");
    }
    out.push_back(std::move(s));
  }
  config_detail::check_parents(out, origin);
  return out;
}

// The settings of the run as a whole: the replica, timeouts, retries, commits,
// requests in flight.
void read_run_settings(const Checker& c, Config& config) {
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
}

// A redactor that masks every secret the streams were given.
std::shared_ptr<Redactor> redactor_of(const std::vector<StreamConfig>& streams) {
  auto redactor = std::make_shared<Redactor>();
  for (const StreamConfig& s : streams) {
    if (!s.token.empty()) redactor->add_secret(s.token);
    for (const HeaderSetting& h : s.headers)
      if (h.env && !h.value.empty()) redactor->add_secret(h.value);
    if (s.auth) config_detail::add_auth_secrets(*s.auth, *redactor);
  }
  return redactor;
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
  config_detail::check_keys(doc, config_detail::kTopLevelKeys, origin);

  const Checker c(doc, origin);
  Config config;
  const std::shared_ptr<const AuthConfig> top_auth = config_detail::read_auth(c, origin, secrets);
  const bool has_streams = c.find("streams") != nullptr;
  if (has_streams && c.find("base_url"))
    throw ConfigError(origin +
                      ": base_url and streams: give one or the other (base_url is the short "
                      "form of a single stream named user)");
  if (has_streams)
    config.streams = read_streams(doc, origin, top_auth, secrets);
  else
    config.streams.push_back(read_short_form(c, top_auth, secrets));
  read_run_settings(c, config);
  config.redactor = redactor_of(config.streams);
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
