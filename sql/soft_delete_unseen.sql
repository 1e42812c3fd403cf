-- SPDX-License-Identifier: Apache-2.0
-- Template: marks deleted (at ?1) every live row a completed full pass did not return.
UPDATE {table} AS t SET _tsync_deleted_at = ?1
WHERE _tsync_deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM {seen} AS s WHERE {match});
