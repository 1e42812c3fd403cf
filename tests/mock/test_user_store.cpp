// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include "mock/mock_support.hpp"

using namespace mock_test;

TEST_SUITE("mock_user_store") {
  TEST_CASE("the same seed gives the same users, another seed gives others") {
    UserStore a(500, 42), b(500, 42), c(500, 43);
    const auto users = a.snapshot();
    REQUIRE(users.size() == 500);
    CHECK(ids_of(users) == ids_of(b.snapshot()));
    CHECK(ids_of(users) != ids_of(c.snapshot()));
    std::set<std::string> distinct;
    std::size_t ties = 0;
    for (std::size_t i = 0; i < users.size(); ++i) {
      const auto& u = users[i];
      distinct.insert(u.id);
      CHECK_FALSE(u.name.empty());
      CHECK(u.email.find('@') != std::string::npos);
      CHECK(instant(u.createdAt) <= instant(u.updatedAt));
      CHECK(instant(u.updatedAt) == u.updated);
      if (i > 0) {
        CHECK(std::make_pair(users[i - 1].updated, users[i - 1].id) <
              std::make_pair(u.updated, u.id));
        if (users[i - 1].updated == u.updated) ++ties;
      }
    }
    CHECK(distinct.size() == 500);
    // About one user in 20 shares its predecessor's updatedAt.
    CHECK(ties >= 5);
    CHECK(ties <= 60);
  }

  TEST_CASE("timestamp styles describe the same moments in different text") {
    UserStore utc(100, 7, tsync::mock::TimestampStyle::Utc);
    UserStore offset(100, 7, tsync::mock::TimestampStyle::Offset);
    UserStore fractional(100, 7, tsync::mock::TimestampStyle::Fractional);
    const auto u = utc.snapshot(), o = offset.snapshot(), f = fractional.snapshot();
    REQUIRE(u.size() == o.size());
    bool any_offset = false, any_fraction = false;
    for (std::size_t i = 0; i < u.size(); ++i) {
      CHECK(u[i].id == o[i].id);
      CHECK(u[i].updated == o[i].updated);
      CHECK(u[i].updatedAt.back() == 'Z');
      any_offset = any_offset || o[i].updatedAt.back() != 'Z';
      any_fraction = any_fraction || f[i].updatedAt.find('.') != std::string::npos;
    }
    CHECK(any_offset);
    CHECK(any_fraction);
  }

  TEST_CASE("mutate moves updated users past every timestamp and adds new ones") {
    UserStore store(200, 3);
    const auto before = store.snapshot();
    const tsync::Instant newest = before.back().updated;
    store.mutate(10, 5);
    const auto after = store.snapshot();
    CHECK(store.size() == 205);
    REQUIRE(after.size() == 205);
    std::size_t newer = 0;
    const auto before_ids = ids_of(before);
    const std::set<std::string> old_ids(before_ids.begin(), before_ids.end());
    std::size_t added = 0;
    for (const auto& u : after) {
      if (u.updated > newest) ++newer;
      if (!old_ids.count(u.id)) {
        ++added;
        CHECK(u.createdAt == u.updatedAt);
      }
    }
    CHECK(newer == 15);
    CHECK(added == 5);
    // The same calls on the same seed give the same changes.
    UserStore twin(200, 3);
    twin.mutate(10, 5);
    CHECK(ids_of(twin.snapshot()) == ids_of(after));
  }

  TEST_CASE("users removed with a tombstone are served after every cursor so far, exactly") {
    Options options;
    options.users = 40;
    options.seed = 8;
    options.style = tsync::mock::TimestampStyle::Fractional;
    MockApi api(options);
    const int port = api.start();
    UserStore& store = api.store();
    const auto before = store.snapshot();
    const std::string newest = before.back().updatedAt;
    const auto user = [&](const std::string& id) {
      const auto it = std::find_if(before.begin(), before.end(),
                                   [&](const tsync::mock::User& u) { return u.id == id; });
      REQUIRE(it != before.end());
      return *it;
    };

    SUBCASE("flag") {
      const auto removed = store.remove(3, Tombstone::Flag);
      const Page page = fetch(api, port, newest);
      CHECK(page.ids == removed);
      std::string expected;
      for (std::size_t k = 0; k < removed.size(); ++k) {
        CHECK(instant(page.updated[k]) > instant(newest));
        expected += (k ? "," : "") + std::string(R"({"id":")") + removed[k] + R"(","updatedAt":")" +
                    page.updated[k] + R"(","deleted":true})";
      }
      CHECK(page.body == "{\"data\":[" + expected + "]}");
    }
    SUBCASE("at") {
      const auto removed = store.remove(3, Tombstone::At);
      const Page page = fetch(api, port, newest);
      CHECK(page.ids == removed);
      std::string expected;
      for (std::size_t k = 0; k < removed.size(); ++k) {
        CHECK(instant(page.updated[k]) > instant(newest));
        tsync::mock::User u = user(removed[k]);
        u.updatedAt = page.updated[k];
        std::string text = tsync::mock::render_user(u);
        text.pop_back();
        text += R"(,"deletedAt":")" + page.updated[k] + "\"}";
        expected += (k ? "," : "") + text;
      }
      CHECK(page.body == "{\"data\":[" + expected + "]}");
    }
    // Tombstones are not users: neither snapshot() nor size() counts them, and
    // the full listing serves them after the users.
    CHECK(store.size() == 37);
    CHECK(store.snapshot().size() == 37);
    const Page all = fetch(api, port);
    REQUIRE(all.ids.size() == 40);
    CHECK(std::is_sorted(
        all.updated.begin(), all.updated.end(),
        [](const std::string& a, const std::string& b) { return instant(a) < instant(b); }));
  }

  TEST_CASE("the Offset style writes deletedAt in UTC") {
    UserStore store(20, 2, tsync::mock::TimestampStyle::Offset);
    const auto removed = store.remove(1, Tombstone::At);
    const auto catalog = store.catalog();
    const std::string text(catalog->text(catalog->size() - 1));
    CHECK(text.find(removed[0]) != std::string::npos);
    char utc[tsync::kNormalisedWidth];
    tsync::format_utc(catalog->slot(catalog->size() - 1).updated, utc);
    CHECK(text.ends_with(R"(,"deletedAt":")" + std::string(utc, 19) + "Z\"}"));
  }

  TEST_CASE("a timeline: 2024 by default, or the days before an instant, never past its end") {
    using tsync::mock::Timeline;
    using tsync::mock::TimestampStyle;
    // The default is 2024, as it always was.
    const auto year = UserStore(300, 9).snapshot();
    const auto same = UserStore(300, 9, TimestampStyle::Utc, tsync::mock::kYear2024).snapshot();
    REQUIRE(year.size() == 300);
    CHECK(ids_of(year) == ids_of(same));
    CHECK(year.front().updatedAt.rfind("2024-01-", 0) == 0);
    CHECK(year.back().updatedAt.rfind("2024-12-", 0) == 0);

    const tsync::Instant end{1'800'000'000, 0};
    SUBCASE("ten days before an instant: after its start, before its end") {
      const Timeline days = tsync::mock::days_before(end, 10);
      CHECK(days.start.seconds == end.seconds - 864000);
      CHECK(days.seconds == 864000);
      const auto users = UserStore(5000, 9, TimestampStyle::Fractional, days).snapshot();
      REQUIRE(users.size() == 5000);
      for (const auto& u : users) {
        CHECK(u.updated > days.start);
        CHECK(u.updated < end);
        CHECK(instant(u.createdAt) <= u.updated);
      }
      CHECK(users.front().updated.seconds < days.start.seconds + 86400);
      CHECK(users.back().updated.seconds > end.seconds - 86400);
    }
    SUBCASE("more users than the timeline's seconds: the last ones share its last millisecond") {
      const Timeline tight{tsync::Instant{end.seconds - 100, 0}, 100, true};
      const auto users = UserStore(300, 9, TimestampStyle::Fractional, tight).snapshot();
      REQUIRE(users.size() == 300);
      for (std::size_t i = 0; i < users.size(); ++i) {
        CHECK(users[i].updated < end);
        if (i > 0) CHECK(users[i - 1].updated <= users[i].updated);
      }
      CHECK(users.back().updated == tsync::Instant{end.seconds - 1, 999'000'000});
    }
    CHECK_THROWS_AS(tsync::mock::days_before(end, 0), std::invalid_argument);
  }
}
