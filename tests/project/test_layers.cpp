// SPDX-License-Identifier: Apache-2.0
// The layers of src/ (ARCHITECTURE.md): data flows one way, and a lower layer
// never includes a higher one. Read from the sources' own #include lines, so
// the map in ARCHITECTURE.md and the code cannot part.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Each folder of src/ and the folders it may include, besides its own.
const std::map<std::string, std::set<std::string>> kMayInclude = {
    {"common", {}},
    {"source", {"common"}},
    {"replica", {"common"}},
    {"config", {"common", "source", "replica"}},
    {"sync", {"common", "config", "source", "replica"}},
    {"discover", {"common", "config", "source", "replica", "sync"}},
    {"cli", {"common", "config", "source", "replica", "sync", "discover"}},
    {"mock", {"common"}},
};

struct Include {
  std::string file;  // relative to src/
  int line;
  std::string target;  // "layer/name.hpp"
};

std::vector<Include> project_includes(const fs::path& src) {
  std::vector<Include> out;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const std::string ext = entry.path().extension().string();
    if (ext != ".cpp" && ext != ".hpp") continue;
    std::ifstream in(entry.path());
    std::string text;
    for (int n = 1; std::getline(in, text); ++n) {
      const std::string prefix = "#include \"";
      if (text.rfind(prefix, 0) != 0) continue;
      const std::size_t end = text.find('"', prefix.size());
      out.push_back({fs::relative(entry.path(), src).generic_string(), n,
                     text.substr(prefix.size(), end - prefix.size())});
    }
  }
  return out;
}

std::string folder_of(const std::string& path) {
  const std::size_t slash = path.find('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

}  // namespace

TEST_SUITE("layers") {
  TEST_CASE("every source file of src/ is in a folder of a known layer") {
    const fs::path src = fs::path(TSYNC_SOURCE_DIR) / "src";
    for (const auto& entry : fs::recursive_directory_iterator(src)) {
      if (!entry.is_regular_file()) continue;
      const std::string file = fs::relative(entry.path(), src).generic_string();
      CHECK_MESSAGE(kMayInclude.count(folder_of(file)) == 1,
                    "src/" << file << " is not in a layer's folder (ARCHITECTURE.md names them)");
    }
  }

  TEST_CASE("a layer includes only itself and the layers below it") {
    const std::vector<Include> includes =
        project_includes(fs::path(TSYNC_SOURCE_DIR) / "src");
    REQUIRE(includes.size() > 100);
    std::size_t across = 0;
    for (const Include& inc : includes) {
      const std::string from = folder_of(inc.file);
      const std::string to = folder_of(inc.target);
      INFO("src/" << inc.file << ":" << inc.line << " includes \"" << inc.target << "\"");
      REQUIRE(kMayInclude.count(from) == 1);
      CHECK_MESSAGE(kMayInclude.count(to) == 1, "an include names no layer's folder");
      if (to == from) continue;
      ++across;
      CHECK_MESSAGE(kMayInclude.at(from).count(to) == 1,
                    "layer " << from << " may not include layer " << to);
    }
    CHECK(across > 20);
  }
}
