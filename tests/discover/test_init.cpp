// SPDX-License-Identifier: Apache-2.0
// tsync init's parts that need no API: the stream's name from a URL, and
// adding a proposed stream to a configuration file (a new file, a long-form
// file, a short-form file rewritten with the same meaning, refusals that
// leave the file as it was).
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "common/errors.hpp"
#include "config/config.hpp"
#include "discover/init.hpp"
#include "support/support.hpp"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

const std::string kOrders =
    R"({"name": "orders", "url": "https://api.example.com/v1/orders", "records_path": "results",
        "cursor_field": "updated_at", "since_param": "updated_since",
        "pagination": {"type": "link_header"}})";

}  // namespace

TEST_SUITE("init") {
  TEST_CASE("the stream's name is the last word of the URL's path that names records") {
    CHECK(tsync::stream_name_for("https://api.github.com/repos/acme/api/issues?state=all") ==
          "issues");
    CHECK(tsync::stream_name_for("https://s.myshopify.com/admin/api/2024-01/orders.json") ==
          "orders");
    CHECK(tsync::stream_name_for("https://api.stripe.com/v1/customers?limit=100") == "customers");
    CHECK(tsync::stream_name_for("https://graph.microsoft.com/v1.0/users") == "users");
    CHECK(tsync::stream_name_for(
              "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?start_time=1") ==
          "tickets");
    CHECK(tsync::stream_name_for("http://127.0.0.1:5001/pagination/next_page_url") ==
          "next_page_url");
    CHECK(tsync::stream_name_for("http://127.0.0.1:5001/contact-lists/") == "contact_lists");
    CHECK(tsync::stream_name_for("http://127.0.0.1:5001/incremental/timestamp") == "records");
    CHECK(tsync::stream_name_for("http://127.0.0.1:5001/") == "records");
  }

  TEST_CASE("a stream is added to a new file, and the file loads as a configuration") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("configuration.json");
    const std::string done = tsync::add_stream_to_file(path, kOrders, "orders");
    CHECK(done.find("orders") != std::string::npos);
    const tsync::Config config = tsync::load_config(path, tsync::Secrets::IfSet);
    REQUIRE(config.streams.size() == 1);
    CHECK(config.streams[0].name == "orders");
    CHECK(config.streams[0].cursor_field == "updated_at");
    CHECK(config.streams[0].pagination.type == tsync::PagingType::LinkHeader);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0644);
  }

  TEST_CASE("a stream is appended to a long-form file, whose other keys and mode stay") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("c.json");
    write_file(path, R"({"database": "shop.db", "max_concurrency": 2,
      "streams": [{"name": "user", "url": "http://127.0.0.1:5001/incremental/timestamp"}]})");
    ::chmod(path.c_str(), 0600);
    tsync::add_stream_to_file(path, kOrders, "orders");
    const tsync::Config config = tsync::load_config(path, tsync::Secrets::IfSet);
    REQUIRE(config.streams.size() == 2);
    CHECK(config.streams[0].name == "user");
    CHECK(config.streams[1].name == "orders");
    CHECK(config.database.find("shop.db") != std::string::npos);
    CHECK(config.max_concurrency == 2);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // No temporary file is left beside it.
    int files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
      ++files;
    CHECK(files == 1);
  }

  TEST_CASE("a short-form file becomes the long form of the same user stream") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("configuration.json");
    const std::string url = "http://127.0.0.1:5001/incremental/timestamp";
    write_file(path, R"({"base_url": ")" + url + R"(", "lookback_seconds": 60})");
    const tsync::Config before = tsync::load_config(path, tsync::Secrets::IfSet);
    const std::string done = tsync::add_stream_to_file(path, kOrders, "orders");
    CHECK(done.find("short form") != std::string::npos);
    const tsync::Config after = tsync::load_config(path, tsync::Secrets::IfSet);
    REQUIRE(after.streams.size() == 2);
    const tsync::StreamConfig& a = before.streams.front();
    const tsync::StreamConfig& b = after.streams.front();
    CHECK(b.name == a.name);
    CHECK(b.url == a.url);
    CHECK(b.table == a.table);
    CHECK(b.primary_key == a.primary_key);
    CHECK(b.cursor_field == a.cursor_field);
    CHECK(b.since_param == a.since_param);
    CHECK(b.records_path == a.records_path);
    CHECK(b.columns == a.columns);
    CHECK(b.lookback_seconds == 60);
    CHECK(after.streams[1].name == "orders");
  }

  TEST_CASE("a stream of the same name, or a file that is no configuration, is refused untouched") {
    tsync::test::TempDir dir;
    const std::string path = dir.file("configuration.json");
    SUBCASE("the same name, in another case") {
      write_file(path, R"({"streams": [{"name": "Orders", "url": "http://127.0.0.1:1/o"}]})");
      const std::string before = read_file(path);
      CHECK_THROWS_WITH_AS(tsync::add_stream_to_file(path, kOrders, "orders"),
                           doctest::Contains("a stream named \"Orders\" is there already"),
                           tsync::ConfigError);
      CHECK(read_file(path) == before);
    }
    SUBCASE("a table of the same name") {
      write_file(path,
                 R"({"streams": [{"name": "o", "table": "orders", "url": "http://127.0.0.1:1/o"}]})");
      const std::string before = read_file(path);
      CHECK_THROWS_AS(tsync::add_stream_to_file(path, kOrders, "orders"), tsync::ConfigError);
      CHECK(read_file(path) == before);
    }
    SUBCASE("invalid JSON") {
      write_file(path, "{\"streams\": [");
      CHECK_THROWS_WITH_AS(tsync::add_stream_to_file(path, kOrders, "orders"),
                           doctest::Contains("invalid JSON"), tsync::ConfigError);
      CHECK(read_file(path) == "{\"streams\": [");
    }
  }
}
