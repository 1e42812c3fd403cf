// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <string>

#include "source/change_feed.hpp"

TEST_SUITE("change_feed") {
  TEST_CASE("an expired token is told by its status or by the error codes of Graph and Google") {
    const tsync::ChangeFeed feed;
    CHECK(tsync::feed_token_expired(feed, 410, ""));
    CHECK(tsync::feed_token_expired(
        feed, 400,
        R"(GET https://graph/x: HTTP 400: {"error": {"code": "resyncRequired", "message": "m"}})"));
    CHECK(tsync::feed_token_expired(feed, 404, R"({"error": {"code": "syncStateNotFound"}})"));
    CHECK(tsync::feed_token_expired(
        feed, 400,
        R"({"error": {"errors": [{"domain": "global", "reason": "fullSyncRequired"}], "code": 400}})"));
    CHECK_FALSE(tsync::feed_token_expired(feed, 400, R"({"error": {"code": "BadRequest"}})"));
    CHECK_FALSE(tsync::feed_token_expired(feed, 401, "syncStateNotFound in plain text"));
    CHECK_FALSE(tsync::feed_token_expired(feed, 200, R"({"error": {"code": "syncStateNotFound"}})"));
    tsync::ChangeFeed own;
    own.expired_statuses = {422};
    own.expired_codes = {"StaleCursor"};
    CHECK(tsync::feed_token_expired(own, 422, ""));
    CHECK_FALSE(tsync::feed_token_expired(own, 410, ""));
    CHECK(tsync::feed_token_expired(own, 400, R"({"error": {"code": "StaleCursor"}})"));
  }

  TEST_CASE("a long token is shortened around an ellipsis, a short one kept whole") {
    CHECK(tsync::short_token("MTczMTQwNjEzNy4wfHwyOTl8") == "MTczMTQwNjEzNy4wfHwyOTl8");
    const std::string link =
        "https://graph.microsoft.com/v1.0/users/delta?$deltatoken=oEBwdSP6uehIAxQOWq_3Ksh_TLol6Kc";
    const std::string shown = tsync::short_token(link);
    CHECK(shown.size() < 45);
    CHECK(shown.rfind("https://graph.microsoft", 0) == 0);
    CHECK(shown.find("\u2026") != std::string::npos);
    CHECK(shown.substr(shown.size() - 12) == link.substr(link.size() - 12));
    CHECK(tsync::feed_type_name(tsync::FeedType::CursorExport) == std::string("cursor_export"));
  }
}
