-- SPDX-License-Identifier: Apache-2.0
-- Template: a stream's table, made the first time the stream syncs. {columns}
-- defines the primary-key columns (NOT NULL), the declared columns and the
-- cursor column (NOT NULL), each with the SQL type of its declared type; a field
-- that appears later becomes a column of its own (add_column.sql). The index on
-- the cursor column serves ORDER BY and range queries on it.
CREATE TABLE {table} (
  {columns},
  PRIMARY KEY ({key})
);
CREATE INDEX IF NOT EXISTS {index} ON {table} ({cursor});
