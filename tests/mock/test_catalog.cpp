// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_catalog") {
  TEST_CASE("JSON strings are escaped so that any text survives") {
    std::string out;
    tsync::mock::append_json_string(out, std::string("a\"b\\c\n\t\x01\xc3\xa9", 10));
    CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\xc3\xa9\"");
  }
}
