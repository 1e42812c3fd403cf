// SPDX-License-Identifier: Apache-2.0
#pragma once
// The keys a chain of pages has read, to tell a record that comes twice, in
// memory that stays bounded at any chain length.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/record.hpp"
#include "common/temp_file.hpp"
#include "source/pagination.hpp"
#include "sync/tally.hpp"

namespace tsync {

// The keys of a chain's records, to tell a record that comes twice: with a new
// version (the data moved under the pages) or with the same one (the API's own
// duplicate). Each key is kept twice, alone and with its version (its cursor
// value), with the pages it came in: committed, read whole since the last
// commit, or the page being read.
// Memory stays bounded: once the pages read whole hold `memory_keys` keys,
// they are written, sorted by key, as runs to a temporary file (those
// committed, and those since the last commit, which a fault drops) and
// forgotten in memory; a record is then told twice at once only against the
// keys still in memory (every key of a chain that never wrote a run), and at
// the chain's end (settle) the runs are merged to count what came twice across
// them, exactly as if every key had stayed in memory. Keys told only there are
// counted, not named.
class ChainKeys {
 public:
  static constexpr std::size_t kMemoryKeys = 64 * 1024;

  explicit ChainKeys(std::vector<std::string> key_fields, std::size_t memory_keys = kMemoryKeys);

  // A page begins.
  void begin_page();
  // A record of the page being read.
  void note(const Record& record);
  // The page was read whole: its keys join those since the last commit, and
  // what came twice in it counts in `repeats` (a new version) and `tally`.
  void end_page(std::int64_t& repeats, Tally& tally);
  // The pages read whole since the last commit are committed.
  void commit();
  // After a fault: the pages since the last commit are to be read again.
  void rewind();
  // At the chain's end, once the pages read whole are committed: what came
  // twice between keys written to different runs counts in `repeats` and
  // `tally` too. Throws Error when the temporary file fails.
  void settle(std::int64_t& repeats, Tally& tally);

  // Records of the page being read that came before in the chain (among the
  // keys in memory).
  std::int64_t page_twice() const { return page_repeats_ + page_duplicates_; }
  // Records of the pages read whole that had come, with the same version, in
  // another page of the chain: the API's own duplicate when the pages were
  // served in order, or pages that slid when they were asked ahead.
  std::int64_t twice_across_pages() const { return twice_across_pages_; }
  // Runs written to the temporary file so far.
  std::size_t runs() const { return runs_.size(); }

 private:
  // One record's key and version, the page of the chain it came in, and the
  // keys it was told against as it came (those in memory since the last spill).
  struct Seen {
    std::uint64_t key;
    std::uint64_t version;
    std::uint32_t page;
    std::uint32_t epoch;
  };
  struct Run {
    std::uint64_t offset;
    std::size_t count;
    bool committed;  // false: pages since the last commit, dropped by a fault
  };
  class RunReader;

  void spill();
  void write_run(std::vector<Seen>& log, bool committed);

  const std::vector<std::string> key_fields_;
  const std::size_t memory_keys_;
  SeenKeys seen_;                     // keys of the pages committed, since the last run
  SeenKeys pending_keys_;             // keys of the pages read whole since the last commit
  SeenKeys page_keys_;                // keys of the page being read
  std::vector<Seen> seen_log_, pending_log_, page_log_;  // the same, in arrival order
  std::uint32_t page_ = 0;            // pages begun in the chain
  std::uint32_t epoch_ = 0;           // spills so far
  std::int64_t page_repeats_ = 0;     // keys of the page that came before with another version
  std::int64_t page_duplicates_ = 0;  // keys of the page that came before with the same version
  std::int64_t page_across_ = 0;      // of those, keys that came in another page
  std::int64_t twice_across_pages_ = 0;
  std::vector<std::string> page_moved_keys_, page_duplicate_keys_;
  std::unique_ptr<TempFile> file_;
  std::vector<Run> runs_;
};

}  // namespace tsync
