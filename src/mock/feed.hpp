// SPDX-License-Identifier: Apache-2.0
#pragma once

// Where one data request's records come from (the users or a generic
// endpoint), how they are framed and filtered, and the records after since in
// the order a request pages through them.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mock/body_writer.hpp"
#include "mock/catalog.hpp"
#include "mock/endpoint_spec.hpp"

namespace tsync::mock {

// Where one data request's records come from, and how they are framed and filtered.
struct Feed {
  std::string path;
  std::string records_path = "data";
  std::string prefix, suffix;  // the framing without paging fields
  std::string since_param = "since";
  std::string cursor_field = "updatedAt";
  CursorFormat format = CursorFormat::Iso8601;
  std::map<std::string, std::string> required;
  std::uint64_t seed = 1;
  // Reads what is served right now into `catalog` and `serving`; called after
  // the request hook, so that a hook's changes count for its request.
  std::function<void(Feed&)> load;
  // The store index of the record with an id, for LastRecord.
  std::function<std::optional<std::uint32_t>(const std::string&)> record_index;
  std::shared_ptr<const Catalog> catalog;
  ServingOptions serving;
  AuthRequirement auth;
  // The request's until (serving.until_param), when it has one.
  std::optional<Instant> until;

  // The end of the records before until: an index of the catalog.
  std::size_t end() const { return until ? catalog->first_not_before(*until) : catalog->size(); }
  // The first record after `since` as serving.since_mode reads it: an index of
  // the catalog (0 without since).
  std::size_t begin(std::optional<Instant> since) const;
};

// The records a request may page through: the catalog's records after since
// (a range of the catalog, which is in serving order), in the order asked for.
struct View {
  std::shared_ptr<const Catalog> catalog;
  std::size_t begin = 0, end = 0;
  Order order = Order::Ascending;
  // ByKey: the catalog indices of the range, in key order.
  std::shared_ptr<const std::vector<std::uint32_t>> keyed;

  std::size_t size() const { return end - begin; }
  // The catalog index of the k-th record in the view's order.
  std::uint32_t at(std::size_t k) const {
    switch (order) {
      case Order::NewestFirst:
        return static_cast<std::uint32_t>(end - 1 - k);
      case Order::ByKey:
        return (*keyed)[k];
      case Order::Ascending:
        break;
    }
    return static_cast<std::uint32_t>(begin + k);
  }
};

// Per feed path, the key order of its catalog, computed once per catalog and
// kept while that catalog is served. Thread-safe.
class KeyOrders {
 public:
  // The catalog indices of every record of `catalog`, in key order: by the
  // record's index in its store (which follows creation), raw records last.
  std::shared_ptr<const std::vector<std::uint32_t>> of(
      const std::string& path, const std::shared_ptr<const Catalog>& catalog);

 private:
  std::mutex mutex_;
  std::map<std::string, std::pair<std::weak_ptr<const Catalog>,
                                  std::shared_ptr<const std::vector<std::uint32_t>>>>
      orders_;
};

// The records of `feed` after since, in `order`.
View view(const Feed& feed, std::optional<Instant> since, Order order, KeyOrders& key_orders);

// Shuffles the records of `s` when the feed serves them unsorted, the same way
// for the same seed and request number.
void shuffle(Selection& s, const Feed& feed, std::size_t request_number);

// PagingStyle::None: the records after since, at most page_size of them unless
// that would split an instant.
Selection select(std::optional<Instant> since, const Feed& feed, std::size_t request_number);

}  // namespace tsync::mock
