// SPDX-License-Identifier: Apache-2.0
#include "source/pagination.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/errors.hpp"
#include "source/http_client.hpp"
#include "source/url.hpp"

namespace tsync {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool same_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Reads Link header values one at a time (RFC 8288, section 3).
class LinkReader {
 public:
  // `relation`: the relation type next() looks for.
  explicit LinkReader(std::string_view text, std::string_view relation = "next")
      : s_(text), relation_(relation) {}

  // Reads the next link-value; false at the end of the header. `is_next`: the
  // link has the relation type looked for.
  bool next(std::string& target, bool& is_next) {
    skip_separators();
    if (i_ >= s_.size()) return false;
    if (s_[i_] != '<') malformed("a link must start with '<'");
    const std::size_t close = s_.find('>', i_ + 1);
    if (close == std::string_view::npos) malformed("a '<' without its '>'");
    target.assign(s_.substr(i_ + 1, close - i_ - 1));
    i_ = close + 1;
    is_next = false;
    for (;;) {
      skip_spaces();
      if (i_ >= s_.size() || s_[i_] == ',') break;
      if (s_[i_] != ';') malformed("expected ';' or ',' after a link");
      ++i_;
      skip_spaces();
      const std::string_view name = token();
      if (name.empty()) {
        if (i_ >= s_.size() || s_[i_] == ',') break;  // a trailing ';'
        malformed("a link parameter without a name");
      }
      skip_spaces();
      std::string value;
      if (i_ < s_.size() && s_[i_] == '=') {
        ++i_;
        skip_spaces();
        value = i_ < s_.size() && s_[i_] == '"' ? quoted() : std::string(token());
      }
      if (same_nocase(name, "rel") && has_relation(value, relation_)) is_next = true;
    }
    return true;
  }

 private:
  [[noreturn]] void malformed(const std::string& what) const {
    throw std::invalid_argument(what + " at character " + std::to_string(i_ + 1));
  }
  void skip_spaces() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }
  void skip_separators() {
    while (i_ < s_.size() && (is_space(s_[i_]) || s_[i_] == ',')) ++i_;
  }
  std::string_view token() {
    const std::size_t start = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  std::string quoted() {
    std::string out;
    ++i_;  // the opening quote
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out.push_back(s_[i_++]);
    }
    if (i_ >= s_.size()) malformed("a quoted value without its closing '\"'");
    ++i_;
    return out;
  }
  // rel holds one or more relation types separated by spaces ("prev next").
  static bool has_relation(std::string_view rel, std::string_view wanted) {
    std::size_t start = 0;
    while (start < rel.size()) {
      while (start < rel.size() && is_space(rel[start])) ++start;
      std::size_t end = start;
      while (end < rel.size() && !is_space(rel[end])) ++end;
      if (end > start && same_nocase(rel.substr(start, end - start), wanted)) return true;
      start = end;
    }
    return false;
  }

  std::string_view s_;
  std::string_view relation_;
  std::size_t i_ = 0;
};

// The first link of `header` with relation type `relation`, as written.
std::optional<std::string> link_with_relation(std::string_view header,
                                              std::string_view relation) {
  LinkReader reader(header, relation);
  std::string target;
  bool found = false;
  while (reader.next(target, found))
    if (found) return target;
  return std::nullopt;
}

// A whole number of at most 18 digits, or nullopt.
std::optional<long long> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(text);
}

// `url` with the value of its query parameter `name` (written as is, not
// encoded) replaced by `value`, everything else as written; "" when the query
// has no such parameter.
std::string with_value(const std::string& url, const std::string& name, long long value) {
  const std::size_t mark = url.find('?');
  if (mark == std::string::npos) return "";
  std::size_t at = mark + 1;
  while (at <= url.size()) {
    std::size_t end = url.find_first_of("&#", at);
    if (end == std::string::npos) end = url.size();
    const std::size_t equals = url.find('=', at);
    if (equals != std::string::npos && equals < end && url.compare(at, equals - at, name) == 0)
      return url.substr(0, equals + 1) + std::to_string(value) + url.substr(end);
    if (end >= url.size() || url[end] == '#') break;
    at = end + 1;
  }
  return "";
}

std::string value_text(const FieldValue& v) {
  switch (v.kind) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Json:
      return "an object or array";
    case ValueKind::String:
      return "\"" + v.text.substr(0, 64) + (v.text.size() > 64 ? "...\"" : "\"");
    default:
      return v.text;
  }
}

}  // namespace

std::string describe_path(const JsonPath& path) {
  const bool dotted = std::none_of(path.begin(), path.end(), [](const std::string& key) {
    return key.find('.') != std::string::npos;
  });
  std::string text = dotted ? "\"" : "[";
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (i > 0) text += dotted ? "." : ", ";
    text += dotted ? path[i] : "\"" + path[i] + "\"";
  }
  return text + (dotted ? "\"" : "]");
}

const char* paging_type_name(PagingType type) {
  switch (type) {
    case PagingType::None:
      return "none";
    case PagingType::Since:
      return "since";
    case PagingType::LinkHeader:
      return "link_header";
    case PagingType::NextUrl:
      return "next_url";
    case PagingType::Token:
      return "token";
    case PagingType::LastRecord:
      return "last_record";
    case PagingType::Offset:
      return "offset";
    case PagingType::Page:
      return "page";
  }
  return "none";
}

std::optional<std::string> next_link(std::string_view header) {
  LinkReader reader(header);
  std::string target;
  bool is_next = false;
  std::optional<std::string> found;
  while (reader.next(target, is_next))
    if (is_next && !found) found = target;
  return found;
}

Pager::Pager(std::string stream_name, const Pagination& pagination, std::string url,
             std::vector<std::pair<std::string, std::string>> base_params,
             std::vector<std::pair<std::string, std::string>> first_only)
    : stream_(std::move(stream_name)),
      p_(pagination),
      url_(std::move(url)),
      base_(std::move(base_params)),
      first_only_(std::move(first_only)) {
  auto capture = [this](const JsonPath& path) {
    if (path.empty()) return kNone;
    captures_.push_back(path);
    return captures_.size() - 1;
  };
  const bool body_link = p_.type == PagingType::NextUrl || p_.type == PagingType::Token;
  next_at_ = body_link ? capture(p_.path) : kNone;
  has_more_at_ = capture(p_.has_more_path);
  total_at_ = capture(p_.total_path);
  total_pages_at_ = capture(p_.total_pages_path);
}

std::string Pager::url_with(const std::vector<std::pair<std::string, std::string>>& extra) const {
  std::string url = url_;
  char separator = '?';
  auto add = [&](const std::pair<std::string, std::string>& param) {
    url += separator;
    append_url_encoded(url, param.first);
    url += '=';
    append_url_encoded(url, param.second);
    separator = '&';
  };
  for (const auto& param : base_) add(param);
  for (const auto& param : extra) add(param);
  return url;
}

std::string Pager::first_url() const {
  std::vector<std::pair<std::string, std::string>> extra = first_only_;
  if (p_.type == PagingType::Offset) {
    extra.emplace_back(p_.param, "0");
    extra.emplace_back(p_.limit_param, std::to_string(p_.limit));
  } else if (p_.type == PagingType::Page) {
    extra.emplace_back(p_.param, std::to_string(p_.first));
    extra.emplace_back(p_.size_param, std::to_string(p_.size));
  }
  return url_with(extra);
}

void Pager::fail(const std::string& what) const {
  throw PermanentError("stream \"" + stream_ + "\": pagination (" + paging_type_name(p_.type) +
                       "): " + what);
}

const FieldValue* Pager::value(std::size_t index, bool required, const JsonPath& path,
                               const PageFacts& facts) const {
  if (index == kNone) return nullptr;
  const std::optional<FieldValue>& v = facts.values.at(index);
  if (!v) {
    if (required)
      fail("the response has no " + describe_path(path) +
           " (check the path in the configuration: a wrong path must not end the pages "
           "early)");
    return nullptr;
  }
  return &*v;
}

std::optional<std::string> Pager::follow(const std::string& next, std::string_view what) {
  if (!followed_.insert(next).second)
    fail("the API sent the same " + std::string(what) + " twice in one chain of pages (" +
         redact_url(next) + "): stopped, as it would page forever");
  return next;
}

std::optional<std::string> Pager::next(const std::string& request_url, const PageFacts& facts,
                                       bool only_repeated_records) {
  ++pages_;
  read_ += facts.records;
  repeated_pages_ = facts.records > 0 && only_repeated_records ? repeated_pages_ + 1 : 0;
  if (repeated_pages_ >= kMaxRepeatedPages)
    fail(std::to_string(kMaxRepeatedPages) +
         " pages in a row brought only records already read in this chain (the last from " +
         redact_url(request_url) + "): the API seems to ignore the paging parameter; stopped");

  if (const FieldValue* more = value(has_more_at_, true, p_.has_more_path, facts)) {
    if (more->kind != ValueKind::Bool)
      fail(describe_path(p_.has_more_path) + " is " + value_text(*more) + ", not true or false");
    if (more->text == "false") return std::nullopt;
  }
  if (facts.records == 0) return std::nullopt;

  auto note_total = [this](std::optional<long long> total) {
    if (total && total_ && *total != *total_) total_changed_ = true;
    total_ = total;
  };
  auto whole = [&](std::size_t index, const JsonPath& path) -> std::optional<long long> {
    const FieldValue* v = value(index, true, path, facts);
    if (!v) return std::nullopt;
    if (v->kind != ValueKind::Integer || v->text.size() > 18)
      fail(describe_path(path) + " is " + value_text(*v) + ", not a whole number");
    return std::stoll(v->text);
  };

  switch (p_.type) {
    case PagingType::None:
    case PagingType::Since:
      return std::nullopt;
    case PagingType::LinkHeader: {
      std::optional<std::string> link;
      for (const std::string& header : facts.link_headers) {
        try {
          link = next_link(header);
        } catch (const std::invalid_argument& e) {
          fail("the Link header is malformed (" + std::string(e.what()) + ")");
        }
        if (link) break;
      }
      if (!link || link->empty()) return std::nullopt;
      const std::string next = resolve_url(request_url, *link);
      note_link_pages(request_url, next, facts);
      return follow(next, "next link");
    }
    case PagingType::NextUrl: {
      const FieldValue* v = value(next_at_, false, p_.path, facts);
      if (!v || v->kind == ValueKind::Null || (v->kind == ValueKind::String && v->text.empty()))
        return std::nullopt;
      if (v->kind != ValueKind::String)
        fail(describe_path(p_.path) + " is " + value_text(*v) + ", not a URL");
      return follow(resolve_url(request_url, v->text), "next URL");
    }
    case PagingType::Token: {
      const FieldValue* v = value(next_at_, false, p_.path, facts);
      if (!v || v->kind == ValueKind::Null || (v->kind == ValueKind::String && v->text.empty()))
        return std::nullopt;
      if (v->kind != ValueKind::String && v->kind != ValueKind::Integer)
        fail(describe_path(p_.path) + " is " + value_text(*v) +
             ", not a token (a string or a number)");
      return follow(url_with({{p_.param, v->text}}), "token");
    }
    case PagingType::LastRecord: {
      if (!facts.last_value)
        fail("the last record of the page from " + redact_url(request_url) + " has no \"" +
             p_.field + "\" to send as " + p_.param);
      return follow(url_with({{p_.param, *facts.last_value}}), "last record's " + p_.field);
    }
    case PagingType::Offset: {
      note_total(whole(total_at_, p_.total_path));
      if (const auto& total = total_) {
        if (read_ >= *total) return std::nullopt;
      } else if (facts.records < p_.limit) {
        return std::nullopt;
      }
      return url_with(
          {{p_.param, std::to_string(read_)}, {p_.limit_param, std::to_string(p_.limit)}});
    }
    case PagingType::Page: {
      note_total(whole(total_pages_at_, p_.total_pages_path));
      if (const auto& total = total_) {
        if (pages_ >= *total) return std::nullopt;
      } else if (facts.records < p_.size) {
        return std::nullopt;
      }
      return url_with({{p_.param, std::to_string(p_.first + pages_)},
                       {p_.size_param, std::to_string(p_.size)}});
    }
  }
  return std::nullopt;
}

void Pager::note_link_pages(const std::string& request_url, const std::string& next,
                            const PageFacts& facts) {
  link_pages_.reset();
  std::optional<std::string> last;
  for (const std::string& header : facts.link_headers) {
    try {
      last = link_with_relation(header, "last");
    } catch (const std::invalid_argument&) {
      return;
    }
    if (last) break;
  }
  if (!last) return;
  // The one query parameter whose whole number grows from this request to the next.
  const QueryParts from = split_query(request_url), to = split_query(next);
  if (from.base != to.base || from.params.size() != to.params.size()) return;
  LinkPages pages;
  for (std::size_t i = 0; i < to.params.size(); ++i) {
    if (from.params[i].first != to.params[i].first) return;
    if (from.params[i].second == to.params[i].second) continue;
    const auto a = whole_number(from.params[i].second), b = whole_number(to.params[i].second);
    if (!a || !b || *b <= *a || !pages.name.empty()) return;
    pages.name = to.params[i].first;
    pages.next_value = *b;
    pages.step = *b - *a;
  }
  if (pages.name.empty()) return;
  const std::string last_url = resolve_url(request_url, *last);
  const auto last_value = whole_number(query_value(last_url, pages.name).value_or(""));
  // The last link must be the next one but for that number.
  if (!last_value || with_value(next, pages.name, *last_value) != last_url) return;
  if (total_ && *total_ != *last_value) total_changed_ = true;
  total_ = *last_value;
  pages.next_url = next;
  link_pages_ = std::move(pages);
}

std::vector<std::string> Pager::ahead(std::size_t n) const {
  std::vector<std::string> urls;
  for (std::size_t i = 1; i <= n; ++i) {
    const auto k = static_cast<long long>(i);
    if (p_.type == PagingType::Offset) {
      const long long offset = read_ + k * p_.limit;
      if (total_ && offset >= *total_) break;
      urls.push_back(url_with(
          {{p_.param, std::to_string(offset)}, {p_.limit_param, std::to_string(p_.limit)}}));
    } else if (p_.type == PagingType::Page) {
      if (total_ && pages_ + k >= *total_) break;
      urls.push_back(url_with({{p_.param, std::to_string(p_.first + pages_ + k)},
                               {p_.size_param, std::to_string(p_.size)}}));
    } else if (p_.type == PagingType::LinkHeader && link_pages_) {
      const LinkPages& l = *link_pages_;
      const long long value = l.next_value + k * l.step;
      if (value > *total_) break;
      urls.push_back(with_value(l.next_url, l.name, value));
    } else {
      break;
    }
  }
  return urls;
}

std::uint64_t SeenKeys::hash_of(const Record& record, const std::vector<std::string>& key_fields) {
  // FNV-1a over the key fields' kinds and texts, then a final mix.
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 1099511628211ULL;
  };
  for (const std::string& name : key_fields) {
    const FieldValue* f = record.find(name);
    mix(f ? static_cast<unsigned char>(static_cast<unsigned char>(f->kind) + 1) : 0);
    if (f)
      for (const char c : f->text) mix(static_cast<unsigned char>(c));
    mix(0xff);
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h == 0 ? 1 : h;
}

std::uint64_t SeenKeys::with_version(std::uint64_t key_hash, std::string_view cursor_text) {
  std::uint64_t h = key_hash ^ 0x9e3779b97f4a7c15ULL;
  for (const char c : cursor_text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return h == 0 ? 2 : h;
}

bool SeenKeys::contains(std::uint64_t hash) const {
  if (slots_.empty()) return false;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return true;
    if (slots_[i] == 0) return false;
  }
}

bool SeenKeys::insert(std::uint64_t hash) {
  if ((count_ + 1) * 2 > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    if (slots_[i] == hash) return false;
    if (slots_[i] == 0) {
      slots_[i] = hash;
      ++count_;
      return true;
    }
  }
}

void SeenKeys::merge(const SeenKeys& other) {
  if (other.count_ == 0) return;
  for (const std::uint64_t h : other.slots_)
    if (h != 0) insert(h);
}

void SeenKeys::clear() {
  if (count_ == 0) return;
  std::fill(slots_.begin(), slots_.end(), 0);
  count_ = 0;
}

void SeenKeys::grow() {
  std::vector<std::uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
  const std::size_t mask = slots_.size() - 1;
  for (const std::uint64_t h : old) {
    if (h == 0) continue;
    std::size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = h;
  }
}

}  // namespace tsync
