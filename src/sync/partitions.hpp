// SPDX-License-Identifier: Apache-2.0
#pragma once
// A child stream read once per partition: a live row of its parent's table,
// or a value of a fixed list. Each partition has its own cursor (in
// _partition, committed with its rows), its own requests with its values in
// the placeholders of the url and params, and its values copied into its rows.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "replica/replica.hpp"
#include "replica/write_queue.hpp"
#include "sync/observer.hpp"
#include "sync/request.hpp"
#include "sync/tally.hpp"

namespace tsync {

struct StreamRun;

// One partition to read: its identity, its values (one per ref of the
// stream's PartitionSettings), the parent row's version and where it starts.
// A view into the plan's one packed buffer: a plan of a million partitions
// takes a hundred-odd bytes for each, not a handful of strings.
class Partition {
 public:
  explicit Partition(std::string_view packed) : packed_(packed) {}
  // The identity: a JSON array of the parent row's key, or of the fixed values.
  std::string key() const { return std::string(field(0)); }
  // The parent row's version; "" for a fixed partition.
  std::string version() const { return std::string(field(1)); }
  // Its saved cursor, if any.
  std::optional<std::string> saved() const;
  // Value `i` (of the stream's PartitionSettings::refs).
  FieldValue value(std::size_t i) const;

  // Appends a partition's packed form to `out`.
  static void pack(std::string& out, std::string_view key, std::string_view version,
                   const std::optional<std::string>& saved, const std::vector<FieldValue>& values);

 private:
  // The n-th length-prefixed part: key, version, saved, then each value
  // (its kind the first byte).
  std::string_view field(std::size_t n) const;
  std::string_view packed_;
};

// Which partitions a run of a child stream reads, and how they went.
class PartitionPlan {
 public:
  // Lists the partitions of `stream` (the parent's live rows in the replica,
  // or the fixed list), with their saved cursors; with "parents": "changed"
  // and without `full`, only those whose parent row changed since they were
  // last read whole. Partitions saved before whose parent is gone are in gone().
  PartitionPlan(Replica& replica, const StreamConfig& stream, bool full);

  const std::vector<Partition>& to_read() const { return read_; }
  const std::vector<std::string>& gone() const { return gone_; }
  std::size_t live() const { return live_; }
  // False when the parent's table does not exist yet (the parent never synced).
  bool parent_synced() const { return parent_synced_; }
  // The child's columns that hold a partition's identity, in the key's order.
  const std::vector<std::string>& identity() const { return identity_; }

  // A partition ended: read whole, answered 404 or 410, or failed with `error`.
  enum class Outcome { Done, NotFound, Failed };
  void ended(const Partition& p, Outcome outcome, const std::string& error);
  std::size_t done() const;
  // "3 of 40 partitions failed (repo acme/api: ...; ...)", or "" when none did.
  std::string failures(const StreamConfig& stream) const;
  // "2 partitions answered 404 or 410 (...): read as empty", or "".
  std::string not_found(const StreamConfig& stream) const;
  // The keys of the partitions answered 404 or 410, sorted.
  std::vector<std::string> not_found_keys() const;

 private:
  // Every partition to read, packed one after another in chunks that never
  // move (so the views stay valid, and the plan never holds two copies).
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t chunk_used_ = 0, chunk_size_ = 0;
  std::vector<Partition> read_;
  // Keeps `packed` in the chunks and returns the view of it.
  std::string_view keep(std::string_view packed);
  std::vector<std::string> gone_;
  std::vector<std::string> identity_;
  std::size_t live_ = 0;
  bool parent_synced_ = true;
  mutable std::mutex mutex_;
  std::size_t done_ = 0, failed_ = 0, not_found_ = 0;
  std::vector<std::string> failed_named_, not_found_named_;
  std::vector<std::string> not_found_keys_;
};

// The stream as one partition reads it: the placeholders of its url (each
// value percent-encoded as a path segment) and params filled in, and the
// partition's columns added to every record.
StreamConfig partition_stream(const StreamConfig& stream, const Partition& partition);

// The partition's values as messages name them: "repo acme/api" or "[12]".
std::string partition_name(const StreamConfig& stream, const Partition& partition);

// Reads one partition from its cursor as the stream's configuration says, its
// rows and cursor committed together through `rows`; ends with the partition's
// row of _partition saying how it went. A failure of the partition is counted
// in the run's plan, not thrown: only a stop (Interrupted, RunDeadline) and a
// failure of the replica itself are. Returns the records that came twice.
std::int64_t read_partition(StreamRun& run, const Partition& partition, const Transport& net,
                            RowWriter& rows, SyncObserver& observer, RunCounters& io,
                            Tally& tally);

// Reads every partition of the run's plan, one after another.
std::int64_t read_partitions(StreamRun& run, const Transport& net, RowWriter& rows,
                             SyncObserver& observer, RunCounters& io);

}  // namespace tsync
