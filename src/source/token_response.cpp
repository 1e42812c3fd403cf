// SPDX-License-Identifier: Apache-2.0
#include "source/token_response.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/errors.hpp"
#include "source/auth.hpp"

namespace tsync {
namespace {

// The most characters of an answer quoted in a message.
constexpr std::size_t kQuotedAnswerChars = 300;

// The fields whose values a login or token endpoint's answer may hold as
// secrets, with the last key of the configured token path.
std::vector<std::string> secret_fields(const JsonPath& token_path = {}) {
  std::vector<std::string> names{"access_token", "refresh_token", "id_token", "token"};
  if (!token_path.empty()) names.push_back(token_path.back());
  return names;
}

// Adds the strings of `v`, at any depth, under a key named in `names` to `out`.
void collect_json_values(const rapidjson::Value& v, const std::vector<std::string>& names,
                         std::vector<std::string>& out) {
  if (v.IsArray()) {
    for (const auto& item : v.GetArray()) collect_json_values(item, names, out);
    return;
  }
  if (!v.IsObject()) return;
  for (const auto& m : v.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const bool named = std::any_of(names.begin(), names.end(), [&](const std::string& n) {
      return n.size() == key.size() &&
             std::equal(n.begin(), n.end(), key.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
    });
    if (named && m.value.IsString())
      out.emplace_back(m.value.GetString(), m.value.GetStringLength());
    collect_json_values(m.value, names, out);
  }
}

// `part` of a form-encoded text decoded ('+' a space, %XX a byte); nullopt for
// a bad escape.
std::optional<std::string> form_decoded(std::string_view part) {
  std::string out;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '+') {
      out.push_back(' ');
    } else if (part[i] != '%') {
      out.push_back(part[i]);
    } else {
      if (i + 2 >= part.size() || !std::isxdigit(static_cast<unsigned char>(part[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(part[i + 2])))
        return std::nullopt;
      out.push_back(static_cast<char>(std::stoi(std::string(part.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

// The fields of an application/x-www-form-urlencoded answer
// ("access_token=...&expires_in=5&token_type=bearer", as GitHub's OAuth
// endpoint answers unless asked for JSON); nullopt when `body` is not one.
std::optional<std::map<std::string, std::string>> form_fields(std::string_view body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  if (body.empty()) return std::nullopt;
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t end = std::min(body.find('&', start), body.size());
    const std::string_view item = body.substr(start, end - start);
    start = end + 1;
    if (item.empty()) continue;
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) return std::nullopt;
    for (const char c : item)
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '"') return std::nullopt;
    auto name = form_decoded(item.substr(0, equals));
    auto value = form_decoded(item.substr(equals + 1));
    if (!name || !value) return std::nullopt;
    fields.emplace(std::move(*name), std::move(*value));
  }
  return fields;
}

// The fields of a token answer in JSON: its top-level strings and numbers as
// text, other values as "" ("expires_in": true is then not a number).
std::map<std::string, std::string> json_fields(const rapidjson::Value& doc) {
  std::map<std::string, std::string> fields;
  for (const auto& m : doc.GetObject()) {
    std::string text;
    if (m.value.IsString()) {
      text.assign(m.value.GetString(), m.value.GetStringLength());
    } else if (m.value.IsNumber()) {
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
      m.value.Accept(writer);
      text = buffer.GetString();
    }
    fields.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), text);
  }
  return fields;
}

// What to do about a token endpoint's `error` (RFC 6749, section 5.2), naming
// the environment variables of `config` when given.
std::string refusal_hint(const std::string& error, const AuthConfig* config) {
  if (error == "invalid_grant")
    return "; the refresh token is no longer valid: get a new one and put it in " +
           (config && config->refresh_token ? "$" + config->refresh_token->env
                                            : std::string("the environment variable the "
                                                          "configuration names")) +
           " (and remove the credentials file if one was written)";
  if (error == "invalid_client")
    return config ? "; check the client id in $" + config->client_id.env +
                        " and the client secret in $" + config->client_secret.env
                  : "; check the client id and secret";
  return "";
}

std::string field(const std::map<std::string, std::string>& fields, const char* name) {
  const auto it = fields.find(name);
  return it == fields.end() ? "" : it->second;
}

}  // namespace

std::string text_at(const rapidjson::Value& doc, const JsonPath& path) {
  const rapidjson::Value* v = &doc;
  for (const std::string& key : path) {
    if (!v->IsObject()) return "";
    const auto it =
        v->FindMember(rapidjson::Value(key.c_str(), static_cast<rapidjson::SizeType>(key.size())));
    if (it == v->MemberEnd()) return "";
    v = &it->value;
  }
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  return "";
}

std::string quote_answer(std::string_view body, const Redactor& redactor,
                         const JsonPath& token_path) {
  const std::vector<std::string> names = secret_fields(token_path);
  Redactor masks = redactor;
  std::vector<std::string> values = field_values(body, names);
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError()) collect_json_values(doc, names, values);
  for (const std::string& value : values)
    if (value.size() >= Redactor::kMinSecretLength) masks.add_secret(value);
  std::string text = masks.redact(mask_field_values(body, names));
  for (char& c : text)
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  if (text.size() > kQuotedAnswerChars) {
    text.resize(kQuotedAnswerChars);
    // A mask cut in two would look like part of the answer.
    const std::size_t mask = text.rfind('[');
    if (mask != std::string::npos && text.find(']', mask) == std::string::npos &&
        std::string_view(Redactor::kMask).substr(0, text.size() - mask) == text.substr(mask))
      text.resize(mask);
    text += "...";
  }
  return text;
}

TokenResponse parse_token_response(std::string_view body, long status, const std::string& token_url,
                                   const Redactor& redactor, std::string_view content_type,
                                   const AuthConfig* config) {
  const std::string where =
      "POST " + redactor.redact(redact_url(token_url)) + ": HTTP " + std::to_string(status);
  std::map<std::string, std::string> fields;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  const bool form_type = content_type.substr(0, 33) == "application/x-www-form-urlencoded";
  if (!doc.HasParseError() && doc.IsObject()) {
    fields = json_fields(doc);
  } else if (auto form = form_fields(body);
             form && (form_type || form->count("access_token") || form->count("error"))) {
    fields = std::move(*form);
  } else {
    throw PermanentError(where + ": the token endpoint's answer is neither a JSON object nor " +
                         "form-encoded" +
                         (body.empty() ? "" : ": " + quote_answer(body, redactor)));
  }
  // Texts of the answer pass through quote_answer: a token may hide in any of them.
  const auto quoted = [&](const std::string& text) { return quote_answer(text, redactor); };
  Redactor masks = redactor;
  for (const char* name : {"access_token", "refresh_token", "id_token"})
    if (field(fields, name).size() >= Redactor::kMinSecretLength)
      masks.add_secret(field(fields, name));
  const std::string error = field(fields, "error");
  if (!error.empty() || status < 200 || status >= 300) {
    const std::string description = field(fields, "error_description");
    throw PermanentError(
        where +
        ": the token endpoint refused: " + masks.redact(error.empty() ? "?" : quoted(error)) +
        (description.empty() ? "" : " (" + masks.redact(quoted(description)) + ")") +
        refusal_hint(error, config));
  }
  TokenResponse out;
  out.access_token = field(fields, "access_token");
  if (out.access_token.empty())
    throw PermanentError(where + ": the token endpoint's answer has no access_token");
  if (fields.count("expires_in")) {
    try {
      std::size_t used = 0;
      const std::string text = field(fields, "expires_in");
      out.expires_in = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument("trailing text");
    } catch (const std::exception&) {
      throw PermanentError(where + ": expires_in is not a number");
    }
    if (!(*out.expires_in > 0))
      throw PermanentError(where + ": expires_in is not a positive number of seconds");
  }
  const std::string refresh = field(fields, "refresh_token");
  if (!refresh.empty()) out.refresh_token = refresh;
  return out;
}

}  // namespace tsync
