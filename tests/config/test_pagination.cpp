// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/config_support.hpp"

using tsync::test::error_of;
using tsync::test::with_url;

TEST_SUITE("config_pagination") {
  TEST_CASE("pagination: each type with its keys, paths dotted or as lists") {
    auto stream = [](const std::string& members) {
      return tsync::parse_config(
                 R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}", "c")
          .streams.front();
    };
    SUBCASE("none by default, and the short form has none") {
      CHECK_FALSE(tsync::parse_config(with_url(""), "c").streams.front().pagination.paged());
      CHECK(tsync::parse_config(with_url(""), "c").streams.front().since_param == "since");
    }
    SUBCASE("link_header") {
      const auto s = stream(R"("records_path": "", "pagination": {"type": "link_header"})");
      CHECK(s.pagination.type == tsync::PagingType::LinkHeader);
    }
    SUBCASE("next_url with a key that holds a dot") {
      const auto s = stream(
          R"("records_path": "value", "pagination": {"type": "next_url", "path": ["@odata.nextLink"]})");
      CHECK(s.pagination.type == tsync::PagingType::NextUrl);
      CHECK(s.pagination.path == std::vector<std::string>{"@odata.nextLink"});
    }
    SUBCASE("token with a dotted path, has_more_path and repeat_since") {
      const auto s = stream(
          R"("pagination": {"type": "token", "path": "paging.next.after", "param": "after", )"
          R"("has_more_path": "meta.more", "repeat_since": false})");
      CHECK(s.pagination.path == std::vector<std::string>{"paging", "next", "after"});
      CHECK(s.pagination.param == "after");
      CHECK(s.pagination.has_more_path == std::vector<std::string>{"meta", "more"});
      CHECK_FALSE(s.pagination.repeat_since);
    }
    SUBCASE("last_record with since_param null") {
      const auto s =
          stream(R"("since_param": null, "pagination": {"type": "last_record", "field": "id", )"
                 R"("param": "starting_after", "has_more_path": "has_more"})");
      CHECK(s.since_param.empty());
      CHECK(s.pagination.field == "id");
      CHECK(s.pagination.repeat_since);
    }
    SUBCASE("offset") {
      const auto s =
          stream(R"("pagination": {"type": "offset", "param": "offset", "limit_param": "limit", )"
                 R"("limit": 50, "total_path": "total"})");
      CHECK(s.pagination.limit == 50);
      CHECK(s.pagination.total_path == std::vector<std::string>{"total"});
    }
    SUBCASE("page, numbered from 0") {
      const auto s =
          stream(R"("pagination": {"type": "page", "param": "page", "size_param": "per_page", )"
                 R"("size": 50, "first": 0, "total_pages_path": "total_pages"})");
      CHECK(s.pagination.size == 50);
      CHECK(s.pagination.first == 0);
      CHECK(s.pagination.total_pages_path == std::vector<std::string>{"total_pages"});
    }
  }

  TEST_CASE("pagination mistakes are named with the stream and pagination") {
    auto with = [](const std::string& members) {
      return error_of(R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}");
    };
    const std::string at = "cfg.json: stream \"a\": pagination: ";
    CHECK(with(R"("pagination": "offset")") ==
          at + "must be an object with a \"type\" (link_header, next_url, token, last_record, "
               "offset, page or since)");
    CHECK(with(R"("pagination": {})") ==
          at + "type: missing (link_header, next_url, token, last_record, offset, page or since)");
    CHECK(with(R"("pagination": {"type": "cursor"})") ==
          at + "type: \"cursor\" is not a paging type (link_header, next_url, token, "
               "last_record, offset, page or since)");
    CHECK(with(R"("pagination": {"type": "offset", "param": "o", "limit_param": "l"})") ==
          at + "limit: missing (type \"offset\" needs it)");
    CHECK(with(R"("pagination": {"type": "token", "param": "after"})") ==
          at + "path: missing (type \"token\" needs it)");
    CHECK(
        with(R"("pagination": {"type": "offset", "param": "o", "limit_param": "l", "limit": 0})") ==
        at + "limit: must be between 1 and 1000000, not 0");
    CHECK(with(R"("pagination": {"type": "page", "param": "p", "size_param": "s", "size": -3})") ==
          at + "size: must be between 1 and 1000000, not -3");
    CHECK(with(R"("pagination": {"type": "link_header", "colour": "red"})") ==
          at + "unknown key \"colour\" (known keys are listed in docs/configuration.md)");
    CHECK(with(R"("pagination": {"type": "link_header", "limit": 5})") ==
          at + "limit: is not a key of type \"link_header\"");
    CHECK(with(R"("pagination": {"type": "next_url", "path": "a..b"})") ==
          at + "path: has an empty key: \"a..b\"");
    CHECK(with(R"("pagination": {"type": "next_url", "path": []})") ==
          at + "path: must be a dotted path (\"paging.next.after\") or a list of keys "
               "([\"@odata.nextLink\"])");
    CHECK(
        with(
            R"("pagination": {"type": "page", "param": "p", "size_param": "s", "size": 5, "first": 2})") ==
        at + "first: must be between 0 and 1, not 2");
    CHECK(
        with(R"("pagination": {"type": "token", "path": "t", "param": "a", "repeat_since": 1})") ==
        at + "repeat_since: must be true or false");
    CHECK(with(R"("records_path": "", "pagination": {"type": "next_url", "path": "next"})") ==
          at + "the records are a bare array (records_path \"\"), so the body has no other value "
               "to read the next page from");
    CHECK(
        with(
            R"("pagination": {"type": "offset", "param": "since", "limit_param": "l", "limit": 5})") ==
        "cfg.json: stream \"a\": pagination: \"since\" is the since parameter; the pagination "
        "needs another");
    CHECK(
        with(
            R"("params": {"offset": "3"}, "pagination": {"type": "offset", "param": "offset", "limit_param": "l", "limit": 5})") ==
        "cfg.json: stream \"a\": params: \"offset\" is a parameter of the pagination, which "
        "tsync sets itself");
  }
}  // TEST_SUITE
