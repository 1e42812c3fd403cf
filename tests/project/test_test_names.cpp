// SPDX-License-Identifier: Apache-2.0
// ctest runs each doctest case by its name, and its list of discovered tests
// splits a name at ';' into two tests that both fail: no case may have one.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

TEST_SUITE("test_names") {
  TEST_CASE("no test case's name holds a semicolon, which ctest would split") {
    const std::regex test_case(R"re(TEST_CASE\(\s*"((?:[^"\\]|\\.)*)")re");
    std::size_t names = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(TSYNC_SOURCE_DIR) / "tests")) {
      if (!entry.is_regular_file() || entry.path().extension() != ".cpp") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string source = text.str();
      for (std::sregex_iterator it(source.begin(), source.end(), test_case), end; it != end; ++it) {
        ++names;
        const std::string name = (*it)[1];
        CHECK_MESSAGE(name.find(';') == std::string::npos,
                      fs::relative(entry.path(), TSYNC_SOURCE_DIR).generic_string()
                          << ": TEST_CASE(\"" << name << "\") holds a ';'");
      }
    }
    CHECK(names > 300);
  }
}
