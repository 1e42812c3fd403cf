// SPDX-License-Identifier: Apache-2.0
// ctest runs each doctest case by its name, and its list of discovered tests
// splits a name at ';' into two tests that both fail: no case may have one.
#include <doctest/doctest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

TEST_SUITE("test_names") {
  TEST_CASE("no test case's name holds a semicolon, which ctest would split") {
    const std::string kNeedle = std::string("TEST_") + "CASE(";
    std::size_t names = 0;
    for (const auto& entry :
         fs::recursive_directory_iterator(fs::path(TSYNC_SOURCE_DIR) / "tests")) {
      if (!entry.is_regular_file() || entry.path().extension() != ".cpp") continue;
      std::ifstream in(entry.path());
      std::stringstream text;
      text << in.rdbuf();
      const std::string source = text.str();
      // Each TEST_CASE( followed, after blanks, by a string literal: its name.
      // (The needle is built so that this file does not hold it whole.)
      for (std::size_t at = source.find(kNeedle); at != std::string::npos;
           at = source.find(kNeedle, at + 1)) {
        std::size_t i = at + kNeedle.size();
        while (i < source.size() && std::isspace(static_cast<unsigned char>(source[i]))) ++i;
        if (i >= source.size() || source[i] != '"') continue;
        std::string name;
        for (++i; i < source.size() && source[i] != '"'; ++i) {
          if (source[i] == '\\' && i + 1 < source.size()) ++i;
          name += source[i];
        }
        ++names;
        CHECK_MESSAGE(name.find(';') == std::string::npos,
                      fs::relative(entry.path(), TSYNC_SOURCE_DIR).generic_string()
                          << ": TEST_CASE(\"" << name << "\") holds a ';'");
      }
    }
    CHECK(names > 300);
  }
}
