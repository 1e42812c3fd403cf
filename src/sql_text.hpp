#pragma once

#include <string_view>

// The text of each sql/NAME.sql file, embedded at build time (cmake/embed_sql.cmake).
namespace tsync::sql {
extern const std::string_view schema;
extern const std::string_view upsert_user;
extern const std::string_view save_cursor;
extern const std::string_view count_users;
extern const std::string_view load_cursor;
extern const std::string_view reset_cursor;
extern const std::string_view insert_rejected;
extern const std::string_view status;
}  // namespace tsync::sql
namespace tsync::sql {
extern const std::string_view start_run;
extern const std::string_view update_run;
}  // namespace tsync::sql
