// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the mock's sign-in endpoints read and issue: form-encoded bodies, the
// credentials of an Authorization header, and the book of session and access
// tokens handed out. Header-only, as paging.hpp.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mock/paging.hpp"

namespace tsync::mock {

// What a 401 of a Basic, Bearer or API key endpoint says, as the Fivetran
// playground's (a Flask app) does.
inline constexpr const char* kUnauthorizedPage =
    "<!doctype html>\n<html lang=en>\n<title>401 Unauthorized</title>\n<h1>Unauthorized</h1>\n"
    "<p>The server could not verify that you are authorized to access the URL requested. You "
    "either supplied the wrong credentials (e.g. a bad password), or your browser doesn&#39;t "
    "understand how to supply the credentials required.</p>\n";

// `part` of an application/x-www-form-urlencoded text decoded: '+' is a space,
// %XX a byte; nullopt for a bad percent-escape.
inline std::optional<std::string> form_decoded(std::string_view part) {
  const auto digit = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < part.size(); ++i) {
    const char c = part[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c != '%') {
      out.push_back(c);
    } else {
      if (i + 2 >= part.size()) return std::nullopt;
      const int high = digit(part[i + 1]), low = digit(part[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return out;
}

// The items of application/x-www-form-urlencoded `text` ("a=1&b=x+y%21"), each
// name and value decoded, in order, repeats kept; nullopt for a bad escape.
inline std::optional<std::vector<std::pair<std::string, std::string>>> decode_form(
    std::string_view text) {
  std::vector<std::pair<std::string, std::string>> items;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('&', start), text.size());
    const std::string_view item = text.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    auto name = form_decoded(item.substr(0, equals));
    auto value = form_decoded(equals == std::string_view::npos ? std::string_view()
                                                               : item.substr(equals + 1));
    if (!name || !value) return std::nullopt;
    items.emplace_back(std::move(*name), std::move(*value));
  }
  return items;
}

// The credentials of an Authorization header: its value after `scheme` and a
// space, the scheme matched without regard to case ("Bearer", "bearer");
// nullopt for another scheme.
inline std::optional<std::string> credentials_of(std::string_view header, std::string_view scheme) {
  if (header.size() <= scheme.size() || header[scheme.size()] != ' ') return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(header[i]) != lower(scheme[i])) return std::nullopt;
  }
  std::string_view rest = header.substr(scheme.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return std::string(rest);
}

// The user and password of a Basic Authorization header (RFC 7617); nullopt
// when the header is not Basic, not Base64 or has no ':'.
inline std::optional<std::pair<std::string, std::string>> basic_credentials(
    std::string_view header) {
  const auto encoded = credentials_of(header, "Basic");
  if (!encoded) return std::nullopt;
  const auto decoded = base64_decode(*encoded);
  if (!decoded) return std::nullopt;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

// The session and access tokens issued so far, each valid until it expires or
// until expire_all(). Thread-safe.
class TokenBook {
 public:
  enum class Kind { Session, Access };
  enum class State { Valid, Expired, Unknown };
  using Clock = std::chrono::steady_clock;

  // A new random token of `kind`, valid for `lifetime` (nullopt: until expire_all).
  std::string issue(Kind kind, std::optional<std::chrono::seconds> lifetime) {
    const std::lock_guard lock(mutex_);
    std::string token;
    do token = draw();
    while (tokens_.count(token));
    Entry entry;
    entry.kind = kind;
    if (lifetime) entry.expires = Clock::now() + *lifetime;
    tokens_.emplace(token, entry);
    return token;
  }

  // Whether `token` was issued as `kind` and still holds.
  State check(Kind kind, const std::string& token) const {
    const std::lock_guard lock(mutex_);
    const auto it = tokens_.find(token);
    if (it == tokens_.end() || it->second.kind != kind) return State::Unknown;
    const Entry& entry = it->second;
    if (entry.revoked || (entry.expires && Clock::now() >= *entry.expires)) return State::Expired;
    return State::Valid;
  }

  // A new random token that the book does not keep: a refresh token, which the
  // token endpoint keeps itself.
  std::string random_token() {
    const std::lock_guard lock(mutex_);
    return draw();
  }

  // Every token issued so far no longer holds; those issued later do.
  void expire_all() {
    const std::lock_guard lock(mutex_);
    for (auto& [token, entry] : tokens_) entry.revoked = true;
  }

 private:
  // 40 random hexadecimal digits.
  std::string draw() {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string token;
    for (int k = 0; k < 4; ++k) {
      std::uint64_t word = random_();
      for (int d = 0; d < 10; ++d, word >>= 4) token.push_back(kHex[word & 0xF]);
    }
    return token;
  }

  struct Entry {
    Kind kind = Kind::Session;
    std::optional<Clock::time_point> expires;
    bool revoked = false;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> tokens_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace tsync::mock
