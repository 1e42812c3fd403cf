// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the tests of the mock API: plain HTTP requests to a running
// mock, its answers parsed, and endpoints set up the way several tests need them.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <rapidjson/document.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/timestamp.hpp"
#include "mock/auth.hpp"
#include "mock/endpoint_spec.hpp"
#include "mock/mock_api.hpp"
#include "mock/paging.hpp"
#include "mock/playground.hpp"
#include "mock/record_store.hpp"
#include "mock/user_generator.hpp"
#include "source/http_client.hpp"
#include "support/process.hpp"
#include "support/wait.hpp"

namespace mock_test {

using tsync::mock::CursorFormat;
using tsync::mock::EndpointSpec;
using tsync::mock::FieldKind;
using tsync::mock::KeyKind;
using tsync::mock::MockApi;
using tsync::mock::Options;
using tsync::mock::RecordStore;
using tsync::mock::ServedRecord;
using tsync::mock::Tombstone;
using tsync::mock::UserStore;

struct Page {
  int status = 0;
  std::string body;
  std::vector<std::string> ids;
  std::vector<std::string> updated;  // updatedAt texts, in served order
};

// GETs the users from the mock with plain httplib, independent of tsync's client.
inline Page fetch(const MockApi& api, int port, const std::string& since = "") {
  httplib::Client client("127.0.0.1", port);
  std::string path = tsync::mock::kUsersPath;
  if (!since.empty()) {
    path += "?since=";
    tsync::append_url_encoded(path, since);
  }
  const auto result = client.Get(path);
  REQUIRE(result);
  Page page;
  page.status = result->status;
  page.body = result->body;
  if (page.status != 200) return page;
  rapidjson::Document document;
  document.Parse(page.body.c_str(), page.body.size());
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsObject());
  REQUIRE(document.HasMember("data"));
  for (const auto& user : document["data"].GetArray()) {
    REQUIRE(user.IsObject());
    page.ids.emplace_back(user["id"].GetString());
    page.updated.emplace_back(user["updatedAt"].GetString());
  }
  (void)api;
  return page;
}

inline std::vector<std::string> ids_of(const std::vector<tsync::mock::User>& users) {
  std::vector<std::string> ids;
  for (const auto& u : users) ids.push_back(u.id);
  return ids;
}

inline tsync::Instant instant(const std::string& text) {
  const auto parsed = tsync::parse_timestamp(text);
  REQUIRE(parsed);
  return *parsed;
}

// One answer of a generic endpoint: the status, the body and, when it is 200,
// the parsed body with `records` pointing at its records array.
struct Answer {
  int status = 0;
  std::string body;
  rapidjson::Document document;
  const rapidjson::Value* records = nullptr;

  std::size_t size() const { return records ? records->Size() : 0; }
  const rapidjson::Value& operator[](std::size_t i) const { return (*records)[i]; }
};

// GETs `path_and_query` and finds the records array at `records_path`.
inline Answer get(int port, const std::string& path_and_query,
                  const std::string& records_path = "data") {
  httplib::Client client("127.0.0.1", port);
  const auto result = client.Get(path_and_query);
  REQUIRE(result);
  Answer answer;
  answer.status = result->status;
  answer.body = result->body;
  if (answer.status != 200) return answer;
  answer.document.Parse(answer.body.c_str(), answer.body.size());
  REQUIRE_FALSE(answer.document.HasParseError());
  const rapidjson::Value* at = &answer.document;
  std::size_t start = 0;
  while (!records_path.empty()) {
    const std::size_t dot = records_path.find('.', start);
    const std::string name = records_path.substr(start, dot - start);
    REQUIRE(at->IsObject());
    REQUIRE(at->HasMember(name.c_str()));
    at = &(*at)[name.c_str()];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  REQUIRE(at->IsArray());
  answer.records = at;
  return answer;
}

inline std::string query(const std::string& name, const std::string& value) {
  std::string out = name + "=";
  tsync::append_url_encoded(out, value);
  return out;
}

// The served records' texts joined as a JSON array's elements.
inline std::string joined(const std::vector<ServedRecord>& records) {
  std::string out;
  for (const auto& r : records) out += (out.empty() ? "" : ",") + r.json;
  return out;
}

// A spec of `records` records at /v1/things with every kind of extra field.
inline EndpointSpec every_kind_spec(std::size_t records) {
  EndpointSpec spec;
  spec.path = "/v1/things";
  spec.records = records;
  spec.seed = 11;
  spec.schema.fields = {
      {"s", FieldKind::String}, {"i", FieldKind::Integer}, {"big", FieldKind::BigInteger},
      {"f", FieldKind::Float},  {"b", FieldKind::Bool},    {"nothing", FieldKind::Null},
      {"o", FieldKind::Object}, {"a", FieldKind::Array},   {"ns", FieldKind::NumericString}};
  return spec;
}

inline std::string member_text(const rapidjson::Value& record, const char* name) {
  REQUIRE(record.HasMember(name));
  const auto& v = record[name];
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  FAIL("not a string or integer");
  return {};
}

// One answer, with its Link headers and, when the body is JSON, the parsed body.
struct Reply {
  int status = 0;
  std::string body;
  std::vector<std::string> link_headers;
  rapidjson::Document json;

  // rel -> URL of the Link header, which must be one header when present.
  std::map<std::string, std::string> links() const {
    std::map<std::string, std::string> out;
    if (link_headers.empty()) return out;
    REQUIRE(link_headers.size() == 1);
    const std::string& text = link_headers[0];
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = std::min(text.find(", <", start), text.size());
      const std::string item = text.substr(start, end - start);
      const std::size_t close = item.find(">; rel=\"");
      REQUIRE(item.front() == '<');
      REQUIRE(close != std::string::npos);
      REQUIRE(item.back() == '"');
      const std::string rel = item.substr(close + 8, item.size() - close - 9);
      CHECK(out.count(rel) == 0);
      out[rel] = item.substr(1, close - 1);
      start = end + 2;
    }
    return out;
  }
  const rapidjson::Value& operator[](const char* name) const {
    REQUIRE(json.IsObject());
    REQUIRE(json.HasMember(name));
    return json[name];
  }
  // The member names of the body object, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    REQUIRE(json.IsObject());
    for (const auto& m : json.GetObject()) out.emplace_back(m.name.GetString());
    return out;
  }
};

inline Reply read_reply(const httplib::Result& result) {
  REQUIRE(result);
  Reply reply;
  reply.status = result->status;
  reply.body = result->body;
  for (std::size_t i = 0; i < result->get_header_value_count("Link"); ++i)
    reply.link_headers.push_back(result->get_header_value("Link", i));
  reply.json.Parse(reply.body.c_str(), reply.body.size());
  REQUIRE_FALSE(reply.json.HasParseError());
  return reply;
}

// GETs `target` from 127.0.0.1:`port`.
inline Reply fetch_reply(int port, const std::string& target,
                         const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_reply(client.Get(target, headers));
}

// GETs an absolute "http://host:port/path?query" URL.
inline Reply fetch_url(const std::string& url) {
  REQUIRE(url.rfind("http://", 0) == 0);
  const std::size_t slash = url.find('/', 7);
  const std::string authority = url.substr(7, slash - 7);
  const std::size_t colon = authority.find(':');
  httplib::Client client(authority.substr(0, colon), std::stoi(authority.substr(colon + 1)));
  return read_reply(client.Get(url.substr(slash)));
}

// The Link header of the answer to GET `target`, read from a plain socket:
// cpp-httplib's client decodes percent-escapes in header values.
inline std::string raw_link(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  const std::string request =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
    reply.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  const std::size_t start = reply.find("\r\nLink: ");
  REQUIRE(start < reply.find("\r\n\r\n"));
  const std::size_t value = start + 8;
  return reply.substr(value, reply.find("\r\n", value) - value);
}

// The "id" of every record of `array`, as text.
inline std::vector<std::string> ids_in(const rapidjson::Value& array) {
  REQUIRE(array.IsArray());
  std::vector<std::string> ids;
  for (const auto& record : array.GetArray()) ids.push_back(member_text(record, "id"));
  return ids;
}

inline std::vector<std::string> ids_of(const std::vector<ServedRecord>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

inline std::vector<std::string> reversed(std::vector<std::string> ids) {
  std::reverse(ids.begin(), ids.end());
  return ids;
}

inline std::string text_of(const rapidjson::Value& value) {
  REQUIRE(value.IsString());
  return std::string(value.GetString(), value.GetStringLength());
}

// An endpoint of `records` records with integer keys at /v1/list, paged by `serving`.
inline std::string add_list(MockApi& api, std::size_t records,
                            const tsync::mock::ServingOptions& serving,
                            const std::string& records_path = "data",
                            const std::string& since_param = "since") {
  EndpointSpec spec;
  spec.path = "/v1/list";
  spec.records = records;
  spec.seed = 5;
  spec.schema.key = KeyKind::Integer;
  spec.records_path = records_path;
  spec.since_param = since_param;
  spec.serving = serving;
  return api.add_endpoint(spec);
}

inline tsync::mock::ServingOptions paged(tsync::mock::PagingStyle style) {
  tsync::mock::ServingOptions serving;
  serving.paging = style;
  return serving;
}

using tsync::mock::Order;
using tsync::mock::PagingStyle;
using tsync::mock::ServingOptions;

using tsync::mock::AuthRequirement;
using tsync::mock::OAuthOptions;

// The status, the headers that matter here and the body of one answer, whatever
// its body is.
struct Raw {
  int status = 0;
  std::string body, content_type;
  std::string challenge;  // WWW-Authenticate
  std::string cache_control, retry_after;
  rapidjson::Document json;  // the body, when it is JSON

  const rapidjson::Value& operator[](const char* name) const {
    REQUIRE(json.IsObject());
    REQUIRE(json.HasMember(name));
    return json[name];
  }
  bool has(const char* name) const { return json.IsObject() && json.HasMember(name); }
  std::string text(const char* name) const { return text_of((*this)[name]); }
};

inline Raw read_raw(const httplib::Result& result) {
  REQUIRE(result);
  Raw raw;
  raw.status = result->status;
  raw.body = result->body;
  raw.content_type = result->get_header_value("Content-Type");
  raw.challenge = result->get_header_value("WWW-Authenticate");
  raw.cache_control = result->get_header_value("Cache-Control");
  raw.retry_after = result->get_header_value("Retry-After");
  if (raw.content_type.rfind("application/json", 0) == 0) {
    raw.json.Parse(raw.body.c_str(), raw.body.size());
    REQUIRE_FALSE(raw.json.HasParseError());
  }
  return raw;
}

inline Raw raw_get(int port, const std::string& target, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_raw(client.Get(target, headers));
}

inline Raw raw_post(int port, const std::string& path, const std::string& body,
                    const std::string& content_type, const httplib::Headers& headers = {}) {
  httplib::Client client("127.0.0.1", port);
  return read_raw(client.Post(path, headers, body, content_type));
}

// A POST to the token endpoint with the form `form`.
inline Raw token_request(int port, const std::string& form, const httplib::Headers& headers = {}) {
  return raw_post(port, tsync::mock::kTokenPath, form, "application/x-www-form-urlencoded",
                  headers);
}

// The form of a client_credentials grant with the default client in the body.
inline const std::string kClientBody = "client_id=tsync-client&client_secret=client-secret-1234";

inline std::string basic_header(const std::string& user, const std::string& password) {
  return "Basic " + tsync::mock::base64_encode(user + ":" + password);
}

// A session token from the login endpoint; REQUIREs that it answers one.
inline std::string log_in(int port, const std::string& username, const std::string& password) {
  const Raw answer =
      raw_post(port, tsync::mock::kLoginPath,
               R"({"username": ")" + username + R"(", "password": ")" + password + R"("})",
               "application/json");
  REQUIRE(answer.status == 200);
  return answer.text("token");
}

// An access token from a client_credentials grant; REQUIREs that it answers one.
inline std::string access_token(int port) {
  const Raw answer = token_request(port, "grant_type=client_credentials&" + kClientBody);
  REQUIRE(answer.status == 200);
  return answer.text("access_token");
}

// Serves 5 records with integer keys at `path`, guarded by `auth`.
inline void add_guarded(MockApi& api, const std::string& path, const AuthRequirement& auth,
                        const ServingOptions& serving = {}) {
  EndpointSpec spec;
  spec.path = path;
  spec.records = 5;
  spec.schema.key = KeyKind::Integer;
  spec.auth = auth;
  spec.serving = serving;
  api.add_endpoint(spec);
}

inline AuthRequirement requirement(AuthRequirement::Kind kind) {
  AuthRequirement auth;
  auth.kind = kind;
  return auth;
}

// The records of `answer`'s "data", counted.
inline std::size_t data_size(const Raw& answer) {
  REQUIRE(answer.status == 200);
  return answer["data"].Size();
}

inline const std::string kHtml = "text/html; charset=utf-8";

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Checks that the users served at `port` are `count`, all updated after `from`
// and before `to` (Unix seconds), the first and the last within a day of either
// end.
inline void check_users_within(int port, std::size_t count, std::int64_t from, std::int64_t to) {
  const Answer answer = get(port, tsync::mock::kUsersPath);
  REQUIRE(answer.status == 200);
  REQUIRE(answer.size() == count);
  std::vector<std::int64_t> seconds;
  for (std::size_t i = 0; i < answer.size(); ++i)
    seconds.push_back(instant(member_text(answer[i], "updatedAt")).seconds);
  for (const std::int64_t at : seconds) {
    CHECK(at > from);
    CHECK(at < to);
  }
  CHECK(seconds.front() < from + 86400);
  CHECK(seconds.back() > to - 86400);
}

}  // namespace mock_test
