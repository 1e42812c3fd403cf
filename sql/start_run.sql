-- SPDX-License-Identifier: Apache-2.0
-- Opens a run's row in _sync_log; its run_id is the new rowid.
INSERT INTO _sync_log (stream, started_at, status, cursor_before, cursor_after)
VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running', ?2, ?2);
