// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/timestamp.hpp"
#include "replica/columns.hpp"
#include "replica/table_writer.hpp"
#include "source/change_feed.hpp"
#include "source/pagination.hpp"
#include "source/records.hpp"

namespace tsync {

struct AuthConfig;

// One extra request header of a stream. A value taken from the environment is a
// secret: it is never printed and never stored.
struct HeaderSetting {
  std::string name;
  std::string value;
  std::optional<std::string> env;  // the environment variable it came from
};

// Where a child stream's partitions come from and what each brings into its
// rows (see docs/parents-and-children.md).
struct PartitionSettings {
  std::string parent;        // the parent stream's name; "" for a fixed list or none
  std::string parent_table;  // the parent stream's table
  // A fixed list instead of a parent: each partition's names and values, in order.
  std::vector<std::vector<std::pair<std::string, std::string>>> fixed;
  // The values a partition gives, each a parent field's dotted path (or a
  // fixed partition's name): every placeholder's, then include_parent's, in
  // order of first use.
  std::vector<std::string> refs;
  // Columns copied into every row: (column, index into refs). The partition's
  // identity comes first: the parent's key fields as "<parent>_<field>" (or a
  // fixed partition's names), unless include_parent already copies them.
  std::vector<std::pair<std::string, std::size_t>> columns;
  // Each placeholder of url and params: its text between the braces, and its
  // value's index into refs.
  std::vector<std::pair<std::string, std::size_t>> placeholders;
  std::vector<std::size_t> key;  // the partition's identity: indexes into refs
  // "include_parent" as configured: (column, parent field or fixed name).
  std::vector<std::pair<std::string, std::string>> include;
  bool changed_only = false;          // "parents": "changed"
  bool not_found_error = false;       // "not_found": "error"

  bool partitioned() const { return !parent.empty() || !fixed.empty(); }
};

// The column a change feed's records get when its stream names no
// cursor_field: when tsync read the record, as UTC text that grows from page
// to page, so that a later change in the feed replaces an earlier one.
inline constexpr const char* kFeedReadAt = "_tsync_read_at";
static_assert(std::string_view(kFeedReadAt) == kReadAtColumn);

// The settings of one stream: an endpoint that can say what changed since T,
// the table its records go to, and how to read them. The defaults are the
// seed's user stream.
struct StreamConfig {
  std::string name = "user";
  std::string url;                             // http or https, no query
  std::string table = "user";                  // defaults to name
  std::vector<std::string> primary_key{"id"};  // one or more fields
  std::string cursor_field = "updatedAt";
  CursorFormat cursor_format = CursorFormat::Iso8601;
  std::string since_param = "since";              // empty: the API has no updated filter (null)
  std::vector<std::string> records_path{"data"};  // empty: the body is the array
  std::vector<std::pair<std::string, std::string>> params;  // extra query parameters
  std::vector<HeaderSetting> headers;
  std::vector<std::pair<std::string, ColumnType>> columns;  // declared types, in order
  std::optional<std::string> start_timestamp;               // cursor of a first sync
  long long lookback_seconds = 0;                           // request since = cursor minus this
  std::optional<std::string> token_env;  // environment variable of a bearer token
  std::string token;                     // its value (secret)
  bool hard_delete = false;  // "on_delete": "hard" removes deleted rows (logged in _deleted)
  std::string delete_field;  // tombstones: a field that marks a record deleted; "" for none
  double max_delete_fraction = 0.5;    // a full pass deleting more of the live rows deletes nothing
  Pagination pagination;               // how the API pages; none by default
  long long window_seconds = 0;        // > 0: the range is read in windows of time this long
  std::string until_param;             // with windows: the parameter of a window's end
  double max_requests_per_second = 0;  // 0: no limit
  // How requests are signed when not by `token` (Basic, an API key, a session,
  // OAuth2); streams that use the top-level auth share one object.
  std::shared_ptr<const AuthConfig> auth;
  PartitionSettings partitions;  // a child stream's; none by default
  // An API's own change token instead of since (docs/change-feeds.md).
  std::optional<ChangeFeed> change_feed;
  // The fields a partition adds to every record of this stream (set per
  // partition at run time: its identity and include_parent columns).
  std::vector<FieldValue> added_fields;

  RecordShape shape() const {
    RecordShape shape;
    shape.records_path = records_path;
    shape.cursor_field = cursor_field;
    shape.cursor_format = cursor_format;
    shape.primary_key = primary_key;
    shape.delete_field = delete_field;
    shape.added = added_fields;
    if (change_feed && !change_feed->removed_field.empty()) {
      shape.delete_field = change_feed->removed_field;
      shape.delete_present = true;
    } else if (change_feed && !change_feed->deleted_field.empty()) {
      shape.delete_field = change_feed->deleted_field;
      shape.delete_values = change_feed->deleted_values;
    }
    return shape;
  }
  TableSpec table_spec() const {
    return {table, primary_key, cursor_field, cursor_format, columns, hard_delete};
  }
  // The cursor of a first sync: start_timestamp, else the format's first value.
  std::string first_cursor() const;
};

// The seed's user stream at `url`: table user, key id, cursor updatedAt, records
// under data, its eight fields declared (updatedAt and createdAt UTC_DATETIME).
StreamConfig user_stream(std::string url);

}  // namespace tsync
