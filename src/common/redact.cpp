// SPDX-License-Identifier: Apache-2.0
#include "common/redact.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace tsync {
namespace {

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The Base64 characters of `bytes`, without padding; the last character holds
// zero bits where the bytes end inside it.
std::string base64(std::string_view bytes, std::string_view alphabet) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(alphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The UTF-8 bytes of a code point below 0x10000.
std::string utf8(unsigned code_point) {
  std::string out;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
  return out;
}

// The lengths of the text starting at text[p] that one byte or code point of
// `pattern` (from pattern[j]) may take: itself, percent-encoded (either case of
// hex), '+' for a space, or a JSON escape. Calls step(text_length, pattern_length)
// for each.
template <typename Step>
void each_form(std::string_view text, std::size_t p, std::string_view pattern, std::size_t j,
               Step step) {
  const char want = pattern[j];
  const char c = text[p];
  if (c == want) step(1, 1);
  if (c == '+' && want == ' ') step(1, 1);
  if (c == '%' && p + 2 < text.size()) {
    const int high = hex_value(text[p + 1]), low = hex_value(text[p + 2]);
    if (high >= 0 && low >= 0 && static_cast<char>(high * 16 + low) == want) step(3, 1);
  }
  if (c != '\\' || p + 1 >= text.size()) return;
  const char e = text[p + 1];
  // JSON's two-character escapes, and what each stands for.
  constexpr std::string_view kEscapes = "\"\\/bfnrt", kMeanings = "\"\\/\b\f\n\r\t";
  const auto escape = kEscapes.find(e);
  if (escape != std::string_view::npos && kMeanings[escape] == want) step(2, 1);
  if (e != 'u' || p + 5 >= text.size()) return;
  unsigned code_point = 0;
  for (std::size_t k = p + 2; k < p + 6; ++k) {
    const int v = hex_value(text[k]);
    if (v < 0) return;
    code_point = code_point * 16 + static_cast<unsigned>(v);
  }
  if (code_point >= 0xD800 && code_point <= 0xDFFF) return;
  const std::string bytes = utf8(code_point);
  if (pattern.substr(j, bytes.size()) == bytes) step(6, bytes.size());
}

// The end of the longest text starting at text[p] that spells `pattern`, each
// of its characters in any of the forms each_form accepts; npos if none does.
// A character may be readable in two ways ("\\" is one backslash or two), so
// every reachable position is tracked, pattern character by character.
std::size_t match_at(std::string_view text, std::size_t p, std::string_view pattern) {
  if (text[p] != pattern[0] && text[p] != '%' && text[p] != '\\' && text[p] != '+')
    return std::string_view::npos;
  // reached[j]: the text positions at which pattern[j..] may begin.
  std::vector<std::vector<std::size_t>> reached(pattern.size() + 1);
  reached[0].push_back(p);
  for (std::size_t j = 0; j < pattern.size(); ++j) {
    if (reached[j].empty()) continue;  // a code point may skip ahead several bytes
    for (const std::size_t at : reached[j]) {
      if (at >= text.size()) continue;
      each_form(text, at, pattern, j, [&](std::size_t text_length, std::size_t pattern_length) {
        auto& next = reached[j + pattern_length];
        if (std::find(next.begin(), next.end(), at + text_length) == next.end())
          next.push_back(at + text_length);
      });
    }
  }
  const auto& ends = reached[pattern.size()];
  if (ends.empty()) return std::string_view::npos;
  return *std::max_element(ends.begin(), ends.end());
}

bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool ends_value(char c) {
  return static_cast<unsigned char>(c) <= ' ' ||
         std::string_view("\"'&,;<>{}[]()\\").find(c) != std::string_view::npos;
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The [begin, end) ranges of the values field_values finds, in text order.
std::vector<std::pair<std::size_t, std::size_t>> value_ranges(
    std::string_view text, const std::vector<std::string>& names) {
  std::string folded(text);
  for (char& c : folded) c = lower(c);
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  const auto skip = [&](std::size_t& p, std::string_view chars) {
    while (p < text.size() && (static_cast<unsigned char>(text[p]) <= ' ' ||
                               chars.find(text[p]) != std::string_view::npos))
      ++p;
  };
  for (const std::string& name : names) {
    if (name.empty()) continue;
    std::string key = name;
    for (char& c : key) c = lower(c);
    for (std::size_t at = folded.find(key); at != std::string::npos;
         at = folded.find(key, at + 1)) {
      const std::size_t end = at + key.size();
      if ((at > 0 && name_char(text[at - 1])) || (end < text.size() && name_char(text[end])))
        continue;
      std::size_t p = end;
      skip(p, "\"'\\");
      bool separated = false;
      if (p < text.size() && (text[p] == '=' || text[p] == ':')) {
        ++p;
        separated = true;
      } else {
        // HTML: tags between a name and its value, or an attribute value="...".
        while (p < text.size() && text[p] == '<') {
          const std::size_t close = text.find('>', p);
          if (close == std::string_view::npos) break;
          p = close + 1;
          skip(p, "");
          separated = true;
        }
        if (!separated && folded.compare(p, 6, "value=") == 0) {
          p += 6;
          separated = true;
        }
      }
      if (!separated) continue;
      skip(p, "\"'\\");
      const std::size_t begin = p;
      while (p < text.size() && !ends_value(text[p])) ++p;
      if (p > begin) ranges.emplace_back(begin, p);
    }
  }
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

}  // namespace

std::vector<std::string> field_values(std::string_view text,
                                      const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& [begin, end] : value_ranges(text, names))
    out.emplace_back(text.substr(begin, end - begin));
  return out;
}

std::string mask_field_values(std::string_view text, const std::vector<std::string>& names) {
  std::string out;
  std::size_t copied = 0;
  for (const auto& [begin, end] : value_ranges(text, names)) {
    if (end <= copied) continue;  // inside a range already masked
    if (begin >= copied) {
      out.append(text.substr(copied, begin - copied));
      out += Redactor::kMask;
    }
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

Redactor::Redactor(const Redactor& other) {
  const std::shared_lock lock(other.mutex_);
  patterns_ = other.patterns_;
}

Redactor& Redactor::operator=(const Redactor& other) {
  if (this == &other) return *this;
  std::vector<std::string> copy;
  {
    const std::shared_lock lock(other.mutex_);
    copy = other.patterns_;
  }
  const std::unique_lock lock(mutex_);
  patterns_ = std::move(copy);
  return *this;
}

bool Redactor::empty() const {
  const std::shared_lock lock(mutex_);
  return patterns_.empty();
}

std::string base64_encode(std::string_view bytes) {
  std::string out = base64(bytes, kBase64);
  out.append((3 - bytes.size() % 3) % 3, '=');
  return out;
}

// Called with mutex_ held for writing.
void Redactor::add_pattern(std::string pattern) {
  if (pattern.size() < kMinSecretLength) return;
  if (std::find(patterns_.begin(), patterns_.end(), pattern) != patterns_.end()) return;
  patterns_.push_back(std::move(pattern));
  std::stable_sort(patterns_.begin(), patterns_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void Redactor::add_secret(std::string_view value) {
  if (value.size() < kMinSecretLength)
    throw std::invalid_argument("a secret must have at least " + std::to_string(kMinSecretLength) +
                                " characters, this one has " + std::to_string(value.size()));
  const std::unique_lock lock(mutex_);
  add_forms(value);
  // "user:password": the password may also turn up on its own.
  const auto colon = value.find(':');
  if (colon != std::string_view::npos && value.size() - colon - 1 >= kMinSecretLength)
    add_forms(value.substr(colon + 1));
}

void Redactor::add_forms(std::string_view value) {
  add_pattern(std::string(value));
  for (const std::string_view alphabet : {kBase64, kBase64Url}) {
    // On its own: whole, and with padding.
    std::string whole = base64(value, alphabet);
    add_pattern(whole);
    if (alphabet == kBase64) add_pattern(whole + std::string((3 - value.size() % 3) % 3, '='));
    // Inside a longer Base64 text, starting at any of the three byte
    // alignments: keep only the characters made of the value's bits alone.
    for (std::size_t shift = 0; shift < 3; ++shift) {
      const std::string encoded = base64(std::string(shift, '\0') + std::string(value), alphabet);
      const std::size_t begin = (8 * shift + 5) / 6;
      const std::size_t end = 8 * (shift + value.size()) / 6;
      if (end > begin) add_pattern(encoded.substr(begin, end - begin));
    }
  }
}

std::string Redactor::redact(std::string_view text) const {
  const std::shared_lock lock(mutex_);
  if (patterns_.empty()) return std::string(text);
  std::vector<bool> masked(text.size(), false);
  bool any = false;
  for (std::size_t p = 0; p < text.size(); ++p) {
    for (const std::string& pattern : patterns_) {
      const std::size_t end = match_at(text, p, pattern);
      if (end == std::string_view::npos) continue;
      std::fill(masked.begin() + static_cast<std::ptrdiff_t>(p),
                masked.begin() + static_cast<std::ptrdiff_t>(end), true);
      any = true;
    }
  }
  if (!any) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (std::size_t p = 0; p < text.size();) {
    if (!masked[p]) {
      out.push_back(text[p++]);
      continue;
    }
    out += kMask;
    while (p < text.size() && masked[p]) ++p;
  }
  return out;
}

}  // namespace tsync
