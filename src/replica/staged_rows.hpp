// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace tsync {

// The rows of a large transaction, each bound as its statement will bind it,
// kept for its commit and handed back in the order of their keys (rows of one
// key in arrival order): an external merge sort. Rows are packed one after the
// other in memory; once they fill half the memory budget they are handed to a
// thread of the object's own, which sorts them by key and writes them out as one
// run to a temporary file while the caller packs the next half: sorting and
// writing cost the caller's thread nothing but the wait for the run before.
// merge() sorts the rows still in memory and merges them with the runs. Every
// row is written once and read once, and the memory in use stays about the
// budget, however large the transaction: half for the rows being packed, half
// for the run being written, and during the merge the runs are read through
// that second half (64 KiB a run at least, so past 128 runs of the default
// budget the read buffers take a little more).
//
// The temporary file is made in SQLite's temporary folder (SQLITE_TMPDIR, else
// TMPDIR, else /var/tmp, /usr/tmp, /tmp) with no name, so that its space comes
// back when the rows are cleared, or when the process exits or is killed.
class StagedRows {
 public:
  // What a packed value is: as sqlite3_bind_null, _int64, _double or _text binds it.
  enum class Kind : std::uint8_t { Null, Integer, Real, Text };

  // A row being packed (add()): its key's values in the key's order, each an
  // integer or a text, and its column values.
  class Builder {
   public:
    void clear();
    void key_integer(std::int64_t n);
    void key_text(std::string_view text);
    void null(std::size_t column);
    void integer(std::size_t column, std::int64_t n);
    void real(std::size_t column, double d);
    void text(std::size_t column, std::string_view text);

   private:
    friend class StagedRows;
    std::string keys_, values_;
    std::uint8_t key_parts_ = 0;
  };

  // One row as merge() hands it over; valid during the call.
  class Row {
   public:
    bool tombstone() const { return tombstone_; }
    // Calls visit(column, kind, integer, real, text) for each packed value.
    template <class Visit>
    void each_value(Visit&& visit) const;

   private:
    friend class StagedRows;
    bool tombstone_ = false;
    const char* values_ = nullptr;
    const char* end_ = nullptr;
  };

  // `memory`: the bytes of rows held in memory before they are written out as a
  // run. `owner` names what the rows belong to (the replica) in errors.
  StagedRows(std::size_t memory, std::string owner);
  ~StagedRows();
  StagedRows(const StagedRows&) = delete;
  StagedRows& operator=(const StagedRows&) = delete;

  // Keeps the row that `row` holds. Throws Error when a run could not be
  // written to the temporary file (no room: the message says where it was
  // written); the failure of a run being written shows at the first call after it.
  void add(const Builder& row, bool tombstone);
  std::int64_t rows() const { return rows_; }
  // Runs written to the temporary file so far, once the one being written is.
  // Throws as add() does.
  std::size_t runs();
  // Calls visit(row) for every row, in key order. Throws Error when a run could
  // not be written or the file cannot be read, and whatever visit throws.
  void merge(const std::function<void(const Row&)>& visit);
  // The same, a row at a time: begin_merge(), then next_row() until it returns
  // nullptr. A row stays valid until the next call.
  void begin_merge();
  const Row* next_row();
  // Forgets every row (with the failure of a run, if one failed), and gives
  // the temporary file's space back; the memory stays for the next transaction.
  void clear();
  // The same, and gives the memory back too: before work that needs memory of
  // its own more than the next transaction needs this.
  void release();

 private:
  struct Run {
    std::uint64_t offset = 0, bytes = 0;
  };
  class Source;

  void hand_off();         // the rows in memory become the spill thread's run
  void wait_for_spill();   // until no run is being written; rethrows its failure
  void spill_thread();
  void spill();            // on the spill thread: sorts and writes spill_arena_
  static void sort(const std::string& arena, std::vector<std::uint32_t>& order);
  bool later(std::size_t a, std::size_t b) const;  // for the merge's heap
  void write_out(const char* data, std::size_t size);
  [[noreturn]] void fail(const std::string& what, int error) const;

  std::size_t memory_;
  std::string owner_;
  std::string arena_;                  // packed rows, in arrival order
  std::vector<std::uint32_t> order_;   // their offsets in arena_
  std::int64_t rows_ = 0;

  // The spill thread, started at the first run. While spilling_ is true it
  // alone uses spill_arena_, spill_order_, runs_, fd_, folder_, file_bytes_ and
  // out_; the caller's thread touches them only after wait_for_spill().
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool spilling_ = false, stopping_ = false;
  std::exception_ptr failure_;        // a run that could not be written
  std::atomic<bool> failed_{false};   // failure_ is set: add() looks without the lock
  std::string spill_arena_;
  std::vector<std::uint32_t> spill_order_;
  std::vector<Run> runs_;
  int fd_ = -1;
  std::string folder_;  // where the temporary file is
  std::uint64_t file_bytes_ = 0;
  std::string out_;  // a run on its way to the file
  // The merge under way.
  std::vector<Source> sources_;
  std::vector<std::size_t> heap_;
  std::size_t returned_ = 0;  // the source of the row next_row() returned last, +1
  Row row_;
};

// The key compare of packed rows (each starting at its key), for tests.
int compare_staged_keys(const char* a, const char* b);

template <class Visit>
void StagedRows::Row::each_value(Visit&& visit) const {
  const char* p = values_;
  while (p < end_) {
    std::uint16_t column = 0;
    __builtin_memcpy(&column, p, 2);
    const auto kind = static_cast<Kind>(static_cast<unsigned char>(p[2]));
    p += 3;
    std::int64_t n = 0;
    double d = 0;
    std::string_view text;
    switch (kind) {
      case Kind::Null:
        break;
      case Kind::Integer:
        __builtin_memcpy(&n, p, 8);
        p += 8;
        break;
      case Kind::Real:
        __builtin_memcpy(&d, p, 8);
        p += 8;
        break;
      case Kind::Text: {
        std::uint32_t size = 0;
        __builtin_memcpy(&size, p, 4);
        text = std::string_view(p + 4, size);
        p += 4 + size;
        break;
      }
    }
    visit(static_cast<std::size_t>(column), kind, n, d, text);
  }
}

}  // namespace tsync
