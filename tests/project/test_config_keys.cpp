// SPDX-License-Identifier: Apache-2.0
// docs/configuration.md documents exactly the keys the configuration reader
// accepts: read from the code's own lists (config/keys.hpp), so a key added
// to the reader fails this test until it has a row, and a row for a key the
// reader refuses fails it too.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/keys.hpp"

namespace {

// A table's rows in a Markdown text: for each table whose header row's first
// cell is `name`, the first cell of its rows, backticks removed, with the line
// each is on.
struct Row {
  std::string key;
  int line;
};

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

std::string first_cell(const std::string& line) {
  if (line.empty() || line[0] != '|') return "";
  const std::size_t end = line.find('|', 1);
  return trim(line.substr(1, end == std::string::npos ? std::string::npos : end - 1));
}

// Every table of `text`, by the first cell of its header row.
std::map<std::string, std::vector<Row>> tables_of(const std::string& text) {
  std::map<std::string, std::vector<Row>> tables;
  std::istringstream in(text);
  std::string line;
  std::vector<Row>* current = nullptr;
  bool header_next = true;
  bool in_fence = false;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    if (in_fence || line.empty() || line[0] != '|') {
      current = nullptr;
      header_next = true;
      continue;
    }
    const std::string cell = first_cell(line);
    if (header_next) {
      current = &tables[cell];
      header_next = false;
      continue;
    }
    if (cell.find_first_not_of("-: ") == std::string::npos) continue;  // the |---| row
    std::string key = cell;
    if (key.size() >= 2 && key.front() == '`' && key.back() == '`')
      key = key.substr(1, key.size() - 2);
    current->push_back({key, n});
  }
  return tables;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read " << path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_SUITE("docs") {
  TEST_CASE("tables_of: rows by the first header cell, backticks off, fences skipped") {
    const auto tables = tables_of(
        "text\n| key | meaning |\n|---|---|\n| `a` | x |\n| `b` | y |\n\n"
        "```\n| key | not a table |\n```\n| stream key | m |\n|:--|--|\n| `c` | z |\n");
    REQUIRE(tables.count("key") == 1);
    REQUIRE(tables.at("key").size() == 2);
    CHECK(tables.at("key")[0].key == "a");
    CHECK(tables.at("key")[1].line == 5);
    REQUIRE(tables.count("stream key") == 1);
    CHECK(tables.at("stream key").at(0).key == "c");
  }

  TEST_CASE("docs/configuration.md documents every key the reader accepts, and no other") {
    const std::string path = std::string(TSYNC_SOURCE_DIR) + "/docs/configuration.md";
    const auto tables = tables_of(slurp(path));
    const auto& sections = tsync::configuration_keys();
    REQUIRE(sections.size() >= 4);
    for (const tsync::ConfigSection& section : sections) {
      const std::string name(section.name);
      INFO("the table of docs/configuration.md whose header begins \"| " << name << " |\"");
      REQUIRE_MESSAGE(tables.count(name) == 1, "docs/configuration.md has no such table");
      std::set<std::string> documented;
      for (const Row& row : tables.at(name)) {
        CHECK_MESSAGE(documented.insert(row.key).second,
                      "docs/configuration.md:" << row.line << ": `" << row.key
                                               << "` is documented twice");
        bool accepted = false;
        for (std::string_view key : section.keys) accepted = accepted || key == row.key;
        CHECK_MESSAGE(accepted, "docs/configuration.md:"
                                    << row.line << ": `" << row.key
                                    << "` is documented, but the reader refuses it as a " << name);
      }
      for (std::string_view key : section.keys)
        CHECK_MESSAGE(documented.count(std::string(key)) == 1,
                      "the reader accepts " << name << " `" << key
                                            << "`, which docs/configuration.md does not document");
    }
  }
}
