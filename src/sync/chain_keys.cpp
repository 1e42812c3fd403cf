// SPDX-License-Identifier: Apache-2.0
#include "sync/chain_keys.hpp"

#include <algorithm>
#include <queue>

#include "common/errors.hpp"

namespace tsync {

// Reads one run back from the temporary file, a buffer at a time.
class ChainKeys::RunReader {
 public:
  // `entries`: how many of the run's keys a read brings.
  RunReader(const TempFile& file, const Run& run, std::size_t entries)
      : file_(file), run_(run), entries_(entries) {
    fill();
  }

  bool valid() const { return pos_ < buffer_.size(); }
  const Seen& current() const { return buffer_[pos_]; }
  void next() {
    if (++pos_ == buffer_.size()) fill();
  }

 private:
  void fill() {
    const std::size_t n = std::min(entries_, run_.count - read_);
    buffer_.resize(n);
    pos_ = 0;
    if (n == 0) return;
    const std::size_t bytes = n * sizeof(Seen);
    if (file_.read(run_.offset + read_ * sizeof(Seen), buffer_.data(), bytes) != bytes)
      throw Error("reading the keys of a long chain of pages back from a temporary file in " +
                  file_.folder() +
                  ": it ended before the keys written to it (the disk or its filesystem failed "
                  "under tsync: see the kernel's log); the replica keeps its last commit and the "
                  "stream's cursor stays where the chain began, so the next sync reads the chain "
                  "again");
    read_ += n;
  }

  const TempFile& file_;
  const Run run_;
  const std::size_t entries_;
  std::vector<Seen> buffer_;
  std::size_t pos_ = 0;
  std::size_t read_ = 0;  // entries of the run read into buffers
};

ChainKeys::ChainKeys(std::vector<std::string> key_fields, std::size_t memory_keys)
    : key_fields_(std::move(key_fields)), memory_keys_(std::max<std::size_t>(memory_keys, 1)) {}

void ChainKeys::begin_page() {
  ++page_;
  page_keys_.clear();
  page_log_.clear();
  page_repeats_ = page_duplicates_ = page_across_ = 0;
  page_moved_keys_.clear();
  page_duplicate_keys_.clear();
}

void ChainKeys::note(const Record& record) {
  const std::uint64_t h = SeenKeys::hash_of(record, key_fields_);
  const std::uint64_t v = SeenKeys::with_version(h, record.cursor_text);
  auto seen = [&](std::uint64_t x) {
    return seen_.contains(x) || pending_keys_.contains(x) || page_keys_.contains(x);
  };
  if (seen(h)) {
    const bool same_version = seen(v);
    ++(same_version ? page_duplicates_ : page_repeats_);
    if (same_version && (seen_.contains(v) || pending_keys_.contains(v))) ++page_across_;
    auto& keys = same_version ? page_duplicate_keys_ : page_moved_keys_;
    if (keys.size() < kKeysNamed) keys.push_back(key_text(record, key_fields_));
  }
  page_keys_.insert(h);
  page_keys_.insert(v);
  page_log_.push_back({h, v, page_, epoch_});
}

void ChainKeys::end_page(std::int64_t& repeats, Tally& tally) {
  pending_keys_.merge(page_keys_);
  pending_log_.insert(pending_log_.end(), page_log_.begin(), page_log_.end());
  page_log_.clear();
  if (seen_log_.size() + pending_log_.size() >= memory_keys_) spill();
  repeats += page_repeats_;
  tally.duplicates += page_duplicates_;
  twice_across_pages_ += page_across_;
  for (const std::string& key : page_moved_keys_) Tally::note_key(tally.moved_keys, key);
  for (const std::string& key : page_duplicate_keys_) Tally::note_key(tally.duplicate_keys, key);
}

void ChainKeys::commit() {
  seen_.merge(pending_keys_);
  pending_keys_.clear();
  seen_log_.insert(seen_log_.end(), pending_log_.begin(), pending_log_.end());
  pending_log_.clear();
  for (Run& run : runs_) run.committed = true;
}

void ChainKeys::rewind() {
  pending_keys_.clear();
  page_keys_.clear();
  pending_log_.clear();
  page_log_.clear();
  while (!runs_.empty() && !runs_.back().committed) runs_.pop_back();
}

void ChainKeys::spill() {
  write_run(seen_log_, true);
  write_run(pending_log_, false);
  seen_.clear();
  pending_keys_.clear();
  ++epoch_;
}

void ChainKeys::write_run(std::vector<Seen>& log, bool committed) {
  if (log.empty()) return;
  // Stable: the versions of one key stay in the order they came.
  std::stable_sort(log.begin(), log.end(),
                   [](const Seen& a, const Seen& b) { return a.key < b.key; });
  if (!file_) file_ = std::make_unique<TempFile>("the keys of a long chain of pages");
  const std::uint64_t at = file_->append(log.data(), log.size() * sizeof(Seen));
  runs_.push_back({at, log.size(), committed});
  log.clear();
}

void ChainKeys::settle(std::int64_t& repeats, Tally& tally) {
  if (runs_.empty()) return;  // every key stayed in memory: counted as it came
  spill();  // settled after commit(): every run is committed
  // The runs are read through 4 MiB in all (a read of 256 keys at least).
  constexpr std::size_t kMergeBytes = 4 << 20;
  const std::size_t entries = std::clamp<std::size_t>(
      kMergeBytes / sizeof(Seen) / runs_.size(), 256, 4096);
  std::vector<RunReader> readers;
  readers.reserve(runs_.size());
  for (const Run& run : runs_) readers.emplace_back(*file_, run, entries);
  // The readers by their next key, the older run first among equal keys.
  auto later = [&](std::size_t a, std::size_t b) {
    const std::uint64_t ka = readers[a].current().key, kb = readers[b].current().key;
    return ka != kb ? ka > kb : a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> heap(later);
  for (std::size_t i = 0; i < readers.size(); ++i)
    if (readers[i].valid()) heap.push(i);
  // One key's records, in the order they came.
  std::vector<Seen> group;
  while (!heap.empty()) {
    const std::uint64_t key = readers[heap.top()].current().key;
    group.clear();
    while (!heap.empty() && readers[heap.top()].current().key == key) {
      const std::size_t r = heap.top();
      heap.pop();
      for (; readers[r].valid() && readers[r].current().key == key; readers[r].next())
        group.push_back(readers[r].current());
      if (readers[r].valid()) heap.push(r);
    }
    if (group.size() < 2 || group.front().epoch == group.back().epoch) continue;
    // What came twice counted over the whole chain, less what was counted as
    // it came (against the records of the same run only).
    std::int64_t moved = 0, duplicates = 0, across = 0;
    for (std::size_t i = 1; i < group.size(); ++i) {
      const Seen& s = group[i];
      bool any = false, any_here = false, same = false, same_here = false;
      bool same_other_page = false, same_other_page_here = false;
      for (std::size_t j = 0; j < i; ++j) {
        const Seen& t = group[j];
        const bool here = t.epoch == s.epoch;
        any = true;
        any_here = any_here || here;
        if (t.version != s.version) continue;
        same = true;
        same_here = same_here || here;
        if (t.page != s.page) {
          same_other_page = true;
          same_other_page_here = same_other_page_here || here;
        }
      }
      if (any) (same ? duplicates : moved) += 1;
      if (any_here) (same_here ? duplicates : moved) -= 1;
      across += (same_other_page ? 1 : 0) - (same_other_page_here ? 1 : 0);
    }
    repeats += moved;
    tally.duplicates += duplicates;
    twice_across_pages_ += across;
  }
  runs_.clear();
  file_.reset();  // its space returns
}

}  // namespace tsync
