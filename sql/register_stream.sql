-- SPDX-License-Identifier: Apache-2.0
-- Makes a stream known to _state (without a cursor) when it first syncs, and
-- keeps the name of its table up to date.
INSERT INTO _state (stream, table_name) VALUES (?1, ?2)
ON CONFLICT (stream) DO UPDATE SET table_name = excluded.table_name;
