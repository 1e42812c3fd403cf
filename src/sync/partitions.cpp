// SPDX-License-Identifier: Apache-2.0
#include "sync/partitions.hpp"

#include <algorithm>
#include <unordered_set>

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

// A partition's value as text for a placeholder: a string's bytes, a number's digits.
const std::string& value_text(const FieldValue& v) { return v.text; }

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
      const std::string& value = value_text(partition.values[index]);
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
// where the partition stands.
class PartitionRows : public RowWriter {
 public:
  PartitionRows(RowWriter& rows, std::string key) : rows_(rows) {
    auto mark = std::make_shared<PartitionMark>();
    mark->key = std::move(key);
    reading_ = std::move(mark);
  }
  void upsert(const Record& record) override { rows_.upsert(record); }
  void reject(std::string_view raw, std::string_view reason, const Record* keyed) override {
    rows_.reject(raw, reason, keyed);
  }
  void commit(const Cursor* cursor, const RunCounters& io) override {
    if (!cursor) return rows_.commit(nullptr, io);
    Cursor marked{cursor->text, cursor->instant, reading_};
    rows_.commit(&marked, io);
    last_ = marked;
  }
  void rewind() override { rows_.rewind(); }
  std::int64_t uncommitted_rows() const override { return rows_.uncommitted_rows(); }
  RunCounters counters() const override { return rows_.counters(); }
  std::vector<Cursor> take_committed_cursors() override { return rows_.take_committed_cursors(); }

  // Ends the partition: its last cursor (or `start`) with the mark `end`.
  void end(const Cursor& start, PartitionMark end, const RunCounters& io) {
    end.key = reading_->key;
    const Cursor& at = last_ ? *last_ : start;
    Cursor marked{at.text, at.instant, std::make_shared<PartitionMark>(std::move(end))};
    rows_.commit(&marked, io);
  }

 private:
  RowWriter& rows_;
  std::shared_ptr<const PartitionMark> reading_;
  std::optional<Cursor> last_;
};

bool is_stop(const std::exception& e) {
  return dynamic_cast<const Interrupted*>(&e) || dynamic_cast<const RunDeadline*>(&e);
}

}  // namespace

PartitionPlan::PartitionPlan(Replica& replica, const StreamConfig& stream, bool full) {
  const PartitionSettings& p = stream.partitions;
  for (const std::size_t k : p.key)
    for (const auto& [column, index] : p.columns)
      if (index == k) {
        identity_.push_back(column);
        break;
      }
  auto saved = saved_partitions(replica, stream.name);
  auto take = [&](Partition partition) {
    ++live_;
    const auto it = saved.find(partition.key);
    if (it != saved.end()) {
      const bool unchanged = it->second.parent_version &&
                             *it->second.parent_version == partition.version;
      partition.saved = it->second.cursor;
      saved.erase(it);
      if (p.changed_only && unchanged && !full) return;
    }
    read_.push_back(std::move(partition));
  };
  if (!p.parent.empty()) {
    std::vector<std::string> key_fields;
    for (const std::size_t k : p.key) key_fields.push_back(p.refs[k]);
    parent_synced_ = for_each_parent_row(replica, p.parent_table, key_fields, p.refs, stream.name,
                                         [&](const ParentRow& row) {
                                           Partition partition;
                                           partition.key = row.key;
                                           partition.values = row.values;
                                           partition.version = row.version;
                                           take(std::move(partition));
                                         });
    if (!parent_synced_) return;  // nothing known of the parents: nothing is gone
  } else {
    for (const auto& values : p.fixed) {
      Partition partition;
      partition.values.resize(p.refs.size());
      for (std::size_t i = 0; i < p.refs.size(); ++i)
        for (const auto& [name, value] : values)
          if (name == p.refs[i]) {
            partition.values[i].kind = ValueKind::String;
            partition.values[i].text = value;
          }
      std::string key = "[";
      for (std::size_t i = 0; i < p.key.size(); ++i) {
        key += i ? ",\"" : "\"";
        for (const char c : partition.values[p.key[i]].text) {
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
      partition.key = key + "]";
      take(std::move(partition));
    }
  }
  for (auto& [key, partition] : saved) gone_.push_back(key);
  std::sort(gone_.begin(), gone_.end());
}

void PartitionPlan::ended(const Partition& p, Outcome outcome, const std::string& error) {
  const std::lock_guard lock(mutex_);
  ++done_;
  if (outcome == Outcome::Failed) {
    ++failed_;
    if (failed_named_.size() < kPartitionsNamed) failed_named_.push_back(error);
  } else if (outcome == Outcome::NotFound) {
    ++not_found_;
    not_found_keys_.push_back(p.key);
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
    FieldValue f = partition.values[index];
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
    if (partition.values[index].text.empty()) continue;
    name += (name.empty() ? "" : ", ") + inner + "=" + partition.values[index].text;
  }
  return name.empty() ? partition.key : name;
}

std::int64_t read_partition(StreamRun& run, const Partition& partition, const Transport& net,
                            RowWriter& rows, SyncObserver& observer, RunCounters& io,
                            Tally& tally) {
  const StreamConfig stream = partition_stream(run.stream, partition);
  PartitionPlan& plan = *run.partitions;
  Cursor start;
  start.text = partition.saved && !run.full ? *partition.saved : stream.first_cursor();
  const auto instant = parse_cursor(stream.cursor_format, start.text);
  PartitionRows marked(rows, partition.key);
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
    if (is_stop(e)) throw;
    rows.rewind();  // rethrows a failure of the replica itself
    const auto* refused = dynamic_cast<const PermanentError*>(&e);
    const long status = refused ? refused->http_status() : 0;
    if ((status == 404 || status == 410) && !run.stream.partitions.not_found_error) {
      marked.end(start,
                 PartitionMark{{}, PartitionMark::State::NotFound, partition.version, e.what()},
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
                           partition.version,
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
