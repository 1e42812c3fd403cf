// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "source/http_client.hpp"
#include "source/pagination.hpp"

using tsync::FieldValue;
using tsync::PageFacts;
using tsync::Pager;
using tsync::Pagination;
using tsync::PagingType;
using tsync::ValueKind;

namespace {

FieldValue value(ValueKind kind, std::string text = "") {
  FieldValue v;
  v.kind = kind;
  v.text = std::move(text);
  return v;
}

// Facts of a page with `records` records and the captured values given.
PageFacts page(std::int64_t records, std::vector<std::optional<FieldValue>> values = {}) {
  PageFacts facts;
  facts.records = records;
  facts.values = std::move(values);
  return facts;
}

Pager pager(const Pagination& p, std::vector<std::pair<std::string, std::string>> base = {
                                     {"since", "2024-01-01T00:00:00Z"}}) {
  return Pager("orders", p, "http://127.0.0.1:9/v1/orders", std::move(base), {});
}

}  // namespace

TEST_SUITE("pagination") {
  TEST_CASE("next_link finds rel=next among several links") {
    SUBCASE("GitHub's header, next first") {
      CHECK(tsync::next_link(R"(<https://api.github.com/repos/o/r/issues?page=2>; rel="next", )"
                             R"(<https://api.github.com/repos/o/r/issues?page=5>; rel="last")") ==
            "https://api.github.com/repos/o/r/issues?page=2");
    }
    SUBCASE("next last, prev and first before it") {
      CHECK(tsync::next_link(R"(</i?page=1>; rel="prev", </i?page=1>; rel="first", )"
                             R"(</i?page=3>; rel="next")") == "/i?page=3");
    }
    SUBCASE("unquoted rel, other parameters before and after, spaces") {
      CHECK(tsync::next_link(R"(  <?page=3> ;title="a, b; c" ; rel=next ;type="x/y"  )") ==
            "?page=3");
    }
    SUBCASE("several relation types in one rel, any case") {
      CHECK(tsync::next_link(R"(<a>; rel="prev", <b>; rel="last NEXT")") == "b");
    }
    SUBCASE("a comma inside the URL does not split the links") {
      CHECK(tsync::next_link(R"(<http://h/x?ids=1,2,3&page=2>; rel="next")") ==
            "http://h/x?ids=1,2,3&page=2");
    }
    SUBCASE("no next link") {
      CHECK_FALSE(tsync::next_link(R"(<a>; rel="prev", <b>; rel="last")"));
      CHECK_FALSE(tsync::next_link(""));
      CHECK_FALSE(tsync::next_link(R"(<a>; rel="nextish")"));
    }
    SUBCASE("an empty header, and empty elements of the list, are skipped (RFC 9110, 5.6.1)") {
      CHECK_FALSE(tsync::next_link(" "));
      CHECK_FALSE(tsync::next_link(" \t "));
      CHECK_FALSE(tsync::next_link(","));
      CHECK_FALSE(tsync::next_link(" , ,\t, "));
      CHECK(tsync::next_link(R"(<a>; rel="prev", , <b>; rel="next", , <c>; rel="last")") == "b");
      CHECK(tsync::next_link(R"(, <b>; rel="next")") == "b");
      CHECK(tsync::next_link(R"(<b>; rel="next",)") == "b");
      CHECK(tsync::next_link(R"(,,<b>; rel="next" , ,)") == "b");
    }
    SUBCASE("json-server's links: first, prev and last alone end the chain") {
      CHECK_FALSE(tsync::next_link(R"(<http://h/users?_page=1&_limit=2>; rel="first", )"
                                   R"(<http://h/users?_page=2&_limit=2>; rel="prev", )"
                                   R"(<http://h/users?_page=3&_limit=2>; rel="last")"));
      CHECK(tsync::next_link(R"(<http://h/users?_page=1&_limit=2>; rel="first", )"
                             R"(<http://h/users?_page=2&_limit=2>; rel="next", )"
                             R"(<http://h/users?_page=3&_limit=2>; rel="last")") ==
            "http://h/users?_page=2&_limit=2");
    }
    SUBCASE("the first next link wins") {
      CHECK(tsync::next_link(R"(<a>; rel=next, <b>; rel=next)") == "a");
    }
  }

  TEST_CASE("next_link refuses a malformed header") {
    CHECK_THROWS_AS(tsync::next_link("https://h/x; rel=next"), std::invalid_argument);
    CHECK_THROWS_AS(tsync::next_link("<https://h/x; rel=next"), std::invalid_argument);
    CHECK_THROWS_AS(tsync::next_link(R"(<a>; rel="next)"), std::invalid_argument);
    CHECK_THROWS_AS(tsync::next_link(R"(<a> rel="next")"), std::invalid_argument);
    CHECK_THROWS_AS(tsync::next_link(R"(<a>; ="next")"), std::invalid_argument);
    CHECK_THROWS_WITH(tsync::next_link("x"), "a link must start with '<' at character 1");
  }

  TEST_CASE("describe_path quotes keys that hold a dot") {
    CHECK(tsync::describe_path({"paging", "next", "after"}) == "\"paging.next.after\"");
    CHECK(tsync::describe_path({"@odata.nextLink"}) == "[\"@odata.nextLink\"]");
    CHECK(tsync::describe_path({"a", "b.c"}) == "[\"a\", \"b.c\"]");
  }

  TEST_CASE("link_header: follows rel=next, resolved against the request") {
    Pagination p;
    p.type = PagingType::LinkHeader;
    Pager pg = pager(p);
    CHECK(pg.capture_paths().empty());
    CHECK(pg.first_url() == "http://127.0.0.1:9/v1/orders?since=2024-01-01T00%3A00%3A00Z");
    PageFacts facts = page(30);
    facts.link_headers = {R"(</v1/orders?page=2>; rel="next", </v1/orders?page=7>; rel="last")"};
    CHECK(pg.next("http://127.0.0.1:9/v1/orders?page=1", facts, false) ==
          "http://127.0.0.1:9/v1/orders?page=2");
    SUBCASE("no Link header, or none with next: the chain ends") {
      CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders?page=2", page(30), false));
    }
    SUBCASE("the same next link again: stopped") {
      CHECK_THROWS_WITH(pg.next("http://127.0.0.1:9/v1/orders?page=2", facts, false),
                        doctest::Contains("stream \"orders\": pagination (link_header): the API "
                                          "sent the same next link twice"));
    }
    SUBCASE("a page with no records ends the chain whatever the header says") {
      PageFacts empty = page(0);
      empty.link_headers = {R"(</v1/orders?page=3>; rel="next")"};
      CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders?page=2", empty, false));
    }
    SUBCASE("an empty Link header, or one of empty elements, ends the chain") {
      for (const char* header : {"", " ", ",", " , , "}) {
        CAPTURE(header);
        PageFacts single = page(30);
        single.link_headers = {header};
        CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders?page=2", single, false));
      }
    }
    SUBCASE("a Link header with only first, prev and last ends the chain") {
      PageFacts last = page(30);
      last.link_headers = {R"(</v1/orders?page=1>; rel="first", </v1/orders?page=1>; rel="prev")",
                           R"(</v1/orders?page=2>; rel="last")"};
      CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders?page=2", last, false));
    }
    SUBCASE("an empty Link header beside one with next: next is followed") {
      PageFacts two = page(30);
      two.link_headers = {"", R"(</v1/orders?page=3>; rel="next")"};
      CHECK(pg.next("http://127.0.0.1:9/v1/orders?page=2", two, false) ==
            "http://127.0.0.1:9/v1/orders?page=3");
    }
    SUBCASE("a malformed header is an error, not the end") {
      PageFacts bad = page(30);
      bad.link_headers = {R"(</v1/orders?page=3; rel="next")"};
      CHECK_THROWS_WITH(pg.next("http://127.0.0.1:9/v1/orders?page=2", bad, false),
                        doctest::Contains("the Link header is malformed"));
    }
  }

  TEST_CASE("next_url: the URL at path, absent, null or empty ends") {
    Pagination p;
    p.type = PagingType::NextUrl;
    p.path = {"@odata.nextLink"};
    Pager pg = pager(p);
    REQUIRE(pg.capture_paths().size() == 1);
    CHECK(pg.capture_paths()[0] == std::vector<std::string>{"@odata.nextLink"});
    CHECK(pg.next("http://127.0.0.1:9/v1/orders",
                  page(10, {value(ValueKind::String, "https://other.example/x?$skiptoken=a")}),
                  false) == "https://other.example/x?$skiptoken=a");
    CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders", page(10, {std::nullopt}), false));
    CHECK_FALSE(pg.next("http://127.0.0.1:9/v1/orders", page(10, {value(ValueKind::Null)}), false));
    CHECK_FALSE(
        pg.next("http://127.0.0.1:9/v1/orders", page(10, {value(ValueKind::String)}), false));
    CHECK_THROWS_WITH(
        pg.next("http://127.0.0.1:9/v1/orders", page(10, {value(ValueKind::Integer, "7")}), false),
        doctest::Contains("[\"@odata.nextLink\"] is 7, not a URL"));
  }

  TEST_CASE("token: the request again with param=<token>, since repeated or not") {
    Pagination p;
    p.type = PagingType::Token;
    p.path = {"paging", "next", "after"};
    p.param = "after";
    SUBCASE("repeat_since true (the default)") {
      Pager pg = pager(p, {{"archived", "false"}, {"since", "2024"}});
      CHECK(pg.next("u", page(100, {value(ValueKind::String, "NTI1Cg==")}), false) ==
            "http://127.0.0.1:9/v1/orders?archived=false&since=2024&after=NTI1Cg%3D%3D");
      CHECK(pg.next("u", page(100, {value(ValueKind::Integer, "12")}), false) ==
            "http://127.0.0.1:9/v1/orders?archived=false&since=2024&after=12");
      CHECK_FALSE(pg.next("u", page(100, {std::nullopt}), false));
    }
    SUBCASE("repeat_since false: since on the first request only") {
      p.repeat_since = false;
      Pager pg("s", p, "http://h:1/k", {}, {{"updated_since", "2024-01-01T00:00:00Z"}});
      CHECK(pg.first_url() == "http://h:1/k?updated_since=2024-01-01T00%3A00%3A00Z");
      CHECK(pg.next("u", page(50, {value(ValueKind::String, "abc")}), false) ==
            "http://h:1/k?after=abc");
    }
    SUBCASE("a token that comes back is a loop") {
      Pager pg = pager(p);
      CHECK(pg.next("u", page(100, {value(ValueKind::String, "t1")}), false));
      CHECK(pg.next("u", page(100, {value(ValueKind::String, "t2")}), false));
      CHECK_THROWS_WITH(pg.next("u", page(100, {value(ValueKind::String, "t1")}), false),
                        doctest::Contains("the same token twice"));
    }
    SUBCASE("has_more false ends; a missing has_more_path is an error naming it") {
      p.has_more_path = {"meta", "has_more"};
      Pager pg = pager(p);
      REQUIRE(pg.capture_paths().size() == 2);
      CHECK_FALSE(pg.next(
          "u", page(100, {value(ValueKind::String, "t"), value(ValueKind::Bool, "false")}), false));
      CHECK(pg.next("u", page(100, {value(ValueKind::String, "t"), value(ValueKind::Bool, "true")}),
                    false));
      CHECK_THROWS_WITH(
          pg.next("u", page(100, {value(ValueKind::String, "t2"), std::nullopt}), false),
          doctest::Contains("the response has no \"meta.has_more\""));
      CHECK_THROWS_WITH(
          pg.next("u",
                  page(100, {value(ValueKind::String, "t3"), value(ValueKind::String, "false")}),
                  false),
          doctest::Contains("\"meta.has_more\" is \"false\", not true or false"));
    }
  }

  TEST_CASE("last_record: the last record's field, until has_more is false") {
    Pagination p;
    p.type = PagingType::LastRecord;
    p.field = "id";
    p.param = "starting_after";
    p.has_more_path = {"has_more"};
    Pager pg("customers", p, "https://api.stripe.com/v1/customers", {{"limit", "100"}}, {});
    CHECK(pg.first_url() == "https://api.stripe.com/v1/customers?limit=100");
    PageFacts facts = page(100, {value(ValueKind::Bool, "true")});
    facts.last_value = "cus_9";
    CHECK(pg.next("u", facts, false) ==
          "https://api.stripe.com/v1/customers?limit=100&starting_after=cus_9");
    facts.last_value.reset();
    CHECK_THROWS_WITH(pg.next("u", facts, false),
                      doctest::Contains("has no \"id\" to send as starting_after"));
    facts.values = {value(ValueKind::Bool, "false")};
    CHECK_FALSE(pg.next("u", facts, false));
  }

  TEST_CASE("offset: records read so far, until the total or a short page") {
    Pagination p;
    p.type = PagingType::Offset;
    p.param = "offset";
    p.limit_param = "limit";
    p.limit = 50;
    SUBCASE("without a total, a short page ends") {
      Pager pg = pager(p, {});
      CHECK(pg.first_url() == "http://127.0.0.1:9/v1/orders?offset=0&limit=50");
      CHECK(pg.next("u", page(50), false) == "http://127.0.0.1:9/v1/orders?offset=50&limit=50");
      CHECK(pg.next("u", page(50), false) == "http://127.0.0.1:9/v1/orders?offset=100&limit=50");
      CHECK_FALSE(pg.next("u", page(49), false));
    }
    SUBCASE("with a total, the total ends") {
      p.total_path = {"total"};
      Pager pg = pager(p, {});
      CHECK(pg.next("u", page(50, {value(ValueKind::Integer, "120")}), false));
      CHECK(pg.next("u", page(50, {value(ValueKind::Integer, "120")}), false));
      CHECK_FALSE(pg.next("u", page(20, {value(ValueKind::Integer, "120")}), false));
    }
    SUBCASE("a missing total is an error, not the end") {
      p.total_path = {"meta", "total"};
      Pager pg = pager(p, {});
      CHECK_THROWS_WITH(pg.next("u", page(50, {std::nullopt}), false),
                        doctest::Contains("the response has no \"meta.total\""));
    }
    SUBCASE("pages of records already read, in a row, are a loop") {
      Pager pg = pager(p, {});
      CHECK(pg.next("u", page(50), false));
      CHECK(pg.next("u", page(50), true));
      CHECK(pg.next("u", page(50), true));
      CHECK_THROWS_WITH(pg.next("http://127.0.0.1:9/v1/orders?offset=150&limit=50", page(50), true),
                        doctest::Contains("3 pages in a row brought only records already read"));
    }
    SUBCASE("a page of new records breaks the run of repeated ones") {
      Pager pg = pager(p, {});
      CHECK(pg.next("u", page(50), true));
      CHECK(pg.next("u", page(50), true));
      CHECK(pg.next("u", page(50), false));
      CHECK(pg.next("u", page(50), true));
      CHECK(pg.next("u", page(50), true));
    }
  }

  TEST_CASE("page: the next page number, until the page count or a short page") {
    Pagination p;
    p.type = PagingType::Page;
    p.param = "page";
    p.size_param = "per_page";
    p.size = 10;
    SUBCASE("numbered from 1 by default") {
      Pager pg = pager(p, {});
      CHECK(pg.first_url() == "http://127.0.0.1:9/v1/orders?page=1&per_page=10");
      CHECK(pg.next("u", page(10), false) == "http://127.0.0.1:9/v1/orders?page=2&per_page=10");
      CHECK_FALSE(pg.next("u", page(3), false));
    }
    SUBCASE("numbered from 0") {
      p.first = 0;
      Pager pg = pager(p, {});
      CHECK(pg.first_url() == "http://127.0.0.1:9/v1/orders?page=0&per_page=10");
      CHECK(pg.next("u", page(10), false) == "http://127.0.0.1:9/v1/orders?page=1&per_page=10");
    }
    SUBCASE("total_pages ends the chain, even after full pages") {
      p.total_pages_path = {"total_pages"};
      Pager pg = pager(p, {});
      CHECK(pg.next("u", page(10, {value(ValueKind::Integer, "2")}), false));
      CHECK_FALSE(pg.next("u", page(10, {value(ValueKind::Integer, "2")}), false));
    }
    SUBCASE("total_pages that is not a whole number") {
      p.total_pages_path = {"total_pages"};
      Pager pg = pager(p, {});
      CHECK_THROWS_WITH(pg.next("u", page(10, {value(ValueKind::String, "2")}), false),
                        doctest::Contains("\"total_pages\" is \"2\", not a whole number"));
    }
  }

  TEST_CASE("ahead: the pages after the next one, within the total, for offsets and pages") {
    Pagination p;
    p.type = PagingType::Offset;
    p.param = "offset";
    p.limit_param = "limit";
    p.limit = 50;
    SUBCASE("an offset without a total: as many as asked") {
      Pager pg = pager(p, {});
      REQUIRE(pg.next("u", page(50), false));
      CHECK(pg.ahead(2) == std::vector<std::string>{
                               "http://127.0.0.1:9/v1/orders?offset=100&limit=50",
                               "http://127.0.0.1:9/v1/orders?offset=150&limit=50"});
    }
    SUBCASE("an offset with a total: none past it, and a total that changes is said") {
      p.total_path = {"total"};
      Pager pg = pager(p, {});
      REQUIRE(pg.next("u", page(50, {value(ValueKind::Integer, "160")}), false));
      CHECK(pg.ahead(5) == std::vector<std::string>{
                               "http://127.0.0.1:9/v1/orders?offset=100&limit=50",
                               "http://127.0.0.1:9/v1/orders?offset=150&limit=50"});
      CHECK_FALSE(pg.total_changed());
      REQUIRE(pg.next("u", page(50, {value(ValueKind::Integer, "170")}), false));
      CHECK(pg.total_changed());
    }
    SUBCASE("page numbers with the number of pages") {
      Pagination q;
      q.type = PagingType::Page;
      q.param = "page";
      q.size_param = "per_page";
      q.size = 10;
      q.total_pages_path = {"total_pages"};
      Pager pg = pager(q, {});
      REQUIRE(pg.next("u", page(10, {value(ValueKind::Integer, "4")}), false));
      CHECK(pg.ahead(5) == std::vector<std::string>{
                               "http://127.0.0.1:9/v1/orders?page=3&per_page=10",
                               "http://127.0.0.1:9/v1/orders?page=4&per_page=10"});
    }
  }

  TEST_CASE("ahead: Link headers show the pages to come by rel=last and a growing number") {
    Pagination p;
    p.type = PagingType::LinkHeader;
    Pager pg = pager(p, {});
    const std::string at2 = "http://127.0.0.1:9/v1/orders?per_page=30&page=2";
    PageFacts facts = page(30);
    facts.link_headers = {
        R"(</v1/orders?per_page=30&page=3>; rel="next", </v1/orders?per_page=30&page=5>; rel="last")"};
    SUBCASE("a page number up to the last link's") {
      REQUIRE(pg.next(at2, facts, false) == "http://127.0.0.1:9/v1/orders?per_page=30&page=3");
      CHECK(pg.ahead(4) == std::vector<std::string>{
                               "http://127.0.0.1:9/v1/orders?per_page=30&page=4",
                               "http://127.0.0.1:9/v1/orders?per_page=30&page=5"});
    }
    SUBCASE("an offset grows by its step") {
      PageFacts by_offset = page(30);
      by_offset.link_headers = {
          R"(</v1/orders?offset=60>; rel="next", </v1/orders?offset=150>; rel="last")"};
      REQUIRE(pg.next("http://127.0.0.1:9/v1/orders?offset=30", by_offset, false));
      CHECK(pg.ahead(9) == std::vector<std::string>{"http://127.0.0.1:9/v1/orders?offset=90",
                                                    "http://127.0.0.1:9/v1/orders?offset=120",
                                                    "http://127.0.0.1:9/v1/orders?offset=150"});
    }
    SUBCASE("a first request that names no page: nothing ahead yet") {
      REQUIRE(pg.next("http://127.0.0.1:9/v1/orders?per_page=30", facts, false));
      CHECK(pg.ahead(4).empty());
    }
    SUBCASE("no rel=last, or one that differs elsewhere, or a cursor: nothing ahead") {
      for (const char* header :
           {R"(</v1/orders?per_page=30&page=3>; rel="next")",
            R"(</v1/orders?per_page=30&page=3>; rel="next", </v1/orders?per_page=31&page=5>; rel="last")",
            R"(</v1/orders?per_page=30&page=3>; rel="next", </v2/orders?per_page=30&page=5>; rel="last")",
            R"(</v1/orders?per_page=30&after=abc>; rel="next", </v1/orders?per_page=30&after=zz>; rel="last")"}) {
        CAPTURE(header);
        Pager fresh = pager(p, {});
        PageFacts f = page(30);
        f.link_headers = {header};
        REQUIRE(fresh.next(at2, f, false));
        CHECK(fresh.ahead(4).empty());
      }
    }
  }

  TEST_CASE("SeenKeys tells a key seen before") {
    tsync::SeenKeys seen;
    tsync::Record r;
    auto with_id = [&r](const std::string& id, ValueKind kind = ValueKind::String) {
      r.clear();
      FieldValue& f = r.add();
      f.name = "id";
      f.kind = kind;
      f.text = id;
      return tsync::SeenKeys::hash_of(r, {"id"});
    };
    for (int i = 0; i < 5000; ++i) CHECK(seen.insert(with_id("k" + std::to_string(i))));
    CHECK(seen.size() == 5000);
    CHECK(seen.contains(with_id("k17")));
    CHECK_FALSE(seen.insert(with_id("k4999")));
    CHECK_FALSE(seen.contains(with_id("k5000")));
    // The same text as a number is another key.
    CHECK(with_id("17", ValueKind::Integer) != with_id("17", ValueKind::String));
    tsync::SeenKeys other;
    other.insert(with_id("x"));
    seen.merge(other);
    CHECK(seen.contains(with_id("x")));
    seen.clear();
    CHECK(seen.size() == 0);
    CHECK_FALSE(seen.contains(with_id("k17")));
  }
}
