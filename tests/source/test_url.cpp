// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include "common/errors.hpp"
#include "source/url.hpp"

TEST_SUITE("url") {
  TEST_CASE("with_query_param adds a parameter once, before a fragment") {
    CHECK(tsync::with_query_param("http://h/x", "api_key", "k y") == "http://h/x?api_key=k%20y");
    CHECK(tsync::with_query_param("http://h/x?a=1", "api_key", "k") == "http://h/x?a=1&api_key=k");
    CHECK(tsync::with_query_param("http://h/x?a=1&", "api_key", "k") == "http://h/x?a=1&api_key=k");
    CHECK(tsync::with_query_param("http://h/x?api_key=old&b=2", "api_key", "k") ==
          "http://h/x?api_key=old&b=2");
    CHECK(tsync::with_query_param("http://h/x?page=2#top", "key", "v") ==
          "http://h/x?page=2&key=v#top");
  }

  TEST_CASE("split_query cuts a URL at its query and decodes each parameter") {
    const tsync::QueryParts parts = tsync::split_query(
        "https://h/v1/x?since=2024-01-01T00%3A00%3A00Z&page%5Bsize%5D=100&flag&a=b+c&&e=#frag");
    CHECK(parts.base == "https://h/v1/x");
    REQUIRE(parts.params.size() == 5);
    CHECK(parts.params[0] == std::pair<std::string, std::string>{"since", "2024-01-01T00:00:00Z"});
    CHECK(parts.params[1] == std::pair<std::string, std::string>{"page[size]", "100"});
    CHECK(parts.params[2] == std::pair<std::string, std::string>{"flag", ""});
    CHECK(parts.params[3] == std::pair<std::string, std::string>{"a", "b+c"});
    CHECK(parts.params[4] == std::pair<std::string, std::string>{"e", ""});
    CHECK(tsync::split_query("http://h/x").params.empty());
    CHECK(tsync::split_query("http://h/x?bad=%zz%4").params[0].second == "%zz%4");
    CHECK(tsync::query_value("http://h/x?a=1&b=%20", "b") == " ");
    CHECK_FALSE(tsync::query_value("http://h/x?a=1", "b"));
  }

  TEST_CASE("resolve_url takes relative links from the request URL") {
    const std::string base = "http://127.0.0.1:8080/v1/users?since=a&page=1";
    CHECK(tsync::resolve_url(base, "?page=2") == "http://127.0.0.1:8080/v1/users?page=2");
    CHECK(tsync::resolve_url(base, "/v2/users?page=2") == "http://127.0.0.1:8080/v2/users?page=2");
    CHECK(tsync::resolve_url(base, "next?p=2") == "http://127.0.0.1:8080/v1/next?p=2");
    CHECK(tsync::resolve_url(base, "https://graph.example/v1.0/users?$skiptoken=X") ==
          "https://graph.example/v1.0/users?$skiptoken=X");
    CHECK_THROWS_AS(tsync::resolve_url(base, "ftp://h/x"), tsync::PermanentError);
  }

  TEST_CASE("redact_url hides credentials and nothing else") {
    CHECK(tsync::redact_url("https://user:pass@api.example.com/users?since=1") ==
          "https://***@api.example.com/users?since=1");
    CHECK(tsync::redact_url("http://token@host:8080/a") == "http://***@host:8080/a");
    CHECK(tsync::redact_url("http://host/path?email=a@b.c") == "http://host/path?email=a@b.c");
    CHECK(tsync::redact_url("http://host/a") == "http://host/a");
    CHECK(tsync::redact_url("not a url") == "not a url");
  }

  TEST_CASE("append_url_encoded keeps unreserved characters and escapes the rest") {
    std::string out = "since=";
    tsync::append_url_encoded(out, "2024-01-15T10:30:00.5+02:00");
    CHECK(out == "since=2024-01-15T10%3A30%3A00.5%2B02%3A00");
    out.clear();
    tsync::append_url_encoded(out, std::string("a b/~_\xc3\xa9\0", 9));
    CHECK(out == "a%20b%2F~_%C3%A9%00");
  }
}
