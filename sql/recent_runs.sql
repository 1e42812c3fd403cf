-- SPDX-License-Identifier: Apache-2.0
-- Template: the newest runs first. {warning} and {rows_deleted} are _sync_log's
-- columns, or NULL and 0 in a replica of schema version 1 opened read-only.
SELECT run_id, stream, started_at, ifnull(finished_at, ''), status,
       rows_new, rows_updated, rows_rejected, requests, retries, bytes,
       ifnull(cursor_before, ''), ifnull(cursor_after, ''), ifnull(error, ''),
       ifnull({warning}, ''), {rows_deleted}
FROM _sync_log ORDER BY run_id DESC LIMIT ?1;
