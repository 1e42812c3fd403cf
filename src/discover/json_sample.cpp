// SPDX-License-Identifier: Apache-2.0
#include "discover/json_sample.hpp"

#include <algorithm>
#include <unordered_set>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "source/url.hpp"

namespace tsync {

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

bool looks_like_url(const rapidjson::Value& v) {
  if (!v.IsString()) return false;
  const std::string_view s(v.GetString(), v.GetStringLength());
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0 ||
         (s.size() > 1 && (s[0] == '/' || s[0] == '?'));
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
