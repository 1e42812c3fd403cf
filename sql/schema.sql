-- SPDX-License-Identifier: Apache-2.0
-- The replica's layout. Applied on every open; every statement is idempotent.
-- Timestamps written by tsync are UTC text of one fixed width,
-- 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ', so string order is time order and
-- SQLite's date functions read them: datetime(updatedAt), julianday(updatedAt).

-- Each stream's records live in a table of their own, made by the first sync
-- of the stream (create_table.sql). _columns says which column holds which field.
CREATE TABLE IF NOT EXISTS _columns (
  table_name    TEXT NOT NULL,
  field         TEXT NOT NULL,   -- the field's name exactly as the API sends it
  column_name   TEXT NOT NULL,   -- the column that holds it (_tsync_extra: in that JSON object)
  declared_type TEXT,            -- the type the configuration declares, or NULL
  added_at      TEXT NOT NULL,
  PRIMARY KEY (table_name, field)
);

-- One row per replicated stream. last_timestamp is the API's own text of the
-- newest cursor value covered: every record with a cursor value <= it is in the
-- replica.
CREATE TABLE IF NOT EXISTS _state (
  stream             TEXT PRIMARY KEY NOT NULL,
  last_timestamp     TEXT,
  last_timestamp_utc TEXT,
  saved_at           TEXT,
  table_name         TEXT
);

-- Records that could not be stored (no primary key, no usable cursor value), kept verbatim.
CREATE TABLE IF NOT EXISTS _rejected (
  rowid       INTEGER PRIMARY KEY,
  stream      TEXT NOT NULL,
  raw         TEXT NOT NULL,
  reason      TEXT NOT NULL,
  rejected_at TEXT NOT NULL,
  UNIQUE (stream, raw)
);

-- The keys of rows removed by hard deletes (a stream's "on_delete": "hard").
CREATE TABLE IF NOT EXISTS _deleted (
  rowid       INTEGER PRIMARY KEY,
  stream      TEXT NOT NULL,
  key         TEXT NOT NULL,   -- the primary key's values as a JSON array
  deleted_at  TEXT NOT NULL,
  run_id      INTEGER NOT NULL
);

-- One row per sync run, updated in the same transaction as the rows it counts.
CREATE TABLE IF NOT EXISTS _sync_log (
  run_id        INTEGER PRIMARY KEY,
  stream        TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL,   -- running, ok, error, interrupted, or died: found
                                 -- running by a later sync (its process was killed)
  rows_new      INTEGER NOT NULL DEFAULT 0,
  rows_updated  INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  rows_deleted  INTEGER NOT NULL DEFAULT 0,  -- by tombstones and full passes
  requests      INTEGER NOT NULL DEFAULT 0,
  retries       INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  cursor_before TEXT,
  cursor_after  TEXT,
  error         TEXT,
  warning       TEXT             -- e.g. every record of a response was rejected
);

-- One row per partition of a child stream (a parent row, or a fixed
-- partition): its own cursor, saved in the transaction that commits the rows
-- it covers, so the replica's promise holds per partition.
CREATE TABLE IF NOT EXISTS _partition (
  stream             TEXT NOT NULL,
  partition          TEXT NOT NULL,  -- JSON array: the parent row's key, or the fixed values
  last_timestamp     TEXT,           -- the API's text of the newest cursor value covered
  last_timestamp_utc TEXT,
  parent_version     TEXT,           -- the parent row as it was when last read whole; NULL:
                                     -- not read whole since (read again by "parents": "changed")
  saved_at           TEXT NOT NULL,
  run_id             INTEGER,        -- the run that last read it
  status             TEXT NOT NULL,  -- reading, ok, not_found (answered 404 or 410), error
  error              TEXT,
  PRIMARY KEY (stream, partition)
) WITHOUT ROWID;

-- The plain indexes (the cursor's, and any a user added) of a table that a run
-- is loading for the first time: its first large apply drops them and the end
-- of the run builds them once (Staging), so a load of N rows sorts N index
-- entries rather than building them again at each commit that doubles the
-- table. A row left here by a run that was killed: the next sync builds the
-- index before anything else.
CREATE TABLE IF NOT EXISTS _deferred_index (
  table_name TEXT NOT NULL,
  name       TEXT NOT NULL,   -- the index's name
  sql        TEXT NOT NULL,   -- the CREATE INDEX statement that builds it again
  PRIMARY KEY (table_name, name)
);
