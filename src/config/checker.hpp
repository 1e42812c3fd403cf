// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the readers of configuration.json's sections share: the key lists they
// check against, a Checker that reads one object's values and names the key in
// its errors, and readers of values several sections take (URLs, secrets from
// the environment, lists of names, paths into a JSON body). Internal to
// src/config/.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "config/config.hpp"
#include "source/pagination.hpp"

namespace tsync::config_detail {

// The keys one object of configuration.json accepts (config/keys.cpp);
// configuration_keys() lists the same arrays.
using KeyList = std::span<const std::string_view>;
extern const KeyList kTopLevelKeys;
extern const KeyList kStreamKeys;
extern const KeyList kAuthKeys;
extern const KeyList kPaginationKeys;
extern const KeyList kChangeFeedKeys;

// Reads the values of one JSON object whose errors start with `origin` ("cfg.json:
// stream \"a\""): each reader gives nullopt when the key is absent and throws
// ConfigError naming the key when its value is of the wrong type or range.
class Checker {
 public:
  Checker(const rapidjson::Value& object, const std::string& origin)
      : object_(object), origin_(origin) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const rapidjson::Value* find(const char* key) const;
  // A non-empty string.
  std::optional<std::string> text(const char* key) const;
  // A number within [min, max].
  std::optional<double> number(const char* key, double min, double max) const;
  // A whole number within [min, max].
  std::optional<long long> whole(const char* key, long long min, long long max) const;

 private:
  const rapidjson::Value& object_;
  const std::string& origin_;
};

// Throws ConfigError, "`where`: unknown key ...", for the first key of `object`
// not in `known`.
void check_keys(const rapidjson::Value& object, KeyList known, const std::string& where);

// A type an object with a "type" key (auth, pagination) may have, and the keys
// it takes besides "type": every one of `required`, any of `optional`, no other.
template <class Type>
struct TypeKeys {
  const char* name;
  Type type;
  std::vector<const char*> required;
  std::vector<const char*> optional;
};

// Checks the object `v`, whose errors start with `where`: an object of the
// keys `known` whose "type" is one of `names` (`kind` says what they are: "a
// paging type"). Gives the index of its type in `names`.
std::size_t type_index(const rapidjson::Value& v, const std::string& where, KeyList known,
                       const std::vector<const char*>& names, const char* kind);

// Throws ConfigError naming the first key of `v` that type `type` does not take,
// or the first it requires that `v` lacks.
void check_type_keys(const rapidjson::Value& v, const Checker& c, const std::string& type,
                     const std::vector<const char*>& required,
                     const std::vector<const char*>& optional);

// Reads the type of the object `v` with a "type" key, one of `types`: refuses
// a value that is not an object, a key not in `known`, a missing or unknown
// type and a key its type does not take.
template <class Type>
const TypeKeys<Type>& read_type(const rapidjson::Value& v, const std::string& where, KeyList known,
                                std::span<const TypeKeys<Type>> types, const char* kind) {
  std::vector<const char*> names;
  for (const TypeKeys<Type>& t : types) names.push_back(t.name);
  const TypeKeys<Type>& t = types[type_index(v, where, known, names, kind)];
  check_type_keys(v, Checker(v, where), t.name, t.required, t.optional);
  return t;
}

// Checks that `url`, the value of `key`, is an http or https URL with a host
// and no query, fragment, space or control character.
void check_url(const Checker& c, const char* key, const std::string& url);

// The value of environment variable `name`, which must hold a secret; with
// Secrets::IfSet, "" when it is not set or too short to be one.
std::string secret_from_env(const Checker& c, const char* key, const std::string& name,
                            const std::string& what, Secrets secrets);

// Whether `ch` may stand in an HTTP header name (RFC 9110's tchar).
bool is_token_char(char ch);

// A name or a list of distinct, non-empty names, at `key` (which must be present).
std::vector<std::string> string_list(const Checker& c, const char* key);

// A key that holds a path into a JSON body (present): "a.b.c", or a list of
// keys for names that hold a dot (["@odata.nextLink"]).
JsonPath read_json_path(const Checker& c, const char* key);

}  // namespace tsync::config_detail
