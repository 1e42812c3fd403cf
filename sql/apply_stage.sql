-- SPDX-License-Identifier: Apache-2.0
-- Template: applies the staged rows (create_stage.sql) to the stream's table in
-- the order of its primary key, and in arrival order within one key. Rows come
-- to the key's index in its own order, so each of its pages is read and written
-- once, where arrival order touches a page at random for every row: the cost of
-- a large sync grows with its size, not with its size times the index's.
-- The rules are upsert_row.sql's: an older version never overwrites a newer one,
-- an identical replay changes nothing. tsync_count(kind) counts and returns 1:
-- {conflict_kind} for each staged row whose key the table holds already, then
-- {update_kind} for each such row that changes the stored one.
INSERT INTO {table} ({columns})
SELECT {columns} FROM {stage} WHERE true ORDER BY {key}, {seq}
ON CONFLICT ({key}) DO UPDATE SET {assignments}
WHERE tsync_count({conflict_kind})
  AND (excluded.{cursor} > {table}.{cursor}
       OR (excluded.{cursor} = {table}.{cursor} AND ({excluded}) IS NOT ({current})))
  AND tsync_count({update_kind});
