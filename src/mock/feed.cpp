// SPDX-License-Identifier: Apache-2.0
#include "mock/feed.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace tsync::mock {
namespace {

std::vector<std::uint32_t> key_order(const Catalog& catalog) {
  std::vector<std::uint32_t> order(catalog.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return catalog.slot(a).record < catalog.slot(b).record;
  });
  return order;
}

}  // namespace

std::size_t Feed::begin(std::optional<Instant> since) const {
  if (since && serving.since_mode == SinceMode::Exclusive) return catalog->first_after(*since);
  if (since && serving.since_mode == SinceMode::Inclusive) return catalog->first_not_before(*since);
  return 0;
}

std::shared_ptr<const std::vector<std::uint32_t>> KeyOrders::of(
    const std::string& path, const std::shared_ptr<const Catalog>& catalog) {
  {
    const std::lock_guard lock(mutex_);
    const auto it = orders_.find(path);
    if (it != orders_.end() && it->second.first.lock() == catalog) return it->second.second;
  }
  auto order = std::make_shared<const std::vector<std::uint32_t>>(key_order(*catalog));
  const std::lock_guard lock(mutex_);
  orders_[path] = {catalog, order};
  return order;
}

View view(const Feed& feed, std::optional<Instant> since, Order order, KeyOrders& key_orders) {
  View v;
  v.catalog = feed.catalog;
  v.order = order;
  const Catalog& c = *v.catalog;
  v.begin = feed.begin(since);
  v.end = std::max(v.begin, feed.end());
  if (v.order == Order::ByKey) {
    auto all = key_orders.of(feed.path, v.catalog);
    if (v.begin == 0 && v.end == c.size()) {
      v.keyed = std::move(all);
    } else {
      auto some = std::make_shared<std::vector<std::uint32_t>>();
      some->reserve(v.size());
      for (const std::uint32_t i : *all)
        if (i >= v.begin && i < v.end) some->push_back(i);
      v.keyed = std::move(some);
    }
  }
  return v;
}

void shuffle(Selection& s, const Feed& feed, std::size_t request_number) {
  if (!feed.serving.unsorted || s.count() < 2) return;
  if (s.indices.empty()) {
    s.indices.resize(s.count());
    std::iota(s.indices.begin(), s.indices.end(), static_cast<std::uint32_t>(s.begin));
    s.begin = 0;
    s.end = s.indices.size();
  }
  std::mt19937_64 rng(feed.seed * 7919 + request_number);
  std::shuffle(s.indices.begin(), s.indices.end(), rng);
}

Selection select(std::optional<Instant> since, const Feed& feed, std::size_t request_number) {
  Selection s;
  s.catalog = feed.catalog;
  s.prefix = feed.prefix;
  s.suffix = feed.suffix;
  const ServingOptions& o = feed.serving;
  const Catalog& c = *s.catalog;
  s.begin = feed.begin(since);
  const std::size_t bound = std::max(s.begin, feed.end());
  s.end = bound;
  if (o.page_size > 0 && s.end - s.begin > o.page_size) {
    // A page never splits the records of one instant: with an exclusive since
    // the rest of them could never be asked for again.
    s.end = s.begin + o.page_size;
    const Instant last = c.slot(s.end - 1).updated;
    while (s.end < bound && c.slot(s.end).updated == last) ++s.end;
  }
  shuffle(s, feed, request_number);
  return s;
}

}  // namespace tsync::mock
