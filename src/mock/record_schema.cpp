// SPDX-License-Identifier: Apache-2.0
#include "mock/record_schema.hpp"

#include <array>
#include <cstddef>
#include <utility>

namespace tsync::mock {
namespace {

struct KindName {
  FieldKind kind;
  std::string_view name;
};
constexpr std::array<KindName, 9> kKindNames{{{FieldKind::String, "string"},
                                              {FieldKind::Integer, "integer"},
                                              {FieldKind::BigInteger, "bigint"},
                                              {FieldKind::Float, "float"},
                                              {FieldKind::Bool, "bool"},
                                              {FieldKind::Null, "null"},
                                              {FieldKind::Object, "object"},
                                              {FieldKind::Array, "array"},
                                              {FieldKind::NumericString, "numeric_string"}}};

template <typename Enum, std::size_t N>
std::optional<Enum> from_name(const std::array<std::pair<Enum, std::string_view>, N>& names,
                              std::string_view name) {
  for (const auto& [value, text] : names)
    if (text == name) return value;
  return std::nullopt;
}

constexpr std::array<std::pair<CursorFormat, std::string_view>, 3> kFormatNames{
    {{CursorFormat::Iso8601, "iso8601"},
     {CursorFormat::UnixSeconds, "unix_seconds"},
     {CursorFormat::UnixMillis, "unix_millis"}}};
constexpr std::array<std::pair<KeyKind, std::string_view>, 3> kKeyNames{
    {{KeyKind::Uuid, "uuid"}, {KeyKind::Integer, "integer"}, {KeyKind::Composite, "composite"}}};

}  // namespace

std::string_view field_kind_name(FieldKind kind) {
  for (const auto& k : kKindNames)
    if (k.kind == kind) return k.name;
  return "?";
}

std::optional<FieldKind> field_kind_from_name(std::string_view name) {
  for (const auto& k : kKindNames)
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::optional<CursorFormat> cursor_format_from_name(std::string_view name) {
  return from_name(kFormatNames, name);
}

std::string_view key_kind_name(KeyKind kind) {
  return kKeyNames[static_cast<std::size_t>(kind)].second;
}

std::optional<KeyKind> key_kind_from_name(std::string_view name) {
  return from_name(kKeyNames, name);
}

}  // namespace tsync::mock
