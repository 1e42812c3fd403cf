// SPDX-License-Identifier: Apache-2.0
#include "mock/graph_users.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "mock/catalog.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

constexpr std::size_t kMostUsers = 5'000'000;
constexpr std::size_t kMostPage = 1000;

constexpr const char* kGiven[] = {"Adele",   "Alex",   "Diego", "Grady",  "Henrietta", "Isaiah",
                                  "Johanna", "Joni",   "Lee",   "Lidia",  "Lynne",     "Megan",
                                  "Miriam",  "Nestor", "Patti", "Pradeep"};
constexpr const char* kSurnames[] = {"Vance",   "Wilber",  "Siciliani", "Archie", "Mueller",
                                     "Langer",  "Lambert", "Sherman",   "Gu",     "Holloway",
                                     "Robbins", "Bowen",   "Behrens",   "Wilke",  "Fernandez"};
constexpr const char* kTitles[] = {
    "Retail Manager", "Marketing Assistant", "Developer", "IT Admin", "Product Manager",
    "Attorney",       "Sales Rep",           "Designer",  "Director", "CVP Finance",
    "Engineer",       "Researcher"};

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// A GUID-like id: 8-4-4-4-12 lowercase hex digits.
std::string guid(Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const std::uint64_t a = rng.next(), b = rng.next();
  for (int k = 0; k < 32; ++k) {
    if (k == 8 || k == 12 || k == 16 || k == 20) out.push_back('-');
    const std::uint64_t word = k < 16 ? a : b;
    out.push_back(kHex[(word >> (4 * (k % 16))) & 0xF]);
  }
  return out;
}

void member(std::string& out, const char* name, const std::string& value) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, value);
}

const std::string& property(const GraphUser& user, const std::string& name) {
  if (name == "displayName") return user.display_name;
  if (name == "givenName") return user.given_name;
  if (name == "surname") return user.surname;
  if (name == "mail") return user.mail;
  if (name == "jobTitle") return user.job_title;
  return user.user_principal_name;
}

// A user as Graph writes it: "id", then the selected properties (every one
// when `select` is empty), in the selection's order.
std::string user_json(const GraphUser& user, const std::vector<std::string>& select) {
  std::string out = "{\"id\":";
  append_json_string(out, user.id);
  for (const std::string& name : select.empty() ? graph_properties() : select)
    member(out, name.c_str(), property(user, name));
  return out + "}";
}

std::string removed_json(const GraphUser& user) {
  std::string out = "{\"id\":";
  append_json_string(out, user.id);
  out += ",\"@removed\":{\"reason\":";
  out += user.state == GraphUser::State::Deleted ? "\"deleted\"" : "\"changed\"";
  return out + "}}";
}

std::vector<std::string> split_select(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    names.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

std::size_t parse_size(std::string_view text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + " must be a whole number, not \"" +
                                std::string(text) + "\"");
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

}  // namespace

const std::vector<std::string>& graph_properties() {
  static const std::vector<std::string> kProperties{
      "displayName", "givenName", "surname", "mail", "jobTitle", "userPrincipalName"};
  return kProperties;
}

GraphOptions parse_graph_spec(std::string_view text) {
  GraphOptions options;
  const std::size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos)
    throw std::invalid_argument("expected USERS[:PAGE], not \"" + std::string(text) + "\"");
  options.users = parse_size(text.substr(0, colon), "USERS");
  if (colon != std::string_view::npos) options.page = parse_size(text.substr(colon + 1), "PAGE");
  check_graph(options);
  return options;
}

void check_graph(const GraphOptions& options) {
  if (options.users > kMostUsers)
    throw std::invalid_argument("at most " + std::to_string(kMostUsers) + " users");
  if (options.page < 1 || options.page > kMostPage)
    throw std::invalid_argument("PAGE must be from 1 to " + std::to_string(kMostPage));
  if (options.token_ttl_seconds < 0)
    throw std::invalid_argument("the token TTL must be 0 (never) or more seconds");
}

GraphUser GraphUsers::make_user(std::uint64_t n) const {
  Rng rng(seed_ ^ (0x6772617068ull + n * 0x9E3779B97F4A7C15ull));
  GraphUser user;
  user.id = guid(rng);
  user.given_name = pick(rng, kGiven);
  user.surname = pick(rng, kSurnames);
  user.display_name = user.given_name + " " + user.surname;
  user.job_title = pick(rng, kTitles);
  const std::string local =
      lowercase(user.given_name) + "." + lowercase(user.surname) + std::to_string(n);
  user.mail = local + "@contoso.com";
  user.user_principal_name = local + "@contoso.onmicrosoft.com";
  return user;
}

void GraphUsers::touch(std::size_t index) {
  GraphUser& user = users_[index];
  if (user.sequence != 0) order_.erase({user.sequence, index});
  user.sequence = ++sequence_;
  order_.emplace(user.sequence, index);
}

void GraphUsers::serve(const GraphOptions& options, std::uint64_t seed) {
  check_graph(options);
  const std::lock_guard lock(mutex_);
  seed_ = seed;
  changes_ = 0;
  sequence_ = 0;
  ++generation_;  // the tokens of what was served before
  users_.clear();
  order_.clear();
  removed_.clear();
  users_.reserve(options.users);
  for (std::size_t k = 0; k < options.users; ++k) {
    users_.push_back(make_user(k + 1));
    touch(k);
  }
  options_ = options;
  serving_ = true;
}

bool GraphUsers::serving() const {
  const std::lock_guard lock(mutex_);
  return serving_;
}

GraphOptions GraphUsers::options() const {
  const std::lock_guard lock(mutex_);
  return options_;
}

std::vector<std::string> GraphUsers::live(const std::vector<std::string>& select) const {
  const std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [sequence, index] : order_)
    if (users_[index].state == GraphUser::State::Live)
      out.push_back(user_json(users_[index], select));
  return out;
}

std::vector<GraphUser> GraphUsers::users() const {
  const std::lock_guard lock(mutex_);
  std::vector<GraphUser> out;
  for (const auto& [sequence, index] : order_)
    if (users_[index].state == GraphUser::State::Live) out.push_back(users_[index]);
  return out;
}

std::vector<std::pair<std::string, std::string>> GraphUsers::removed() const {
  const std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::size_t index : removed_) {
    const GraphUser& user = users_[index];
    out.emplace_back(user.id, user.state == GraphUser::State::Deleted ? "deleted" : "changed");
  }
  return out;
}

std::vector<std::string> GraphUsers::mutate(std::size_t update, std::size_t add) {
  const std::lock_guard lock(mutex_);
  if (!serving_) throw std::logic_error("no Graph users are served");
  Rng rng(seed_ ^ (0x6d757461ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  std::vector<std::size_t> live;
  for (std::size_t k = 0; k < users_.size(); ++k)
    if (users_[k].state == GraphUser::State::Live) live.push_back(k);
  std::vector<std::string> ids;
  for (const std::uint32_t chosen : choose_distinct(rng, live.size(), update)) {
    GraphUser& user = users_[live[chosen]];
    std::string title = pick(rng, kTitles);
    if (title == user.job_title) title = "Senior " + title;
    user.job_title = title;
    if (changes_ % 3 == 0 || chosen % 3 == 0)
      user.display_name = user.given_name + " " + user.surname + " (" + title + ")";
    touch(live[chosen]);
    ids.push_back(user.id);
  }
  for (std::size_t k = 0; k < add; ++k) {
    users_.push_back(make_user(users_.size() + 1));
    touch(users_.size() - 1);
    ids.push_back(users_.back().id);
  }
  return ids;
}

std::vector<std::string> GraphUsers::remove(std::size_t count, bool hard) {
  const std::lock_guard lock(mutex_);
  if (!serving_) throw std::logic_error("no Graph users are served");
  Rng rng(seed_ ^ (0x72656d6full + ++changes_ * 0x9E3779B97F4A7C15ull));
  std::vector<std::size_t> live;
  for (std::size_t k = 0; k < users_.size(); ++k)
    if (users_[k].state == GraphUser::State::Live) live.push_back(k);
  std::vector<std::string> ids;
  for (const std::uint32_t chosen : choose_distinct(rng, live.size(), count)) {
    const std::size_t index = live[chosen];
    users_[index].state = hard ? GraphUser::State::Deleted : GraphUser::State::SoftDeleted;
    touch(index);
    removed_.push_back(index);
    ids.push_back(users_[index].id);
  }
  return ids;
}

void GraphUsers::restore(const std::vector<std::string>& ids) {
  const std::lock_guard lock(mutex_);
  std::vector<std::size_t> found;
  for (const std::string& id : ids) {
    const auto at = std::find_if(removed_.begin(), removed_.end(), [&](std::size_t index) {
      return users_[index].id == id && users_[index].state == GraphUser::State::SoftDeleted;
    });
    if (at == removed_.end())
      throw std::out_of_range("no soft-deleted user has the id \"" + id + "\"");
    found.push_back(*at);
  }
  for (const std::size_t index : found) {
    if (users_[index].state != GraphUser::State::SoftDeleted) continue;  // named twice
    users_[index].state = GraphUser::State::Live;
    touch(index);
    removed_.erase(std::find(removed_.begin(), removed_.end(), index));
  }
}

void GraphUsers::expire_tokens() {
  const std::lock_guard lock(mutex_);
  ++generation_;
}

std::size_t GraphUsers::full_requests() const {
  const std::lock_guard lock(mutex_);
  return full_requests_;
}

std::size_t GraphUsers::delta_requests() const {
  const std::lock_guard lock(mutex_);
  return delta_requests_;
}

FeedState GraphUsers::begin(bool changes, std::uint64_t since, const std::string& select) const {
  const std::lock_guard lock(mutex_);
  FeedState state;
  state.changes = changes;
  state.since = changes ? since : 0;
  state.bound = sequence_;
  state.extra = select;
  return state;
}

FeedState GraphUsers::issue(FeedState state) const {
  state.issued = clock_.now().seconds;
  const std::lock_guard lock(mutex_);
  state.generation = generation_;
  return state;
}

bool GraphUsers::expired(const FeedState& state) const {
  const std::int64_t now = clock_.now().seconds;
  const std::lock_guard lock(mutex_);
  return feed_token_expired(state, generation_, options_.token_ttl_seconds, now);
}

GraphPage GraphUsers::read(FeedState state, std::size_t count) const {
  const std::lock_guard lock(mutex_);
  ++(state.changes ? delta_requests_ : full_requests_);
  GraphPage page;
  const std::vector<std::string> select = split_select(state.extra);
  const std::uint64_t phases = state.changes ? 2 : 1;
  while (state.phase < phases) {
    const bool removals = state.phase == 1;
    const auto wanted = [&](std::size_t index) {
      return (users_[index].state == GraphUser::State::Live) != removals;
    };
    const auto emit = [&](std::size_t index) {
      page.users.push_back(removals ? removed_json(users_[index])
                                    : user_json(users_[index], select));
    };
    // With no room left, the walk only says whether this phase has more.
    if (walk_changes(order_, state, count - page.users.size(), wanted, emit)) {
      page.more = true;
      break;
    }
    ++state.phase;
    state.after = state.since;
  }
  page.next = state;
  return page;
}

}  // namespace tsync::mock
