// SPDX-License-Identifier: Apache-2.0
// A stream's "change_feed": each type with its defaults and its keys, what a
// feed stream gets (no since, its own time column), and every refusal.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "config/config_support.hpp"

using tsync::test::error_of;

namespace {

tsync::StreamConfig feed_stream(const std::string& members) {
  return tsync::parse_config(
             R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}", "c")
      .streams.front();
}

std::string feed_error(const std::string& members) {
  return error_of(R"({"streams": [{"name": "a", "url": "http://h/a", )" + members + "}]}");
}

}  // namespace

TEST_SUITE("config_change_feed") {
  TEST_CASE("change_feed: each type with the real APIs' names by default") {
    SUBCASE("delta_link: Graph's links and @removed") {
      const auto s = feed_stream(R"("records_path": "value", "change_feed": {"type": "delta_link"})");
      REQUIRE(s.change_feed);
      CHECK(s.change_feed->type == tsync::FeedType::DeltaLink);
      CHECK(s.change_feed->next_path == std::vector<std::string>{"@odata.nextLink"});
      CHECK(s.change_feed->end_path == std::vector<std::string>{"@odata.deltaLink"});
      CHECK(s.change_feed->removed_field == "@removed");
      CHECK(s.change_feed->expired_statuses == std::vector<long>{410});
      // No since, and a time of the feed's own as the cursor.
      CHECK(s.since_param.empty());
      CHECK(s.cursor_field == tsync::kFeedReadAt);
      CHECK(s.shape().delete_field == "@removed");
      CHECK(s.shape().delete_present);
    }
    SUBCASE("sync_token: Google's tokens, cancelled events") {
      const auto s = feed_stream(
          R"("records_path": "items", "cursor_field": "updated", )"
          R"("change_feed": {"type": "sync_token", "deleted_when": {"status": "cancelled"}})");
      REQUIRE(s.change_feed);
      CHECK(s.change_feed->next_path == std::vector<std::string>{"nextPageToken"});
      CHECK(s.change_feed->page_param == "pageToken");
      CHECK(s.change_feed->end_path == std::vector<std::string>{"nextSyncToken"});
      CHECK(s.change_feed->token_param == "syncToken");
      CHECK(s.change_feed->removed_field.empty());
      CHECK(s.cursor_field == "updated");
      CHECK(s.shape().delete_field == "status");
      CHECK(s.shape().delete_values == std::vector<std::string>{"cancelled"});
    }
    SUBCASE("cursor_export: Zendesk's cursor, end_of_stream and start_time") {
      const auto s = feed_stream(
          R"("records_path": "tickets", "cursor_field": "generated_timestamp", )"
          R"("cursor_format": "unix_seconds", "start_timestamp": "2024-01-01T00:00:00Z", )"
          R"("change_feed": {"type": "cursor_export", "deleted_when": {"status": ["deleted", "archived"]}, )"
          R"("expired_statuses": [410, 422], "expired_codes": ["StaleCursor"]})");
      REQUIRE(s.change_feed);
      CHECK(s.change_feed->next_path == std::vector<std::string>{"after_cursor"});
      CHECK(s.change_feed->page_param == "cursor");
      CHECK(s.change_feed->end_path == std::vector<std::string>{"end_of_stream"});
      CHECK(s.change_feed->start_param == "start_time");
      CHECK(s.change_feed->deleted_values == std::vector<std::string>{"deleted", "archived"});
      CHECK(s.change_feed->expired_statuses == std::vector<long>{410, 422});
      CHECK(s.change_feed->expired_codes == std::vector<std::string>{"StaleCursor"});
      CHECK(s.change_feed->resumable());
    }
    SUBCASE("paths and parameters renamed, removed_field turned off") {
      const auto s = feed_stream(
          R"("change_feed": {"type": "delta_link", "next_path": "links.next", )"
          R"("delta_path": ["links", "delta.next"], "removed_field": null})");
      REQUIRE(s.change_feed);
      CHECK(s.change_feed->next_path == std::vector<std::string>{"links", "next"});
      CHECK(s.change_feed->end_path == std::vector<std::string>{"links", "delta.next"});
      CHECK(s.change_feed->removed_field.empty());
      CHECK(s.shape().delete_field.empty());
    }
  }

  TEST_CASE("change_feed: what a feed replaces, and malformed keys, are refused by name") {
    const std::string feed = R"("change_feed": {"type": "delta_link"})";
    CHECK(feed_error(feed + R"(, "pagination": {"type": "link_header"}, "records_path": "")") ==
          "cfg.json: stream \"a\": change_feed: and pagination cannot both be set: the feed's pages "
          "follow its own links or tokens");
    CHECK(feed_error(feed + R"(, "since_param": "since")").find("and since_param cannot both") !=
          std::string::npos);
    CHECK(feed_error(feed + R"(, "delete_field": "deleted")").find("removed_field or deleted_when") !=
          std::string::npos);
    CHECK(feed_error(feed + R"(, "lookback_seconds": 60)").find("and lookback_seconds") !=
          std::string::npos);
    CHECK(feed_error(feed + R"(, "window_seconds": 86400, "until_param": "until")")
              .find("change_feed") != std::string::npos);
    CHECK(feed_error(feed + R"(, "partitions": [{"p": "x"}], "url": "http://h/{p}")")
              .find("change_feed") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "delta_feed"})").find("type") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "delta_link", "cursor_param": "c"})")
              .find("cursor_param") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "sync_token", "deleted_when": "cancelled"})") ==
          "cfg.json: stream \"a\": change_feed: deleted_when: must be an object of one field and its "
          "value, or list of values: {\"status\": \"cancelled\"}");
    CHECK(feed_error(R"("change_feed": {"type": "sync_token", "deleted_when": {"status": []}})")
              .find("deleted_when") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "delta_link", "removed_field": "@removed", )"
                     R"("deleted_when": {"status": "gone"}})")
              .find("cannot both be set") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "sync_token", "expired_statuses": [200]})")
              .find("expired_statuses") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "sync_token", "expired_codes": [""]})")
              .find("expired_codes") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "sync_token", "page_token_param": "t", )"
                     R"("sync_token_param": "t"})")
              .find("must differ") != std::string::npos);
    CHECK(feed_error(R"("change_feed": {"type": "delta_link"}, "start_timestamp": "2024-01-01T00:00:00Z")")
              .find("start_timestamp") != std::string::npos);
    CHECK(feed_error(R"("change_feed": "delta_link")").find("change_feed") != std::string::npos);
    CHECK(feed_error(R"("params": {"start_time": "0"}, "change_feed": {"type": "cursor_export"})") ==
          "cfg.json: stream \"a\": params: \"start_time\" is a parameter the change feed sends "
          "itself");
  }
}
