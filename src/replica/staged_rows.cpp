// SPDX-License-Identifier: Apache-2.0
#include "replica/staged_rows.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/errors.hpp"
#include "common/temp_file.hpp"

namespace tsync {

// A packed row: u32 size of what follows, u8 tombstone, u8 key parts, u32 size
// of the key, the key (per part: u8 kind, then 8 bytes of integer or u32 size
// and the text), then the values (per value: u16 column, u8 kind, then 8 bytes
// of integer or double, u32 size and the text, or nothing for NULL).
namespace {

constexpr std::size_t kHeader = 4 + 1 + 1 + 4;
// A run is read back through a buffer of at least this size.
constexpr std::size_t kMinReadBuffer = 64 * 1024;

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <class T>
T get(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

std::uint32_t body_size(const char* row) { return get<std::uint32_t>(row); }

}  // namespace

int compare_staged_keys(const char* a, const char* b) {
  const unsigned parts = static_cast<unsigned char>(a[5]);
  a += kHeader;
  b += kHeader;
  for (unsigned i = 0; i < parts; ++i) {
    const auto ka = static_cast<StagedRows::Kind>(static_cast<unsigned char>(*a++));
    const auto kb = static_cast<StagedRows::Kind>(static_cast<unsigned char>(*b++));
    // As SQLite orders them: integers before texts.
    if (ka != kb) return ka == StagedRows::Kind::Integer ? -1 : 1;
    if (ka == StagedRows::Kind::Integer) {
      const auto na = get<std::int64_t>(a), nb = get<std::int64_t>(b);
      if (na != nb) return na < nb ? -1 : 1;
      a += 8;
      b += 8;
      continue;
    }
    const auto sa = get<std::uint32_t>(a), sb = get<std::uint32_t>(b);
    const int c = std::memcmp(a + 4, b + 4, std::min(sa, sb));
    if (c != 0) return c;
    if (sa != sb) return sa < sb ? -1 : 1;
    a += 4 + sa;
    b += 4 + sb;
  }
  return 0;
}

// ---- Builder ----

void StagedRows::Builder::clear() {
  keys_.clear();
  values_.clear();
  key_parts_ = 0;
}

void StagedRows::Builder::key_integer(std::int64_t n) {
  keys_.push_back(static_cast<char>(Kind::Integer));
  put(keys_, n);
  ++key_parts_;
}

void StagedRows::Builder::key_text(std::string_view text) {
  keys_.push_back(static_cast<char>(Kind::Text));
  put(keys_, static_cast<std::uint32_t>(text.size()));
  keys_.append(text);
  ++key_parts_;
}

void StagedRows::Builder::null(std::size_t column) {
  put(values_, static_cast<std::uint16_t>(column));
  values_.push_back(static_cast<char>(Kind::Null));
}

void StagedRows::Builder::integer(std::size_t column, std::int64_t n) {
  put(values_, static_cast<std::uint16_t>(column));
  values_.push_back(static_cast<char>(Kind::Integer));
  put(values_, n);
}

void StagedRows::Builder::real(std::size_t column, double d) {
  put(values_, static_cast<std::uint16_t>(column));
  values_.push_back(static_cast<char>(Kind::Real));
  put(values_, d);
}

void StagedRows::Builder::text(std::size_t column, std::string_view text) {
  put(values_, static_cast<std::uint16_t>(column));
  values_.push_back(static_cast<char>(Kind::Text));
  put(values_, static_cast<std::uint32_t>(text.size()));
  values_.append(text);
}

// ---- Sources of merge(): the rows in memory, or one run of the file ----

class StagedRows::Source {
 public:
  // The rows in memory, in the order of `order`.
  Source(const std::string& arena, const std::vector<std::uint32_t>& order)
      : arena_(&arena), order_(&order) {}
  // One run of the file, read through the `size` bytes at `buffer` (memory the
  // owner keeps between merges), or a buffer of its own for a row larger than that.
  Source(const StagedRows& owner, Run run, char* buffer, std::size_t size)
      : owner_(&owner), buffer_(buffer), size_(size), next_(run.offset), end_(run.offset + run.bytes) {}

  // The current row, or nullptr past the last one.
  const char* row() const { return row_; }

  void advance() {
    if (arena_) {
      row_ = next_ < order_->size() ? arena_->data() + (*order_)[next_++] : nullptr;
      return;
    }
    begin_ += row_ ? 4 + body_size(row_) : 0;
    row_ = nullptr;
    if (!have(4)) return;
    const std::size_t size = 4 + body_size(buffer_ + begin_);
    if (!have(size)) owner_->fail("reading", EIO);  // a run ends inside a row
    row_ = buffer_ + begin_;
  }

 private:
  // True when `bytes` bytes from begin_ are in the buffer, reading more as needed;
  // false at the end of the run.
  bool have(std::size_t bytes) {
    if (filled_ - begin_ >= bytes) return true;
    if (next_ == end_) {
      if (filled_ != begin_) owner_->fail("reading", EIO);
      return false;
    }
    // Keep the part of the row that is in, and fill the rest.
    std::memmove(buffer_, buffer_ + begin_, filled_ - begin_);
    filled_ -= begin_;
    begin_ = 0;
    if (size_ < bytes) {
      own_.resize(bytes);
      std::memcpy(own_.data(), buffer_, filled_);
      buffer_ = own_.data();
      size_ = own_.size();
    }
    while (filled_ < bytes && next_ < end_) {
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(size_ - filled_, end_ - next_));
      const ssize_t got = ::pread(owner_->fd_, buffer_ + filled_, want, static_cast<off_t>(next_));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) owner_->fail("reading", got < 0 ? errno : EIO);
      filled_ += static_cast<std::size_t>(got);
      next_ += static_cast<std::uint64_t>(got);
    }
    return filled_ - begin_ >= bytes;
  }

  const std::string* arena_ = nullptr;
  const std::vector<std::uint32_t>* order_ = nullptr;
  const StagedRows* owner_ = nullptr;
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::vector<char> own_;
  std::size_t begin_ = 0, filled_ = 0;
  std::uint64_t next_ = 0, end_ = 0;  // in memory: next_ indexes order_
  const char* row_ = nullptr;
};

// ---- StagedRows ----

StagedRows::StagedRows(std::size_t memory, std::string owner)
    : memory_(std::max<std::size_t>(memory, 4096)), owner_(std::move(owner)) {}

StagedRows::~StagedRows() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
}

void StagedRows::fail(const std::string& what, int error) const {
  throw Error(owner_ + ": " + what + " a large transaction's staged rows in a temporary file in " +
              folder_ + " failed: " + std::strerror(error) +
              " (free some disk space there, or name a folder with room in SQLITE_TMPDIR, "
              "else TMPDIR; the replica keeps its last committed state)");
}

void StagedRows::add(const Builder& row, bool tombstone) {
  if (failed_.load(std::memory_order_relaxed)) wait_for_spill();
  // Each half reserved once, so that it never moves and is never copied as it grows.
  if (arena_.capacity() < memory_ / 2) arena_.reserve(memory_ / 2);
  const std::size_t body = 1 + 1 + 4 + row.keys_.size() + row.values_.size();
  // Half the budget each: the rows being packed, and the run being written.
  if (!arena_.empty() && arena_.size() + 4 + body > memory_ / 2) hand_off();
  order_.push_back(static_cast<std::uint32_t>(arena_.size()));
  put(arena_, static_cast<std::uint32_t>(body));
  arena_.push_back(static_cast<char>(tombstone ? 1 : 0));
  arena_.push_back(static_cast<char>(row.key_parts_));
  put(arena_, static_cast<std::uint32_t>(row.keys_.size()));
  arena_.append(row.keys_);
  arena_.append(row.values_);
  ++rows_;
}

std::size_t StagedRows::runs() {
  wait_for_spill();
  return runs_.size();
}

void StagedRows::sort(const std::string& arena, std::vector<std::uint32_t>& order) {
  // Offsets are in arrival order: a stable sort keeps the rows of one key so.
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return compare_staged_keys(arena.data() + a, arena.data() + b) < 0;
  });
}

void StagedRows::write_out(const char* data, std::size_t size) {
  if (fd_ < 0) {
    folder_ = temporary_folder();
    fd_ = open_unnamed_file(folder_);
    if (fd_ < 0) fail("writing", errno);
  }
  if (const int error = write_at(fd_, file_bytes_, data, size)) fail("writing", error);
  file_bytes_ += size;
}

void StagedRows::hand_off() {
  wait_for_spill();
  arena_.swap(spill_arena_);
  order_.swap(spill_order_);
  arena_.clear();
  order_.clear();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    spilling_ = true;
  }
  if (!thread_.joinable())
    thread_ = std::thread([this] { spill_thread(); });
  else
    changed_.notify_all();
}

void StagedRows::wait_for_spill() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !spilling_; });
  if (failure_) {
    // Once: the caller gives up the transaction, and clear() starts afresh.
    std::exception_ptr failure = std::move(failure_);
    failure_ = nullptr;
    failed_.store(false, std::memory_order_relaxed);
    std::rethrow_exception(failure);
  }
}

void StagedRows::spill_thread() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return spilling_ || stopping_; });
    if (!spilling_) return;  // stopping, with no run to write
    lock.unlock();
    std::exception_ptr failure;
    try {
      spill();
    } catch (...) {
      failure = std::current_exception();
    }
    lock.lock();
    if (failure) {
      failure_ = failure;
      failed_.store(true, std::memory_order_relaxed);
    }
    spilling_ = false;
    changed_.notify_all();
  }
}

void StagedRows::spill() {
  sort(spill_arena_, spill_order_);
  Run run;
  run.offset = file_bytes_;
  out_.clear();
  for (const std::uint32_t offset : spill_order_) {
    const char* row = spill_arena_.data() + offset;
    out_.append(row, 4 + body_size(row));
    if (out_.size() >= (1u << 20)) {
      write_out(out_.data(), out_.size());
      out_.clear();
    }
  }
  write_out(out_.data(), out_.size());
  run.bytes = file_bytes_ - run.offset;
  runs_.push_back(run);
  spill_arena_.clear();
  spill_order_.clear();
  out_.clear();
}

void StagedRows::begin_merge() {
  wait_for_spill();
  sort(arena_, order_);
  // The runs in the order they were written, then the rows in memory: on equal
  // keys the source written first came first. The runs are read through the
  // spill thread's half of the memory, idle until the next transaction.
  sources_.clear();
  sources_.reserve(runs_.size() + 1);
  if (!runs_.empty()) {
    const std::size_t buffer = std::max(kMinReadBuffer, memory_ / 2 / runs_.size());
    spill_arena_.resize(std::max(spill_arena_.capacity(), buffer * runs_.size()));
    for (std::size_t i = 0; i < runs_.size(); ++i)
      sources_.emplace_back(*this, runs_[i], spill_arena_.data() + i * buffer, buffer);
  }
  sources_.emplace_back(arena_, order_);
  heap_.clear();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    sources_[i].advance();
    if (sources_[i].row()) heap_.push_back(i);
  }
  std::make_heap(heap_.begin(), heap_.end(), [this](std::size_t a, std::size_t b) {
    return later(a, b);
  });
  returned_ = 0;
}

bool StagedRows::later(std::size_t a, std::size_t b) const {
  // std heaps put the greatest first: "greater" means later in key order.
  const int c = compare_staged_keys(sources_[a].row(), sources_[b].row());
  return c != 0 ? c > 0 : a > b;
}

const StagedRows::Row* StagedRows::next_row() {
  auto later_source = [this](std::size_t a, std::size_t b) { return later(a, b); };
  if (returned_ > 0) {
    // The row returned last is done with: its source moves on.
    Source& source = sources_[returned_ - 1];
    source.advance();
    if (source.row())
      std::push_heap(heap_.begin(), heap_.end(), later_source);
    else
      heap_.pop_back();
    returned_ = 0;
  }
  if (heap_.empty()) return nullptr;
  std::pop_heap(heap_.begin(), heap_.end(), later_source);
  returned_ = heap_.back() + 1;
  const char* packed = sources_[heap_.back()].row();
  row_.tombstone_ = packed[4] != 0;
  row_.values_ = packed + kHeader + get<std::uint32_t>(packed + 6);
  row_.end_ = packed + 4 + body_size(packed);
  return &row_;
}

void StagedRows::merge(const std::function<void(const Row&)>& visit) {
  begin_merge();
  while (const Row* row = next_row()) visit(*row);
}

void StagedRows::clear() {
  try {
    wait_for_spill();
  } catch (...) {
    // The transaction the failed run belonged to is given up with these rows.
  }
  // The buffers keep their memory for the next transaction: taking it from the
  // system again costs a page fault for every 4 KiB, as much time as sorting them.
  sources_.clear();
  heap_.clear();
  returned_ = 0;
  arena_.clear();
  order_.clear();
  spill_arena_.clear();
  spill_order_.clear();
  runs_.clear();
  rows_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  file_bytes_ = 0;
}

void StagedRows::release() {
  clear();
  std::vector<Source>().swap(sources_);
  std::string().swap(arena_);
  std::vector<std::uint32_t>().swap(order_);
  std::string().swap(spill_arena_);
  std::vector<std::uint32_t>().swap(spill_order_);
  std::string().swap(out_);
}

}  // namespace tsync
