// SPDX-License-Identifier: Apache-2.0
#include "mock/record_text.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "mock/catalog.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

// Composite keys spread records over this many accounts.
constexpr std::uint64_t kAccounts = 7;
// Average rendered size of one field, for reserving block space.
constexpr std::size_t kTypicalFieldBytes = 24;

constexpr std::array<std::string_view, 24> kWords{
    "alpha",  "bravo",   "cedar",  "delta", "ember",  "falcon", "granite", "harbor",
    "iris",   "juniper", "kelp",   "lumen", "meadow", "nectar", "orbit",   "pixel",
    "quartz", "river",   "summit", "tide",  "Zoë",    "Straße", "東京",    "naïve"};
// Strings a careless writer of SQL or JSON gets wrong.
constexpr std::array<std::string_view, 10> kTrickyStrings{"he said \"hi\"",
                                                          "back\\slash",
                                                          "tab\there",
                                                          "line\nbreak",
                                                          "emoji \xF0\x9F\x98\x80",
                                                          "",
                                                          " leading and trailing ",
                                                          "NULL",
                                                          "'; DROP TABLE x; --",
                                                          "null"};
// Strings that look like numbers and must stay strings.
constexpr std::array<std::string_view, 16> kNumericStrings{
    "05",    "1e3", "  7", "-0",       "0x1F", "007", "1.50",
    "+3",    "12 ", "NaN", "Infinity", "0",    "3.0", "9223372036854775808",
    "1,000", ".5"};

constexpr std::uint32_t kFlagged = removed_state(Tombstone::Flag);
constexpr std::uint32_t kDeletedAt = removed_state(Tombstone::At);

void append_signed(std::string& out, std::int64_t value) {
  if (value < 0) {
    out.push_back('-');
    append_number(out, static_cast<std::uint64_t>(-(value + 1)) + 1);
  } else {
    append_number(out, static_cast<std::uint64_t>(value));
  }
}

void append_words(std::string& out, Rng& rng) {
  if (rng.one_in(16)) {
    append_json_string(out, kTrickyStrings[rng.below(kTrickyStrings.size())]);
    return;
  }
  // The words need no escapes.
  out.push_back('"');
  const std::uint64_t words = 1 + rng.below(3);
  for (std::uint64_t w = 0; w < words; ++w) {
    if (w > 0) out.push_back(' ');
    out.append(kWords[rng.below(kWords.size())]);
  }
  out.push_back('"');
}

void append_integer(std::string& out, Rng& rng) {
  switch (rng.below(8)) {
    case 0:
      append_signed(out, std::numeric_limits<std::int64_t>::max() -
                             static_cast<std::int64_t>(rng.below(1000)));
      break;
    case 1:
      append_signed(out, std::numeric_limits<std::int64_t>::min() +
                             static_cast<std::int64_t>(rng.below(1000)));
      break;
    case 2:
      out.push_back('0');
      break;
    default:
      append_signed(out, static_cast<std::int64_t>(rng.below(2'000'001)) - 1'000'000);
      break;
  }
}

void append_big_integer(std::string& out, Rng& rng) {
  if (rng.one_in(4)) out.push_back('-');
  // 21 digits or more: beyond 2^64 (20 digits) whatever they are.
  const std::uint64_t digits = 21 + rng.below(10);
  out.push_back(static_cast<char>('1' + rng.below(9)));
  for (std::uint64_t d = 1; d < digits; ++d) out.push_back(static_cast<char>('0' + rng.below(10)));
}

void append_float(std::string& out, Rng& rng) {
  if (rng.one_in(2)) out.push_back('-');
  switch (rng.below(4)) {
    case 0:  // an exponent form: 6.02e+23, 1.5e-7, 3E10
      out.push_back(static_cast<char>('1' + rng.below(9)));
      out.push_back('.');
      append_number(out, rng.below(100), 2);
      out.push_back(rng.one_in(2) ? 'e' : 'E');
      out.push_back(rng.one_in(2) ? '+' : '-');
      append_number(out, 1 + rng.below(30));
      break;
    case 1:  // a binary fraction, exact as a double: 0.25, 12.5
      append_number(out, rng.below(100));
      out.append(rng.one_in(2) ? ".25" : ".5");
      break;
    default:  // money: 12.30, trailing zero included
      append_number(out, rng.below(100000));
      out.push_back('.');
      append_number(out, rng.below(100), 2);
      break;
  }
}

void append_object(std::string& out, Rng& rng) {
  out.append(R"({"label":)");
  append_words(out, rng);
  out.append(R"(,"count":)");
  append_number(out, rng.below(1000));
  out.append(R"(,"geo":{"lat":)");
  append_float(out, rng);
  out.append(R"(,"lng":)");
  append_float(out, rng);
  out.append(R"(},"tags":[)");
  const std::uint64_t tags = rng.below(3);
  for (std::uint64_t t = 0; t < tags; ++t) {
    if (t > 0) out.push_back(',');
    append_json_string(out, kWords[rng.below(kWords.size())]);
  }
  out.append(R"(],"active":)");
  out.append(rng.one_in(2) ? "true" : "false");
  out.push_back('}');
}

void append_array(std::string& out, Rng& rng) {
  out.push_back('[');
  const std::uint64_t items = rng.below(6);
  for (std::uint64_t k = 0; k < items; ++k) {
    if (k > 0) out.push_back(',');
    switch (rng.below(7)) {
      case 0:
        append_integer(out, rng);
        break;
      case 1:
        append_words(out, rng);
        break;
      case 2:
        append_float(out, rng);
        break;
      case 3:
        out.append(rng.one_in(2) ? "true" : "false");
        break;
      case 4:
        out.append("null");
        break;
      case 5:
        out.append(R"({"k":)");
        append_json_string(out, kWords[rng.below(kWords.size())]);
        out.push_back('}');
        break;
      default:
        out.append("[1,[2]]");
        break;
    }
  }
  out.push_back(']');
}

// Appends one value of `kind`, drawn from `rng`.
void append_value(std::string& out, FieldKind kind, Rng& rng) {
  switch (kind) {
    case FieldKind::String:
      append_words(out, rng);
      break;
    case FieldKind::Integer:
      append_integer(out, rng);
      break;
    case FieldKind::BigInteger:
      append_big_integer(out, rng);
      break;
    case FieldKind::Float:
      append_float(out, rng);
      break;
    case FieldKind::Bool:
      out.append(rng.one_in(2) ? "true" : "false");
      break;
    case FieldKind::Null:
      out.append("null");
      break;
    case FieldKind::Object:
      append_object(out, rng);
      break;
    case FieldKind::Array:
      append_array(out, rng);
      break;
    case FieldKind::NumericString:
      append_json_string(out, kNumericStrings[rng.below(kNumericStrings.size())]);
      break;
  }
}

void append_cursor(std::string& out, Instant t, CursorFormat format) {
  switch (format) {
    case CursorFormat::Iso8601: {
      char text[kNormalisedWidth];
      format_utc(t, text);
      out.push_back('"');
      out.append(text, 23);
      out.append("Z\"");
      break;
    }
    case CursorFormat::UnixSeconds:
      append_signed(out, t.seconds);
      break;
    case CursorFormat::UnixMillis:
      append_signed(out, t.seconds * 1000 + t.nanos / 1'000'000);
      break;
  }
}

// A well-mixed 64-bit value of the arguments.
std::uint64_t mix(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  std::uint64_t x = a ^ (b * 0xD6E8FEB86659FD93ull);
  x = splitmix64(x) ^ (c * 0x9E3779B97F4A7C15ull);
  return splitmix64(x);
}

}  // namespace

Instant cursor_instant(std::int64_t millis, CursorFormat format) {
  const std::int64_t seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  const auto ms = static_cast<std::int32_t>(millis - seconds * 1000);
  return Instant{seconds, format == CursorFormat::UnixSeconds ? 0 : ms * 1'000'000};
}

std::string served_cursor_text(Instant instant, CursorFormat format) {
  std::string out;
  append_cursor(out, instant, format);
  if (format == CursorFormat::Iso8601) out = out.substr(1, out.size() - 2);
  return out;
}

RecordText::RecordText(RecordSchema schema, std::uint64_t seed)
    : schema_(std::move(schema)), seed_(seed) {
  for (const FieldSpec& f : schema_.fields) add_name(f);
  cursor_prefix_ = ",";
  append_json_string(cursor_prefix_, schema_.cursor_field);
  cursor_prefix_.push_back(':');
}

void RecordText::add_field(const FieldSpec& field) {
  schema_.fields.push_back(field);
  try {
    add_name(field);
  } catch (...) {
    schema_.fields.pop_back();
    throw;
  }
}

void RecordText::add_name(const FieldSpec& field) {
  const bool key_name =
      field.name == "id" || (schema_.key == KeyKind::Composite && field.name == "account_id");
  const bool taken = key_name || field.name == schema_.cursor_field ||
                     std::count_if(schema_.fields.begin(), schema_.fields.end(),
                                   [&](const FieldSpec& f) { return f.name == field.name; }) > 1;
  if (taken) throw std::invalid_argument("field name already in use: \"" + field.name + "\"");
  std::string prefix = ",";
  append_json_string(prefix, field.name);
  prefix.push_back(':');
  field_prefixes_.push_back(std::move(prefix));
}

std::uint64_t RecordText::uuid_word(std::uint32_t index, std::uint64_t which) const {
  return mix(seed_, index, 0xFFFFFFFF00000000ull | which);
}

void RecordText::append_id(std::string& out, std::uint32_t index) const {
  switch (schema_.key) {
    case KeyKind::Uuid: {
      static constexpr char kHex[] = "0123456789abcdef";
      const std::uint64_t hi = (uuid_word(index, 0) & ~0xF000ull) | 0x4000ull;
      const std::uint64_t lo =
          (uuid_word(index, 1) & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
      const int groups[] = {8, 4, 4, 4, 12};
      int nibble = 0;
      for (int g = 0; g < 5; ++g) {
        if (g > 0) out.push_back('-');
        for (int k = 0; k < groups[g]; ++k, ++nibble) {
          const std::uint64_t word = nibble < 16 ? hi : lo;
          out.push_back(kHex[(word >> (60 - 4 * (nibble % 16))) & 0xF]);
        }
      }
      break;
    }
    case KeyKind::Integer:
      append_number(out, std::uint64_t{index} + 1);
      break;
    case KeyKind::Composite:
      append_number(out, index / kAccounts + 1);
      break;
  }
}

std::int64_t RecordText::account_of(std::uint32_t index) const {
  return static_cast<std::int64_t>(index % kAccounts + 1);
}

std::string RecordText::key_text(std::uint32_t index) const {
  std::string out;
  if (schema_.key == KeyKind::Composite) {
    append_number(out, static_cast<std::uint64_t>(account_of(index)));
    out.push_back('/');
  }
  append_id(out, index);
  return out;
}

void RecordText::render(std::string& out, std::uint32_t index, const RecordState& e) const {
  if (schema_.key == KeyKind::Composite) {
    out.append(R"({"account_id":)");
    append_number(out, static_cast<std::uint64_t>(account_of(index)));
    out.append(R"(,"id":)");
  } else {
    out.append(R"({"id":)");
  }
  if (schema_.key == KeyKind::Uuid) out.push_back('"');
  append_id(out, index);
  if (schema_.key == KeyKind::Uuid) out.push_back('"');
  const std::uint32_t fields = e.state == kFlagged ? 0 : e.fields;
  for (std::uint32_t f = 0; f < fields; ++f) {
    out.append(field_prefixes_[f]);
    Rng values(mix(seed_, index, (std::uint64_t{f} << 32) | e.version));
    append_value(out, schema_.fields[f].kind, values);
  }
  out.append(cursor_prefix_);
  append_cursor(out, e.updated, schema_.cursor_format);
  if (e.state == kFlagged) {
    out.append(R"(,"deleted":true)");
  } else if (e.state == kDeletedAt) {
    out.append(R"(,"deletedAt":)");
    append_cursor(out, e.updated, CursorFormat::Iso8601);
  }
  out.push_back('}');
}

std::size_t RecordText::typical_bytes() const {
  return 64 + schema_.fields.size() * kTypicalFieldBytes;
}

}  // namespace tsync::mock
