// SPDX-License-Identifier: Apache-2.0
#pragma once
// Error texts for people: failures that repeat are said once, with their count
// and their first and last occurrence, and no line is longer than about
// kMaxLineChars. The whole texts stay where scripts read them: --json and
// _sync_log keep every detail.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tsync {

// The longest line printed for a person, its newline excluded.
inline constexpr std::size_t kMaxLineChars = 1000;

// Where a stored error text that says its failures once goes on to give each
// of them in full, one a line. human_text() stops there.
inline constexpr std::string_view kEachInFull = "\neach in full:\n";

// One of several failures of one kind (the windows of a stream).
struct Failure {
  std::string where;                  // "window 2024-01-01T00:00:00Z .. 2024-01-02T00:00:00Z"
  std::string why;                    // the error, whole
  std::vector<std::string> variable;  // texts of `where` that `why` may repeat (its bounds)
  std::int64_t order = 0;             // failures are told in this order (a window's start)
};

// `failure.why` with its variable parts set aside: each query value of a URL
// in it, and each of `failure.variable`, become "…"
// ("GET http://h/e?since=…&until=…: HTTP 400"). Failures of one shape failed alike.
std::string failure_shape(const Failure& failure);

// The indices of `failures` grouped by shape: a group per shape, in the order
// of its first occurrence, each in the order given.
std::vector<std::vector<std::size_t>> alike(const std::vector<Failure>& failures);

// Failures said once per shape, in the order of their first occurrence.
struct GroupedFailures {
  std::size_t ways = 0;  // the number of shapes
  // One shape: "<shape> (first <where>, last <where>)", or "<where>: <why>"
  // when there is one failure. Several: "28 alike: <shape> (first <where>,
  // last <where>); 1: <where>: <why>". Each shape cut to a third of a line.
  std::string text;
};
// Sorts `failures` by order first (equal ones keep their order).
GroupedFailures group_failures(std::vector<Failure>& failures);

// Every failure whole, one a line: "<where>: <why>", sorted as group_failures sorts.
std::string each_failure(const std::vector<Failure>& failures);

// `text` when it is at most `max` bytes; else its start, cut at a character's
// boundary, and "…", `max` bytes in all.
std::string cut(std::string_view text, std::size_t max);

// One line for a person: `text`, or, longer than kMaxLineChars, its start and
// "… (cut; the whole text: --json, or _sync_log)".
std::string human_line(std::string_view text);

// A stored error text for a person: what comes before kEachInFull (with a
// note where the rest is), each line cut by human_line.
std::string human_text(std::string_view text);

}  // namespace tsync
