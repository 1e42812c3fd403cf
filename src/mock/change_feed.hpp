// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the mock's change feeds (Microsoft Graph's delta, Google Calendar's sync
// tokens) share: every change takes the next sequence number, a read walks the
// items changed within (since, bound] in sequence order, and its place travels
// in an opaque token (URL-safe Base64 of the state) that expires. Header-only,
// as paging.hpp.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mock/paging.hpp"
#include "mock/query_params.hpp"

namespace tsync::mock {

// Where a read of a change feed is, and what it reads.
struct FeedState {
  std::uint64_t since = 0;       // the changes after this sequence number (0: all)
  std::uint64_t bound = 0;       // up to this one: the last change when the read began
  std::uint64_t after = 0;       // the last sequence number this read has passed
  std::uint64_t phase = 0;       // a feed's own: which part of the read (live, then removed)
  bool changes = false;          // a read of the changes since a token, not a full read
  bool flag = false;             // a feed's own: Google's showDeleted
  std::uint64_t generation = 0;  // the feed's token generation when it was issued
  std::int64_t issued = 0;       // Unix seconds when it was issued
  std::string extra;             // a feed's own: Graph's $select, comma-separated
};

// The token of `state`, marked with `kind` (one letter: a page token and a
// delta token of the same feed are told apart). URL-safe Base64 without
// padding, so that it goes into a query as it is.
inline std::string encode_feed_token(char kind, const FeedState& s) {
  std::string text(1, kind);
  for (const std::uint64_t n :
       {s.since, s.bound, s.after, s.phase, std::uint64_t{s.changes}, std::uint64_t{s.flag},
        s.generation, static_cast<std::uint64_t>(s.issued)})
    text += "." + std::to_string(n);
  text += "." + s.extra;
  std::string out = base64_encode(text);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// The state in `token`, when it is a token of `kind`; nullopt for any other text.
inline std::optional<FeedState> decode_feed_token(char kind, std::string token) {
  if (token.empty() || token.size() > 4096) return std::nullopt;
  for (char& c : token) {
    if (c == '+' || c == '/' || c == '=') return std::nullopt;
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  const auto text = base64_decode(token);
  if (!text || text->size() < 2 || (*text)[0] != kind || (*text)[1] != '.') return std::nullopt;
  std::vector<std::uint64_t> numbers;
  std::size_t start = 2;
  while (numbers.size() < 8) {
    const std::size_t dot = text->find('.', start);
    if (dot == std::string::npos) return std::nullopt;
    const auto n = whole_number(text->substr(start, dot - start), 18);
    if (!n) return std::nullopt;
    numbers.push_back(static_cast<std::uint64_t>(*n));
    start = dot + 1;
  }
  if (numbers[4] > 1 || numbers[5] > 1 || numbers[1] < numbers[0]) return std::nullopt;
  FeedState s;
  s.since = numbers[0];
  s.bound = numbers[1];
  s.after = numbers[2];
  s.phase = numbers[3];
  s.changes = numbers[4] == 1;
  s.flag = numbers[5] == 1;
  s.generation = numbers[6];
  s.issued = static_cast<std::int64_t>(numbers[7]);
  s.extra = text->substr(start);
  return s;
}

// The items of a feed by their last change: (sequence number, index), one
// entry an item.
using ChangeOrder = std::set<std::pair<std::uint64_t, std::size_t>>;

// Walks `order` from `state.after` up to `state.bound`, handing the index of
// each entry that `wanted` takes to `emit` until `count` are out; returns
// whether another wanted entry follows (then `state.after` is the last one
// emitted, else the bound). `state.after` never goes below `state.since`.
template <typename Wanted, typename Emit>
bool walk_changes(const ChangeOrder& order, FeedState& state, std::size_t count, Wanted wanted,
                  Emit emit) {
  if (state.after < state.since) state.after = state.since;
  std::size_t emitted = 0;
  for (auto it = order.upper_bound({state.after, SIZE_MAX});
       it != order.end() && it->first <= state.bound; ++it) {
    if (!wanted(it->second)) continue;
    if (emitted == count) return true;
    emit(it->second);
    ++emitted;
    state.after = it->first;
  }
  state.after = state.bound;
  return false;
}

// Whether a token issued as `state` no longer works: issued before the
// feed's generation moved to `generation`, or older than `ttl_seconds` (0:
// never) at `now` (Unix seconds).
inline bool feed_token_expired(const FeedState& state, std::uint64_t generation,
                               std::int64_t ttl_seconds, std::int64_t now) {
  if (state.generation < generation) return true;
  return ttl_seconds > 0 && now - state.issued > ttl_seconds;
}

}  // namespace tsync::mock
