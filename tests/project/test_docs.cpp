// SPDX-License-Identifier: Apache-2.0
// The documentation cannot drift from itself: every relative link of README.md
// and of the pages under docs/ leads to a file that exists, and a link to a
// #section to a heading of that page with that GitHub anchor.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_lines(const fs::path& file) {
  std::ifstream in(file);
  REQUIRE_MESSAGE(in, "cannot read " << file.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Tracks fenced code blocks (``` or ~~~, indented at most three spaces), whose
// text is neither a link nor a heading. update() takes each line in order and
// says whether it is Markdown text (not a fence and not inside one).
class Fences {
 public:
  bool update(const std::string& line) {
    std::size_t at = 0;
    while (at < line.size() && at < 3 && line[at] == ' ') ++at;
    if (at < line.size() && (line[at] == '`' || line[at] == '~')) {
      const char mark = line[at];
      std::size_t run = 0;
      while (at + run < line.size() && line[at + run] == mark) ++run;
      if (run >= 3) {
        if (open_ == 0) {
          open_ = run;
          mark_ = mark;
          return false;
        }
        if (mark == mark_ && run >= open_) {
          open_ = 0;
          return false;
        }
      }
    }
    return open_ == 0;
  }

 private:
  std::size_t open_ = 0;  // the length of the open fence's run, 0 outside one
  char mark_ = 0;
};

// The line with the text of each code span (`...`, ``...``) replaced by 'x':
// a link written inside code is an example, not a link.
std::string mask_code_spans(std::string line) {
  std::size_t at = 0;
  while ((at = line.find('`', at)) != std::string::npos) {
    std::size_t run = 0;
    while (at + run < line.size() && line[at + run] == '`') ++run;
    const std::string ticks(run, '`');
    std::size_t close = line.find(ticks, at + run);
    // A closing run must be exactly as long as the opening one.
    while (close != std::string::npos && close + run < line.size() && line[close + run] == '`')
      close = line.find(ticks, close + run + 1);
    if (close == std::string::npos) break;
    std::fill(line.begin() + static_cast<std::ptrdiff_t>(at + run),
              line.begin() + static_cast<std::ptrdiff_t>(close), 'x');
    at = close + run;
  }
  return line;
}

// The anchor GitHub gives a heading: lower case, spaces become '-', and every
// character other than a letter, a digit, '-' or '_' is dropped (bytes of
// characters beyond ASCII are kept, as GitHub keeps letters of any script).
std::string github_slug(const std::string& heading) {
  std::string slug;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || std::isalnum(u) || c == '-' || c == '_')
      slug += static_cast<char>(std::tolower(u));
    else if (c == ' ')
      slug += '-';
  }
  return slug;
}

// The anchors of a Markdown file's headings (ATX headings outside fenced code),
// with GitHub's -1, -2 ... for a heading text that repeats.
std::set<std::string> anchors_of(const fs::path& file) {
  std::set<std::string> anchors;
  std::map<std::string, int> seen;
  Fences fences;
  for (const std::string& line : read_lines(file)) {
    if (!fences.update(line)) continue;
    std::size_t level = 0;
    while (level < line.size() && line[level] == '#') ++level;
    if (level == 0 || level > 6 || level >= line.size() || line[level] != ' ') continue;
    std::string text = line.substr(level + 1);
    while (!text.empty() && (text.back() == '#' || text.back() == ' ')) text.pop_back();
    const std::string slug = github_slug(text);
    const int n = seen[slug]++;
    anchors.insert(n == 0 ? slug : slug + "-" + std::to_string(n));
  }
  return anchors;
}

struct Link {
  std::size_t line;
  std::string text;    // as written: [text](target)
  std::string target;  // inside the parentheses, without a title
};

// The inline links and images of a Markdown file, outside fenced code and code
// spans.
std::vector<Link> links_of(const fs::path& file) {
  std::vector<Link> links;
  Fences fences;
  const std::vector<std::string> lines = read_lines(file);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    if (!fences.update(lines[n])) continue;
    const std::string line = mask_code_spans(lines[n]);
    for (std::size_t open = line.find('['); open != std::string::npos;
         open = line.find('[', open + 1)) {
      const std::size_t close = line.find(']', open + 1);
      if (close == std::string::npos) break;
      if (close + 1 >= line.size() || line[close + 1] != '(') continue;
      const std::size_t end = line.find(')', close + 2);
      if (end == std::string::npos) continue;
      std::string target = line.substr(close + 2, end - close - 2);
      target = target.substr(0, target.find(' '));  // drop a "title"
      links.push_back({n + 1, lines[n].substr(open, end + 1 - open), target});
    }
  }
  return links;
}

bool is_external(const std::string& target) {
  for (const char* scheme : {"http://", "https://", "mailto:"})
    if (target.rfind(scheme, 0) == 0) return true;
  return false;
}

// What is wrong with each relative link of `files` (paths relative to `root`), one
// "file:line: [text](target): why" a broken link; `checked` counts the links seen.
std::vector<std::string> broken_links(const fs::path& root, const std::vector<fs::path>& files,
                                      std::size_t& checked) {
  std::vector<std::string> broken;
  std::map<fs::path, std::set<std::string>> anchors;
  const auto anchors_in = [&](const fs::path& file) -> const std::set<std::string>& {
    auto it = anchors.find(file);
    if (it == anchors.end()) it = anchors.emplace(file, anchors_of(file)).first;
    return it->second;
  };
  for (const fs::path& file : files) {
    for (const Link& link : links_of(root / file)) {
      if (is_external(link.target)) continue;
      ++checked;
      const std::string where =
          file.generic_string() + ":" + std::to_string(link.line) + ": " + link.text + ": ";
      const std::size_t hash = link.target.find('#');
      const std::string path = link.target.substr(0, hash);
      const std::string anchor = hash == std::string::npos ? "" : link.target.substr(hash + 1);
      const fs::path target =
          path.empty() ? root / file : (root / file).parent_path() / fs::path(path);
      if (link.target.empty()) {
        broken.push_back(where + "the link has no target");
        continue;
      }
      if (!fs::exists(target)) {
        broken.push_back(where + "no file " + fs::relative(target, root).generic_string());
        continue;
      }
      if (anchor.empty()) continue;
      if (target.extension() != ".md" || fs::is_directory(target)) {
        broken.push_back(where + "#" + anchor + " in a file that is not Markdown");
        continue;
      }
      if (anchors_in(target).count(anchor) == 0)
        broken.push_back(where + "no heading of " + fs::relative(target, root).generic_string() +
                         " has the anchor #" + anchor);
    }
  }
  return broken;
}

// README.md, ARCHITECTURE.md, CHANGELOG.md and every .md under docs/,
// relative to the source tree.
std::vector<fs::path> documentation_files(const fs::path& root) {
  std::vector<fs::path> files{"README.md", "ARCHITECTURE.md", "CHANGELOG.md"};
  for (const auto& entry : fs::recursive_directory_iterator(root / "docs"))
    if (entry.is_regular_file() && entry.path().extension() == ".md")
      files.push_back(fs::relative(entry.path(), root));
  std::sort(files.begin() + 3, files.end());
  return files;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text;
}

}  // namespace

TEST_SUITE("docs") {
  TEST_CASE("github_slug: lower case, spaces to '-', punctuation dropped") {
    CHECK(github_slug("Windows of time and a polite rate") == "windows-of-time-and-a-polite-rate");
    CHECK(github_slug("Set-up: two commands") == "set-up-two-commands");
    CHECK(github_slug("Keys of `auth`") == "keys-of-auth");
    CHECK(github_slug("The replica's files (and WAL)") == "the-replicas-files-and-wal");
    CHECK(github_slug("snake_case key") == "snake_case-key");
  }

  TEST_CASE("broken_links: finds missing files and anchors, and skips code and external links") {
    const tsync::test::TempDir dir;
    const fs::path root = dir.path();
    write(root / "README.md",
          "# Top\n"
          "See [the guide](docs/guide.md), [its part](docs/guide.md#a-part),\n"
          "[here](#top) and [the web](https://example.com/missing.md).\n"
          "A [gone page](docs/gone.md) and [a bad part](docs/guide.md#no-such-part).\n"
          "`[in code](docs/none.md)`\n"
          "```md\n"
          "[in a fence](docs/none.md)\n"
          "```\n");
    write(root / "docs" / "guide.md",
          "# Guide\n\n## A part\n\n```sh\n# not a heading\n```\n"
          "Back to [the top](../README.md#top), not [this](#not-a-heading).\n");
    std::size_t checked = 0;
    const auto broken = broken_links(root, {"README.md", "docs/guide.md"}, checked);
    CHECK(checked == 7);
    REQUIRE(broken.size() == 3);
    CHECK(broken[0] == "README.md:4: [gone page](docs/gone.md): no file docs/gone.md");
    CHECK(broken[1] ==
          "README.md:4: [a bad part](docs/guide.md#no-such-part): no heading of docs/guide.md "
          "has the anchor #no-such-part");
    CHECK(broken[2] ==
          "docs/guide.md:8: [this](#not-a-heading): no heading of docs/guide.md has the anchor "
          "#not-a-heading");
  }

  TEST_CASE("every relative link of README.md, ARCHITECTURE.md, CHANGELOG.md and docs/ leads to a file and a heading") {
    const fs::path root = TSYNC_SOURCE_DIR;
    const std::vector<fs::path> files = documentation_files(root);
    REQUIRE(files.size() > 5);
    std::size_t checked = 0;
    for (const std::string& problem : broken_links(root, files, checked)) FAIL_CHECK(problem);
    // The README links every page of docs/: a count of zero would mean the
    // links were not found at all.
    CHECK(checked >= files.size());
  }
}
