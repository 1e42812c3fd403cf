// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "source/credentials_file.hpp"
#include "support/support.hpp"

TEST_SUITE("credentials_file") {
  TEST_CASE("the credentials file: beside the replica, 0600, replaced whole") {
    tsync::test::TempDir dir;
    const std::string replica = dir.file("replica.db");
    CHECK(tsync::credentials_path(replica, "") == replica + ".credentials");
    CHECK(tsync::credentials_path(replica, "hubspot.json") == dir.file("hubspot.json"));
    CHECK(tsync::credentials_path(replica, "/etc/x.json") == "/etc/x.json");
    const std::string path = tsync::credentials_path(replica, "");
    CHECK_FALSE(tsync::read_saved_refresh_token(path));
    tsync::save_refresh_token(path, "rt-first-0001");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(tsync::read_saved_refresh_token(path) == "rt-first-0001");
    tsync::save_refresh_token(path, "rt-second-0002");
    CHECK(tsync::read_saved_refresh_token(path) == "rt-second-0002");
    // A file left half-written by a killed run beside it changes nothing.
    std::ofstream(path + ".new") << "{\"refresh_tok";
    tsync::save_refresh_token(path, "rt-third-0003");
    CHECK(tsync::read_saved_refresh_token(path) == "rt-third-0003");
    CHECK_FALSE(std::filesystem::exists(path + ".new"));
    SUBCASE("a file others can read is refused") {
      ::chmod(path.c_str(), 0644);
      CHECK_THROWS_WITH_AS(tsync::read_saved_refresh_token(path),
                           doctest::Contains("can be read by others than its owner (chmod 600 it)"),
                           tsync::ConfigError);
    }
    SUBCASE("a file that is not tsync's is refused") {
      tsync::save_refresh_token(path, "x-ok-1");
      std::ofstream(path) << "[]";
      CHECK_THROWS_WITH_AS(tsync::read_saved_refresh_token(path),
                           doctest::Contains("not a credentials file written by tsync"),
                           tsync::ConfigError);
    }
    SUBCASE("a folder that cannot be written: the error names the file") {
      CHECK_THROWS_WITH_AS(tsync::save_refresh_token(dir.file("no/such/folder/c"), "rt-x-0001"),
                           doctest::Contains("cannot save the new refresh token"), tsync::Error);
    }
  }
}
