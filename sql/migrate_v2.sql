-- SPDX-License-Identifier: Apache-2.0
-- From schema version 1 (one stream, user): _state names each stream's table,
-- and _sync_log keeps a run's warning and the rows it deleted.
ALTER TABLE _state ADD COLUMN table_name TEXT;
UPDATE _state SET table_name = stream WHERE table_name IS NULL;
ALTER TABLE _sync_log ADD COLUMN warning TEXT;
ALTER TABLE _sync_log ADD COLUMN rows_deleted INTEGER NOT NULL DEFAULT 0;
