// SPDX-License-Identifier: Apache-2.0
#include "common/error_text.hpp"

#include <algorithm>

namespace tsync {
namespace {

constexpr std::string_view kEllipsis = "…";
constexpr std::string_view kCutNote = "… (cut; the whole text: --json, or _sync_log)";
constexpr std::string_view kEachNote = " (each in full: --json, or _sync_log)";
// The most of a line one shape of failure takes.
constexpr std::size_t kShapeChars = kMaxLineChars / 3;

// Replaces the value of every query parameter of each http(s) URL in `text`
// with "…". A URL runs to the next space; ':' ',' ';' ')' at its end are not
// part of it ("GET <url>: HTTP 400").
std::string set_aside_query_values(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t start = text.find("://", at);
    if (start == std::string_view::npos) break;
    std::size_t end = text.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = text.size();
    while (end > start && std::string_view(":,;)").find(text[end - 1]) != std::string_view::npos)
      --end;
    const std::size_t query = text.find('?', start);
    if (query == std::string_view::npos || query >= end) {
      out.append(text.substr(at, end - at));
      at = end;
      continue;
    }
    out.append(text.substr(at, query + 1 - at));
    std::size_t i = query + 1;
    while (i < end) {
      const std::size_t amp = std::min(text.find('&', i), end);
      const std::size_t eq = text.find('=', i);
      if (eq != std::string_view::npos && eq < amp) {
        out.append(text.substr(i, eq + 1 - i));
        out.append(kEllipsis);
      } else {
        out.append(text.substr(i, amp - i));
      }
      if (amp < end) out.push_back('&');
      i = amp + 1;
    }
    at = end;
  }
  out.append(text.substr(std::min(at, text.size())));
  return out;
}

void replace_all(std::string& text, const std::string& what, std::string_view with) {
  if (what.empty()) return;
  for (std::size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

}  // namespace

std::string failure_shape(const Failure& failure) {
  std::string shape = set_aside_query_values(failure.why);
  std::vector<std::string> variable = failure.variable;
  // The longer first: a bound that holds another is set aside whole.
  std::sort(variable.begin(), variable.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& v : variable) replace_all(shape, v, kEllipsis);
  return shape;
}

std::vector<std::vector<std::size_t>> alike(const std::vector<Failure>& failures) {
  std::vector<std::string> shapes;
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < failures.size(); ++i) {
    std::string shape = failure_shape(failures[i]);
    const auto it = std::find(shapes.begin(), shapes.end(), shape);
    if (it == shapes.end()) {
      shapes.push_back(std::move(shape));
      groups.push_back({i});
    } else {
      groups[static_cast<std::size_t>(it - shapes.begin())].push_back(i);
    }
  }
  return groups;
}

GroupedFailures group_failures(std::vector<Failure>& failures) {
  std::stable_sort(failures.begin(), failures.end(),
                   [](const Failure& a, const Failure& b) { return a.order < b.order; });
  const auto groups = alike(failures);
  GroupedFailures grouped;
  grouped.ways = groups.size();
  for (const auto& group : groups) {
    const Failure& first = failures[group.front()];
    const Failure& last = failures[group.back()];
    if (!grouped.text.empty()) grouped.text += "; ";
    if (groups.size() > 1)
      grouped.text += std::to_string(group.size()) + (group.size() == 1 ? ": " : " alike: ");
    if (group.size() == 1)
      grouped.text += first.where + ": " + cut(first.why, kShapeChars);
    else
      grouped.text += cut(failure_shape(first), kShapeChars) + " (first " + first.where +
                      ", last " + last.where + ")";
  }
  return grouped;
}

std::string each_failure(const std::vector<Failure>& failures) {
  std::string text;
  for (const Failure& f : failures) text += (text.empty() ? "" : "\n") + f.where + ": " + f.why;
  return text;
}

std::string cut(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t keep = max > kEllipsis.size() ? max - kEllipsis.size() : 0;
  // Not inside a UTF-8 sequence: continuation bytes are 10xxxxxx.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return std::string(text.substr(0, keep)) + std::string(kEllipsis);
}

std::string human_line(std::string_view text) {
  if (text.size() <= kMaxLineChars) return std::string(text);
  return cut(text, kMaxLineChars - kCutNote.size() + kEllipsis.size()) +
         std::string(kCutNote.substr(kEllipsis.size()));
}

std::string human_text(std::string_view text) {
  const std::size_t each = text.find(kEachInFull);
  std::string head(text.substr(0, each));
  if (each != std::string_view::npos) head += kEachNote;
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t end = head.find('\n', at);
    out += human_line(std::string_view(head).substr(at, end == std::string::npos ? end : end - at));
    if (end == std::string::npos) break;
    out += '\n';
    at = end + 1;
  }
  return out;
}

}  // namespace tsync
