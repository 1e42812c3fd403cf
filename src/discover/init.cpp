// SPDX-License-Identifier: Apache-2.0
#include "discover/init.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "replica/columns.hpp"
#include "source/url.hpp"
#include "sync/request.hpp"

namespace tsync {
namespace {

using rapidjson::Value;
using Allocator = rapidjson::Document::AllocatorType;

Value text(const std::string& s, Allocator& a) {
  return Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer out;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(out);
  writer.SetIndent(' ', 2);
  v.Accept(writer);
  return std::string(out.GetString()) + "\n";
}

bool env_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (const char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool secret_header(const std::string& name) {
  const std::string l = lower(name);
  for (const char* part : {"authorization", "cookie", "key", "token", "secret", "auth", "password"})
    if (l.find(part) != std::string::npos) return true;
  return false;
}

// The "headers" object of the options' --header values.
Value headers_json(const std::vector<std::string>& headers, Allocator& a) {
  Value out(rapidjson::kObjectType);
  for (const std::string& h : headers) {
    const std::size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
      throw ConfigError("--header \"" + h.substr(0, 40) + "\": write it as 'Name: value'");
    std::string name = h.substr(0, colon);
    std::string value = h.substr(colon + 1);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    while (!value.empty() && value.back() == ' ') value.pop_back();
    if (value.size() > 1 && value[0] == '$' && env_name(std::string_view(value).substr(1))) {
      Value env(rapidjson::kObjectType);
      env.AddMember("env", text(value.substr(1), a), a);
      out.AddMember(text(name, a), env, a);
    } else if (secret_header(name)) {
      throw ConfigError("--header \"" + name +
                        "\": a secret is taken from the environment, so that it is neither "
                        "printed nor written into the configuration: --header '" + name +
                        ": $VARIABLE' (or --auth-env)");
    } else {
      out.AddMember(text(name, a), text(value, a), a);
    }
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char by) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(by, start);
    out.push_back(s.substr(start, at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

// Adds the sign-in of --auth-env to `stream`: token_env or an auth object.
void add_auth(const std::string& spec, Value& stream, Allocator& a) {
  if (spec.empty()) return;
  const std::vector<std::string> parts = split(spec, ':');
  const auto bad = [&]() {
    return ConfigError("--auth-env \"" + spec +
                       "\": give VAR (a bearer token), basic:USER_VAR:PASSWORD_VAR, "
                       "api_key:header:NAME:VAR[:PREFIX] or api_key:query:NAME:VAR, each VAR "
                       "the name of an environment variable");
  };
  if (parts.size() == 1) {
    if (!env_name(parts[0])) throw bad();
    stream.AddMember("token_env", text(parts[0], a), a);
    return;
  }
  Value auth(rapidjson::kObjectType);
  if (parts[0] == "basic" && parts.size() == 3 && env_name(parts[1]) && env_name(parts[2])) {
    auth.AddMember("type", "basic", a);
    auth.AddMember("username_env", text(parts[1], a), a);
    auth.AddMember("password_env", text(parts[2], a), a);
  } else if (parts[0] == "api_key" && (parts.size() == 4 || parts.size() == 5) &&
             (parts[1] == "header" || parts[1] == "query") && !parts[2].empty() &&
             env_name(parts[3])) {
    auth.AddMember("type", "api_key", a);
    auth.AddMember("in", text(parts[1], a), a);
    auth.AddMember("name", text(parts[2], a), a);
    auth.AddMember("value_env", text(parts[3], a), a);
    if (parts.size() == 5) auth.AddMember("prefix", text(parts[4], a), a);
  } else {
    throw bad();
  }
  stream.AddMember("auth", auth, a);
}

Value path_value(const JsonPath& path, Allocator& a) {
  rapidjson::Document parsed(&a);
  const std::string json = path_json(path);
  parsed.Parse(json.c_str());
  return Value(parsed, a);
}

std::string kilobytes(std::int64_t bytes) {
  char out[32];
  std::snprintf(out, sizeof out, "%.1f kB", static_cast<double>(bytes) / 1000.0);
  return out;
}

std::string shown_value(const Finding& f, const Proposal& p) {
  if (f.key == "records_path") return p.records_path ? path_json(*p.records_path) : "(none)";
  if (f.key == "primary_key") {
    if (p.primary_key.empty()) return "(none)";
    std::string out;
    for (const std::string& k : p.primary_key) out += (out.empty() ? "" : ", ") + k;
    return out;
  }
  if (f.key == "cursor_field")
    return p.cursor_field.empty()
               ? "(none)"
               : p.cursor_field + " (" + std::string(cursor_format_name(p.cursor_format)) + ")";
  if (f.key == "since_param") return p.since_param.empty() ? "null" : p.since_param;
  if (f.key == "delete_field") return p.delete_field;
  if (f.key == "change_feed") return p.change_feed ? feed_type_name(p.change_feed->type) : "none";
  if (f.key == "pagination")
    return p.pagination.type == PagingType::None ? "none" : paging_type_name(p.pagination.type);
  return "";
}

// Query parameters that carry a credential.
bool secret_param(const std::string& name) {
  const std::string l = lower(name);
  for (const char* secret : {"api_key", "apikey", "api-key", "key", "access_token", "token",
                             "auth", "auth_token", "secret", "client_secret", "password",
                             "sig", "signature", "private_token", "code"})
    if (l == secret) return true;
  return false;
}

// A change feed as configuration.json writes it: its type, and the keys that
// differ from the type's defaults.
Value change_feed_value(const ChangeFeed& feed, Allocator& a) {
  Value out(rapidjson::kObjectType);
  out.AddMember("type", text(feed_type_name(feed.type), a), a);
  if (feed.type == FeedType::CursorExport && feed.start_param != "start_time")
    out.AddMember("start_param", text(feed.start_param, a), a);
  if (!feed.deleted_field.empty() && !feed.deleted_values.empty()) {
    Value when(rapidjson::kObjectType);
    when.AddMember(text(feed.deleted_field, a), text(feed.deleted_values.front(), a), a);
    out.AddMember("deleted_when", when, a);
  }
  return out;
}

}  // namespace

std::string stream_name_for(const std::string& url) {
  std::string path = split_query(url).base;
  const std::size_t scheme = path.find("://");
  if (scheme != std::string::npos) {
    const std::size_t slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  const std::vector<std::string> segments = split(path, '/');
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    std::string s = *it;
    if (s.size() > 5 && s.compare(s.size() - 5, 5, ".json") == 0) s.resize(s.size() - 5);
    const std::string l = lower(s);
    if (l.empty() || l == "cursor" || l == "list" || l == "search" || l == "all" ||
        l == "export" || l == "delta" || l == "api" || l == "incremental" || l == "timestamp" ||
        l == "changes" || l == "updated" || l == "sync")
      continue;
    if (std::isdigit(static_cast<unsigned char>(l[0]))) continue;  // a date or a number
    if (l[0] == 'v' && l.size() > 1 && std::isdigit(static_cast<unsigned char>(l[1]))) continue;
    if (s.find('{') != std::string::npos) continue;
    for (char& c : s)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    if (s[0] == '_') s = "records" + s;
    return s;
  }
  return "records";
}

InitResult propose_stream(const InitOptions& options) {
  for (const auto& [name, value] : split_query(options.url).params)
    if (secret_param(name) && !value.empty())
      throw ConfigError("the URL's query carries " + name +
                        ": a secret is taken from the environment, so that it is neither "
                        "printed nor written into the configuration: leave it out of the URL and "
                        "give --auth-env api_key:query:" + name + ":VARIABLE");
  InitResult result;
  result.name = options.name.empty() ? stream_name_for(options.url) : options.name;
  const QueryParts parts = split_query(options.url);

  // The stream that signs the request: the configuration reader checks the
  // options as it checks a file, and takes the secrets from the environment.
  rapidjson::Document doc(rapidjson::kObjectType);
  Allocator& a = doc.GetAllocator();
  Value sign(rapidjson::kObjectType);
  sign.AddMember("name", text(result.name, a), a);
  sign.AddMember("url", text(parts.base, a), a);
  Value headers = headers_json(options.headers, a);
  if (headers.MemberCount() > 0) sign.AddMember("headers", Value(headers, a), a);
  add_auth(options.auth_env, sign, a);
  Value streams(rapidjson::kArrayType);
  streams.PushBack(Value(sign, a), a);
  doc.AddMember("streams", streams, a);
  doc.AddMember("max_retries", 2, a);
  doc.AddMember("retry_budget_seconds", 30, a);
  const Config config = parse_config(pretty(doc), "tsync init", Secrets::Required);
  const StreamConfig& stream = config.streams.front();
  const std::shared_ptr<Authenticator> auth = make_authenticator(config, stream);
  HttpSession session;
  Response answer;
  try {
    answer = fetch_answer(config, stream, auth.get(), session, options.url, result.counts);
  } catch (const PermanentError& e) {
    if (e.http_status() != 401 && e.http_status() != 403) throw;
    throw PermanentError(std::string(e.what()) +
                             "; tsync init signs in with --auth-env (a token, Basic, an API key) "
                             "or --header 'Name: $VAR'",
                         e.http_status());
  }
  result.proposal = detect(answer, options.since_param);
  const Proposal& p = result.proposal;
  result.request = "GET " + config.redactor->redact(redact_url(options.url)) + ": HTTP " +
                   std::to_string(answer.status) + ", " + std::to_string(p.records) +
                   (p.records == 1 ? " record, " : " records, ") +
                   kilobytes(static_cast<std::int64_t>(answer.body.size()));
  // A feed's records need no time of their own (they get _tsync_read_at), and a
  // created time would not order their versions.
  bool cursor = !p.cursor_field.empty();
  if (p.change_feed)
    for (const Finding& f : p.findings)
      if (f.key == "cursor_field" && f.sureness == Sureness::Guessed) cursor = false;
  result.usable = p.records_path && (cursor || p.change_feed) &&
                  (!p.primary_key.empty() || p.records == 0);
  if (!result.usable) return result;

  Value out(rapidjson::kObjectType);
  out.AddMember("name", text(result.name, a), a);
  out.AddMember("url", text(p.url, a), a);
  out.AddMember("records_path", path_value(*p.records_path, a), a);
  if (p.primary_key.size() == 1) {
    out.AddMember("primary_key", text(p.primary_key.front(), a), a);
  } else if (!p.primary_key.empty()) {
    Value key(rapidjson::kArrayType);
    for (const std::string& k : p.primary_key) key.PushBack(text(k, a), a);
    out.AddMember("primary_key", key, a);
  }
  if (cursor) {
    out.AddMember("cursor_field", text(p.cursor_field, a), a);
    if (p.cursor_format != CursorFormat::Iso8601)
      out.AddMember("cursor_format", text(std::string(cursor_format_name(p.cursor_format)), a),
                    a);
  }
  if (!p.change_feed) {
    if (p.since_param.empty())
      out.AddMember("since_param", Value(rapidjson::kNullType), a);
    else
      out.AddMember("since_param", text(p.since_param, a), a);
  }
  if (!p.delete_field.empty() && !p.change_feed)
    out.AddMember("delete_field", text(p.delete_field, a), a);
  if (!p.params.empty()) {
    Value params(rapidjson::kObjectType);
    for (const auto& [k, v] : p.params) params.AddMember(text(k, a), text(v, a), a);
    out.AddMember("params", params, a);
  }
  if (headers.MemberCount() > 0) out.AddMember("headers", headers, a);
  add_auth(options.auth_env, out, a);
  if (p.change_feed) {
    // A cursor export's first read starts where the URL's start did.
    if (p.change_feed->type == FeedType::CursorExport)
      if (const auto start = query_value(options.url, p.change_feed->start_param))
        if (const auto at = parse_cursor(CursorFormat::UnixSeconds, *start))
          out.AddMember("start_timestamp", text(format_compact(*at), a), a);
    out.AddMember("change_feed", change_feed_value(*p.change_feed, a), a);
  } else if (p.pagination.type != PagingType::None) {
    rapidjson::Document pg(&a);
    pg.Parse(pagination_json(p.pagination).c_str());
    out.AddMember("pagination", Value(pg, a), a);
  }
  result.stream_json = pretty(out);
  // What is printed must load as it is.
  parse_config(configuration_json(result.stream_json), "tsync init", Secrets::IfSet);
  return result;
}

std::string configuration_json(const std::string& stream_json) {
  rapidjson::Document doc(rapidjson::kObjectType);
  rapidjson::Document stream(&doc.GetAllocator());
  stream.Parse(stream_json.c_str());
  Value streams(rapidjson::kArrayType);
  streams.PushBack(Value(stream, doc.GetAllocator()), doc.GetAllocator());
  doc.AddMember("streams", streams, doc.GetAllocator());
  return pretty(doc);
}

std::string init_report(const InitResult& r) {
  std::string out = r.request + "\n";
  for (const Finding& f : r.proposal.findings) {
    char head[96];
    std::snprintf(head, sizeof head, "  %-13s %-24s %-9s ", f.key.c_str(),
                  shown_value(f, r.proposal).c_str(), sureness_name(f.sureness));
    out += head + f.seen + "\n";
  }
  for (const std::string& w : r.proposal.warnings) out += "warning: " + w + "\n";
  return out;
}

std::string add_stream_to_file(const std::string& path, const std::string& stream_json,
                               const std::string& name) {
  namespace fs = std::filesystem;
  rapidjson::Document doc;
  std::string done;
  const bool exists = fs::exists(path);
  if (exists) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string content = buffer.str();
    // The file as it stands must be a configuration: its own errors first.
    parse_config(content, path, Secrets::IfSet);
    doc.Parse(content.c_str());
  } else {
    doc.SetObject();
  }
  Allocator& a = doc.GetAllocator();
  if (doc.HasMember("base_url")) {
    // The short form is the seed's user stream: spelled out in the long form.
    const StreamConfig user = user_stream(doc["base_url"].GetString());
    Value seed(rapidjson::kObjectType);
    seed.AddMember("name", text(user.name, a), a);
    seed.AddMember("url", text(user.url, a), a);
    Value columns(rapidjson::kObjectType);
    for (const auto& [field, type] : user.columns)
      columns.AddMember(text(field, a), text(std::string(column_type_name(type)), a), a);
    seed.AddMember("columns", columns, a);
    Value streams(rapidjson::kArrayType);
    streams.PushBack(seed, a);
    doc.RemoveMember("base_url");
    doc.AddMember("streams", streams, a);
    done = "the short form (base_url) rewritten as the stream \"user\" it stands for; ";
  }
  if (!doc.HasMember("streams")) doc.AddMember("streams", Value(rapidjson::kArrayType), a);
  for (const Value& s : doc["streams"].GetArray())
    if (s.IsObject() && s.HasMember("name") && s["name"].IsString() &&
        lower(s["name"].GetString()) == lower(name))
      throw ConfigError(path + ": a stream named \"" + std::string(s["name"].GetString()) +
                        "\" is there already; it is left as it is (give another --name)");
  rapidjson::Document stream(&a);
  stream.Parse(stream_json.c_str());
  doc["streams"].PushBack(Value(stream, a), a);
  const std::string content = pretty(doc);
  parse_config(content, path, Secrets::IfSet);  // a table of the same name, ...

  // Replaced whole: a temporary file beside it, then renamed over it.
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string temp = (dir / (target.filename().string() + ".tsync-new-XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw Error(path + ": cannot write beside it: " + std::strerror(errno));
  struct stat st {};
  ::fchmod(fd, exists && ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644);
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error(path + ": cannot write: " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    throw Error(path + ": cannot write: " + std::strerror(err));
  }
  return done + "stream \"" + name + "\" added to " + path;
}

}  // namespace tsync
