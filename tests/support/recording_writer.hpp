// SPDX-License-Identifier: Apache-2.0
#pragma once
// A RowWriter that records what a reader of responses hands it, for the unit
// tests of the readers (sync/response_sink, sync/chain_sink) without a replica.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.hpp"
#include "replica/write_queue.hpp"

namespace tsync::test {

class RecordingWriter : public RowWriter {
 public:
  // One commit: the cursor it saved (none: rows alone) and the rows it held.
  struct Commit {
    std::optional<std::string> cursor;
    std::int64_t rows = 0;
  };

  void upsert(const Record& record) override {
    ++uncommitted_;
    upserted.push_back(record.find("id") ? record.find("id")->text : std::string());
  }
  void reject(std::string_view, std::string_view reason, const Record*) override {
    ++uncommitted_;
    rejected.emplace_back(reason);
  }
  void commit(const Cursor* cursor, const RunCounters&) override {
    commits.push_back({cursor ? std::optional<std::string>(cursor->text) : std::nullopt,
                       uncommitted_});
    if (cursor) cursors_.push_back(*cursor);
    uncommitted_ = 0;
  }
  void rewind() override { uncommitted_ = 0; }
  std::int64_t uncommitted_rows() const override { return uncommitted_; }
  RunCounters counters() const override { return {}; }
  void begin_full_pass(const std::optional<Cursor>&) override { ++full_passes; }
  int full_passes = 0;
  std::vector<Cursor> take_committed_cursors() override {
    std::vector<Cursor> out;
    out.swap(cursors_);
    return out;
  }

  // The cursor of the last commit that saved one.
  std::optional<std::string> last_cursor() const {
    for (auto it = commits.rbegin(); it != commits.rend(); ++it)
      if (it->cursor) return it->cursor;
    return std::nullopt;
  }

  std::vector<std::string> upserted;  // the ids of the records, in order
  std::vector<std::string> rejected;  // the reasons
  std::vector<Commit> commits;

 private:
  std::int64_t uncommitted_ = 0;
  std::vector<Cursor> cursors_;
};

// A record with an id and an updatedAt of `seconds` past the epoch, whose text
// is "t<seconds>".
inline Record record_at(const std::string& id, std::int64_t seconds) {
  Record r;
  FieldValue& f = r.add();
  f.name = "id";
  f.kind = ValueKind::String;
  f.text = id;
  FieldValue& t = r.add();
  t.name = "updatedAt";
  t.kind = ValueKind::String;
  t.text = "t" + std::to_string(seconds);
  r.cursor = Instant{seconds, 0};
  r.cursor_text = t.text;
  r.cursor_index = 1;
  return r;
}

inline Cursor cursor_at(std::int64_t seconds) {
  return Cursor{"t" + std::to_string(seconds), Instant{seconds, 0}};
}

}  // namespace tsync::test
