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
#include "discover/paging_read.hpp"
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

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void drop_param(Params& params, std::string_view name) {
  params.erase(std::remove_if(params.begin(), params.end(),
                              [&](const auto& p) { return p.first == name; }),
               params.end());
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

// A field that marks deleted records: a boolean named "deleted", or a time
// (or null) named "deletedAt", in every record that has it.
void find_delete_field(const rapidjson::Value* records, Proposal& p) {
  if (!records || records->Empty()) return;
  static constexpr std::array<std::string_view, 8> kNames = {
      "deleted", "is_deleted", "isDeleted", "_deleted", "deletedAt", "deleted_at",
      "deletedDateTime", "deleted_on"};
  for (const std::string_view name : kNames) {
    std::int64_t present = 0;
    bool fits = true;
    for (const auto& record : records->GetArray()) {
      const auto m = record.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
      if (m == record.MemberEnd()) continue;
      ++present;
      const auto& v = m->value;
      const bool flag = name.find("At") == std::string_view::npos &&
                        name.find("_at") == std::string_view::npos &&
                        name.find("Time") == std::string_view::npos &&
                        name.find("_on") == std::string_view::npos;
      if (flag ? !v.IsBool()
               : !(v.IsNull() ||
                   (v.IsString() && parse_timestamp(std::string_view(v.GetString(), v.GetStringLength()))) ||
                   v.IsNumber()))
        fits = false;
    }
    if (present == 0 || !fits) continue;
    p.delete_field = std::string(name);
    p.findings.push_back({"delete_field", Sureness::Likely,
                          json_quoted(name) + " in " + plural(present, "record", "records") +
                              ": a record it marks is a tombstone, deleted in the replica"});
    return;
  }
}

// Whether the records carry `field` with `value` among their values.
bool holds_value(const rapidjson::Value* records, const char* field,
                 std::initializer_list<std::string_view> values) {
  if (!records) return false;
  for (const auto& record : records->GetArray()) {
    const auto m = record.FindMember(field);
    if (m == record.MemberEnd() || !m->value.IsString()) continue;
    const std::string_view v(m->value.GetString(), m->value.GetStringLength());
    for (const std::string_view want : values)
      if (v == want) return true;
  }
  return false;
}

// The API's own change token, when the answer shows one: Graph's delta link
// (or a next link of a /delta query), Google's sync token (or the page token
// of a calendar's events), Zendesk's cursor export.
std::optional<ChangeFeed> find_change_feed(const Response& response, const rapidjson::Value& root,
                                           const rapidjson::Value* records, Finding& f) {
  if (!root.IsObject()) return std::nullopt;
  const std::string path = split_query(response.url).base;
  const bool delta_path = contains(path, "/delta") || contains(path, "microsoft.graph.delta");
  ChangeFeed feed;
  if (root.HasMember("@odata.deltaLink") || (delta_path && root.HasMember("@odata.nextLink"))) {
    feed.type = FeedType::DeltaLink;
    feed.next_path = {"@odata.nextLink"};
    feed.end_path = {"@odata.deltaLink"};
    feed.removed_field = "@removed";
    f.sureness = root.HasMember("@odata.deltaLink") ? Sureness::Sure : Sureness::Likely;
    f.seen = root.HasMember("@odata.deltaLink")
                 ? "an \"@odata.deltaLink\": a Graph delta query, read next time from that link"
                 : "a delta query's \"@odata.nextLink\": its last page gives the delta link";
    return feed;
  }
  const auto kind = root.FindMember("kind");
  const bool events = kind != root.MemberEnd() && kind->value.IsString() &&
                      std::string_view(kind->value.GetString()).find("#events") !=
                          std::string_view::npos;
  if (root.HasMember("nextSyncToken") || (events && root.HasMember("nextPageToken"))) {
    feed.type = FeedType::SyncToken;
    feed.next_path = {"nextPageToken"};
    feed.page_param = "pageToken";
    feed.end_path = {"nextSyncToken"};
    feed.token_param = "syncToken";
    if (events || holds_value(records, "status", {"confirmed", "tentative", "cancelled"})) {
      feed.deleted_field = "status";
      feed.deleted_values = {"cancelled"};
    }
    f.sureness = root.HasMember("nextSyncToken") ? Sureness::Sure : Sureness::Likely;
    f.seen = root.HasMember("nextSyncToken")
                 ? "a \"nextSyncToken\": Google's sync token, sent as syncToken next time"
                 : "a calendar's events paged by \"nextPageToken\": the last page gives a sync "
                   "token";
    return feed;
  }
  if (root.HasMember("after_cursor") && root.HasMember("end_of_stream")) {
    feed.type = FeedType::CursorExport;
    feed.next_path = {"after_cursor"};
    feed.page_param = "cursor";
    feed.end_path = {"end_of_stream"};
    feed.start_param = "start_time";
    if (holds_value(records, "status", {"new", "open", "pending", "hold", "solved", "closed",
                                        "deleted"})) {
      feed.deleted_field = "status";
      feed.deleted_values = {"deleted"};
    }
    f.sureness = Sureness::Sure;
    f.seen = "\"after_cursor\" and \"end_of_stream\": an incremental cursor export, resumed "
             "from its cursor next time";
    return feed;
  }
  return std::nullopt;
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
  find_delete_field(records, p);
  drop_param(params, since.name);

  const PagingRead read = read_paging(response, params, doc, records, p.records_path);
  p.pagination = read.pagination;
  for (const std::string& owned : read.owned_params) drop_param(params, owned);
  Finding feed{"change_feed", Sureness::NotSeen, ""};
  p.change_feed = find_change_feed(response, doc, records, feed);
  if (p.change_feed) {
    // The feed's own pages and token: no pagination and no since to configure.
    p.findings.push_back({"pagination", read.sureness, read.seen + " (the change feed's pages)"});
    p.findings.push_back(std::move(feed));
    for (const char* own : {"$deltatoken", "$skiptoken", "pageToken", "syncToken", "cursor"})
      drop_param(params, own);
    drop_param(params, p.change_feed->start_param);
    if (p.change_feed->type == FeedType::CursorExport && !p.since_param.empty())
      p.change_feed->start_param = p.since_param;
    if (p.cursor_field.empty()) {
      // Records of a feed without a time of their own get the time they are read.
      p.warnings.erase(std::remove_if(p.warnings.begin(), p.warnings.end(),
                                      [](const std::string& w) {
                                        return w.rfind("no cursor field found", 0) == 0;
                                      }),
                       p.warnings.end());
      for (Finding& f : p.findings)
        if (f.key == "cursor_field")
          f.seen = "none needed: the feed's records get _tsync_read_at, the time they are read";
    }
  } else if (read.pagination.type == PagingType::None) {
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

}  // namespace tsync
