-- SPDX-License-Identifier: Apache-2.0
-- Template: marks deleted (at ?2) the live rows of one partition of a child
-- stream whose parent is gone; {match} compares its identity columns with ?1.
UPDATE {table} SET _tsync_deleted_at = ?2
WHERE _tsync_deleted_at IS NULL AND {match};
