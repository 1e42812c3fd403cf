// SPDX-License-Identifier: Apache-2.0
#include "mock/user_store.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "mock/random.hpp"

namespace tsync::mock {

struct UserStore::Impl {
  Impl(std::uint64_t seed, TimestampStyle timestamp_style)
      : style(timestamp_style), rng(seed ^ 0x6D75746174696F6Eull) {}

  // The next timestamp of a mutation batch: strictly later than `latest` for the
  // first one of a batch, then later or (1 in 20) equal to the previous one.
  Instant next_timestamp(bool first_of_batch) {
    const bool tie = rng.one_in(20);
    const std::int64_t gap_seconds = 1 + static_cast<std::int64_t>(rng.below(5));
    const auto ms = static_cast<std::int64_t>(rng.below(1000));
    if (tie && !first_of_batch) return latest;
    latest = user_instant((latest.seconds + gap_seconds) * 1000 + ms, style);
    return latest;
  }

  void publish(std::shared_ptr<Catalog> next) { catalog = std::move(next); }

  // Sorts `added` into serving order and publishes the catalog without the users
  // marked in `replaced`, with those of `added` rendered after them.
  void republish(const std::vector<bool>& replaced, std::vector<std::uint32_t>& added) {
    std::sort(added.begin(), added.end(), [&](std::uint32_t a, std::uint32_t b) {
      return serves_before(recipes[a], recipes[b]);
    });
    auto next = catalog->without(replaced, added.size());
    CatalogWriter writer(*next, added.size() * kTypicalUserBytes);
    for (const std::uint32_t i : added)
      next->slots.push_back(add_user(writer, recipes[i], i, style));
    writer.close();
    publish(std::move(next));
  }

  // The index of the user with id `id`, extending the id index to the users
  // added since the last look-up.
  std::optional<std::uint32_t> find(const std::string& id) const {
    for (; indexed < recipes.size(); ++indexed)
      by_id.emplace(id_text(recipes[indexed]), static_cast<std::uint32_t>(indexed));
    const auto it = by_id.find(id);
    if (it == by_id.end()) return std::nullopt;
    return it->second;
  }

  mutable std::mutex mutex;
  TimestampStyle style;
  Rng rng;  // drives mutations
  std::vector<UserRecipe> recipes;
  std::size_t removed = 0;  // recipes not live
  std::shared_ptr<const Catalog> catalog;
  Instant latest = kEpochStart;  // the latest timestamp served so far, raw positions included
  // Id -> index of the first `indexed` users; a user's id never changes.
  mutable std::unordered_map<std::string, std::uint32_t> by_id;
  mutable std::size_t indexed = 0;
};

UserStore::UserStore(std::size_t count, std::uint64_t seed, TimestampStyle style, Timeline timeline)
    : impl_(std::make_unique<Impl>(seed, style)) {
  if (count >= Catalog::kRaw) throw std::length_error("too many mock users");
  auto& recipes = impl_->recipes;
  recipes = generate_users(count, seed, style, timeline);
  if (!recipes.empty()) impl_->latest = recipes.back().updated;

  auto catalog = std::make_shared<Catalog>();
  catalog->slots.reserve(count);
  CatalogWriter writer(*catalog, count * kTypicalUserBytes);
  for (std::size_t i = 0; i < count; ++i)
    catalog->slots.push_back(add_user(writer, recipes[i], static_cast<std::uint32_t>(i), style));
  writer.close();
  impl_->publish(std::move(catalog));
}

UserStore::~UserStore() = default;

void UserStore::mutate(std::size_t updates, std::size_t additions) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  auto& rng = impl_->rng;
  const std::size_t before = recipes.size();
  if (before + additions >= Catalog::kRaw) throw std::length_error("too many mock users");
  updates = std::min(updates, before - impl_->removed);

  // Which users change, in the order they get their new timestamps.
  std::vector<std::uint32_t> changed =
      choose_live(rng, before, impl_->removed, updates,
                  [&](std::uint32_t i) { return recipes[i].state == kLiveState; });
  changed.reserve(updates + additions);
  std::vector<bool> marked(before, false);
  for (const std::uint32_t i : changed) marked[i] = true;

  bool first = true;
  for (const std::uint32_t i : changed) {
    UserRecipe& r = recipes[i];
    change_user(rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  for (std::size_t k = 0; k < additions; ++k) {
    UserRecipe r;
    pick_person(rng, r);
    r.updated = impl_->next_timestamp(first);
    r.created = r.updated;
    first = false;
    changed.push_back(static_cast<std::uint32_t>(recipes.size()));
    recipes.push_back(r);
  }
  // Everything else keeps its place; the changed users are later than all of it.
  impl_->republish(marked, changed);
}

std::vector<std::string> UserStore::remove(std::size_t count, Tombstone tombstone) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  std::vector<std::uint32_t> chosen =
      choose_live(impl_->rng, recipes.size(), impl_->removed, count,
                  [&](std::uint32_t i) { return recipes[i].state == kLiveState; });
  std::vector<bool> marked(recipes.size(), false);
  bool first = true;
  for (const std::uint32_t i : chosen) {
    marked[i] = true;
    UserRecipe& r = recipes[i];
    r.state = static_cast<std::uint8_t>(removed_state(tombstone));
    if (tombstone != Tombstone::None) {
      r.updated = impl_->next_timestamp(first);
      first = false;
    }
  }
  impl_->removed += chosen.size();
  std::sort(chosen.begin(), chosen.end(), [&](std::uint32_t a, std::uint32_t b) {
    return serves_before(recipes[a], recipes[b]);
  });
  std::vector<std::string> ids;
  ids.reserve(chosen.size());
  for (const std::uint32_t i : chosen) ids.push_back(id_text(recipes[i]));
  if (tombstone == Tombstone::None) chosen.clear();
  impl_->republish(marked, chosen);
  return ids;
}

void UserStore::restore(const std::vector<std::string>& ids) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  const std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  std::vector<bool> marked(recipes.size(), false);
  std::vector<std::uint32_t> back;
  bool first = true;
  for (std::uint32_t i = 0; i < recipes.size(); ++i) {
    UserRecipe& r = recipes[i];
    if (r.state == kLiveState || wanted.count(id_text(r)) == 0) continue;
    marked[i] = true;
    back.push_back(i);
    r.state = kLiveState;
    change_user(impl_->rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  if (back.empty()) return;
  impl_->removed -= back.size();
  impl_->republish(marked, back);
}

void UserStore::touch(const std::vector<std::string>& ids) {
  const std::lock_guard lock(impl_->mutex);
  auto& recipes = impl_->recipes;
  std::vector<bool> marked(recipes.size(), false);
  std::vector<std::uint32_t> changed;
  bool first = true;
  for (const std::string& id : ids) {
    const auto index = impl_->find(id);
    if (!index || marked[*index] || recipes[*index].state != kLiveState) continue;
    marked[*index] = true;
    changed.push_back(*index);
    UserRecipe& r = recipes[*index];
    change_user(impl_->rng, r);
    r.updated = impl_->next_timestamp(first);
    first = false;
  }
  if (changed.empty()) return;
  impl_->republish(marked, changed);
}

std::optional<std::uint32_t> UserStore::record_index(const std::string& id) const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->find(id);
}

void UserStore::add_raw(const std::string& json_object, Instant position) {
  const std::lock_guard lock(impl_->mutex);
  auto next = impl_->catalog->with_raw(json_object, position);
  impl_->latest = std::max(impl_->latest, position);
  impl_->publish(std::move(next));
}

std::vector<User> UserStore::snapshot() const {
  const std::lock_guard lock(impl_->mutex);
  std::vector<User> users;
  users.reserve(impl_->recipes.size());
  for (const Catalog::Slot& s : impl_->catalog->slots) {
    if (s.record == Catalog::kRaw || impl_->recipes[s.record].state != kLiveState) continue;
    fill_user(impl_->recipes[s.record], impl_->style, users.emplace_back());
  }
  return users;
}

std::size_t UserStore::size() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->recipes.size() - impl_->removed;
}

std::shared_ptr<const Catalog> UserStore::catalog() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->catalog;
}

}  // namespace tsync::mock
