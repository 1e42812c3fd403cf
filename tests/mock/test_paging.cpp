// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_paging") {
  TEST_CASE("paging text: Base64 both ways, a query with one parameter replaced, the framing") {
    using namespace tsync::mock;
    CHECK(base64_encode("525\n") == "NTI1Cg==");
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("ab") == "YWI=");
    CHECK(base64_decode("NTI1Cg==") == std::optional<std::string>("525\n"));
    CHECK(base64_decode("NTI1Cg") == std::optional<std::string>("525\n"));
    CHECK(base64_decode("not base64!") == std::nullopt);
    CHECK(base64_decode("A") == std::nullopt);
    const std::string all_bytes = [] {
      std::string s;
      for (int c = 0; c < 256; ++c) s.push_back(static_cast<char>(c));
      return s;
    }();
    CHECK(base64_decode(base64_encode(all_bytes)) == std::optional<std::string>(all_bytes));

    CHECK(with_query_param("", "page", "2") == "page=2");
    CHECK(with_query_param("since=a%3Ab&page=1&x", "page", "2") == "since=a%3Ab&page=2&x");
    CHECK(with_query_param("per_page=5", "page", "3") == "per_page=5&page=3");
    CHECK(with_query_param("pages=1", "page", "3") == "pages=1&page=3");
    CHECK(percent_encoded("NTI1Cg==") == "NTI1Cg%3D%3D");

    // json-server 0.17.4's Link: the first "page=N" replaced, even inside another
    // parameter; nothing when one page holds everything or the page is past the end.
    CHECK(json_server_links("/u?_page=2&_limit=2", 2, 2, 7) ==
          R"(</u?_page=1&_limit=2>; rel="first", </u?_page=1&_limit=2>; rel="prev", )"
          R"(</u?_page=3&_limit=2>; rel="next", </u?_page=4&_limit=2>; rel="last")");
    CHECK(json_server_links("/u?per_page=2&_page=2", 2, 3, 7) ==
          R"(</u?per_page=1&_page=2>; rel="first", </u?per_page=1&_page=2>; rel="prev", )"
          R"(</u?per_page=3&_page=2>; rel="next", </u?per_page=3&_page=2>; rel="last")");
    CHECK(json_server_links("/u?_page=1", 1, 10, 7) == "");
    CHECK(json_server_links("/u?_page=5", 5, 2, 7) == "");
    CHECK(json_server_links("/u?_page=1", 1, 10, 0) == "");
    CHECK(js_positive_int("12abc") == std::optional<std::size_t>(12));
    CHECK(js_positive_int("007") == std::optional<std::size_t>(7));
    CHECK_FALSE(js_positive_int("0"));
    CHECK_FALSE(js_positive_int("x"));
    CHECK_FALSE(js_positive_int(""));

    const Framing nested = frame_records("result.items", "\"a\":1,", ",\"b\":2");
    CHECK(nested.prefix + "1" + nested.suffix == R"({"a":1,"result":{"items":[1]},"b":2})");
    const Framing bare = frame_records("");
    CHECK(bare.prefix + bare.suffix == "[]");
  }
}
