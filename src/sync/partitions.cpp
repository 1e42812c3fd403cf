// SPDX-License-Identifier: Apache-2.0
#include "sync/partitions.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/errors.hpp"
#include "replica/partitions.hpp"
#include "source/url.hpp"
#include "sync/chain.hpp"
#include "sync/stream_run.hpp"
#include "sync/unpaged.hpp"
#include "sync/windows.hpp"

namespace tsync {
namespace {

// Partitions a message names at most.
constexpr std::size_t kPartitionsNamed = 3;

// `text` with each placeholder replaced by the partition's value, percent-
// encoded when `encode` (a path segment).
std::string fill(const std::string& text, const PartitionSettings& p, const Partition& partition,
                 bool encode) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '{') {
      out += text[i];
      continue;
    }
    const std::size_t end = text.find('}', i);
    const std::string inner = text.substr(i + 1, end - i - 1);
    for (const auto& [name, index] : p.placeholders) {
      if (name != inner) continue;
      const std::string value = partition.value(index).text;
      if (encode)
        append_url_encoded(out, value);
      else
        out += value;
      break;
    }
    i = end;
  }
  return out;
}

// Commits of a partition's reads carry its mark; the last cursor committed is
// where the partition stands. A commit with a cursor is held back until the
// next row, rewind or end: the end of a partition then commits its last rows,
// its cursor and its status in one transaction, not two.
class PartitionRows : public RowWriter {
 public:
  PartitionRows(RowWriter& rows, std::string key) : rows_(rows) {
    auto mark = std::make_shared<PartitionMark>();
    mark->key = std::move(key);
    reading_ = std::move(mark);
  }
  void upsert(const Record& record) override {
    flush();
    rows_.upsert(record);
  }
  void reject(std::string_view raw, std::string_view reason, const Record* keyed) override {
    flush();
    rows_.reject(raw, reason, keyed);
  }
  void commit(const Cursor* cursor, const RunCounters& io) override {
    flush();
    if (!cursor) return rows_.commit(nullptr, io);
    held_.emplace(cursor->text, cursor->instant, reading_);
    held_io_ = io;
    last_ = *held_;
  }
  void rewind() override {
    flush();
    rows_.rewind();
  }
  std::int64_t uncommitted_rows() const override { return held_ ? 0 : rows_.uncommitted_rows(); }
  RunCounters counters() const override { return rows_.counters(); }
  std::vector<Cursor> take_committed_cursors() override { return rows_.take_committed_cursors(); }
  void begin_full_pass(const std::optional<Cursor>& floor) override {
    flush();
    rows_.begin_full_pass(floor);
  }

  // Hands on the commit held back.
  void flush() {
    if (!held_) return;
    const Cursor cursor = std::move(*held_);
    held_.reset();
    rows_.commit(&cursor, held_io_);
  }

  // Ends the partition: its last cursor (or `start`) with the mark `end`,
  // with the commit held back if there is one.
  void end(const Cursor& start, PartitionMark end, const RunCounters& io) {
    end.key = reading_->key;
    held_.reset();
    const Cursor& at = last_ ? *last_ : start;
    const Cursor marked{at.text, at.instant, std::make_shared<PartitionMark>(std::move(end))};
    rows_.commit(&marked, io);
  }

 private:
  RowWriter& rows_;
  std::shared_ptr<const PartitionMark> reading_;
  std::optional<Cursor> held_;  // a commit not handed on yet
  RunCounters held_io_;
  std::optional<Cursor> last_;
};

bool is_stop(const std::exception& e) {
  return dynamic_cast<const Interrupted*>(&e) || dynamic_cast<const RunDeadline*>(&e);
}

}  // namespace

namespace {

void put_part(std::string& out, std::string_view part) {
  const auto n = static_cast<std::uint32_t>(part.size());
  out.append(reinterpret_cast<const char*>(&n), sizeof n);
  out.append(part);
}

constexpr std::uint32_t kAbsent = 0xffffffffU;

}  // namespace

void Partition::pack(std::string& out, std::string_view key, std::string_view version,
                     const std::optional<std::string>& saved,
                     const std::vector<FieldValue>& values) {
  put_part(out, key);
  put_part(out, version);
  if (saved) {
    put_part(out, *saved);
  } else {
    out.append(reinterpret_cast<const char*>(&kAbsent), sizeof kAbsent);
  }
  for (const FieldValue& v : values) {
    out += static_cast<char>(v.kind);
    put_part(out, v.text);
  }
}

std::string_view Partition::field(std::size_t n) const {
  std::size_t at = 0;
  for (std::size_t i = 0;; ++i) {
    if (i > 2) ++at;  // a value's kind
    std::uint32_t length = 0;
    std::memcpy(&length, packed_.data() + at, sizeof length);
    at += sizeof length;
    if (length == kAbsent) length = 0;
    if (i == n) return packed_.substr(at, length);
    at += length;
  }
}

std::optional<std::string> Partition::saved() const {
  std::size_t at = 0;
  for (int i = 0; i < 2; ++i) {
    std::uint32_t length = 0;
    std::memcpy(&length, packed_.data() + at, sizeof length);
    at += sizeof length + length;
  }
  std::uint32_t length = 0;
  std::memcpy(&length, packed_.data() + at, sizeof length);
  if (length == kAbsent) return std::nullopt;
  return std::string(packed_.substr(at + sizeof length, length));
}

FieldValue Partition::value(std::size_t i) const {
  FieldValue v;
  const std::string_view text = field(3 + i);
  v.kind = static_cast<ValueKind>(*(text.data() - sizeof(std::uint32_t) - 1));
  v.text.assign(text);
  return v;
}

PartitionPlan::PartitionPlan(Replica& replica, const StreamConfig& stream, bool full) {
  const PartitionSettings& p = stream.partitions;
  for (const std::size_t k : p.key)
    for (const auto& [column, index] : p.columns)
      if (index == k) {
        identity_.push_back(column);
        break;
      }
  auto saved = saved_partitions(replica, stream.name);
  std::string packed;
  auto take = [&](const std::string& key, const std::string& version,
                  const std::vector<FieldValue>& values) {
    ++live_;
    std::optional<std::string> cursor;
    const auto it = saved.find(key);
    if (it != saved.end()) {
      const bool unchanged = it->second.parent_version && *it->second.parent_version == version;
      cursor = std::move(it->second.cursor);
      saved.erase(it);
      if (p.changed_only && unchanged && !full) return;
    }
    packed.clear();
    Partition::pack(packed, key, version, cursor, values);
    read_.emplace_back(keep(packed));
  };
  if (!p.parent.empty()) {
    std::vector<std::string> key_fields;
    for (const std::size_t k : p.key) key_fields.push_back(p.refs[k]);
    parent_synced_ = for_each_parent_row(
        replica, p.parent_table, key_fields, p.refs, stream.name,
        [&](const ParentRow& row) { take(row.key, row.version, row.values); });
  } else {
    for (const auto& fixed : p.fixed) {
      std::vector<FieldValue> values(p.refs.size());
      for (std::size_t i = 0; i < p.refs.size(); ++i)
        for (const auto& [name, value] : fixed)
          if (name == p.refs[i]) {
            values[i].kind = ValueKind::String;
            values[i].text = value;
          }
      std::string key = "[";
      for (std::size_t i = 0; i < p.key.size(); ++i) {
        key += i ? ",\"" : "\"";
        for (const char c : values[p.key[i]].text) {
          if (c == '"' || c == '\\') key += '\\';
          if (static_cast<unsigned char>(c) < 0x20) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\u%04x", c);
            key += hex;
            continue;
          }
          key += c;
        }
        key += '"';
      }
      take(key + "]", "", values);
    }
  }
  read_.shrink_to_fit();
  if (!parent_synced_) return;  // nothing known of the parents: nothing is gone
  for (auto& [key, partition] : saved) gone_.push_back(key);
  std::sort(gone_.begin(), gone_.end());
}

std::string_view PartitionPlan::keep(std::string_view packed) {
  constexpr std::size_t kChunk = 1 << 20;
  if (chunks_.empty() || chunk_used_ + packed.size() > chunk_size_) {
    chunk_size_ = std::max(kChunk, packed.size());
    chunks_.push_back(std::make_unique<char[]>(chunk_size_));
    chunk_used_ = 0;
  }
  char* at = chunks_.back().get() + chunk_used_;
  std::memcpy(at, packed.data(), packed.size());
  chunk_used_ += packed.size();
  return {at, packed.size()};
}

void PartitionPlan::ended(const Partition& p, Outcome outcome, const std::string& error) {
  const std::lock_guard lock(mutex_);
  ++done_;
  if (outcome == Outcome::Failed) {
    ++failed_;
    if (failed_named_.size() < kPartitionsNamed) failed_named_.push_back(error);
  } else if (outcome == Outcome::NotFound) {
    ++not_found_;
    not_found_keys_.push_back(p.key());
    if (not_found_named_.size() < kPartitionsNamed) not_found_named_.push_back(error);
  }
}

std::vector<std::string> PartitionPlan::not_found_keys() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> keys = not_found_keys_;
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::size_t PartitionPlan::done() const {
  const std::lock_guard lock(mutex_);
  return done_;
}

std::string PartitionPlan::failures(const StreamConfig& /*stream*/) const {
  const std::lock_guard lock(mutex_);
  if (failed_ == 0) return "";
  std::string named;
  for (const std::string& n : failed_named_) named += (named.empty() ? "" : "; ") + n;
  return std::to_string(failed_) + " of " + std::to_string(read_.size()) +
         (read_.size() == 1 ? " partition" : " partitions") + " failed (" + named +
         (failed_ > failed_named_.size() ? "; ..." : "") +
         "); their cursors stay where they were, and the next run reads them again";
}

std::string PartitionPlan::not_found(const StreamConfig& /*stream*/) const {
  const std::lock_guard lock(mutex_);
  if (not_found_ == 0) return "";
  std::string named;
  for (const std::string& n : not_found_named_) named += (named.empty() ? "" : "; ") + n;
  return std::to_string(not_found_) +
         (not_found_ == 1 ? " partition was" : " partitions were") +
         " answered 404 or 410 (" + named + (not_found_ > not_found_named_.size() ? "; ..." : "") +
         "), read as empty: a parent removed since it was synced (\"not_found\": \"error\" "
         "makes this an error)";
}

StreamConfig partition_stream(const StreamConfig& stream, const Partition& partition) {
  const PartitionSettings& p = stream.partitions;
  StreamConfig s = stream;
  s.url = fill(stream.url, p, partition, true);
  for (auto& [name, value] : s.params) value = fill(value, p, partition, false);
  s.added_fields.clear();
  for (const auto& [column, index] : p.columns) {
    FieldValue f = partition.value(index);
    f.name = column;
    s.added_fields.push_back(std::move(f));
  }
  return s;
}

std::string partition_name(const StreamConfig& stream, const Partition& partition) {
  const PartitionSettings& p = stream.partitions;
  std::string name;
  // The values of its placeholders, which set its requests apart; else its identity.
  for (const auto& [inner, index] : p.placeholders) {
    const std::string value = partition.value(index).text;
    if (value.empty()) continue;
    name += (name.empty() ? "" : ", ") + inner + "=" + value;
  }
  return name.empty() ? partition.key() : name;
}

std::int64_t read_partition(StreamRun& run, const Partition& partition, const Transport& net,
                            RowWriter& rows, SyncObserver& observer, RunCounters& io,
                            Tally& tally) {
  const StreamConfig stream = partition_stream(run.stream, partition);
  PartitionPlan& plan = *run.partitions;
  Cursor start;
  const std::optional<std::string> saved = partition.saved();
  start.text = saved && !run.full ? *saved : stream.first_cursor();
  const auto instant = parse_cursor(stream.cursor_format, start.text);
  PartitionRows marked(rows, partition.key());
  const std::string name = partition_name(run.stream, partition);
  if (!instant) {
    const std::string error = name + ": the saved cursor is not a cursor value: \"" + start.text +
                              "\" (run `tsync reset --stream " + run.stream.name + "`)";
    marked.end(Cursor{}, PartitionMark{{}, PartitionMark::State::Failed, {}, error}, io);
    plan.ended(partition, PartitionPlan::Outcome::Failed, error);
    observer.on_partition(plan.done(), plan.to_read().size());
    return 0;
  }
  start.instant = *instant;
  const auto ended = [&](PartitionPlan::Outcome outcome, const std::string& what) {
    plan.ended(partition, outcome, what);
    observer.on_partition(plan.done(), plan.to_read().size());
  };
  // A parent row without a value for a placeholder would ask another URL.
  for (const auto& [inner, index] : run.stream.partitions.placeholders) {
    if (partition.value(index).kind != ValueKind::Null) continue;
    const std::string error = name + ": the parent row " + partition.key() +
                              " has no value for the placeholder {" + inner +
                              "} (check that field in the parent's records, or name another)";
    marked.end(start, PartitionMark{{}, PartitionMark::State::Failed, {}, error}, io);
    ended(PartitionPlan::Outcome::Failed, error);
    return 0;
  }
  std::int64_t repeats = 0;
  try {
    Cursor committed = start;
    std::int64_t table_rows = run.table_rows;
    if (stream.window_seconds > 0)
      repeats = read_windows(run.config, stream, net, marked, observer, io, committed, tally);
    else if (stream.pagination.paged())
      repeats = read_chain(run.config, stream, net, marked, observer, io, committed, tally);
    else
      repeats = read_unpaged(run.config, stream, net, marked, observer, io, committed, table_rows,
                             tally);
  } catch (const std::exception& e) {
    if (is_stop(e)) {
      marked.flush();  // what was committed stays committed
      throw;
    }
    marked.rewind();  // rethrows a failure of the replica itself
    const auto* refused = dynamic_cast<const PermanentError*>(&e);
    const long status = refused ? refused->http_status() : 0;
    if ((status == 404 || status == 410) && !run.stream.partitions.not_found_error) {
      marked.end(start,
                 PartitionMark{{}, PartitionMark::State::NotFound, partition.version(), e.what()},
                 io);
      ended(PartitionPlan::Outcome::NotFound, name);
      return 0;
    }
    const std::string error = name + ": " + e.what();
    marked.end(start, PartitionMark{{}, PartitionMark::State::Failed, {}, e.what()}, io);
    ended(PartitionPlan::Outcome::Failed, error);
    return 0;
  }
  // Records that moved while the pages were read leave the partition to be read
  // again: it is not marked read whole.
  marked.end(start,
             PartitionMark{{},
                           repeats == 0 ? PartitionMark::State::Done
                                        : PartitionMark::State::Reading,
                           partition.version(),
                           {}},
             io);
  ended(PartitionPlan::Outcome::Done, "");
  return repeats;
}

std::int64_t read_partitions(StreamRun& run, const Transport& net, RowWriter& rows,
                             SyncObserver& observer, RunCounters& io) {
  std::int64_t repeats = 0;
  for (const Partition& partition : run.partitions->to_read())
    repeats += read_partition(run, partition, net, rows, observer, io, run.tally);
  return repeats;
}

}  // namespace tsync
