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

  RecordShape shape() const {
    return {records_path, cursor_field, cursor_format, primary_key, delete_field, {}};
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
