// SPDX-License-Identifier: Apache-2.0
#include "source/url.hpp"

#include <curl/curl.h>
#include <algorithm>
#include <cctype>
#include <memory>

#include "common/errors.hpp"

namespace tsync {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
struct CurlFreeDeleter {
  void operator()(char* p) const noexcept { curl_free(p); }
};

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

QueryParts split_query(const std::string& url) {
  const std::string whole = url.substr(0, url.find('#'));
  const std::size_t question = whole.find('?');
  QueryParts parts;
  parts.base = whole.substr(0, question);
  if (question == std::string::npos) return parts;
  std::size_t start = question + 1;
  while (start < whole.size()) {
    const std::size_t end = std::min(whole.find('&', start), whole.size());
    const std::string_view item(whole.data() + start, end - start);
    if (!item.empty()) {
      const std::size_t equals = item.find('=');
      parts.params.emplace_back(
          percent_decoded(item.substr(0, equals)),
          equals == std::string_view::npos ? std::string() : percent_decoded(item.substr(equals + 1)));
    }
    start = end + 1;
  }
  return parts;
}

std::optional<std::string> query_value(const std::string& url, const std::string& name) {
  for (auto& [key, value] : split_query(url).params)
    if (key == name) return value;
  return std::nullopt;
}

std::string origin_of(const std::string& url) {
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (!parsed ||
      curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return "";
  auto part = [&](CURLUPart which, unsigned flags) -> std::string {
    char* raw = nullptr;
    if (curl_url_get(parsed.get(), which, &raw, flags) != CURLUE_OK) return "";
    const std::unique_ptr<char, CurlFreeDeleter> owned(raw);
    return lowercase(raw);
  };
  const std::string scheme = part(CURLUPART_SCHEME, 0);
  const std::string host = part(CURLUPART_HOST, 0);
  const std::string port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (scheme.empty() || host.empty()) return "";
  return scheme + "://" + host + ":" + port;
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (!parsed) throw Error("cannot parse a URL (out of memory)");
  const unsigned flags = CURLU_NON_SUPPORT_SCHEME | CURLU_ALLOW_SPACE;
  char* raw = nullptr;
  if (curl_url_set(parsed.get(), CURLUPART_URL, base.c_str(), flags) != CURLUE_OK ||
      curl_url_set(parsed.get(), CURLUPART_URL, reference.c_str(), flags) != CURLUE_OK ||
      curl_url_get(parsed.get(), CURLUPART_URL, &raw, 0) != CURLUE_OK || !raw)
    throw PermanentError("\"" + redact_url(reference) + "\" is not a URL (relative to " +
                         redact_url(base) + ")");
  const std::unique_ptr<char, CurlFreeDeleter> owned(raw);
  std::string url = raw;
  const std::string origin = origin_of(url);
  if (origin.rfind("http://", 0) != 0 && origin.rfind("https://", 0) != 0)
    throw PermanentError("\"" + redact_url(url) + "\" is not an http or https URL");
  return url;
}

std::string with_query_param(const std::string& url, const std::string& name,
                             const std::string& value) {
  const std::size_t fragment = url.find('#');
  const std::string base = url.substr(0, fragment);
  const std::size_t question = base.find('?');
  if (question != std::string::npos) {
    std::string encoded_name;
    append_url_encoded(encoded_name, name);
    std::size_t start = question + 1;
    while (start <= base.size()) {
      const std::size_t end = std::min(base.find('&', start), base.size());
      const std::string item = base.substr(start, end - start);
      const std::string item_name = item.substr(0, item.find('='));
      if (item_name == name || item_name == encoded_name) return url;
      start = end + 1;
    }
  }
  std::string out = base;
  if (question == std::string::npos)
    out += '?';
  else if (out.back() != '?' && out.back() != '&')
    out += '&';
  append_url_encoded(out, name);
  out += '=';
  append_url_encoded(out, value);
  if (fragment != std::string::npos) out += url.substr(fragment);
  return out;
}

std::string redact_url(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const auto host_start = scheme_end + 3;
  const auto authority_end = url.find_first_of("/?#", host_start);
  const auto at = url.rfind('@', authority_end == std::string::npos ? url.size() : authority_end);
  if (at == std::string::npos || at < host_start) return url;
  return url.substr(0, host_start) + "***@" + url.substr(at + 1);
}

void append_url_encoded(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
}

}  // namespace tsync
