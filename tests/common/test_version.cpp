// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include <curl/curl.h>
#include <sqlite3.h>

#include "common/version.hpp"
#include "support/process.hpp"

TEST_SUITE("version") {
  TEST_CASE("version_text names tsync, then the SQLite and libcurl loaded at run time") {
    const std::string text = tsync::version_text();
    const std::string first = std::string("tsync ") + TSYNC_VERSION + "\n";
    const std::string sqlite = std::string("SQLite ") + sqlite3_libversion() + "\n";
    const std::string curl = std::string("libcurl ") + curl_version_info(CURLVERSION_NOW)->version;
    CHECK(text.rfind(first + sqlite + curl, 0) == 0);
    CHECK(text.find('\n', (first + sqlite).size()) == std::string::npos);  // three lines
    CHECK(text.back() != '\n');
    SUBCASE("the TLS library libcurl uses is named, as curl --version names it") {
      const char* ssl = curl_version_info(CURLVERSION_NOW)->ssl_version;
      if (ssl != nullptr && *ssl != '\0')
        CHECK(text.find(std::string(" (") + ssl) != std::string::npos);
    }
  }

  TEST_CASE("tsync --version prints version_text and exits 0") {
    const auto r = proc::run({TSYNC_BINARY, "--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == tsync::version_text() + "\n");
    CHECK(r.err.empty());
  }
}
