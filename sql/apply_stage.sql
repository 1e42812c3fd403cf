-- SPDX-License-Identifier: Apache-2.0
-- Template: applies a transaction's staged rows to the stream's table. {stage}
-- is the virtual table over their merge (TableWriter::apply_stage), which hands
-- them over in the order of the primary key, and in arrival order within one
-- key: rows come to the key's index in its own order, so each of its pages is
-- read and written once, where arrival order touches a page at random for
-- every row, and the cost of a large sync grows with its size, not with its
-- size times the index's. The rules are upsert_row.sql's: an older version
-- never overwrites a newer one, an identical replay changes nothing.
-- tsync_count(kind) counts and returns 1: {conflict_kind} for each staged row
-- whose key the table holds already, then {update_kind} for each such row that
-- changes the stored one.
INSERT INTO {table} ({columns})
SELECT {columns} FROM {stage} WHERE true
ON CONFLICT ({key}) DO UPDATE SET {assignments}
WHERE tsync_count({conflict_kind})
  AND (excluded.{cursor} > {table}.{cursor}
       OR (excluded.{cursor} = {table}.{cursor} AND ({excluded}) IS NOT ({current})))
  AND tsync_count({update_kind});
