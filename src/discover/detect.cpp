// SPDX-License-Identifier: Apache-2.0
#include "discover/detect.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "source/url.hpp"

namespace tsync {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string json_quoted(std::string_view text) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return out.GetString();
}

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> writer(out);
  value.Accept(writer);
  return out.GetString();
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

const std::string* header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (lower(key) == name) return &value;
  return nullptr;
}

std::optional<std::string> param(const Params& params, std::string_view name) {
  for (const auto& [key, value] : params)
    if (key == name) return value;
  return std::nullopt;
}

void drop_param(Params& params, std::string_view name) {
  params.erase(std::remove_if(params.begin(), params.end(),
                              [&](const auto& p) { return p.first == name; }),
               params.end());
}

std::optional<long long> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  long long n = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::optional<long long> number_of(const rapidjson::Value* v) {
  if (!v) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsString()) return whole_number(v->GetString());
  return std::nullopt;
}

// An epoch value between 2000 and 2100, in seconds or milliseconds.
std::optional<CursorFormat> epoch_format(long long n) {
  if (n >= 946684800LL && n <= 4102444800LL) return CursorFormat::UnixSeconds;
  if (n >= 946684800000LL && n <= 4102444800000LL) return CursorFormat::UnixMillis;
  return std::nullopt;
}

// The cursor format a query value is written in: ISO 8601 text, or digits of
// an epoch second or millisecond.
std::optional<CursorFormat> value_format(const std::string& text) {
  if (parse_timestamp(text)) return CursorFormat::Iso8601;
  if (const auto n = whole_number(text)) return epoch_format(*n);
  return std::nullopt;
}

bool looks_like_url(const rapidjson::Value& v) {
  if (!v.IsString()) return false;
  const std::string_view s(v.GetString(), v.GetStringLength());
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 ||
         (s.size() > 1 && (s[0] == '/' || s[0] == '?'));
}

bool is_array_of_objects(const rapidjson::Value& v) {
  if (!v.IsArray() || v.Empty()) return false;
  for (const auto& item : v.GetArray())
    if (!item.IsObject()) return false;
  return true;
}

// Names an API gives its records array, best first.
constexpr std::array<std::string_view, 8> kRecordNames = {
    "data", "results", "items", "value", "records", "entries", "objects", "rows"};

int record_name_rank(std::string_view name) {
  for (std::size_t i = 0; i < kRecordNames.size(); ++i)
    if (name == kRecordNames[i]) return static_cast<int>(i);
  return static_cast<int>(kRecordNames.size());
}

struct Candidate {
  JsonPath path;
  const rapidjson::Value* array = nullptr;
};

void collect_arrays(const rapidjson::Value& object, JsonPath& at, int depth,
                    std::vector<Candidate>& found, std::vector<Candidate>& empty) {
  for (const auto& m : object.GetObject()) {
    at.emplace_back(m.name.GetString(), m.name.GetStringLength());
    if (is_array_of_objects(m.value))
      found.push_back({at, &m.value});
    else if (m.value.IsArray() && m.value.Empty())
      empty.push_back({at, &m.value});
    else if (m.value.IsObject() && depth < 3)
      collect_arrays(m.value, at, depth + 1, found, empty);
    at.pop_back();
  }
}

// The records of the body: the body itself when it is an array, else the
// largest array of objects in it (a known name first when sizes tie); an empty
// array at a known name when there is no other.
void find_records(const rapidjson::Value& root, Proposal& p, const rapidjson::Value*& records) {
  Finding f{"records_path", Sureness::NotSeen, ""};
  if (root.IsArray()) {
    const bool objects = root.Empty() || is_array_of_objects(root);
    if (objects) {
      p.records_path = JsonPath{};
      records = &root;
      f.sureness = root.Empty() ? Sureness::Likely : Sureness::Sure;
      f.seen = root.Empty() ? "the body is an empty array"
                            : "the body is an array of " + plural(root.Size(), "object", "objects");
    } else {
      f.seen = "the body is an array, but not of objects";
    }
  } else if (root.IsObject()) {
    std::vector<Candidate> found, empty;
    JsonPath at;
    collect_arrays(root, at, 1, found, empty);
    auto better = [](const Candidate& a, const Candidate& b) {
      if (a.array->Size() != b.array->Size()) return a.array->Size() > b.array->Size();
      if (a.path.size() != b.path.size()) return a.path.size() < b.path.size();
      return record_name_rank(a.path.back()) < record_name_rank(b.path.back());
    };
    std::sort(found.begin(), found.end(), better);
    if (!found.empty()) {
      p.records_path = found.front().path;
      records = found.front().array;
      f.sureness = found.size() == 1 || found[1].array->Size() < records->Size() / 2
                       ? Sureness::Sure
                       : Sureness::Likely;
      f.seen = "an array of " + plural(records->Size(), "object", "objects") + " at " +
               describe_path(found.front().path);
      if (found.size() > 1) f.seen += " (also " + describe_path(found[1].path) + ")";
    } else {
      std::sort(empty.begin(), empty.end(), [](const Candidate& a, const Candidate& b) {
        return record_name_rank(a.path.back()) < record_name_rank(b.path.back());
      });
      if (!empty.empty() && record_name_rank(empty.front().path.back()) <
                                static_cast<int>(kRecordNames.size())) {
        p.records_path = empty.front().path;
        records = empty.front().array;
        f.sureness = Sureness::Guessed;
        f.seen = "an empty array at " + describe_path(empty.front().path) +
                 " (no records to confirm it)";
      } else {
        f.seen = "the body is an object holding no array of objects";
      }
    }
  } else {
    f.seen = "the body is neither an array nor an object";
  }
  if (!p.records_path)
    p.warnings.push_back("no records found: " + f.seen +
                         "; give a URL that lists records (a collection, not one record)");
  p.findings.push_back(std::move(f));
}

// A record field's value as a key part ("" when absent or not a scalar).
std::optional<std::string> key_part(const rapidjson::Value& record, const std::string& field) {
  const auto m = record.FindMember(field.c_str());
  if (m == record.MemberEnd()) return std::nullopt;
  const auto& v = m->value;
  if (v.IsString()) return "s" + std::string(v.GetString(), v.GetStringLength());
  if (v.IsNumber()) return "n" + json_text(v);
  return std::nullopt;
}

// Records whose key repeats, or -1 when a record lacks a key part.
std::int64_t repeats(const rapidjson::Value& records, const std::vector<std::string>& fields) {
  std::unordered_set<std::string> seen;
  std::int64_t repeated = 0;
  for (const auto& record : records.GetArray()) {
    std::string key;
    for (const std::string& field : fields) {
      const auto part = key_part(record, field);
      if (!part) return -1;
      key += *part;
      key += '\x1f';
    }
    if (!seen.insert(key).second) ++repeated;
  }
  return repeated;
}

bool id_like(std::string_view name) {
  const std::string l = lower(name);
  return l == "id" || (l.size() > 2 && (l.compare(l.size() - 3, 3, "_id") == 0 ||
                                        (name.size() > 2 && name.substr(name.size() - 2) == "Id") ||
                                        name.substr(name.size() - 2) == "ID"));
}

void find_key(const rapidjson::Value* records, Proposal& p) {
  Finding f{"primary_key", Sureness::NotSeen, ""};
  if (!records || records->Empty()) {
    f.seen = "no records to read a key from (the configuration's default, id, applies)";
    p.findings.push_back(std::move(f));
    return;
  }
  const rapidjson::Value& first = (*records)[0];
  static constexpr std::array<std::string_view, 8> kKeys = {"id", "_id", "uuid", "key",
                                                            "ID", "Id", "guid", "uid"};
  for (const std::string_view name : kKeys) {
    const std::vector<std::string> key{std::string(name)};
    const std::int64_t r = repeats(*records, key);
    if (r < 0) continue;
    p.primary_key = key;
    if (r == 0) {
      f.sureness = name == "id" || name == "_id" ? Sureness::Sure : Sureness::Likely;
      f.seen = json_quoted(name) + " in every record, unique in the answer";
    } else {
      f.sureness = Sureness::Guessed;
      f.seen = json_quoted(name) + " in every record, but " + plural(r, "record repeats", "records repeat") +
               " one";
      p.warnings.push_back(json_quoted(name) + " is not unique within the answer: " +
                           plural(r, "record repeats", "records repeat") +
                           " a value; a later record replaces an earlier one of the same key, so "
                           "name a composite primary_key if the records are told apart by more "
                           "than one field");
    }
    p.findings.push_back(std::move(f));
    return;
  }
  // No usual name: a field named like an id, alone, then with another field.
  std::vector<std::string> ids, scalars;
  for (const auto& m : first.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString() && !m.value.IsNumber()) continue;
    scalars.push_back(name);
    if (id_like(name)) ids.push_back(name);
  }
  for (const std::string& id : ids)
    if (repeats(*records, {id}) == 0) {
      p.primary_key = {id};
      f.sureness = Sureness::Likely;
      f.seen = json_quoted(id) + " in every record, unique in the answer";
      p.findings.push_back(std::move(f));
      return;
    }
  for (const std::string& id : ids)
    for (const std::string& other : scalars)
      if (other != id && repeats(*records, {id, other}) == 0) {
        p.primary_key = {id, other};
        f.sureness = Sureness::Guessed;
        f.seen = json_quoted(id) + " and " + json_quoted(other) + " together are unique in the answer";
        p.findings.push_back(std::move(f));
        return;
      }
  f.seen = "no field, nor pair of fields named like an id, is unique in every record";
  p.warnings.push_back("no primary key found: " + f.seen + "; set primary_key");
  p.findings.push_back(std::move(f));
}

// Field names that say when a record last changed, best first.
constexpr std::array<std::string_view, 32> kUpdatedNames = {
    "updatedAt",       "updated_at",      "lastModifiedDateTime", "modified",
    "modified_at",     "modifiedAt",      "last_modified",        "lastModified",
    "lastModifiedDate", "LastModifiedDate", "SystemModstamp",     "updated",
    "date_modified",   "dateModified",    "updated_time",         "updatedTime",
    "update_time",     "updateTime",      "changed_at",           "changedAt",
    "last_updated",    "lastUpdated",     "last_updated_at",      "modified_time",
    "modifiedTime",    "updated_on",      "updatedOn",            "date_updated",
    "generated_timestamp", "modified_gmt", "updated_date",        "lastUpdatedAt"};

int tier_of(const std::string& name, int& rank) {
  for (std::size_t i = 0; i < kUpdatedNames.size(); ++i)
    if (name == kUpdatedNames[i]) {
      rank = static_cast<int>(i);
      return 0;
    }
  rank = 0;
  const std::string l = lower(name);
  if (contains(l, "updat") || contains(l, "modif") || contains(l, "chang")) return 1;
  if (contains(l, "creat") || contains(l, "insert")) return 2;
  return 3;
}

// The format every value of `field` is written in, or nullopt.
std::optional<CursorFormat> field_format(const rapidjson::Value& records, const std::string& field,
                                         std::int64_t& missing) {
  std::optional<CursorFormat> format;
  missing = 0;
  for (const auto& record : records.GetArray()) {
    const auto m = record.FindMember(field.c_str());
    if (m == record.MemberEnd() || m->value.IsNull()) {
      ++missing;
      continue;
    }
    std::optional<CursorFormat> f;
    if (m->value.IsString()) {
      const std::string text(m->value.GetString(), m->value.GetStringLength());
      f = parse_timestamp(text) ? std::optional(CursorFormat::Iso8601) : std::nullopt;
    } else if (m->value.IsInt64()) {
      f = epoch_format(m->value.GetInt64());
    } else if (m->value.IsDouble()) {
      f = epoch_format(static_cast<long long>(m->value.GetDouble()));
    }
    if (!f || (format && *format != *f)) return std::nullopt;
    format = f;
  }
  return format;
}

void find_cursor(const rapidjson::Value* records, std::optional<CursorFormat> since_format,
                 Proposal& p) {
  Finding f{"cursor_field", Sureness::NotSeen, ""};
  if (!records || records->Empty()) {
    f.seen = "no records to read a cursor field from";
    p.findings.push_back(std::move(f));
    return;
  }
  struct Pick {
    std::string name;
    CursorFormat format;
    int score, rank;
    std::size_t order;
  };
  std::optional<Pick> best;
  std::string partial;  // a timestamp field some records lack
  std::size_t order = 0;
  for (const auto& m : (*records)[0].GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    ++order;
    std::int64_t missing = 0;
    const auto format = field_format(*records, name, missing);
    if (!format) continue;
    int rank = 0;
    const int tier = tier_of(name, rank);
    if (missing > 0) {
      if (tier < 2 && partial.empty())
        partial = json_quoted(name) + " is missing or null in " +
                  plural(missing, "record", "records") + " of " + std::to_string(records->Size());
      continue;
    }
    const int score = tier * 2 + (since_format && *since_format != *format ? 1 : 0);
    const Pick pick{name, *format, score, rank, order};
    if (!best || std::tie(pick.score, pick.rank, pick.order) <
                     std::tie(best->score, best->rank, best->order))
      best = pick;
  }
  if (!best) {
    f.seen = "no field holds a timestamp in every record";
    if (!partial.empty()) f.seen += " (" + partial + ")";
    p.warnings.push_back("no cursor field found: " + f.seen +
                         "; set cursor_field to the field that says when a record last changed");
    p.findings.push_back(std::move(f));
    return;
  }
  p.cursor_field = best->name;
  p.cursor_format = best->format;
  const int tier = best->score / 2;
  f.sureness = tier == 0 ? Sureness::Sure : tier == 1 ? Sureness::Likely : Sureness::Guessed;
  f.seen = json_quoted(best->name) + " holds " +
           (best->format == CursorFormat::Iso8601       ? "ISO 8601 timestamps"
            : best->format == CursorFormat::UnixSeconds ? "Unix seconds"
                                                        : "Unix milliseconds") +
           " in every record";
  if (tier >= 2)
    p.warnings.push_back(
        "no field says when a record last changed: " + json_quoted(best->name) +
        (tier == 2 ? " says when it was created" : " is the only timestamp") +
        ", so a change to an older record is not read again by an incremental run; a --full pass "
        "now and then reads every record");
  if (since_format && *since_format != best->format)
    p.warnings.push_back("the since parameter's value is written as " +
                         std::string(cursor_format_name(*since_format)) + " but " +
                         json_quoted(best->name) + " as " +
                         std::string(cursor_format_name(best->format)) +
                         ": tsync sends the cursor as the records write it");
  p.findings.push_back(std::move(f));
}

// Query names that carry a time filter.
bool since_like(const std::string& name) {
  const std::string l = lower(name);
  for (const char* part : {"since", "updat", "modif", "chang", "start", "from", "after", "min",
                           "gte", "begin"})
    if (contains(l, part)) return true;
  return false;
}

struct Since {
  std::string name;
  std::optional<CursorFormat> format;
  Sureness sureness = Sureness::NotSeen;
  std::string seen;
};

// Every next URL the answer gives: Link's rel="next" and URLs in the body
// outside the records.
std::vector<std::string> next_urls(const Response& response, const rapidjson::Value& root,
                                   const rapidjson::Value* records);

Since find_since(const Response& response, const Params& query, const rapidjson::Value& root,
                 const rapidjson::Value* records, const std::string& given) {
  Since s;
  if (!given.empty()) {
    s.name = given;
    s.sureness = Sureness::Sure;
    s.seen = "given on the command line";
    if (const auto v = param(query, given)) s.format = value_format(*v);
    return s;
  }
  for (const auto& [name, value] : query) {
    const auto format = value_format(value);
    if (!format) continue;
    if (*format != CursorFormat::Iso8601 && !since_like(name)) continue;
    s.name = name;
    s.format = format;
    s.sureness = since_like(name) ? Sureness::Sure : Sureness::Likely;
    s.seen = "the URL asked for " + name + "=" + value;
    return s;
  }
  for (const std::string& next : next_urls(response, root, records))
    for (const auto& [name, value] : split_query(next).params) {
      const auto format = value_format(value);
      if (!format || !since_like(name) || param(query, name)) continue;
      s.name = name;
      s.format = format;
      s.sureness = Sureness::Likely;
      s.seen = "the next page's URL carries " + name + "=" + value;
      return s;
    }
  s.seen =
      "the answer does not show which query parameter filters by update time, so since_param is "
      "null and every run reads every record; if the API has one (its documentation says), "
      "name it with --since-param";
  return s;
}

void walk_strings(const rapidjson::Value& v, const rapidjson::Value* skip, int depth,
                  std::vector<std::string>& out) {
  if (&v == skip || depth > 4) return;
  if (looks_like_url(v)) out.emplace_back(v.GetString(), v.GetStringLength());
  if (v.IsObject())
    for (const auto& m : v.GetObject()) walk_strings(m.value, skip, depth + 1, out);
}

std::vector<std::string> next_urls(const Response& response, const rapidjson::Value& root,
                                   const rapidjson::Value* records) {
  std::vector<std::string> out;
  if (const std::string* link = header(response, "link")) {
    try {
      if (const auto next = next_link(*link)) out.push_back(resolve_url(response.url, *next));
    } catch (const std::exception&) {
      // A malformed Link says nothing of the since parameter.
    }
  }
  std::vector<std::string> found;
  walk_strings(root, records, 0, found);
  for (const std::string& url : found) {
    try {
      out.push_back(resolve_url(response.url, url));
    } catch (const std::exception&) {
      // Not a URL after all.
    }
  }
  return out;
}

// A member of `object` whose name is one of `names`.
const rapidjson::Value* member(const rapidjson::Value& object,
                               std::initializer_list<std::string_view> names, std::string& found) {
  if (!object.IsObject()) return nullptr;
  for (const std::string_view name : names) {
    const auto m = object.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (m != object.MemberEnd()) {
      found = std::string(name);
      return &m->value;
    }
  }
  return nullptr;
}

// The query parameter a token is sent in, from a URL of the answer that
// carries it; else from the token key's name.
std::pair<std::string, Sureness> token_param(const std::string& key, const std::string& token,
                                             const std::vector<std::string>& urls) {
  if (!token.empty())
    for (const std::string& url : urls)
      for (const auto& [name, value] : split_query(url).params) {
        std::string encoded;
        append_url_encoded(encoded, value);
        if (value == token || encoded == token) return {name, Sureness::Sure};
      }
  if (key == "nextPageToken" || key == "pageToken") return {"pageToken", Sureness::Likely};
  if (key == "next_page_token" || key == "page_token") return {"page_token", Sureness::Likely};
  if (key == "after_cursor" || key == "next_cursor" || key == "nextCursor" || key == "cursor")
    return {"cursor", Sureness::Guessed};
  return {key, Sureness::Guessed};
}

// Query names of a page size, best first.
constexpr std::array<std::string_view, 8> kSizeParams = {
    "per_page", "page_size", "pageSize", "limit", "size", "_limit", "_per_page", "perPage"};

struct PagingRead {
  Pagination pagination;
  Sureness sureness = Sureness::NotSeen;
  std::string seen;
  std::vector<std::string> owned_params;  // query parameters pagination now sends
};

std::optional<std::pair<std::string, long long>> size_in_query(const Params& query) {
  for (const std::string_view name : kSizeParams)
    if (const auto v = param(query, name))
      if (const auto n = whole_number(*v)) return std::pair{std::string(name), *n};
  return std::nullopt;
}

PagingRead read_paging(const Response& response, const Params& query, const rapidjson::Value& root,
                       const rapidjson::Value* records, const std::optional<JsonPath>& records_path) {
  PagingRead r;
  Pagination& pg = r.pagination;
  if (const std::string* link = header(response, "link")) {
    pg.type = PagingType::LinkHeader;
    std::optional<std::string> next;
    try {
      next = next_link(*link);
    } catch (const std::exception&) {
    }
    r.sureness = next ? Sureness::Sure : Sureness::Likely;
    r.seen = next ? "a Link header with rel=\"next\""
                  : link->empty() ? "a Link header with nothing in it (an answer of one page)"
                                  : "a Link header without rel=\"next\" (the last page)";
    return r;
  }
  if (!root.IsObject()) return r;
  const std::vector<std::string> urls = next_urls(response, root, records);
  // The object that holds the records, where an API puts its paging beside them.
  std::vector<const rapidjson::Value*> levels{&root};
  if (records_path && records_path->size() > 1) {
    JsonPath parent(records_path->begin(), records_path->end() - 1);
    if (const auto* v = value_at(root, parent); v && v->IsObject()) levels.push_back(v);
  }
  std::string name;
  // A next URL in the body.
  const std::vector<JsonPath> url_paths = {
      {"@odata.nextLink"}, {"next_page_url"}, {"nextPageUrl"}, {"next_url"},    {"nextUrl"},
      {"nextLink"},        {"next_page"},     {"next"},        {"links", "next"}, {"_links", "next", "href"},
      {"pagination", "next_url"}, {"meta", "next"}, {"paging", "next"}};
  for (const JsonPath& path : url_paths) {
    const rapidjson::Value* v = value_at(root, path);
    if (!v) continue;
    const bool url = looks_like_url(*v);
    const bool known_null = v->IsNull() && path.front() != "next" && path.front() != "paging";
    if (!url && !known_null) continue;
    pg.type = PagingType::NextUrl;
    pg.path = path;
    r.sureness = url ? Sureness::Sure : Sureness::Likely;
    r.seen = url ? "a next URL at " + describe_path(path)
                 : describe_path(path) + " is null (the last page)";
    return r;
  }
  // json-server 1.0: {first, prev, next, last, pages, items, data}.
  if (root.HasMember("first") && root.HasMember("last") && root.HasMember("pages") &&
      root.HasMember("items")) {
    pg.type = PagingType::Page;
    pg.param = "_page";
    pg.size_param = "_per_page";
    pg.size = param(query, "_per_page") ? whole_number(*param(query, "_per_page")).value_or(10) : 10;
    pg.first = 1;
    pg.total_pages_path = {"pages"};
    r.sureness = Sureness::Sure;
    r.seen = "first, next, last, pages and items beside the records (json-server 1.0)";
    r.owned_params = {"_page", "_per_page"};
    return r;
  }
  // A token.
  const std::vector<JsonPath> token_paths = {
      {"paging", "next", "after"}, {"scroll_param"}, {"after_cursor"}, {"next_cursor"},
      {"nextCursor"},              {"nextPageToken"}, {"next_page_token"}, {"nextToken"},
      {"next_token"},              {"continuationToken"}, {"cursor"}, {"meta", "next_cursor"},
      {"meta", "after_cursor"},    {"response_metadata", "next_cursor"}, {"pagination", "next_cursor"}};
  for (const JsonPath& path : token_paths) {
    const rapidjson::Value* v = value_at(root, path);
    if (!v || !(v->IsString() || v->IsNull())) continue;
    const std::string token = v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : "";
    const auto [sent_as, sureness] = token_param(path.back(), token, urls);
    pg.type = PagingType::Token;
    pg.path = path;
    pg.param = sent_as;
    pg.repeat_since = !(path.back() == "scroll_param" || path.back() == "after_cursor");
    const JsonPath parent(path.begin(), path.end() - 1);
    if (const auto* level = value_at(root, parent)) {
      std::string more;
      if (const auto* hm = member(*level, {"has_more", "hasMore", "more"}, more); hm && hm->IsBool()) {
        pg.has_more_path = parent;
        pg.has_more_path.push_back(more);
      }
    }
    r.sureness = sureness == Sureness::Sure ? Sureness::Sure : Sureness::Likely;
    r.seen = "a token at " + describe_path(path) +
             (sureness == Sureness::Sure ? ", sent as " + sent_as + " in the answer's next URL"
                                         : ", sent as " + sent_as + " (a guess from its name)");
    r.owned_params = {sent_as};
    return r;
  }
  // has_more beside records with ids: Stripe's list.
  for (const rapidjson::Value* level : levels) {
    const rapidjson::Value* more = member(*level, {"has_more", "hasMore"}, name);
    if (!more || !more->IsBool()) continue;
    if (!records || records->Empty() || !(*records)[0].HasMember("id")) continue;
    pg.type = PagingType::LastRecord;
    pg.field = "id";
    pg.param = "starting_after";
    pg.has_more_path = level == &root ? JsonPath{} : JsonPath(records_path->begin(),
                                                              records_path->end() - 1);
    pg.has_more_path.push_back(name);
    const auto* object = member(root, {"object"}, name);
    r.sureness = object && object->IsString() && std::string_view(object->GetString()) == "list"
                     ? Sureness::Sure
                     : Sureness::Likely;
    r.seen = describe_path(pg.has_more_path) +
             " beside records with ids: the next page starts after the last id (Stripe's "
             "starting_after)";
    r.owned_params = {"starting_after"};
    return r;
  }
  // An offset.
  for (const rapidjson::Value* level : levels) {
    const rapidjson::Value* offset = member(*level, {"offset", "skip", "start"}, name);
    if (!offset || !offset->IsInt64()) continue;
    pg.type = PagingType::Offset;
    pg.param = name;
    std::string limit_name;
    const rapidjson::Value* limit = member(*level, {"limit", "count", "per_page", "take"}, limit_name);
    const auto in_query = size_in_query(query);
    pg.limit_param = in_query ? in_query->first : limit ? limit_name : "limit";
    pg.limit = in_query ? in_query->second
               : number_of(limit) ? *number_of(limit)
               : records ? std::max<long long>(records->Size(), 1)
                         : 100;
    std::string total_name;
    if (member(*level, {"total", "total_count", "totalCount", "total_items", "totalItems"},
               total_name)) {
      pg.total_path = level == &root ? JsonPath{}
                                     : JsonPath(records_path->begin(), records_path->end() - 1);
      pg.total_path.push_back(total_name);
    }
    r.sureness = Sureness::Likely;
    r.seen = json_quoted(name) + " and " + (limit ? json_quoted(limit_name) : std::string("a page size")) +
             " beside the records";
    r.owned_params = {pg.param, pg.limit_param};
    return r;
  }
  // A page number.
  for (const rapidjson::Value* level : levels) {
    std::string pages_name;
    const rapidjson::Value* pages =
        member(*level, {"total_pages", "totalPages", "last_page", "lastPage", "page_count", "pageCount"},
               pages_name);
    const rapidjson::Value* page = member(*level, {"page", "current_page", "currentPage", "page_number"}, name);
    if (!pages || !number_of(pages) || !page || !number_of(page)) continue;
    pg.type = PagingType::Page;
    pg.param = param(query, "page") || name != "current_page" ? "page" : name;
    pg.first = 1;
    pg.total_pages_path = level == &root ? JsonPath{}
                                         : JsonPath(records_path->begin(), records_path->end() - 1);
    pg.total_pages_path.push_back(pages_name);
    std::string size_name;
    const rapidjson::Value* size =
        member(*level, {"per_page", "page_size", "pageSize", "perPage", "limit", "size"}, size_name);
    const auto in_query = size_in_query(query);
    r.sureness = Sureness::Likely;
    if (in_query) {
      pg.size_param = in_query->first;
      pg.size = in_query->second;
    } else {
      pg.size_param = size_name == "page_size" || !size ? "per_page" : size_name;
      pg.size = number_of(size).value_or(records ? std::max<long long>(records->Size(), 1) : 100);
    }
    r.seen = json_quoted(name) + " and " + json_quoted(pages_name) + " beside the records";
    if (!in_query) r.sureness = Sureness::Guessed;
    if (!in_query)
      r.seen += "; the page size parameter is a guess (" + pg.size_param +
                "): the request did not name one";
    r.owned_params = {pg.param, pg.size_param};
    return r;
  }
  return r;
}

// The page sizes APIs answer by default.
bool round_count(std::int64_t n) {
  for (const std::int64_t size : {10, 20, 25, 30, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000})
    if (n == size) return true;
  return false;
}

}  // namespace

const std::vector<std::string> kDetectedHeaders = {"link", "x-total-count", "x-total",
                                                   "x-total-pages", "x-per-page", "x-next-page"};

const char* sureness_name(Sureness sureness) {
  switch (sureness) {
    case Sureness::Sure:
      return "sure";
    case Sureness::Likely:
      return "likely";
    case Sureness::Guessed:
      return "guessed";
    case Sureness::NotSeen:
      break;
  }
  return "not seen";
}

rapidjson::Document parse_body(const std::string& body, const std::string& url) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError())
    throw PermanentError("GET " + redact_url(url) + ": the body is not JSON (at byte " +
                         std::to_string(doc.GetErrorOffset()) + ": " +
                         GetParseError_En(doc.GetParseError()) + ")");
  return doc;
}

const rapidjson::Value* value_at(const rapidjson::Value& root, const JsonPath& path) {
  const rapidjson::Value* v = &root;
  for (const std::string& key : path) {
    if (!v->IsObject()) return nullptr;
    const auto m = v->FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
    if (m == v->MemberEnd()) return nullptr;
    v = &m->value;
  }
  return v;
}

std::optional<Instant> cursor_instant(const rapidjson::Value& value, CursorFormat format) {
  if (value.IsString())
    return parse_cursor(format, std::string_view(value.GetString(), value.GetStringLength()));
  if (value.IsNumber() && format != CursorFormat::Iso8601) return parse_cursor(format, json_text(value));
  return std::nullopt;
}

std::vector<std::string> paging_signals(const Response& response, const rapidjson::Value& body,
                                        std::int64_t records) {
  std::vector<std::string> out;
  const Params query = split_query(response.url).params;
  const rapidjson::Value* array = nullptr;
  Proposal scratch;
  find_records(body, scratch, array);
  const PagingRead read = read_paging(response, query, body, array, scratch.records_path);
  if (read.pagination.type != PagingType::None) out.push_back(read.seen);
  if (body.IsObject()) {
    std::string name;
    const rapidjson::Value* more = member(body, {"has_more", "hasMore", "more"}, name);
    if (!more) {
      more = value_at(body, {"meta", "has_more"});
      name = "meta.has_more";
    }
    if (more && more->IsBool() && more->GetBool() &&
        read.pagination.type != PagingType::LastRecord)
      out.push_back("has_more at " + json_quoted(name) + " is true");
    if (const auto* total =
            member(body, {"total", "total_count", "totalCount", "total_items", "totalItems", "count"},
                   name))
      if (const auto n = number_of(total); n && *n > records)
        out.push_back("a total at " + json_quoted(name) + " of " + std::to_string(*n) +
                      ", more than the " + std::to_string(records) + " records of the answer");
  }
  for (const char* name : {"x-total-count", "x-total"})
    if (const std::string* total = header(response, name))
      if (const auto n = whole_number(*total); n && *n > records)
        out.push_back(std::string(name == std::string("x-total") ? "X-Total" : "X-Total-Count") +
                      " says " + *total + " records, the answer holds " + std::to_string(records));
  if (read.pagination.type == PagingType::None) {
    if (const auto size = size_in_query(query); size && size->second == records)
      out.push_back(std::to_string(records) + " records, as many as " + size->first + "=" +
                    std::to_string(size->second) + " asks for");
    else if (round_count(records))
      out.push_back(std::to_string(records) +
                    " records, a round number that APIs use as a page size");
  }
  return out;
}

Proposal detect(const Response& response, const std::string& given_since) {
  if (response.status < 200 || response.status >= 300)
    throw PermanentError("GET " + redact_url(response.url) + ": HTTP " +
                         std::to_string(response.status), response.status);
  const rapidjson::Document doc = parse_body(response.body, response.url);
  Proposal p;
  QueryParts query = split_query(response.url);
  p.url = query.base;
  Params params = query.params;

  const rapidjson::Value* records = nullptr;
  find_records(doc, p, records);
  p.records = records ? records->Size() : 0;
  find_key(records, p);

  const Since since = find_since(response, params, doc, records, given_since);
  find_cursor(records, since.format, p);
  p.since_param = since.name;
  p.findings.push_back({"since_param", since.sureness, since.seen});
  drop_param(params, since.name);

  const PagingRead read = read_paging(response, params, doc, records, p.records_path);
  p.pagination = read.pagination;
  for (const std::string& owned : read.owned_params) drop_param(params, owned);
  if (read.pagination.type == PagingType::None) {
    const std::vector<std::string> signals = paging_signals(response, doc, p.records);
    p.findings.push_back({"pagination", Sureness::NotSeen,
                          signals.empty() ? "no paging in the answer: no Link header, no next "
                                            "URL or token, no page or offset"
                                          : "no paging in the answer, but " + signals.front()});
    if (!signals.empty())
      p.warnings.push_back("the answer may be capped: " + signals.front() +
                           ", and it shows no paging; an API with a default page size answers "
                           "at most that many records: configure pagination (docs/paging.md), "
                           "then run tsync check");
  } else {
    p.findings.push_back({"pagination", read.sureness, read.seen});
  }
  p.params = std::move(params);
  return p;
}

std::vector<FieldSummary> summarize_fields(const rapidjson::Value& records) {
  std::vector<FieldSummary> out;
  if (!records.IsArray()) return out;
  struct Kinds {
    bool integer = false, real = false, text = false, json = false, boolean = false;
    bool all_timestamps = true;
    std::int64_t texts = 0;
  };
  std::vector<Kinds> kinds;
  for (const auto& record : records.GetArray()) {
    if (!record.IsObject()) continue;
    for (const auto& m : record.GetObject()) {
      const std::string name(m.name.GetString(), m.name.GetStringLength());
      auto it = std::find_if(out.begin(), out.end(), [&](const FieldSummary& f) { return f.name == name; });
      if (it == out.end()) {
        out.push_back({name, "", 0, false});
        kinds.emplace_back();
        it = out.end() - 1;
      }
      Kinds& k = kinds[static_cast<std::size_t>(it - out.begin())];
      ++it->present;
      const auto& v = m.value;
      if (v.IsNull()) continue;
      if (v.IsBool()) k.boolean = true;
      else if (v.IsInt64() || v.IsUint64()) k.integer = true;
      else if (v.IsNumber()) k.real = true;
      else if (v.IsString()) {
        k.text = true;
        ++k.texts;
        if (!parse_timestamp(std::string_view(v.GetString(), v.GetStringLength())))
          k.all_timestamps = false;
      } else {
        k.json = true;
      }
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    const Kinds& k = kinds[i];
    std::vector<std::string> types;
    if (k.integer) types.push_back("INTEGER");
    if (k.real) types.push_back("REAL");
    if (k.boolean) types.push_back("INTEGER 0/1");
    if (k.text) types.push_back("TEXT");
    if (k.json) types.push_back("JSON text");
    std::string joined;
    for (const std::string& t : types) joined += (joined.empty() ? "" : " or ") + t;
    out[i].stored_as = joined.empty() ? "NULL only" : joined;
    out[i].timestamps = k.texts > 0 && k.all_timestamps && !k.integer && !k.real && !k.json &&
                        !k.boolean;
  }
  return out;
}

std::int64_t duplicate_keys(const rapidjson::Value& records,
                            const std::vector<std::string>& key_fields, std::int64_t& missing) {
  missing = 0;
  std::unordered_set<std::string> seen;
  std::int64_t repeated = 0;
  if (!records.IsArray()) return 0;
  for (const auto& record : records.GetArray()) {
    if (!record.IsObject()) {
      ++missing;
      continue;
    }
    std::string key;
    bool whole = true;
    for (const std::string& field : key_fields) {
      const auto m = record.FindMember(field.c_str());
      if (m == record.MemberEnd() || m->value.IsNull()) {
        whole = false;
        break;
      }
      key += json_text(m->value);
      key += '\x1f';
    }
    if (!whole) {
      ++missing;
      continue;
    }
    if (!seen.insert(key).second) ++repeated;
  }
  return repeated;
}

std::string path_json(const JsonPath& path) {
  const bool dotted = std::any_of(path.begin(), path.end(), [](const std::string& key) {
    return key.find('.') != std::string::npos;
  });
  if (!dotted) {
    std::string joined;
    for (const std::string& key : path) joined += (joined.empty() ? "" : ".") + key;
    return json_quoted(joined);
  }
  std::string out = "[";
  for (const std::string& key : path) out += (out.size() > 1 ? ", " : "") + json_quoted(key);
  return out + "]";
}

std::string pagination_json(const Pagination& pg) {
  std::string out = "{\"type\": " + json_quoted(paging_type_name(pg.type));
  auto add = [&](const char* key, const std::string& json) {
    out += ", ";
    out += json_quoted(key);
    out += ": ";
    out += json;
  };
  switch (pg.type) {
    case PagingType::None:
    case PagingType::Since:
    case PagingType::LinkHeader:
      break;
    case PagingType::NextUrl:
      add("path", path_json(pg.path));
      break;
    case PagingType::Token:
      add("path", path_json(pg.path));
      add("param", json_quoted(pg.param));
      if (!pg.has_more_path.empty()) add("has_more_path", path_json(pg.has_more_path));
      if (!pg.repeat_since) add("repeat_since", "false");
      break;
    case PagingType::LastRecord:
      add("field", json_quoted(pg.field));
      add("param", json_quoted(pg.param));
      if (!pg.has_more_path.empty()) add("has_more_path", path_json(pg.has_more_path));
      if (!pg.repeat_since) add("repeat_since", "false");
      break;
    case PagingType::Offset:
      add("param", json_quoted(pg.param));
      add("limit_param", json_quoted(pg.limit_param));
      add("limit", std::to_string(pg.limit));
      if (!pg.total_path.empty()) add("total_path", path_json(pg.total_path));
      if (!pg.repeat_since) add("repeat_since", "false");
      break;
    case PagingType::Page:
      add("param", json_quoted(pg.param));
      add("size_param", json_quoted(pg.size_param));
      add("size", std::to_string(pg.size));
      if (pg.first != 1) add("first", std::to_string(pg.first));
      if (!pg.total_pages_path.empty()) add("total_pages_path", path_json(pg.total_pages_path));
      if (!pg.repeat_since) add("repeat_since", "false");
      break;
  }
  return out + "}";
}

}  // namespace tsync
