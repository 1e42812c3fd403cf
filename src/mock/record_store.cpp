// SPDX-License-Identifier: Apache-2.0
#include "mock/record_store.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "mock/random.hpp"

namespace tsync::mock {
namespace {

// 2024-01-01T00:00:00Z and the length of 2024 (a leap year) in milliseconds.
constexpr std::int64_t kYearStartMillis = 1704067200LL * 1000;
constexpr std::int64_t kYearMillis = std::int64_t{366} * 86400 * 1000;
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

constexpr std::uint32_t kLive = kLiveState;
constexpr std::uint32_t kRemoved = removed_state(Tombstone::None);
constexpr std::uint32_t kFlagged = removed_state(Tombstone::Flag);
constexpr std::uint32_t kDeletedAt = removed_state(Tombstone::At);

// The state of one generated record; everything served is derived from it.
struct Entry {
  Instant updated;
  std::uint32_t version = 0;      // bumped by each change
  std::uint32_t fields : 30 = 0;  // how many of the schema's fields it carries
  std::uint32_t state : 2 = kLive;
};

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

// The served instant of a time in milliseconds since 1970: whole seconds for
// UnixSeconds, milliseconds otherwise.
Instant instant_of(std::int64_t millis, CursorFormat format) {
  const std::int64_t seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  const auto ms = static_cast<std::int32_t>(millis - seconds * 1000);
  return Instant{seconds, format == CursorFormat::UnixSeconds ? 0 : ms * 1'000'000};
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

std::string served_cursor_text(Instant instant, CursorFormat format) {
  std::string out;
  append_cursor(out, instant, format);
  if (format == CursorFormat::Iso8601) out = out.substr(1, out.size() - 2);
  return out;
}

struct RecordStore::Impl {
  Impl(RecordSchema s, std::uint64_t seed_value)
      : schema(std::move(s)), seed(seed_value), rng(seed_value ^ 0x7265636F726473ull) {
    for (const FieldSpec& f : schema.fields) add_name(f);
    cursor_prefix = ",";
    append_json_string(cursor_prefix, schema.cursor_field);
    cursor_prefix.push_back(':');
  }

  // Records the rendered key of `field`; throws when the name is taken.
  void add_name(const FieldSpec& field) {
    const bool key_name =
        field.name == "id" || (schema.key == KeyKind::Composite && field.name == "account_id");
    const bool taken = key_name || field.name == schema.cursor_field ||
                       std::count_if(schema.fields.begin(), schema.fields.end(),
                                     [&](const FieldSpec& f) { return f.name == field.name; }) > 1;
    if (taken) throw std::invalid_argument("field name already in use: \"" + field.name + "\"");
    std::string prefix = ",";
    append_json_string(prefix, field.name);
    prefix.push_back(':');
    field_prefixes.push_back(std::move(prefix));
  }

  std::uint64_t uuid_word(std::uint32_t index, std::uint64_t which) const {
    return mix(seed, index, 0xFFFFFFFF00000000ull | which);
  }

  void append_id(std::string& out, std::uint32_t index) const {
    switch (schema.key) {
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

  std::int64_t account_of(std::uint32_t index) const {
    return static_cast<std::int64_t>(index % kAccounts + 1);
  }

  // The id as remove() returns it: "account_id/id" for Composite keys.
  std::string key_text(std::uint32_t index) const {
    std::string out;
    if (schema.key == KeyKind::Composite) {
      append_number(out, static_cast<std::uint64_t>(account_of(index)));
      out.push_back('/');
    }
    append_id(out, index);
    return out;
  }

  void render(std::string& out, std::uint32_t index) const {
    const Entry& e = entries[index];
    if (schema.key == KeyKind::Composite) {
      out.append(R"({"account_id":)");
      append_number(out, static_cast<std::uint64_t>(account_of(index)));
      out.append(R"(,"id":)");
    } else {
      out.append(R"({"id":)");
    }
    if (schema.key == KeyKind::Uuid) out.push_back('"');
    append_id(out, index);
    if (schema.key == KeyKind::Uuid) out.push_back('"');
    const std::uint32_t fields = e.state == kFlagged ? 0 : e.fields;
    for (std::uint32_t f = 0; f < fields; ++f) {
      out.append(field_prefixes[f]);
      Rng values(mix(seed, index, (std::uint64_t{f} << 32) | e.version));
      append_value(out, schema.fields[f].kind, values);
    }
    out.append(cursor_prefix);
    append_cursor(out, e.updated, schema.cursor_format);
    if (e.state == kFlagged) {
      out.append(R"(,"deleted":true)");
    } else if (e.state == kDeletedAt) {
      out.append(R"(,"deletedAt":)");
      append_cursor(out, e.updated, CursorFormat::Iso8601);
    }
    out.push_back('}');
  }

  // `count` distinct live records (all of them when there are fewer).
  std::vector<std::uint32_t> choose_live_records(std::size_t count) {
    return choose_live(rng, entries.size(), removed, count,
                       [&](std::uint32_t i) { return entries[i].state == kLive; });
  }

  // Publishes the catalog without the records marked in `replaced`, with the
  // records of `added` (in serving order) rendered after them.
  void republish(const std::vector<bool>& replaced, const std::vector<std::uint32_t>& added) {
    auto next = catalog->without(replaced, added.size());
    CatalogWriter writer(*next, added.size() * typical_bytes());
    for (const std::uint32_t i : added) next->slots.push_back(add(writer, i));
    writer.close();
    catalog = std::move(next);
  }

  Catalog::Slot add(CatalogWriter& writer, std::uint32_t index) const {
    return writer.add(entries[index].updated, index, [&](std::string& out) { render(out, index); });
  }

  std::size_t typical_bytes() const { return 64 + schema.fields.size() * kTypicalFieldBytes; }

  // The next cursor of a mutation batch: strictly later than `latest` for the
  // first one of a batch, then later or (1 in 20) equal to the previous one.
  // Following the wall clock, the next cursor is the clock's millisecond (its
  // second for UnixSeconds) or, when that is earlier, the smallest step after
  // `latest` (the first of a batch; the others may share a second with it).
  Instant next_timestamp(bool first_of_batch) {
    const bool tie = rng.one_in(20);
    const std::int64_t gap_seconds = 1 + static_cast<std::int64_t>(rng.below(5));
    const auto ms = static_cast<std::int64_t>(rng.below(1000));
    if (tie && !first_of_batch) return latest;
    if (wall_clock) {
      const bool seconds = schema.cursor_format == CursorFormat::UnixSeconds;
      const std::int64_t step = seconds ? (first_of_batch ? 1000 : 0) : 1;
      const std::int64_t after = latest.seconds * 1000 + latest.nanos / 1'000'000 + step;
      const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      latest = instant_of(std::max(after, now), schema.cursor_format);
      return latest;
    }
    latest = instant_of((latest.seconds + gap_seconds) * 1000 + ms, schema.cursor_format);
    return latest;
  }

  // The index of the record with key text `id`, extending the id index to the
  // records added since the last look-up.
  std::optional<std::uint32_t> find(const std::string& id) const {
    for (; indexed < entries.size(); ++indexed)
      by_id.emplace(key_text(static_cast<std::uint32_t>(indexed)),
                    static_cast<std::uint32_t>(indexed));
    const auto it = by_id.find(id);
    if (it == by_id.end()) return std::nullopt;
    return it->second;
  }

  mutable std::mutex mutex;
  RecordSchema schema;
  std::uint64_t seed;
  Rng rng;                                  // drives mutations
  std::vector<std::string> field_prefixes;  // `,"name":` of each field
  std::string cursor_prefix;
  std::vector<Entry> entries;  // by creation index
  std::size_t removed = 0;     // entries not live
  std::shared_ptr<const Catalog> catalog;
  Instant latest = kEpochStart;
  bool wall_clock = false;  // new cursors from the wall clock (follow_wall_clock)
  // Key text -> index of the first `indexed` records; a record's key never changes.
  mutable std::unordered_map<std::string, std::uint32_t> by_id;
  mutable std::size_t indexed = 0;
};

RecordStore::RecordStore(RecordSchema schema, std::size_t count, std::uint64_t seed)
    : impl_(std::make_unique<Impl>(std::move(schema), seed)) {
  Impl& impl = *impl_;
  if (count >= Catalog::kRaw) throw std::length_error("too many mock records");
  Rng rng(seed);
  impl.entries.resize(count);
  const auto fields = static_cast<std::uint32_t>(impl.schema.fields.size());
  const std::int64_t average_gap =
      std::max<std::int64_t>(2, kYearMillis / static_cast<std::int64_t>(count + 1));
  std::int64_t millis = kYearStartMillis;
  for (std::size_t i = 0; i < count; ++i) {
    const bool tie = i > 0 && rng.one_in(20);
    const auto gap =
        1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * average_gap - 1)));
    if (!tie) millis += gap;
    impl.entries[i].updated = instant_of(millis, impl.schema.cursor_format);
    impl.entries[i].fields = fields;
  }
  if (count > 0) impl.latest = impl.entries.back().updated;

  auto catalog = std::make_shared<Catalog>();
  catalog->slots.reserve(count);
  CatalogWriter writer(*catalog, count * impl.typical_bytes());
  for (std::size_t i = 0; i < count; ++i)
    catalog->slots.push_back(impl.add(writer, static_cast<std::uint32_t>(i)));
  writer.close();
  impl.catalog = std::move(catalog);
}

RecordStore::~RecordStore() = default;

void RecordStore::mutate(std::size_t updates, std::size_t additions) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  auto& entries = impl.entries;
  const std::size_t before = entries.size();
  if (before + additions >= Catalog::kRaw) throw std::length_error("too many mock records");
  updates = std::min(updates, before - impl.removed);
  const auto fields = static_cast<std::uint32_t>(impl.schema.fields.size());

  std::vector<std::uint32_t> changed = impl.choose_live_records(updates);
  changed.reserve(updates + additions);
  std::vector<bool> marked(before, false);
  bool first = true;
  for (const std::uint32_t i : changed) {
    marked[i] = true;
    Entry& e = entries[i];
    ++e.version;
    e.fields = fields;
    e.updated = impl.next_timestamp(first);
    first = false;
  }
  for (std::size_t k = 0; k < additions; ++k) {
    Entry e;
    e.fields = fields;
    e.updated = impl.next_timestamp(first);
    first = false;
    changed.push_back(static_cast<std::uint32_t>(entries.size()));
    entries.push_back(e);
  }
  // Timestamps never go back within a batch, so the drawn order is nearly sorted.
  std::stable_sort(changed.begin(), changed.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::make_pair(entries[a].updated, a) < std::make_pair(entries[b].updated, b);
  });

  // Everything else keeps its place; the changed records are later than all of it.
  impl.republish(marked, changed);
}

std::vector<std::string> RecordStore::remove(std::size_t count, Tombstone tombstone) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  const std::string_view marker = tombstone == Tombstone::Flag ? "deleted"
                                  : tombstone == Tombstone::At ? "deletedAt"
                                                               : "";
  for (const FieldSpec& f : impl.schema.fields)
    if (!marker.empty() && f.name == marker)
      throw std::invalid_argument(
          "a tombstone cannot be served: the records already have a field \"" + f.name + "\"");
  const std::uint32_t state = removed_state(tombstone);

  // In creation order, which with non-decreasing cursors is also serving order.
  std::vector<std::uint32_t> chosen = impl.choose_live_records(count);
  std::sort(chosen.begin(), chosen.end());
  std::vector<bool> marked(impl.entries.size(), false);
  std::vector<std::string> ids;
  ids.reserve(chosen.size());
  bool first = true;
  for (const std::uint32_t i : chosen) {
    marked[i] = true;
    Entry& e = impl.entries[i];
    e.state = state;
    if (state != kRemoved) {
      e.updated = impl.next_timestamp(first);
      first = false;
    }
    ids.push_back(impl.key_text(i));
  }
  impl.removed += chosen.size();
  if (state == kRemoved) chosen.clear();
  impl.republish(marked, chosen);
  return ids;
}

void RecordStore::restore(const std::vector<std::string>& ids) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  const std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  const auto fields = static_cast<std::uint32_t>(impl.schema.fields.size());
  std::vector<bool> marked(impl.entries.size(), false);
  std::vector<std::uint32_t> back;
  bool first = true;
  for (std::uint32_t i = 0; i < impl.entries.size(); ++i) {
    Entry& e = impl.entries[i];
    if (e.state == kLive || wanted.count(impl.key_text(i)) == 0) continue;
    marked[i] = true;
    back.push_back(i);
    e.state = kLive;
    ++e.version;
    e.fields = fields;
    e.updated = impl.next_timestamp(first);
    first = false;
  }
  if (back.empty()) return;
  impl.removed -= back.size();
  impl.republish(marked, back);
}

void RecordStore::touch(const std::vector<std::string>& ids) {
  Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  const auto fields = static_cast<std::uint32_t>(impl.schema.fields.size());
  std::vector<bool> marked(impl.entries.size(), false);
  std::vector<std::uint32_t> changed;
  bool first = true;
  for (const std::string& id : ids) {
    const auto index = impl.find(id);
    if (!index || marked[*index] || impl.entries[*index].state != kLive) continue;
    marked[*index] = true;
    changed.push_back(*index);
    Entry& e = impl.entries[*index];
    ++e.version;
    e.fields = fields;
    e.updated = impl.next_timestamp(first);
    first = false;
  }
  if (changed.empty()) return;
  std::stable_sort(changed.begin(), changed.end(), [&](std::uint32_t a, std::uint32_t b) {
    return std::make_pair(impl.entries[a].updated, a) < std::make_pair(impl.entries[b].updated, b);
  });
  impl.republish(marked, changed);
}

std::optional<std::uint32_t> RecordStore::record_index(const std::string& id) const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->find(id);
}

void RecordStore::add_field(FieldSpec field) {
  const std::lock_guard lock(impl_->mutex);
  impl_->schema.fields.push_back(field);
  try {
    impl_->add_name(field);
  } catch (...) {
    impl_->schema.fields.pop_back();
    throw;
  }
}

void RecordStore::add_raw(const std::string& json_object, Instant position) {
  const std::lock_guard lock(impl_->mutex);
  impl_->catalog = impl_->catalog->with_raw(json_object, position);
  impl_->latest = std::max(impl_->latest, position);
}

std::vector<ServedRecord> RecordStore::snapshot() const {
  const Impl& impl = *impl_;
  const std::lock_guard lock(impl.mutex);
  const Catalog& c = *impl.catalog;
  std::vector<ServedRecord> records;
  records.reserve(c.size());
  for (std::size_t k = 0; k < c.size(); ++k) {
    const Catalog::Slot& s = c.slot(k);
    ServedRecord& r = records.emplace_back();
    r.updated = s.updated;
    r.json = std::string(c.text(k));
    if (s.record == Catalog::kRaw) {
      r.raw = true;
      continue;
    }
    r.tombstone = impl.entries[s.record].state != kLive;
    impl.append_id(r.id, s.record);
    if (impl.schema.key == KeyKind::Composite) r.account_id = impl.account_of(s.record);
    r.cursor = served_cursor_text(s.updated, impl.schema.cursor_format);
  }
  return records;
}

std::size_t RecordStore::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->entries.size() - impl_->removed;
}

void RecordStore::follow_wall_clock() {
  const std::lock_guard lock(impl_->mutex);
  impl_->wall_clock = true;
}

Instant RecordStore::latest() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->latest;
}

RecordSchema RecordStore::schema() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->schema;
}

std::shared_ptr<const Catalog> RecordStore::catalog() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->catalog;
}

}  // namespace tsync::mock
