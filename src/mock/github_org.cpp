// SPDX-License-Identifier: Apache-2.0
#include "mock/github_org.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "mock/catalog.hpp"
#include "mock/random.hpp"

namespace tsync::mock {
namespace {

constexpr std::int64_t kStart2024 = 1704067200;  // 2024-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;
constexpr std::size_t kMostRecords = 20'000'000;

constexpr const char* kRepoWords[] = {"api",  "web",    "docs",  "cli",   "infra", "mobile",
                                      "sdk",  "site",   "tools", "data",  "auth",  "billing",
                                      "gate", "search", "ui",    "worker"};
constexpr const char* kWords[] = {"crash", "when",  "saving", "the",    "settings", "page",
                                  "login", "fails", "after",  "update", "slow",     "export",
                                  "typo",  "in",    "readme", "add",    "support",  "for",
                                  "dark",  "mode",  "retry",  "upload", "timeout",  "on",
                                  "large", "files", "broken", "link",   "missing",  "icon"};
const GithubUser kUsers[] = {{"octocat", 583231},   {"hubot", 480938},  {"monalisa", 2154},
                             {"mona-dev", 9919042}, {"defunkt", 2},     {"pjhyett", 3},
                             {"mojombo", 1},        {"wanstrath", 8921}};

std::string sentence(Rng& rng, std::size_t words) { return mock::sentence(rng, words, kWords); }

std::string alnum(Rng& rng, std::size_t length) {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (std::size_t k = 0; k < length; ++k) out.push_back(kChars[rng.below(sizeof kChars - 1)]);
  return out;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool same_name(const std::string& a, const std::string& b) { return lower(a) == lower(b); }

std::size_t parse_size(std::string_view text, const char* what) {
  if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
    throw std::invalid_argument(std::string(what) + " must be a whole number, not \"" +
                                std::string(text) + "\"");
  return static_cast<std::size_t>(std::stoul(std::string(text)));
}

void append_time(std::string& out, const char* name, Instant at) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, format_compact(at));
}

void append_user(std::string& out, const GithubUser& user) {
  out += ",\"user\":{\"login\":";
  append_json_string(out, user.login);
  out += ",\"id\":" + std::to_string(user.id) + ",\"type\":\"User\"}";
}

std::string repo_json(const GithubRepo& repo, const std::string& org, std::int64_t org_id) {
  std::string out = "{\"id\":" + std::to_string(repo.id) + ",\"node_id\":";
  append_json_string(out, repo.node_id);
  out += ",\"name\":";
  append_json_string(out, repo.name);
  out += ",\"full_name\":";
  append_json_string(out, org + "/" + repo.name);
  out += ",\"private\":false,\"owner\":{\"login\":";
  append_json_string(out, org);
  out += ",\"id\":" + std::to_string(org_id) + ",\"type\":\"Organization\"}";
  append_time(out, "updated_at", repo.updated);
  append_time(out, "pushed_at", repo.pushed);
  out += "}";
  return out;
}

std::string issue_json(const GithubIssue& issue, const std::string& repo_url) {
  std::string out = "{\"url\":";
  append_json_string(out, repo_url + "/issues/" + std::to_string(issue.number));
  out += ",\"repository_url\":";
  append_json_string(out, repo_url);
  out += ",\"id\":" + std::to_string(issue.id) + ",\"number\":" + std::to_string(issue.number) +
         ",\"title\":";
  append_json_string(out, issue.title);
  append_user(out, issue.user);
  out += issue.open ? ",\"state\":\"open\"" : ",\"state\":\"closed\"";
  out += ",\"comments\":" + std::to_string(issue.comments.size());
  append_time(out, "created_at", issue.created);
  append_time(out, "updated_at", issue.updated);
  if (issue.closed) {
    append_time(out, "closed_at", *issue.closed);
  } else {
    out += ",\"closed_at\":null";
  }
  out += ",\"body\":";
  append_json_string(out, issue.body);
  out += "}";
  return out;
}

std::string comment_json(const GithubComment& comment, const std::string& repo_url,
                         const std::string& issue_url) {
  std::string out = "{\"url\":";
  append_json_string(out, repo_url + "/issues/comments/" + std::to_string(comment.id));
  out += ",\"issue_url\":";
  append_json_string(out, issue_url);
  out += ",\"id\":" + std::to_string(comment.id);
  append_user(out, comment.user);
  append_time(out, "created_at", comment.created);
  append_time(out, "updated_at", comment.updated);
  out += ",\"body\":";
  append_json_string(out, comment.body);
  out += "}";
  return out;
}

template <typename T, typename Render>
Listing slice(const std::vector<T>& items, std::size_t offset, std::size_t count, Render render) {
  Listing listing;
  listing.total = items.size();
  for (std::size_t k = offset; k < items.size() && k < offset + count; ++k)
    listing.items.push_back(render(items[k]));
  return listing;
}

}  // namespace

GithubOptions parse_github_spec(std::string_view text) {
  GithubOptions options;
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 4)
    throw std::invalid_argument("expected ORG[:REPOS[:ISSUES[:COMMENTS]]], not \"" +
                                std::string(text) + "\"");
  options.org = std::string(parts[0]);
  if (parts.size() > 1) options.repos = parse_size(parts[1], "REPOS");
  if (parts.size() > 2) options.issues_per_repo = parse_size(parts[2], "ISSUES");
  if (parts.size() > 3) options.comments_per_issue = parse_size(parts[3], "COMMENTS");
  check_github(options);
  return options;
}

void check_github(const GithubOptions& options) {
  const std::string& org = options.org;
  if (org.empty() || org.size() > 39 || org.front() == '-' ||
      !std::all_of(org.begin(), org.end(),
                   [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }))
    throw std::invalid_argument("the org must be 1 to 39 letters, digits and '-', not \"" + org +
                                "\"");
  const double records = static_cast<double>(options.repos) *
                         static_cast<double>(options.issues_per_repo) *
                         (1.0 + static_cast<double>(options.comments_per_issue));
  if (records > static_cast<double>(kMostRecords))
    throw std::invalid_argument("at most " + std::to_string(kMostRecords) +
                                " issues and comments together");
}

void GithubOrg::serve(const GithubOptions& options, std::uint64_t seed) {
  check_github(options);
  Rng rng(seed ^ 0x6769746875622121ull);
  std::vector<GithubRepo> repos(options.repos);
  std::int64_t issue_id = 1'000'000'001 + static_cast<std::int64_t>(rng.below(1000));
  std::int64_t comment_id = 2'000'000'001 + static_cast<std::int64_t>(rng.below(1000));
  Instant latest{kStart2024, 0};
  for (std::size_t r = 0; r < repos.size(); ++r) {
    GithubRepo& repo = repos[r];
    repo.id = 70'000'000 + static_cast<std::int64_t>(r * 1000 + rng.below(1000));
    repo.node_id = "R_kgDO" + alnum(rng, 6);
    repo.name = std::string(pick(rng, kRepoWords)) + "-" + std::to_string(r + 1);
    repo.updated = Instant{kStart2024 + static_cast<std::int64_t>(rng.below(300 * kDay)), 0};
    repo.pushed = Instant{repo.updated.seconds + static_cast<std::int64_t>(rng.below(kDay)), 0};
    const std::size_t n = options.issues_per_repo;
    const std::int64_t step =
        std::max<std::int64_t>(1, 300 * kDay / static_cast<std::int64_t>(n + 1));
    for (std::size_t i = 0; i < n; ++i) {
      GithubIssue issue;
      issue.id = issue_id++;
      issue.number = static_cast<std::int64_t>(i + 1);
      issue.title = sentence(rng, 3 + rng.below(4));
      issue.body = sentence(rng, 8 + rng.below(12));
      issue.user = pick(rng, kUsers);
      issue.created = Instant{kStart2024 + static_cast<std::int64_t>(i + 1) * step +
                                  static_cast<std::int64_t>(rng.below(3600)),
                              0};
      issue.updated =
          Instant{issue.created.seconds + static_cast<std::int64_t>(rng.below(20 * kDay)), 0};
      issue.open = !rng.one_in(3);
      if (!issue.open) issue.closed = issue.updated;
      const std::size_t m = options.comments_per_issue;
      const std::int64_t span = issue.updated.seconds - issue.created.seconds;
      for (std::size_t j = 0; j < m; ++j) {
        GithubComment comment;
        comment.id = comment_id++;
        comment.body = sentence(rng, 4 + rng.below(10));
        comment.user = pick(rng, kUsers);
        comment.created = Instant{issue.created.seconds + span * static_cast<std::int64_t>(j + 1) /
                                                              static_cast<std::int64_t>(m + 1),
                                  0};
        comment.updated = comment.created;
        if (rng.one_in(4)) comment.updated.seconds += static_cast<std::int64_t>(rng.below(kDay));
        latest = std::max(latest, comment.updated);
        issue.comments.push_back(std::move(comment));
      }
      latest = std::max(latest, issue.updated);
      repo.issues.push_back(std::move(issue));
    }
  }
  std::sort(repos.begin(), repos.end(),
            [](const GithubRepo& a, const GithubRepo& b) { return a.name < b.name; });
  clock_.after(latest);
  const std::lock_guard lock(mutex_);
  options_ = options;
  org_id_ = 1000 + static_cast<std::int64_t>(rng.below(9'000'000));
  repos_ = std::move(repos);
  renamed_.clear();
  next_issue_id_ = issue_id;
  next_comment_id_ = comment_id;
  seed_ = seed;
  changes_ = 0;
  serving_ = true;
}

bool GithubOrg::serving() const {
  const std::lock_guard lock(mutex_);
  return serving_;
}

std::string GithubOrg::org() const {
  const std::lock_guard lock(mutex_);
  return options_.org;
}

std::vector<GithubRepo> GithubOrg::repos() const {
  const std::lock_guard lock(mutex_);
  return repos_;
}

template <typename Self>
auto* GithubOrg::find_repo(Self& self, const std::string& owner, const std::string& repo) {
  decltype(&self.repos_.front()) found = nullptr;
  if (!self.serving_ || !same_name(owner, self.options_.org)) return found;
  for (auto& r : self.repos_)
    if (same_name(r.name, repo)) return &r;
  return found;
}

GithubRepo& GithubOrg::repo_or_throw(const std::string& repo) {
  GithubRepo* found = find_repo(*this, options_.org, repo);
  if (!found) throw std::out_of_range("no repository \"" + repo + "\" is served");
  return *found;
}

GithubIssue& GithubOrg::issue_or_throw(const std::string& repo, std::int64_t number) {
  GithubRepo& r = repo_or_throw(repo);
  for (GithubIssue& issue : r.issues)
    if (issue.number == number) return issue;
  throw std::out_of_range("repository \"" + repo + "\" has no issue " + std::to_string(number));
}

void GithubOrg::remove_repo(const std::string& repo) {
  const std::lock_guard lock(mutex_);
  const GithubRepo& r = repo_or_throw(repo);
  repos_.erase(repos_.begin() + (&r - repos_.data()));
}

void GithubOrg::rename_repo(const std::string& repo, const std::string& new_name) {
  if (new_name.empty() || new_name.size() > 100 ||
      !std::all_of(new_name.begin(), new_name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      }))
    throw std::invalid_argument("a repository name is letters, digits, '-', '_' and '.', not \"" +
                                new_name + "\"");
  const std::lock_guard lock(mutex_);
  GithubRepo& r = repo_or_throw(repo);
  if (find_repo(*this, options_.org, new_name) && !same_name(new_name, repo))
    throw std::invalid_argument("a repository \"" + new_name + "\" is served already");
  renamed_[lower(r.name)] = r.id;
  renamed_.erase(lower(new_name));
  r.name = new_name;
  r.updated = clock_.next();
  std::sort(repos_.begin(), repos_.end(),
            [](const GithubRepo& a, const GithubRepo& b) { return lower(a.name) < lower(b.name); });
}

std::optional<std::string> GithubOrg::repo_name(std::int64_t id) const {
  const std::lock_guard lock(mutex_);
  for (const GithubRepo& r : repos_)
    if (r.id == id) return r.name;
  return std::nullopt;
}

std::optional<std::int64_t> GithubOrg::moved_repo(const std::string& owner,
                                                  const std::string& repo) const {
  const std::lock_guard lock(mutex_);
  if (!serving_ || !same_name(owner, options_.org) || find_repo(*this, owner, repo))
    return std::nullopt;
  const auto it = renamed_.find(lower(repo));
  if (it == renamed_.end()) return std::nullopt;
  for (const GithubRepo& r : repos_)
    if (r.id == it->second) return r.id;
  return std::nullopt;
}

GithubIssue GithubOrg::add_issue(const std::string& repo) {
  const std::lock_guard lock(mutex_);
  GithubRepo& r = repo_or_throw(repo);
  Rng rng(seed_ ^ (0x61646469ull + ++changes_ * 0x9E3779B97F4A7C15ull));
  GithubIssue issue;
  issue.id = next_issue_id_++;
  issue.number = r.issues.empty() ? 1 : r.issues.back().number + 1;
  issue.title = sentence(rng, 3 + rng.below(4));
  issue.body = sentence(rng, 8 + rng.below(12));
  issue.user = pick(rng, kUsers);
  issue.created = issue.updated = clock_.next();
  r.issues.push_back(issue);
  return issue;
}

GithubIssue GithubOrg::touch_issue(const std::string& repo, std::int64_t number) {
  const std::lock_guard lock(mutex_);
  GithubIssue& issue = issue_or_throw(repo, number);
  issue.updated = clock_.next();
  return issue;
}

GithubComment GithubOrg::add_comment(const std::string& repo, std::int64_t number) {
  const std::lock_guard lock(mutex_);
  GithubIssue& issue = issue_or_throw(repo, number);
  Rng rng(seed_ ^ (0x636f6d6dull + ++changes_ * 0x9E3779B97F4A7C15ull));
  GithubComment comment;
  comment.id = next_comment_id_++;
  comment.body = sentence(rng, 4 + rng.below(10));
  comment.user = pick(rng, kUsers);
  comment.created = comment.updated = clock_.next();
  issue.updated = comment.updated;
  issue.comments.push_back(comment);
  return comment;
}

std::optional<Listing> GithubOrg::list_repos(const std::string& org, std::size_t offset,
                                             std::size_t count) const {
  const std::lock_guard lock(mutex_);
  if (!serving_ || !same_name(org, options_.org)) return std::nullopt;
  return slice(repos_, offset, count,
               [this](const GithubRepo& r) { return repo_json(r, options_.org, org_id_); });
}

std::optional<Listing> GithubOrg::list_issues(const std::string& owner, const std::string& repo,
                                              const IssueQuery& query, std::size_t offset,
                                              std::size_t count, const std::string& origin) const {
  const std::lock_guard lock(mutex_);
  const GithubRepo* r = find_repo(*this, owner, repo);
  if (!r) return std::nullopt;
  std::vector<const GithubIssue*> chosen;
  for (const GithubIssue& issue : r->issues) {
    if (query.since && issue.updated < *query.since) continue;
    if (query.state == IssueQuery::State::Open && !issue.open) continue;
    if (query.state == IssueQuery::State::Closed && issue.open) continue;
    chosen.push_back(&issue);
  }
  const auto key = [&query](const GithubIssue* issue) {
    switch (query.sort) {
      case IssueQuery::Sort::Updated:
        return std::make_pair(issue->updated.seconds, issue->id);
      case IssueQuery::Sort::Comments:
        return std::make_pair(static_cast<std::int64_t>(issue->comments.size()), issue->id);
      case IssueQuery::Sort::Created:
        break;
    }
    return std::make_pair(issue->created.seconds, issue->id);
  };
  std::stable_sort(chosen.begin(), chosen.end(), [&](const GithubIssue* a, const GithubIssue* b) {
    return query.ascending ? key(a) < key(b) : key(b) < key(a);
  });
  const std::string repo_url = origin + "/repos/" + options_.org + "/" + r->name;
  return slice(chosen, offset, count,
               [&repo_url](const GithubIssue* issue) { return issue_json(*issue, repo_url); });
}

std::optional<Listing> GithubOrg::list_comments(const std::string& owner, const std::string& repo,
                                                std::int64_t number, std::optional<Instant> since,
                                                std::size_t offset, std::size_t count,
                                                const std::string& origin) const {
  const std::lock_guard lock(mutex_);
  const GithubRepo* r = find_repo(*this, owner, repo);
  if (!r) return std::nullopt;
  const auto issue = std::find_if(r->issues.begin(), r->issues.end(),
                                  [number](const GithubIssue& i) { return i.number == number; });
  if (issue == r->issues.end()) return std::nullopt;
  std::vector<const GithubComment*> chosen;
  for (const GithubComment& comment : issue->comments)
    if (!since || comment.updated >= *since) chosen.push_back(&comment);
  const std::string repo_url = origin + "/repos/" + options_.org + "/" + r->name;
  const std::string issue_url = repo_url + "/issues/" + std::to_string(number);
  return slice(chosen, offset, count, [&](const GithubComment* comment) {
    return comment_json(*comment, repo_url, issue_url);
  });
}

}  // namespace tsync::mock
