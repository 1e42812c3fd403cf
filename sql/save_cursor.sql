-- SPDX-License-Identifier: Apache-2.0
-- Saves a stream's cursor; run in the transaction that commits the rows it covers.
INSERT INTO _state (stream, last_timestamp, last_timestamp_utc, saved_at, table_name)
VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), ?4)
ON CONFLICT (stream) DO UPDATE SET
  last_timestamp     = excluded.last_timestamp,
  last_timestamp_utc = excluded.last_timestamp_utc,
  saved_at           = excluded.saved_at,
  table_name         = excluded.table_name;
