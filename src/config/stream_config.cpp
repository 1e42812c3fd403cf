// SPDX-License-Identifier: Apache-2.0
#include "config/stream_config.hpp"

namespace tsync {

std::string StreamConfig::first_cursor() const {
  if (!start_timestamp) return first_cursor_text(cursor_format);
  if (cursor_format == CursorFormat::Iso8601) return *start_timestamp;
  // An ISO 8601 start for an epoch cursor is sent as the epoch number.
  if (const auto t = parse_timestamp(*start_timestamp)) return format_cursor(cursor_format, *t);
  return *start_timestamp;
}

StreamConfig user_stream(std::string url) {
  StreamConfig s;
  s.url = std::move(url);
  s.columns = {{"id", ColumnType::String},
               {"name", ColumnType::String},
               {"email", ColumnType::String},
               {"address", ColumnType::String},
               {"company", ColumnType::String},
               {"job", ColumnType::String},
               {"updatedAt", ColumnType::UtcDatetime},
               {"createdAt", ColumnType::UtcDatetime}};
  return s;
}

}  // namespace tsync
