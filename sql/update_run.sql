-- SPDX-License-Identifier: Apache-2.0
-- Brings a run's row up to date; written in the transaction that commits the
-- rows it counts, so the log is never ahead of or behind the data.
UPDATE _sync_log
SET rows_new      = ?2,
    rows_updated  = ?3,
    rows_rejected = ?4,
    requests      = ?5,
    retries       = ?6,
    bytes         = ?7,
    cursor_after  = ?8,
    status        = ?9,
    error         = ?10,
    warning       = ?11,
    rows_deleted  = ?12,
    finished_at   = CASE WHEN ?9 = 'running' THEN NULL
                         ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END
WHERE run_id = ?1;
