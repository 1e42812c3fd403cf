// SPDX-License-Identifier: Apache-2.0
#pragma once

// The text the mock's paging styles are made of: Base64 tokens, next URLs that
// keep a request's query with one parameter replaced, json-server's Link
// header, and the body around a page's records. Pure functions, header-only.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mock/catalog.hpp"

namespace tsync::mock {

// Base64 (RFC 4648, standard alphabet, with '=' padding) of `bytes`.
inline std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t word = 0;
    for (std::size_t k = 0; k < 3; ++k)
      word = (word << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k)
      out.push_back(k <= n ? kAlphabet[(word >> (18 - 6 * k)) & 0x3F] : '=');
  }
  return out;
}

// The bytes of the Base64 text `text` (padding optional, no whitespace);
// nullopt when it is not Base64.
inline std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t word = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    if (c >= '0' && c <= '9') value = c - '0' + 52;
    if (c == '+') value = 62;
    if (c == '/') value = 63;
    if (value < 0) return std::nullopt;
    word = (word << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((word >> bits) & 0xFF));
    }
  }
  return out;
}

// `query` (the raw text after '?': name=value items joined by '&') with the
// value of every item named `name` replaced by `value` (raw text, used as is),
// or with name=value appended when no item has that name. Other items keep
// their text and their place.
inline std::string with_query_param(std::string_view query, std::string_view name,
                                    std::string_view value) {
  std::string out;
  bool replaced = false;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    const std::size_t end = std::min(query.find('&', start), query.size());
    const std::string_view item = query.substr(start, end - start);
    const std::string_view item_name = item.substr(0, item.find('='));
    if (!out.empty()) out.push_back('&');
    if (item_name == name) {
      out.append(name).append("=").append(value);
      replaced = true;
    } else {
      out.append(item);
    }
    start = end + 1;
  }
  if (!replaced) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

// `text` with every byte but letters, digits and -._~ percent-encoded.
inline std::string percent_encoded(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xF]);
    }
  }
  return out;
}

// A whole number as JavaScript's parseInt reads the start of `text`, when it is
// 1 or more; nullopt otherwise (json-server then takes its default).
inline std::optional<std::size_t> js_positive_int(std::string_view text) {
  std::size_t n = 0, digits = 0;
  while (digits < text.size() && digits < 9 && text[digits] >= '0' && text[digits] <= '9')
    n = n * 10 + static_cast<std::size_t>(text[digits++] - '0');
  if (n < 1) return std::nullopt;
  return n;
}

// json-server 0.17.4's Link header for page `current` (from 1) of `size`
// records among `total`, as lib/server/router/plural.js and utils.getPage make
// it: first, prev, next and last, each `url` with its first "page=<current>"
// replaced; "" (sent as `Link: ` with nothing in it) for a page past the end or
// one that holds every record. With `repeat`, next is the page itself.
inline std::string json_server_links(std::string_view url, std::size_t current, std::size_t size,
                                     std::size_t total, bool repeat = false) {
  const std::size_t from = std::min(total, (current - 1) * size);
  const std::size_t to = std::min(total, current * size);
  if (to == from) return "";
  const auto link = [&](std::size_t target, const char* rel) {
    std::string text(url);
    const std::string was = "page=" + std::to_string(current);
    const std::size_t at = text.find(was);
    if (at != std::string::npos) text.replace(at, was.size(), "page=" + std::to_string(target));
    return "<" + text + ">; rel=\"" + rel + "\"";
  };
  const bool whole = to - from == total;
  std::string header;
  const auto add = [&header](const std::string& item) {
    header += (header.empty() ? "" : ", ") + item;
  };
  if (!whole) add(link(1, "first"));
  if (current > 1) add(link(current - 1, "prev"));
  if (repeat || to < total) add(link(repeat ? current : current + 1, "next"));
  if (!whole) add(link((total + size - 1) / size, "last"));
  return header;
}

// The body text before and after a page's records.
struct Framing {
  std::string prefix, suffix;
};

// The framing of records at the dotted `records_path` in an object whose other
// members are `head` (text of members ending with ',', before the records) and
// `tail` (text of members starting with ',', after them):
//   ("result.items", "\"a\":1,", ",\"b\":2") -> {"a":1,"result":{"items":[ ... ]},"b":2}
// An empty records path gives the bare array, and then `head` and `tail` must be
// empty.
inline Framing frame_records(std::string_view records_path, std::string_view head = {},
                             std::string_view tail = {}) {
  Framing f;
  if (records_path.empty()) {
    f.prefix = "[";
    f.suffix = "]";
    return f;
  }
  f.prefix = "{";
  f.prefix.append(head);
  std::size_t depth = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = records_path.find('.', start);
    if (depth > 0) f.prefix.push_back('{');
    append_json_string(f.prefix, records_path.substr(start, dot - start));
    f.prefix.push_back(':');
    ++depth;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  f.prefix.push_back('[');
  f.suffix = "]" + std::string(depth - 1, '}');
  f.suffix.append(tail);
  f.suffix.push_back('}');
  return f;
}

}  // namespace tsync::mock
