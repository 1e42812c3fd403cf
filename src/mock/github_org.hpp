// SPDX-License-Identifier: Apache-2.0
#pragma once

// GitHub-shaped nested resources: an organization's repositories, each
// repository's issues and each issue's comments, generated from a seed, changed
// as a nightly run finds them (a repository removed, issues added and touched,
// comments added), and written as GitHub's REST API writes them.

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/timestamp.hpp"
#include "mock/change_clock.hpp"

namespace tsync::mock {

// The sizes of the organization. The defaults are small, for a test to read.
struct GithubOptions {
  std::string org = "acme";
  std::size_t repos = 3;
  std::size_t issues_per_repo = 5;
  std::size_t comments_per_issue = 2;
};

// Reads the command-line form ORG[:REPOS[:ISSUES[:COMMENTS]]] (sizes left out
// keep their defaults) and checks it. Throws std::invalid_argument saying what
// is wrong.
GithubOptions parse_github_spec(std::string_view text);

// Checks an org name of letters, digits and '-' (at most 39, as GitHub's), and
// at most 20,000,000 issues and comments together. Throws std::invalid_argument.
void check_github(const GithubOptions& options);

struct GithubUser {
  std::string login;
  std::int64_t id = 0;
};

struct GithubComment {
  std::int64_t id = 0;  // unique among every comment, ascending in creation order
  std::string body;
  GithubUser user;
  Instant created, updated;
};

struct GithubIssue {
  std::int64_t id = 0;      // unique among every issue
  std::int64_t number = 0;  // per repository, from 1
  std::string title, body;
  bool open = true;  // "state": "open", else "closed"
  GithubUser user;
  Instant created, updated;
  std::optional<Instant> closed;
  std::vector<GithubComment> comments;  // ascending by id
};

struct GithubRepo {
  std::int64_t id = 0;
  std::string node_id, name;
  Instant updated, pushed;
  std::vector<GithubIssue> issues;  // by number
};

// Which issues a request asks for, as GitHub reads its query.
struct IssueQuery {
  std::optional<Instant> since;  // updated at or after it
  enum class State { Open, Closed, All } state = State::Open;
  enum class Sort { Created, Updated, Comments } sort = Sort::Created;
  bool ascending = false;
};

// One page of a listing: the JSON objects of the records from `offset`, and how
// many records the whole listing holds.
struct Listing {
  std::size_t total = 0;
  std::vector<std::string> items;
};

// The organization. Thread-safe; off until serve().
class GithubOrg {
 public:
  // Changes are stamped by `clock`, which outlives this.
  explicit GithubOrg(ChangeClock& clock) : clock_(clock) {}

  // Serves a new organization generated from `options` and `seed` (the same
  // for the same values) from now on. Throws std::invalid_argument for options
  // that check_github refuses.
  void serve(const GithubOptions& options, std::uint64_t seed);
  bool serving() const;
  std::string org() const;

  // The repositories served now, by full_name, with their issues and comments:
  // what a replica of every stream should hold.
  std::vector<GithubRepo> repos() const;

  // The changes. `repo` is a repository's name (without the org); names and
  // numbers not served throw std::out_of_range saying which.
  // The repository is no longer listed, and its issues and comments answer 404.
  void remove_repo(const std::string& repo);
  // The repository is called `new_name` from now on (its updated_at moves to
  // now); requests under the old name answer 301 to /repositories/{id}/...,
  // as GitHub's do. Throws std::invalid_argument for a name that is not one
  // (letters, digits, '-', '_', '.') or is taken.
  void rename_repo(const std::string& repo, const std::string& new_name);
  // A new open issue, numbered after the last, created and updated now.
  GithubIssue add_issue(const std::string& repo);
  // The issue's updated_at moves to now.
  GithubIssue touch_issue(const std::string& repo, std::int64_t number);
  // A new comment on the issue, created now; the issue's updated_at moves to
  // now too and its comment count grows, as GitHub's do.
  GithubComment add_comment(const std::string& repo, std::int64_t number);

  // What the routes serve, rendered with `origin` ("http://host:port") in the
  // URLs the records carry; `count` records from `offset`. Nullopt when the
  // org, repository or issue is not served (names compared without case, as
  // GitHub's).
  // The name of the repository served with `id`; nullopt when none is.
  std::optional<std::string> repo_name(std::int64_t id) const;
  // The id of the served repository that `owner`/`repo` named before a rename;
  // nullopt when none did, or when a repository of that name is served now.
  std::optional<std::int64_t> moved_repo(const std::string& owner, const std::string& repo) const;
  std::optional<Listing> list_repos(const std::string& org, std::size_t offset,
                                    std::size_t count) const;
  std::optional<Listing> list_issues(const std::string& owner, const std::string& repo,
                                     const IssueQuery& query, std::size_t offset, std::size_t count,
                                     const std::string& origin) const;
  // Comments updated at or after `since`, ascending by id.
  std::optional<Listing> list_comments(const std::string& owner, const std::string& repo,
                                       std::int64_t number, std::optional<Instant> since,
                                       std::size_t offset, std::size_t count,
                                       const std::string& origin) const;

 private:
  // The repository `repo` of `owner` when it is served; null otherwise.
  template <typename Self>
  static auto* find_repo(Self& self, const std::string& owner, const std::string& repo);
  GithubRepo& repo_or_throw(const std::string& repo);
  GithubIssue& issue_or_throw(const std::string& repo, std::int64_t number);

  ChangeClock& clock_;
  mutable std::mutex mutex_;
  bool serving_ = false;
  GithubOptions options_;
  std::int64_t org_id_ = 0;
  std::vector<GithubRepo> repos_;                // by full_name, removed ones taken out
  std::map<std::string, std::int64_t> renamed_;  // an old name, in lower case -> the repo's id
  std::int64_t next_issue_id_ = 0, next_comment_id_ = 0;
  std::uint64_t changes_ = 0;  // seeds the text of added records
  std::uint64_t seed_ = 0;
};

}  // namespace tsync::mock
