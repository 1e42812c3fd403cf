-- SPDX-License-Identifier: Apache-2.0
-- Saves a partition's cursor (?3, ?4: NULL keeps the saved one), its status and,
-- when ?9 is 1, its parent version (?5, NULL after a failure); run in the
-- transaction that commits the rows the cursor covers. The cursor never moves
-- back: a full pass, or a lookback, reads from below it without losing it.
INSERT INTO _partition (stream, partition, last_timestamp, last_timestamp_utc, parent_version,
                        saved_at, run_id, status, error)
VALUES (?1, ?2, ?3, ?4, ?5, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?6, ?7, ?8)
ON CONFLICT (stream, partition) DO UPDATE SET
  last_timestamp     = CASE WHEN excluded.last_timestamp_utc > ifnull(last_timestamp_utc, '')
                            THEN excluded.last_timestamp ELSE last_timestamp END,
  last_timestamp_utc = CASE WHEN excluded.last_timestamp_utc > ifnull(last_timestamp_utc, '')
                            THEN excluded.last_timestamp_utc ELSE last_timestamp_utc END,
  parent_version     = CASE WHEN ?9 = 1 THEN excluded.parent_version ELSE parent_version END,
  saved_at           = excluded.saved_at,
  run_id             = excluded.run_id,
  status             = excluded.status,
  error              = excluded.error;
