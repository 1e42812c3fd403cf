// SPDX-License-Identifier: Apache-2.0
#include "cli/report.hpp"

#include <cstdio>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/error_text.hpp"
#include "source/change_feed.hpp"

namespace tsync {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void put(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
}

void put(JsonWriter& w, const char* key, const std::optional<std::string>& value) {
  w.Key(key);
  if (value)
    w.String(value->c_str(), static_cast<rapidjson::SizeType>(value->size()));
  else
    w.Null();
}

void put(JsonWriter& w, const char* key, std::int64_t value) {
  w.Key(key);
  w.Int64(value);
}

std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

void put_run(JsonWriter& w, const RunRecord& r) {
  w.StartObject();
  put(w, "run_id", r.run_id);
  put(w, "stream", r.stream);
  put(w, "status", r.status);
  put(w, "started_at", r.started_at);
  put(w, "finished_at", non_empty(r.finished_at));
  put(w, "rows_new", r.rows_new);
  put(w, "rows_updated", r.rows_updated);
  put(w, "rows_rejected", r.rows_rejected);
  put(w, "rows_deleted", r.rows_deleted);
  put(w, "requests", r.requests);
  put(w, "retries", r.retries);
  put(w, "bytes", r.bytes);
  put(w, "cursor_before", non_empty(r.cursor_before));
  put(w, "cursor_after", non_empty(r.cursor_after));
  put(w, "error", non_empty(r.error));
  put(w, "warning", non_empty(r.warning));
  w.EndObject();
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

}  // namespace

std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return n < 0 ? "-" + out : out;
}

std::string counted(std::int64_t n, const char* one, const char* many) {
  return with_commas(n) + " " + (n == 1 ? one : many);
}

std::string summary_line(const SyncReport& r) {
  const RunCounters& c = r.counters;
  std::string line =
      r.stream + ": " + counted(c.rows_new + c.rows_updated, "row", "rows") + " (" +
      with_commas(c.rows_new) + " new, " + with_commas(c.rows_updated) + " updated, " +
      (c.rows_deleted > 0 || r.full ? with_commas(c.rows_deleted) + " deleted, " : std::string()) +
      with_commas(c.rows_rejected) + " rejected) in " + fixed(r.seconds, r.seconds < 10 ? 2 : 1) +
      " s; " +
      (r.partitions
           ? with_commas(static_cast<std::int64_t>(r.partitions->ended)) + " of " +
                 counted(static_cast<std::int64_t>(r.partitions->live), "partition", "partitions") +
                 " read"
           : "cursor " + short_token(r.cursor_before.value_or("(none)")) + " -> " +
                 short_token(r.cursor_after.value_or("(none)"))) +
      "; " + counted(c.requests, "request", "requests");
  if (c.retries > 0) line += " (" + with_commas(c.retries) + " retried)";
  if (c.token_requests > 0)
    line += ", " + counted(c.token_requests, "token request", "token requests");
  if (c.logins > 0) line += ", " + counted(c.logins, "login", "logins");
  if (r.status != "ok") line += "; " + r.status;
  if (!r.warning.empty()) line += "; WARNING: " + r.warning;
  return line;
}

std::vector<std::string> stream_errors(const std::vector<SyncReport>& reports, bool named) {
  std::vector<std::string> errors(reports.size());
  std::vector<Failure> failures;
  std::vector<std::size_t> report_of;
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].error.empty()) continue;
    failures.push_back({reports[i].stream, reports[i].error, {}, 0});
    report_of.push_back(i);
  }
  for (const auto& group : alike(failures)) {
    const Failure& first = failures[group.front()];
    std::string& error = errors[report_of[group.front()]];
    if (group.size() == 1) {
      error = (named ? first.where + ": " : "") + first.why;
      continue;
    }
    std::string names;
    for (std::size_t k = 0; k < group.size(); ++k)
      names += (k == 0 ? "" : k + 1 == group.size() ? " and " : ", ") + failures[group[k]].where;
    error = "streams " + names + ": " + failure_shape(first);
  }
  return errors;
}

std::string summary_json(const SyncReport& r) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put(w, "stream", r.stream);
  put(w, "status", r.status);
  put(w, "rows_new", r.counters.rows_new);
  put(w, "rows_updated", r.counters.rows_updated);
  put(w, "rows_rejected", r.counters.rows_rejected);
  put(w, "rows_deleted", r.counters.rows_deleted);
  w.Key("full");
  w.Bool(r.full);
  put(w, "requests", r.counters.requests);
  put(w, "retries", r.counters.retries);
  put(w, "bytes", r.counters.bytes);
  put(w, "logins", r.counters.logins);
  put(w, "token_requests", r.counters.token_requests);
  w.Key("seconds");
  w.Double(r.seconds);
  put(w, "cursor_before", r.cursor_before);
  put(w, "cursor_after", r.cursor_after);
  w.Key("partitions");
  if (r.partitions) {
    w.StartObject();
    put(w, "read", static_cast<std::int64_t>(r.partitions->ended));
    put(w, "to_read", static_cast<std::int64_t>(r.partitions->to_read));
    put(w, "live", static_cast<std::int64_t>(r.partitions->live));
    w.EndObject();
  } else {
    w.Null();
  }
  put(w, "run_id", r.run_id);
  put(w, "error", non_empty(r.error));
  put(w, "all_rejected_responses", r.all_rejected_responses);
  put(w, "warning", non_empty(r.warning));
  w.EndObject();
  return buffer.GetString();
}

std::string status_text(const std::string& path, const std::vector<StreamStatus>& streams,
                        const std::vector<RunRecord>& runs,
                        const std::optional<RunningSync>& running) {
  std::string out = "replica " + path + "\n";
  if (running) {
    out += "sync running now: pid " + std::to_string(running->pid);
    if (running->run)
      out += ", stream " + running->run->stream + " since " + running->run->started_at + " (run #" +
             std::to_string(running->run->run_id) + ")";
    out += "\n";
  }
  if (streams.empty()) out += "  no stream synced yet\n";
  for (const StreamStatus& s : streams) {
    out += "  " + s.stream + (s.table == s.stream ? "" : " (table " + s.table + ")") + ": " +
           counted(s.rows, "row", "rows") +
           (s.deleted > 0 ? " (" + with_commas(s.deleted) + " marked deleted)" : std::string()) +
           ", " + with_commas(s.rejected) + " rejected, " +
           (s.partitions && !s.cursor
                ? std::string("a cursor per partition")
                : "cursor " + short_token(s.cursor.value_or("(none: the next sync is a full sync)"))) +
           (s.saved_at.empty() ? "" : " (saved " + s.saved_at + ")") + "\n";
    if (const auto& p = s.partitions)
      out += "    " + counted(p->partitions, "partition", "partitions") + ", oldest cursor " +
             p->oldest_cursor.value_or("(none)") + ", " + with_commas(p->failed) +
             " failed and " + with_commas(p->not_found) + " not found when last read\n";
  }
  if (!runs.empty()) out += "recent runs (newest first):\n";
  for (const RunRecord& r : runs) {
    std::string line =
        "  #" + std::to_string(r.run_id) + " " + r.stream + " " + r.started_at + " " + r.status +
        ": " + with_commas(r.rows_new) + " new, " + with_commas(r.rows_updated) + " updated, " +
        (r.rows_deleted > 0 ? with_commas(r.rows_deleted) + " deleted, " : std::string()) +
        with_commas(r.rows_rejected) + " rejected, " + counted(r.requests, "request", "requests");
    if (!r.cursor_after.empty()) line += ", cursor " + short_token(r.cursor_after);
    out += human_line(line);
    if (!r.error.empty()) out += "\n" + human_text("      " + r.error);
    if (!r.warning.empty()) out += "\n" + human_text("      warning: " + r.warning);
    out += "\n";
  }
  return out;
}

std::string status_json(const std::string& path, const std::vector<StreamStatus>& streams,
                        const std::vector<RunRecord>& runs,
                        const std::optional<RunningSync>& running) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  put(w, "replica", path);
  w.Key("running");
  if (running) {
    w.StartObject();
    put(w, "pid", static_cast<std::int64_t>(running->pid));
    put(w, "stream",
        running->run ? std::optional<std::string>(running->run->stream) : std::nullopt);
    put(w, "started_at",
        running->run ? std::optional<std::string>(running->run->started_at) : std::nullopt);
    put(w, "run_id", static_cast<std::int64_t>(running->run ? running->run->run_id : 0));
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("streams");
  w.StartArray();
  for (const StreamStatus& s : streams) {
    w.StartObject();
    put(w, "stream", s.stream);
    put(w, "table", s.table);
    put(w, "cursor", s.cursor);
    put(w, "saved_at", non_empty(s.saved_at));
    put(w, "rows", s.rows);
    put(w, "deleted", s.deleted);
    put(w, "rejected", s.rejected);
    w.Key("partitions");
    if (const auto& p = s.partitions) {
      w.StartObject();
      put(w, "count", p->partitions);
      put(w, "oldest_cursor", p->oldest_cursor);
      put(w, "failed", p->failed);
      put(w, "not_found", p->not_found);
      w.EndObject();
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("runs");
  w.StartArray();
  for (const RunRecord& r : runs) put_run(w, r);
  w.EndArray();
  w.EndObject();
  return buffer.GetString();
}

}  // namespace tsync
