-- SPDX-License-Identifier: Apache-2.0
-- Remembers which column holds a field of a stream's table (a field keeps its
-- name unless SQLite cannot hold it as it is; see the README).
INSERT INTO _columns (table_name, field, column_name, declared_type, added_at)
VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (table_name, field) DO UPDATE SET
  column_name   = excluded.column_name,
  declared_type = excluded.declared_type;
