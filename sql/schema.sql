-- The replica's layout. Applied on every open; every statement is idempotent.
-- Timestamps written by tsync are UTC text of one fixed width,
-- 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ', so string order is time order and
-- SQLite's date functions read them: datetime(updatedAt), julianday(updatedAt).

-- The replicated records, one row per API id.
CREATE TABLE IF NOT EXISTS user (
  id        TEXT PRIMARY KEY NOT NULL,
  name      TEXT,
  email     TEXT,
  address   TEXT,
  company   TEXT,
  job       TEXT,
  updatedAt TEXT NOT NULL,
  createdAt TEXT
);
CREATE INDEX IF NOT EXISTS user_updatedAt ON user (updatedAt);

-- One row per replicated stream. last_timestamp is the API's own text of the
-- newest updatedAt covered: every record with updatedAt <= it is in the replica.
CREATE TABLE IF NOT EXISTS _state (
  stream             TEXT PRIMARY KEY NOT NULL,
  last_timestamp     TEXT,
  last_timestamp_utc TEXT,
  saved_at           TEXT
);

-- Records that could not be stored (no id, no usable updatedAt), kept verbatim.
CREATE TABLE IF NOT EXISTS _rejected (
  rowid       INTEGER PRIMARY KEY,
  stream      TEXT NOT NULL,
  raw         TEXT NOT NULL,
  reason      TEXT NOT NULL,
  rejected_at TEXT NOT NULL,
  UNIQUE (stream, raw)
);

-- One row per sync run, updated in the same transaction as the rows it counts.
CREATE TABLE IF NOT EXISTS _sync_log (
  run_id        INTEGER PRIMARY KEY,
  stream        TEXT NOT NULL,
  started_at    TEXT NOT NULL,
  finished_at   TEXT,
  status        TEXT NOT NULL,   -- running, ok, error, interrupted
  rows_new      INTEGER NOT NULL DEFAULT 0,
  rows_updated  INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  requests      INTEGER NOT NULL DEFAULT 0,
  retries       INTEGER NOT NULL DEFAULT 0,
  bytes         INTEGER NOT NULL DEFAULT 0,
  cursor_before TEXT,
  cursor_after  TEXT,
  error         TEXT
);

PRAGMA user_version = 1;
