// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

// The text of each sql/NAME.sql file, embedded at build time (cmake/embed_sql.cmake).
// Templates hold {placeholders}, filled by fill_template (columns.hpp).
namespace tsync::sql {
extern const std::string_view schema;
extern const std::string_view migrate_v2;
extern const std::string_view create_table;
extern const std::string_view add_column;
extern const std::string_view upsert_row;
extern const std::string_view count_rows;
extern const std::string_view record_column;
extern const std::string_view load_columns;
extern const std::string_view register_stream;
extern const std::string_view save_cursor;
extern const std::string_view load_cursor;
extern const std::string_view reset_cursor;
extern const std::string_view insert_rejected;
extern const std::string_view status;
extern const std::string_view recent_runs;
extern const std::string_view create_seen;
extern const std::string_view mark_seen;
extern const std::string_view count_unseen;
extern const std::string_view soft_delete_unseen;
extern const std::string_view log_unseen;
extern const std::string_view delete_unseen;
extern const std::string_view hard_delete_row;
extern const std::string_view log_deleted;
extern const std::string_view apply_stage;
extern const std::string_view table_indexes;
extern const std::string_view defer_index;
extern const std::string_view deferred_indexes;
extern const std::string_view forget_deferred_index;
extern const std::string_view index_exists;
extern const std::string_view index_seen;
extern const std::string_view attach_seen;
extern const std::string_view detach_seen;
extern const std::string_view start_run;
extern const std::string_view update_run;
extern const std::string_view mark_died;
extern const std::string_view save_partition;
extern const std::string_view load_partitions;
extern const std::string_view parent_rows;
extern const std::string_view partition_status;
extern const std::string_view delete_partition;
extern const std::string_view reset_partitions;
extern const std::string_view soft_delete_partition_rows;
extern const std::string_view log_partition_rows;
extern const std::string_view hard_delete_partition_rows;
extern const std::string_view count_unseen_by_partition;
}  // namespace tsync::sql
