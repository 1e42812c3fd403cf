// SPDX-License-Identifier: Apache-2.0
#include "discover/check.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <unordered_set>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "discover/fetch.hpp"
#include "replica/columns.hpp"
#include "source/url.hpp"
#include "sync/chain.hpp"
#include "sync/change_feed.hpp"
#include "sync/partitions.hpp"
#include "sync/request.hpp"

namespace tsync {
namespace {

std::string records_word(std::int64_t n) {
  return std::to_string(n) + (n == 1 ? " record" : " records");
}

FieldValue field_value(const std::string& name, const rapidjson::Value& v) {
  FieldValue f;
  f.name = name;
  if (v.IsNull()) {
    f.kind = ValueKind::Null;
  } else if (v.IsString()) {
    f.kind = ValueKind::String;
    f.text.assign(v.GetString(), v.GetStringLength());
  } else if (v.IsBool()) {
    f.kind = ValueKind::Bool;
    f.text = v.GetBool() ? "true" : "false";
  } else if (v.IsInt64() || v.IsUint64()) {
    f.kind = ValueKind::Integer;
    f.text = json_text(v);
  } else if (v.IsNumber()) {
    f.kind = ValueKind::Real;
    f.text = json_text(v);
  } else {
    f.kind = ValueKind::Json;
    f.text = json_text(v);
  }
  return f;
}

JsonPath dotted(const std::string& path) {
  JsonPath out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    out.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return out;
    start = dot + 1;
  }
}

// Checks the streams of one configuration; keeps each stream's first record
// for the children whose placeholders it fills.
class Checker {
 public:
  explicit Checker(const Config& config) : config_(config) {}

  CheckReport check(const StreamConfig& configured);

 private:
  Authenticator* auth_for(const StreamConfig& stream);
  Response get(const StreamConfig& stream, const std::string& url, CheckReport& report);
  // The stream as its first request asks it: a child with its first
  // partition's values (the parent's first record, or the first fixed one).
  StreamConfig as_first_partition(const StreamConfig& stream, CheckReport& report);
  const rapidjson::Value* first_record(const StreamConfig& stream, CheckReport& report);
  // Keeps the first of `records` (with the stream's partition columns) for
  // the children of `stream`.
  void remember(const StreamConfig& stream, const rapidjson::Value* records);
  void inspect(const StreamConfig& stream, Pager& pager, const Response& answer,
               CheckReport& report);
  void check_cursor(const StreamConfig& stream, const rapidjson::Value& records,
                    CheckReport& report, std::optional<Instant>& newest);
  // A change feed's first answer says how the read goes on: a next page or
  // the token for next time.
  void check_feed(const StreamConfig& stream, const rapidjson::Document& body,
                  CheckReport& report);
  void check_paging(const StreamConfig& stream, Pager& pager, const Response& answer,
                    const rapidjson::Document& body, const rapidjson::Value* records,
                    CheckReport& report);
  // Asks from the newest cursor of the first answer; returns the records
  // newer than it (-1 when the answer holds no records array).
  std::int64_t probe_since(const StreamConfig& stream, Instant newest, CheckReport& report);
  std::string capped_signal_;  // the first answer's sign of a cap, unpaged

  const Config& config_;
  HttpSession session_;
  std::map<const AuthConfig*, std::shared_ptr<Authenticator>> auths_;
  std::map<std::string, rapidjson::Document> samples_;  // stream name: its first record
};

Authenticator* Checker::auth_for(const StreamConfig& stream) {
  if (!stream.auth) return nullptr;
  auto& slot = auths_[stream.auth.get()];
  if (!slot) slot = make_authenticator(config_, stream);
  return slot.get();
}

Response Checker::get(const StreamConfig& stream, const std::string& url, CheckReport& report) {
  FetchCounts counts;
  try {
    Response answer = fetch_answer(config_, stream, auth_for(stream), session_, url, counts);
    report.requests += counts.requests;
    return answer;
  } catch (...) {
    report.requests += std::max<std::int64_t>(counts.requests, 1);
    throw;
  }
}

void Checker::remember(const StreamConfig& stream, const rapidjson::Value* records) {
  if (samples_.count(stream.name)) return;
  rapidjson::Document record;
  if (records && records->IsArray() && !records->Empty() && (*records)[0].IsObject()) {
    record.CopyFrom((*records)[0], record.GetAllocator());
    // A child's rows also hold its partition's columns, which its own
    // children's placeholders may name.
    auto& a = record.GetAllocator();
    for (const FieldValue& f : stream.added_fields) {
      rapidjson::Value value;
      if (f.kind == ValueKind::String) {
        value.SetString(f.text.c_str(), static_cast<rapidjson::SizeType>(f.text.size()), a);
      } else if (f.kind != ValueKind::Null) {
        rapidjson::Document parsed(&a);
        parsed.Parse(f.text.c_str(), f.text.size());
        if (!parsed.HasParseError()) value.CopyFrom(parsed, a);
      }
      record.RemoveMember(f.name.c_str());
      record.AddMember(rapidjson::Value(f.name.c_str(), a), value, a);
    }
  }
  samples_.emplace(stream.name, std::move(record));
}

const rapidjson::Value* Checker::first_record(const StreamConfig& stream, CheckReport& report) {
  if (!samples_.count(stream.name)) {
    CheckReport scratch;
    const StreamConfig first = as_first_partition(stream, scratch);
    const Pager pager = make_pager(first, Cursor(first.first_cursor(), kEpochStart));
    const Response answer = get(first, pager.first_url(), report);
    const rapidjson::Document body = parse_body(answer.body, answer.url);
    remember(first, value_at(body, first.records_path));
  }
  const rapidjson::Document& record = samples_.at(stream.name);
  return record.IsObject() ? &record : nullptr;
}

StreamConfig Checker::as_first_partition(const StreamConfig& stream, CheckReport& report) {
  const PartitionSettings& p = stream.partitions;
  if (!p.partitioned()) return stream;
  std::vector<FieldValue> values;
  if (!p.fixed.empty()) {
    for (const std::string& ref : p.refs) {
      FieldValue f;
      f.name = ref;
      f.kind = ValueKind::String;
      for (const auto& [name, value] : p.fixed.front())
        if (name == ref) f.text = value;
      values.push_back(std::move(f));
    }
    report.notes.push_back("asked for the first partition of the fixed list");
  } else {
    const StreamConfig* parent = config_.find_stream(p.parent);
    const rapidjson::Value* record = parent ? first_record(*parent, report) : nullptr;
    if (!record)
      throw PermanentError("the parent stream \"" + p.parent +
                           "\" answered no record from its first cursor, so no partition of \"" +
                           stream.name + "\" can be asked for");
    for (const std::string& ref : p.refs) {
      const rapidjson::Value* v = value_at(*record, dotted(ref));
      if (!v || v->IsNull())
        throw PermanentError("the parent stream \"" + p.parent + "\"'s first record has no " +
                             json_quoted(ref) + " for the partition's placeholders");
      values.push_back(field_value(ref, *v));
    }
    report.notes.push_back("asked for the partition of the parent \"" + p.parent +
                           "\"'s first record");
  }
  std::string packed;
  Partition::pack(packed, "[]", "", std::nullopt, values);
  return partition_stream(stream, Partition(packed));
}

std::string stored_as(const StreamConfig& stream, const FieldSummary& f) {
  for (const auto& [name, type] : stream.columns)
    if (same_column_name(name, f.name)) return std::string(column_type_name(type)) + " (declared)";
  return f.stored_as + (f.timestamps ? " (timestamps)" : "");
}

void Checker::check_cursor(const StreamConfig& stream, const rapidjson::Value& records,
                           CheckReport& report, std::optional<Instant>& newest) {
  std::int64_t missing = 0, unreadable = 0;
  std::string example;
  std::optional<Instant> oldest;
  for (const auto& record : records.GetArray()) {
    const auto m = record.FindMember(stream.cursor_field.c_str());
    if (m == record.MemberEnd() || m->value.IsNull()) {
      ++missing;
      continue;
    }
    const auto instant = cursor_instant(m->value, stream.cursor_format);
    if (!instant) {
      if (unreadable++ == 0) example = json_text(m->value).substr(0, 60);
      continue;
    }
    if (!oldest || *instant < *oldest) oldest = instant;
    if (!newest || *instant > *newest) newest = instant;
  }
  const std::string field = "cursor_field " + json_quoted(stream.cursor_field);
  const std::string of = " of " + std::to_string(records.Size());
  if (missing > 0)
    report.problems.push_back(field + ": missing or null in " + records_word(missing) + of +
                              " (a sync rejects them)");
  if (unreadable > 0)
    report.problems.push_back(field + ": not " +
                              std::string(cursor_format_name(stream.cursor_format)) + " in " +
                              records_word(unreadable) + of + " (" + example +
                              "; check cursor_format)");
  if (oldest) {
    report.cursor_min = format_utc(*oldest);
    report.cursor_max = format_utc(*newest);
    report.notes.push_back(field + ": from " + format_compact(*oldest) + " to " +
                           format_compact(*newest));
  }
}

void Checker::check_feed(const StreamConfig& stream, const rapidjson::Document& body,
                         CheckReport& report) {
  const ChangeFeed& feed = *stream.change_feed;
  report.paging_configured = std::string("change_feed ") + feed_type_name(feed.type);
  report.since = "change token";
  const rapidjson::Value* next = value_at(body, feed.next_path);
  const rapidjson::Value* end = value_at(body, feed.end_path);
  const bool has_next = next && next->IsString() && next->GetStringLength() > 0;
  const bool has_end = end && !end->IsNull();
  const std::string what = "change_feed " + std::string(feed_type_name(feed.type)) + ": ";
  if (feed.type == FeedType::CursorExport) {
    if (!has_next)
      report.problems.push_back(what + "the answer has no cursor at " +
                                describe_path(feed.next_path) + " (cursor_path)");
    else
      report.notes.push_back(what + "a cursor at " + describe_path(feed.next_path) +
                             (end && end->IsBool() && end->GetBool()
                                  ? ", and the export has reached the present"
                                  : ", and more to read"));
    return;
  }
  if (has_next)
    report.notes.push_back(what + "a next page at " + describe_path(feed.next_path));
  else if (has_end)
    report.notes.push_back(what + "one page, and the token for next time at " +
                           describe_path(feed.end_path));
  else
    report.problems.push_back(what + "the answer has neither " + describe_path(feed.next_path) +
                              " nor " + describe_path(feed.end_path) +
                              ": the feed could not go on nor say what to ask next time");
}

void Checker::check_paging(const StreamConfig& stream, Pager& pager, const Response& answer,
                           const rapidjson::Document& body, const rapidjson::Value* records,
                           CheckReport& report) {
  const Pagination& configured = stream.pagination;
  const Proposal seen = detect(answer, stream.since_param);
  report.paging_configured = configured.type == PagingType::None ? "none"
                                                                 : paging_type_name(configured.type);
  report.paging_seen =
      seen.pagination.type == PagingType::None ? "none" : paging_type_name(seen.pagination.type);
  const std::int64_t n = records ? records->Size() : 0;
  if (!configured.paged()) {
    const std::vector<std::string> signals = paging_signals(answer, body, n);
    if (seen.pagination.paged())
      report.problems.push_back(
          "pagination: " +
          std::string(configured.type == PagingType::None ? "none is configured"
                                                          : "\"since\" is configured") +
          ", but the answer is paged (" + seen.findings.back().seen +
          "): a sync would read the first page only; configure pagination (docs/paging.md): " +
          pagination_json(seen.pagination));
    else if (configured.type == PagingType::None && !signals.empty())
      capped_signal_ = signals.front();  // weighed once the since probe has answered
    return;
  }
  if (seen.pagination.paged() && seen.pagination.type != configured.type)
    report.problems.push_back("pagination: " + std::string(paging_type_name(configured.type)) +
                              " is configured, but the answer shows " +
                              paging_type_name(seen.pagination.type) + " (" +
                              seen.findings.back().seen + ")");
  // The second page, as a sync would ask for it.
  PageFacts facts;
  for (const auto& [name, value] : answer.headers)
    if (name == "link") facts.link_headers.push_back(value);
  for (const JsonPath& path : pager.capture_paths()) {
    const rapidjson::Value* v = value_at(body, path);
    facts.values.push_back(v ? std::optional(field_value(path.back(), *v)) : std::nullopt);
  }
  facts.records = n;
  if (records && n > 0 && !configured.field.empty()) {
    const rapidjson::Value& last = (*records)[static_cast<rapidjson::SizeType>(n - 1)];
    const auto m = last.FindMember(configured.field.c_str());
    if (m != last.MemberEnd() && !m->value.IsNull())
      facts.last_value = field_value(configured.field, m->value).text;
  }
  std::optional<std::string> next;
  try {
    next = pager.next(answer.url, facts, false);
  } catch (const Error& e) {
    report.problems.push_back(e.what());
    return;
  }
  if (!next) {
    report.notes.push_back("pagination " + report.paging_configured +
                           ": the first page is the last");
    if (configured.type != PagingType::LinkHeader && n > 0 &&
        !paging_signals(answer, body, n).empty() && seen.pagination.type == PagingType::None)
      report.problems.push_back("pagination: the configured paths find no next page, but " +
                                paging_signals(answer, body, n).front());
    return;
  }
  const Response second = get(stream, *next, report);
  const rapidjson::Document body2 = parse_body(second.body, second.url);
  const rapidjson::Value* records2 = value_at(body2, stream.records_path);
  const std::int64_t n2 = records2 && records2->IsArray() ? records2->Size() : 0;
  report.second_page = n2;
  std::int64_t repeated = 0;
  if (records && records2 && records2->IsArray() && n2 > 0) {
    std::unordered_set<std::string> first_keys;
    auto key_of = [&](const rapidjson::Value& r) {
      std::string key;
      for (const std::string& f : stream.primary_key) {
        const auto m = r.FindMember(f.c_str());
        key += (m == r.MemberEnd() ? "null" : json_text(m->value)) + "\x1f";
      }
      return key;
    };
    for (const auto& r : records->GetArray())
      if (r.IsObject()) first_keys.insert(key_of(r));
    for (const auto& r : records2->GetArray())
      if (r.IsObject() && first_keys.count(key_of(r))) ++repeated;
  }
  if (n2 > 0 && repeated == n2)
    report.problems.push_back("pagination: the second page (" + redact_url(second.url) +
                              ") repeats the first page's records: the API does not take the "
                              "paging parameter the configuration sends");
  else
    report.notes.push_back("pagination " + report.paging_configured + ": the second page holds " +
                           records_word(n2));
}

std::int64_t Checker::probe_since(const StreamConfig& stream, Instant newest,
                                  CheckReport& report) {
  const std::string since = format_cursor(stream.cursor_format, newest);
  Cursor from(since, newest);
  StreamConfig probe = stream;
  probe.lookback_seconds = 0;
  const Pager pager = make_pager(probe, from);
  const Response answer = get(stream, pager.first_url(), report);
  const rapidjson::Document body = parse_body(answer.body, answer.url);
  const rapidjson::Value* records = value_at(body, stream.records_path);
  if (!records || !records->IsArray()) return -1;
  std::int64_t older = 0, same = 0, newer = 0;
  for (const auto& r : records->GetArray()) {
    if (!r.IsObject()) continue;
    const auto m = r.FindMember(stream.cursor_field.c_str());
    if (m == r.MemberEnd()) continue;
    const auto instant = cursor_instant(m->value, stream.cursor_format);
    if (instant && *instant < newest) ++older;
    if (instant && *instant == newest) ++same;
    if (instant && *instant > newest) ++newer;
  }
  const std::string asked = "asked from the newest cursor, " + stream.since_param + "=" + since;
  if (older > 0) {
    report.since = "ignored";
    report.problems.push_back(
        "since_param " + json_quoted(stream.since_param) + ": " + asked + ", the API answered " +
        records_word(older) + " older than that: it does not filter on " + stream.since_param +
        ", so every run would read every record (find the API's filter parameter, or set "
        "since_param to null to say so)");
  } else {
    report.since = same > 0 ? "filters, at or after" : "filters, after";
    report.notes.push_back("since_param " + json_quoted(stream.since_param) + ": " + asked +
                           ", the API answered " + records_word(records->Size()) +
                           (same > 0 ? ", none older (it filters: at or after)"
                                     : ", none older (it filters: strictly after)"));
  }
  return newer;
}

void Checker::inspect(const StreamConfig& stream, Pager& pager, const Response& answer,
                      CheckReport& report) {
  const rapidjson::Document body = parse_body(answer.body, answer.url);
  const rapidjson::Value* records = value_at(body, stream.records_path);
  const std::string where =
      "records_path " + (stream.records_path.empty() ? std::string("\"\"") : path_json(stream.records_path));
  Proposal seen;
  try {
    seen = detect(answer, stream.since_param);
  } catch (const Error&) {
  }
  const std::string hint =
      seen.records_path && *seen.records_path != stream.records_path
          ? " (the records seem to be at " +
                (seen.records_path->empty() ? std::string("\"\"") : path_json(*seen.records_path)) +
                ": set records_path to that)"
          : "";
  if (!records) {
    report.problems.push_back(where + ": the answer has no such path" + hint);
    return;
  }
  if (!records->IsArray()) {
    const char* kind = records->IsObject()   ? "an object"
                       : records->IsString() ? "a string"
                       : records->IsNumber() ? "a number"
                       : records->IsNull()   ? "null"
                                             : "true or false";
    report.problems.push_back(where + ": holds " + kind + ", not an array of records" + hint);
    return;
  }
  for (const auto& r : records->GetArray())
    if (!r.IsObject()) {
      report.problems.push_back(where + ": the array holds " + json_text(r).substr(0, 40) +
                                ", not only objects" + hint);
      return;
    }
  report.records = records->Size();
  remember(stream, records);
  report.notes.push_back(where + ": " + records_word(report.records));
  report.fields = summarize_fields(*records);
  for (FieldSummary& f : report.fields) f.stored_as = stored_as(stream, f);
  for (const FieldValue& added : stream.added_fields)
    report.fields.push_back({added.name, "from the partition", report.records, false});

  std::optional<Instant> newest;
  if (report.records > 0) {
    // A feed's records without a time of their own get one as they are read.
    if (stream.cursor_field != kFeedReadAt) check_cursor(stream, *records, report, newest);
    std::int64_t missing = 0;
    std::vector<std::string> key = stream.primary_key;
    key.erase(std::remove_if(key.begin(), key.end(),
                             [&](const std::string& k) {
                               return std::any_of(stream.added_fields.begin(),
                                                  stream.added_fields.end(),
                                                  [&](const FieldValue& f) { return f.name == k; });
                             }),
              key.end());
    const std::int64_t duplicates = key.empty() ? 0 : duplicate_keys(*records, key, missing);
    std::string named;
    for (const std::string& k : stream.primary_key) named += (named.empty() ? "" : ", ") + k;
    if (missing > 0)
      report.problems.push_back("primary_key (" + named + "): missing or null in " +
                                records_word(missing) + " of " + std::to_string(report.records) +
                                " (a sync rejects them)");
    if (duplicates > 0)
      report.problems.push_back(
          "primary_key (" + named + "): not unique within a page: " + records_word(duplicates) +
          " repeat a key of an earlier one, and a sync keeps only the last of each; name the "
          "fields that tell the records apart");
  } else {
    report.notes.push_back("no records from the first cursor: the cursor field and key are not "
                           "checked");
  }

  if (stream.change_feed) {
    check_feed(stream, body, report);
    return;
  }
  check_paging(stream, pager, answer, body, records, report);

  std::int64_t newer = -1;
  if (stream.since_param.empty()) {
    report.since = "none";
    report.notes.push_back("since_param is null: every run reads every record");
  } else if (newest && stream.window_seconds == 0) {
    newer = probe_since(stream, *newest, report);
  }
  if (!capped_signal_.empty()) {
    if (newer > 0)
      report.problems.push_back("the answer is capped: " + capped_signal_ +
                                ", and asked from its newest cursor the API answered " +
                                records_word(newer) +
                                " newer still; configure pagination (docs/paging.md)");
    else if (stream.since_param.empty())
      report.problems.push_back("the answer may be capped: " + capped_signal_ +
                                ", no paging is configured and since_param is null, so a sync "
                                "reads this one answer only; configure pagination "
                                "(docs/paging.md)");
    else if (newer == 0)
      report.notes.push_back("pagination none: " + capped_signal_ +
                             ", but nothing is newer than its newest cursor: the answer is whole");
    capped_signal_.clear();
  }
}

CheckReport Checker::check(const StreamConfig& configured) {
  CheckReport report;
  report.stream = configured.name;
  try {
    const StreamConfig stream = as_first_partition(configured, report);
    std::optional<Window> window;
    const Cursor first(stream.first_cursor(),
                       parse_cursor(stream.cursor_format, stream.first_cursor()).value_or(kEpochStart));
    if (stream.window_seconds > 0) {
      Window w{first.instant, first.instant};
      w.end.seconds += stream.window_seconds;
      window = w;
    }
    Pager pager = make_pager(stream, first, window);
    const std::string url = stream.change_feed ? feed_first_request(stream) : pager.first_url();
    report.url = config_.redactor->redact(redact_url(url));
    const Response answer = get(stream, url, report);
    report.notes.insert(report.notes.begin(), "GET " + report.url + ": HTTP " +
                                                  std::to_string(answer.status) + ", " +
                                                  std::to_string(answer.body.size()) + " bytes");
    inspect(stream, pager, answer, report);
  } catch (const Interrupted&) {
    throw;
  } catch (const Error& e) {
    report.problems.push_back(config_.redactor->redact(e.what()));
  }
  return report;
}

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& s : items) out += (out.size() > 1 ? "," : "") + json_quoted(s);
  return out + "]";
}

}  // namespace

std::vector<CheckReport> check_streams(const Config& config, const std::vector<std::string>& names) {
  std::vector<const StreamConfig*> chosen;
  for (const StreamConfig& s : config.streams)
    if (names.empty() || std::find(names.begin(), names.end(), s.name) != names.end())
      chosen.push_back(&s);
  for (const std::string& name : names)
    if (!config.find_stream(name))
      throw ConfigError("--stream " + json_quoted(name) + ": no such stream in the configuration");
  Checker checker(config);
  std::vector<CheckReport> reports;
  for (const StreamConfig* s : parents_first(chosen)) reports.push_back(checker.check(*s));
  return reports;
}

std::string check_text(const CheckReport& r) {
  std::string out = "stream \"" + r.stream + "\"\n";
  // The fields follow the line that counts the records.
  std::size_t fields_after = r.notes.size();
  for (std::size_t i = 0; i < r.notes.size(); ++i)
    if (r.notes[i].rfind("records_path ", 0) == 0) fields_after = i + 1;
  for (std::size_t i = 0; i < fields_after; ++i) out += "  " + r.notes[i] + "\n";
  if (!r.fields.empty()) {
    out += "  fields:";
    std::string line;
    for (const FieldSummary& f : r.fields) {
      const std::string item = " " + f.name + " " + f.stored_as;
      if (line.size() + item.size() > 72) {
        out += line + "\n         ";
        line.clear();
      }
      line += (line.empty() ? "" : ",") + item;
    }
    out += line + "\n";
  }
  for (std::size_t i = fields_after; i < r.notes.size(); ++i) out += "  " + r.notes[i] + "\n";
  for (const std::string& p : r.problems) out += "  problem: " + p + "\n";
  out += r.ok() ? "  ok\n"
                : "  " + std::to_string(r.problems.size()) +
                      (r.problems.size() == 1 ? " problem\n" : " problems\n");
  return out;
}

std::string check_json(const CheckReport& r) {
  std::string out = "{\"stream\":" + json_quoted(r.stream) + ",\"ok\":" + (r.ok() ? "true" : "false") +
                    ",\"url\":" + json_quoted(r.url) + ",\"requests\":" + std::to_string(r.requests) +
                    ",\"records\":" + std::to_string(r.records);
  out += ",\"second_page_records\":" + (r.second_page ? std::to_string(*r.second_page) : "null");
  out += ",\"fields\":[";
  for (std::size_t i = 0; i < r.fields.size(); ++i)
    out += std::string(i ? "," : "") + "{\"name\":" + json_quoted(r.fields[i].name) +
           ",\"stored_as\":" + json_quoted(r.fields[i].stored_as) + "}";
  out += "],\"cursor_min\":" + (r.cursor_min.empty() ? "null" : json_quoted(r.cursor_min)) +
         ",\"cursor_max\":" + (r.cursor_max.empty() ? "null" : json_quoted(r.cursor_max)) +
         ",\"pagination_configured\":" + json_quoted(r.paging_configured) +
         ",\"pagination_seen\":" + json_quoted(r.paging_seen) + ",\"since\":" + json_quoted(r.since) +
         ",\"notes\":" + json_list(r.notes) + ",\"problems\":" + json_list(r.problems) + "}";
  return out;
}

}  // namespace tsync
