// SPDX-License-Identifier: Apache-2.0
#include "mock/record_store.hpp"

#include <algorithm>
#include <chrono>
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

constexpr std::uint32_t kLive = kLiveState;
constexpr std::uint32_t kRemoved = removed_state(Tombstone::None);

}  // namespace

struct RecordStore::Impl {
  Impl(RecordSchema s, std::uint64_t seed_value)
      : text(std::move(s), seed_value), rng(seed_value ^ 0x7265636F726473ull) {}

  // `count` distinct live records (all of them when there are fewer).
  std::vector<std::uint32_t> choose_live_records(std::size_t count) {
    return choose_live(rng, entries.size(), removed, count,
                       [&](std::uint32_t i) { return entries[i].state == kLive; });
  }

  // Publishes the catalog without the records marked in `replaced`, with the
  // records of `added` (in serving order) rendered after them.
  void republish(const std::vector<bool>& replaced, const std::vector<std::uint32_t>& added) {
    auto next = catalog->without(replaced, added.size());
    CatalogWriter writer(*next, added.size() * text.typical_bytes());
    for (const std::uint32_t i : added) next->slots.push_back(add(writer, i));
    writer.close();
    catalog = std::move(next);
  }

  Catalog::Slot add(CatalogWriter& writer, std::uint32_t index) const {
    return writer.add(entries[index].updated, index,
                      [&](std::string& out) { text.render(out, index, entries[index]); });
  }

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
    const CursorFormat format = text.schema().cursor_format;
    if (wall_clock) {
      const bool seconds = format == CursorFormat::UnixSeconds;
      const std::int64_t step = seconds ? (first_of_batch ? 1000 : 0) : 1;
      const std::int64_t after = latest.seconds * 1000 + latest.nanos / 1'000'000 + step;
      const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      latest = cursor_instant(std::max(after, now), format);
      return latest;
    }
    latest = cursor_instant((latest.seconds + gap_seconds) * 1000 + ms, format);
    return latest;
  }

  // The index of the record with key text `id`, extending the id index to the
  // records added since the last look-up.
  std::optional<std::uint32_t> find(const std::string& id) const {
    for (; indexed < entries.size(); ++indexed)
      by_id.emplace(text.key_text(static_cast<std::uint32_t>(indexed)),
                    static_cast<std::uint32_t>(indexed));
    const auto it = by_id.find(id);
    if (it == by_id.end()) return std::nullopt;
    return it->second;
  }

  mutable std::mutex mutex;
  RecordText text;                   // the schema, and how a record is written
  Rng rng;                           // drives mutations
  std::vector<RecordState> entries;  // by creation index
  std::size_t removed = 0;           // entries not live
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
  const auto fields = static_cast<std::uint32_t>(impl.text.schema().fields.size());
  const std::int64_t average_gap =
      std::max<std::int64_t>(2, kYearMillis / static_cast<std::int64_t>(count + 1));
  std::int64_t millis = kYearStartMillis;
  for (std::size_t i = 0; i < count; ++i) {
    const bool tie = i > 0 && rng.one_in(20);
    const auto gap =
        1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(2 * average_gap - 1)));
    if (!tie) millis += gap;
    impl.entries[i].updated = cursor_instant(millis, impl.text.schema().cursor_format);
    impl.entries[i].fields = fields;
  }
  if (count > 0) impl.latest = impl.entries.back().updated;

  auto catalog = std::make_shared<Catalog>();
  catalog->slots.reserve(count);
  CatalogWriter writer(*catalog, count * impl.text.typical_bytes());
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
  const auto fields = static_cast<std::uint32_t>(impl.text.schema().fields.size());

  std::vector<std::uint32_t> changed = impl.choose_live_records(updates);
  changed.reserve(updates + additions);
  std::vector<bool> marked(before, false);
  bool first = true;
  for (const std::uint32_t i : changed) {
    marked[i] = true;
    RecordState& e = entries[i];
    ++e.version;
    e.fields = fields;
    e.updated = impl.next_timestamp(first);
    first = false;
  }
  for (std::size_t k = 0; k < additions; ++k) {
    RecordState e;
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
  for (const FieldSpec& f : impl.text.schema().fields)
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
    RecordState& e = impl.entries[i];
    e.state = state;
    if (state != kRemoved) {
      e.updated = impl.next_timestamp(first);
      first = false;
    }
    ids.push_back(impl.text.key_text(i));
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
  const auto fields = static_cast<std::uint32_t>(impl.text.schema().fields.size());
  std::vector<bool> marked(impl.entries.size(), false);
  std::vector<std::uint32_t> back;
  bool first = true;
  for (std::uint32_t i = 0; i < impl.entries.size(); ++i) {
    RecordState& e = impl.entries[i];
    if (e.state == kLive || wanted.count(impl.text.key_text(i)) == 0) continue;
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
  const auto fields = static_cast<std::uint32_t>(impl.text.schema().fields.size());
  std::vector<bool> marked(impl.entries.size(), false);
  std::vector<std::uint32_t> changed;
  bool first = true;
  for (const std::string& id : ids) {
    const auto index = impl.find(id);
    if (!index || marked[*index] || impl.entries[*index].state != kLive) continue;
    marked[*index] = true;
    changed.push_back(*index);
    RecordState& e = impl.entries[*index];
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
  impl_->text.add_field(field);
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
    impl.text.append_id(r.id, s.record);
    if (impl.text.schema().key == KeyKind::Composite) r.account_id = impl.text.account_of(s.record);
    r.cursor = served_cursor_text(s.updated, impl.text.schema().cursor_format);
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
  return impl_->text.schema();
}

std::shared_ptr<const Catalog> RecordStore::catalog() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->catalog;
}

}  // namespace tsync::mock
