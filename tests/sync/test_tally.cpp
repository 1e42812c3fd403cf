// SPDX-License-Identifier: Apache-2.0
// What the responses of a run brought, and how messages name the keys that
// came twice.
#include <doctest/doctest.h>

#include "support/recording_writer.hpp"
#include "sync/tally.hpp"

using tsync::Tally;
using tsync::test::record_at;

TEST_SUITE("tally") {
  TEST_CASE("keys_named: one key, a few, and more than are named") {
    CHECK(tsync::keys_named({"12"}, 1) == "key 12");
    CHECK(tsync::keys_named({"12", "17"}, 2) == "keys 12 and 17");
    CHECK(tsync::keys_named({"12", "17", "40"}, 3) == "keys 12, 17 and 40");
    CHECK(tsync::keys_named({"1", "2", "3", "4", "5"}, 9) == "keys 1, 2, 3, 4, 5, ...");
  }

  TEST_CASE("key_text: the key's values, null for a missing one, each cut at 64 bytes") {
    tsync::Record r = record_at("7", 1);
    CHECK(tsync::key_text(r, {"id"}) == "7");
    CHECK(tsync::key_text(r, {"id", "region"}) == "7, null");
    r.fields[0].text = std::string(100, 'x');
    CHECK(tsync::key_text(r, {"id"}) == std::string(64, 'x'));
  }

  TEST_CASE("count_response: a response counts as all rejected only with none accepted") {
    Tally tally;
    tsync::count_response(tally, 3, 1, "first reason");
    CHECK(tally.all_rejected_responses == 0);
    CHECK(tally.first_reason.empty());
    tsync::count_response(tally, 0, 2, "cursor_field missing");
    tsync::count_response(tally, 0, 5, "another reason");
    CHECK(tally.accepted == 3);
    CHECK(tally.rejected == 8);
    CHECK(tally.all_rejected_responses == 2);
    CHECK(tally.first_reason == "cursor_field missing");
  }

  TEST_CASE("add: counts sum, the first reason stays, at most kKeysNamed keys are kept") {
    Tally a, b;
    a.first_reason = "a's";
    b.first_reason = "b's";
    a.duplicates = 2;
    b.duplicates = 3;
    for (int i = 0; i < 4; ++i) a.moved_keys.push_back("a" + std::to_string(i));
    for (int i = 0; i < 4; ++i) b.moved_keys.push_back("b" + std::to_string(i));
    b.duplicate_keys = {"d"};
    a.add(b);
    CHECK(a.duplicates == 5);
    CHECK(a.first_reason == "a's");
    REQUIRE(a.moved_keys.size() == tsync::kKeysNamed);
    CHECK(a.moved_keys.back() == "b0");
    CHECK(a.duplicate_keys == std::vector<std::string>{"d"});
  }
}
