// SPDX-License-Identifier: Apache-2.0
#include "mock/google_events.hpp"

#include <algorithm>
#include <stdexcept>

#include "mock/catalog.hpp"
#include "mock/paging.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

constexpr std::int64_t kStart2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;
constexpr std::size_t kMostEvents = 5'000'000;
constexpr std::size_t kMostPage = 2500;

constexpr const char* kWords[] = {"weekly", "sync",   "planning", "review",   "team",
                                  "lunch",  "design", "retro",    "customer", "call",
                                  "budget", "launch", "one",      "on",       "roadmap",
                                  "demo",   "hiring", "standup",  "offsite",  "quarterly"};

// A lowercase base32hex id (digits and a-v) of 26 characters.
std::string event_id(Rng& rng) {
  static constexpr char kBase32Hex[] = "0123456789abcdefghijklmnopqrstuv";
  std::string out;
  for (int k = 0; k < 26; ++k) out.push_back(kBase32Hex[rng.below(32)]);
  return out;
}

std::string etag(const GoogleEvent& event) {
  const std::int64_t millis = event.updated.seconds * 1000 + event.updated.nanos / 1'000'000;
  return "\"" + std::to_string(millis * 1000 + static_cast<std::int64_t>(event.sequence % 1000)) +
         "\"";
}

void time_member(std::string& out, const char* name, const std::string& text) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, text);
}

std::string html_link(const GoogleEvent& event, const std::string& calendar) {
  std::string eid = base64_encode(event.id + " " + calendar);
  while (!eid.empty() && eid.back() == '=') eid.pop_back();
  return "https://www.google.com/calendar/event?eid=" + eid;
}

std::string event_json(const GoogleEvent& event, const std::string& calendar) {
  std::string out = "{\"kind\":\"calendar#event\",\"etag\":";
  append_json_string(out, etag(event));
  out += ",\"id\":";
  append_json_string(out, event.id);
  if (event.cancelled) {
    out += ",\"status\":\"cancelled\"";
    time_member(out, "updated", format_millis(event.updated));
    return out + "}";
  }
  out += ",\"status\":\"confirmed\"";
  time_member(out, "htmlLink", html_link(event, calendar));
  time_member(out, "created", format_millis(event.created));
  time_member(out, "updated", format_millis(event.updated));
  time_member(out, "summary", event.summary);
  out += ",\"start\":{\"dateTime\":";
  append_json_string(out, format_compact(event.start));
  out += "},\"end\":{\"dateTime\":";
  append_json_string(out, format_compact(event.end));
  return out + "}}";
}

std::size_t parse_size(std::string_view text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + " must be a whole number, not \"" +
                                std::string(text) + "\"");
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

}  // namespace

std::string format_millis(Instant instant) {
  const std::string full = format_utc(instant);  // "2024-01-15T10:30:00.000000000Z"
  return full.substr(0, 23) + "Z";
}

GoogleOptions parse_google_spec(std::string_view text) {
  GoogleOptions options;
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
    throw std::invalid_argument("expected EVENTS[:PAGE], not \"" + std::string(text) + "\"");
  options.events = parse_size(text.substr(0, colon), "EVENTS");
  if (colon != std::string_view::npos) options.page = parse_size(text.substr(colon + 1), "PAGE");
  check_google(options);
  return options;
}

void check_google(const GoogleOptions& options) {
  if (options.events > kMostEvents)
    throw std::invalid_argument("at most " + std::to_string(kMostEvents) + " events");
  if (options.page < 1 || options.page > kMostPage)
    throw std::invalid_argument("PAGE must be from 1 to " + std::to_string(kMostPage));
  if (options.calendar_id.empty() || options.calendar_id.size() > 200 ||
      options.calendar_id.find('/') != std::string::npos || options.calendar_id == "primary")
    throw std::invalid_argument(
        "the calendar id must be 1 to 200 characters without '/', and not \"primary\"");
  if (options.token_ttl_seconds < 0)
    throw std::invalid_argument("the token TTL must be 0 (never) or more seconds");
}

GoogleEvent GoogleEvents::make_event(std::uint64_t n, Instant created) const {
  Rng rng(seed_ ^ (0x676f6f676c65ull + n * 0x9E3779B97F4A7C15ull));
  GoogleEvent event;
  event.id = event_id(rng);
  event.summary = sentence(rng, 2 + rng.below(3), kWords);
  event.created = created;
  event.updated = created;
  const std::int64_t day = created.seconds / kDay * kDay + kDay * (1 + rng.below(30));
  event.start = Instant{day + 3600 * static_cast<std::int64_t>(8 + rng.below(9)), 0};
  event.end = Instant{event.start.seconds + 1800 * static_cast<std::int64_t>(1 + rng.below(4)), 0};
  return event;
}

void GoogleEvents::touch(std::size_t index, Instant at) {
  GoogleEvent& event = events_[index];
  if (event.sequence != 0) order_.erase({event.sequence, index});
  event.sequence = ++sequence_;
  event.updated = at;
  latest_ = std::max(latest_, at);
  order_.emplace(event.sequence, index);
}

void GoogleEvents::serve(const GoogleOptions& options, std::uint64_t seed) {
  check_google(options);
  const std::lock_guard lock(mutex_);
  seed_ = seed;
  changes_ = 0;
  sequence_ = 0;
  ++generation_;  // the tokens of what was served before
  events_.clear();
  order_.clear();
  cancelled_.clear();
  latest_ = Instant{kStart2024, 0};
  events_.reserve(options.events);
  Rng rng(seed ^ 0x63616c656e646172ull);
  const std::int64_t step =
      std::max<std::int64_t>(1, 300 * kDay / static_cast<std::int64_t>(options.events + 1));
  Instant latest{kStart2024, 0};
  for (std::size_t k = 0; k < options.events; ++k) {
    const Instant created{kStart2024 + static_cast<std::int64_t>(k + 1) * step,
                          static_cast<std::int32_t>(rng.below(1000)) * 1'000'000};
    events_.push_back(make_event(k + 1, created));
    const Instant updated{created.seconds + static_cast<std::int64_t>(rng.below(3 * kDay)),
                          static_cast<std::int32_t>(rng.below(1000)) * 1'000'000};
    touch(k, updated);
    latest = std::max(latest, updated);
  }
  clock_.after(Instant{latest.seconds + 1, 0});
  options_ = options;
  serving_ = true;
}

bool GoogleEvents::serving() const {
  const std::lock_guard lock(mutex_);
  return serving_;
}

GoogleOptions GoogleEvents::options() const {
  const std::lock_guard lock(mutex_);
  return options_;
}

std::vector<std::string> GoogleEvents::live() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [sequence, index] : order_)
    if (!events_[index].cancelled) out.push_back(event_json(events_[index], options_.calendar_id));
  return out;
}

std::vector<GoogleEvent> GoogleEvents::events() const {
  const std::lock_guard lock(mutex_);
  std::vector<GoogleEvent> out;
  for (const auto& [sequence, index] : order_)
    if (!events_[index].cancelled) out.push_back(events_[index]);
  return out;
}

std::vector<std::string> GoogleEvents::cancelled() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const std::size_t index : cancelled_) out.push_back(events_[index].id);
  return out;
}

std::vector<std::string> GoogleEvents::mutate(std::size_t update, std::size_t add) {
  const std::lock_guard lock(mutex_);
  if (!serving_) throw std::logic_error("no Google events are served");
  Rng rng(seed_ ^ (0x6d757461ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  std::vector<std::size_t> live;
  for (std::size_t k = 0; k < events_.size(); ++k)
    if (!events_[k].cancelled) live.push_back(k);
  std::vector<std::string> ids;
  const auto stamp = [&] {
    const Instant at = clock_.next();
    return Instant{at.seconds, static_cast<std::int32_t>(rng.below(1000)) * 1'000'000};
  };
  for (const std::uint32_t chosen : choose_distinct(rng, live.size(), update)) {
    GoogleEvent& event = events_[live[chosen]];
    event.summary = sentence(rng, 2 + rng.below(3), kWords) + " (moved)";
    if (chosen % 2 == 0) {
      event.start.seconds += 3600;
      event.end.seconds += 3600;
    }
    touch(live[chosen], stamp());
    ids.push_back(event.id);
  }
  for (std::size_t k = 0; k < add; ++k) {
    const Instant at = stamp();
    events_.push_back(make_event(events_.size() + 1, at));
    touch(events_.size() - 1, at);
    ids.push_back(events_.back().id);
  }
  return ids;
}

std::vector<std::string> GoogleEvents::cancel(std::size_t count) {
  const std::lock_guard lock(mutex_);
  if (!serving_) throw std::logic_error("no Google events are served");
  Rng rng(seed_ ^ (0x63616e63ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  std::vector<std::size_t> live;
  for (std::size_t k = 0; k < events_.size(); ++k)
    if (!events_[k].cancelled) live.push_back(k);
  std::vector<std::string> ids;
  for (const std::uint32_t chosen : choose_distinct(rng, live.size(), count)) {
    const std::size_t index = live[chosen];
    events_[index].cancelled = true;
    const Instant at = clock_.next();
    touch(index, Instant{at.seconds, static_cast<std::int32_t>(rng.below(1000)) * 1'000'000});
    cancelled_.push_back(index);
    ids.push_back(events_[index].id);
  }
  return ids;
}

void GoogleEvents::expire_tokens() {
  const std::lock_guard lock(mutex_);
  ++generation_;
}

std::size_t GoogleEvents::full_requests() const {
  const std::lock_guard lock(mutex_);
  return full_requests_;
}

std::size_t GoogleEvents::sync_requests() const {
  const std::lock_guard lock(mutex_);
  return sync_requests_;
}

FeedState GoogleEvents::begin(bool changes, std::uint64_t since, bool show_deleted) const {
  const std::lock_guard lock(mutex_);
  FeedState state;
  state.changes = changes;
  state.since = changes ? since : 0;
  state.bound = sequence_;
  state.flag = changes || show_deleted;
  return state;
}

FeedState GoogleEvents::issue(FeedState state) const {
  state.issued = clock_.now().seconds;
  const std::lock_guard lock(mutex_);
  state.generation = generation_;
  return state;
}

bool GoogleEvents::expired(const FeedState& state) const {
  const std::int64_t now = clock_.now().seconds;
  const std::lock_guard lock(mutex_);
  return feed_token_expired(state, generation_, options_.token_ttl_seconds, now);
}

EventPage GoogleEvents::read(FeedState state, std::size_t count) const {
  const std::lock_guard lock(mutex_);
  ++(state.changes ? sync_requests_ : full_requests_);
  EventPage page;
  page.more = walk_changes(
      order_, state, count,
      [&](std::size_t index) { return state.flag || !events_[index].cancelled; },
      [&](std::size_t index) {
        page.events.push_back(event_json(events_[index], options_.calendar_id));
      });
  page.next = state;
  return page;
}

CalendarFacts GoogleEvents::facts() const {
  const std::lock_guard lock(mutex_);
  CalendarFacts facts;
  const std::int64_t millis = latest_.seconds * 1000 + latest_.nanos / 1'000'000;
  facts.etag =
      "\"" + std::to_string(millis * 1000 + static_cast<std::int64_t>(sequence_ % 1000)) + "\"";
  facts.updated = format_millis(latest_);
  return facts;
}

}  // namespace tsync::mock
