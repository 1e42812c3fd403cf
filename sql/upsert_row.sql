-- SPDX-License-Identifier: Apache-2.0
-- Template: inserts a record into a stream's table or updates the stored one,
-- unless the stored one is newer: an older version never overwrites a newer one,
-- and an identical replay changes nothing (so sqlite3_changes() counts real
-- changes only). {columns} lists every column of the table, {values} a
-- parameter for each, {excluded} and {current} the same columns of the new and
-- the stored row, {assignments} "column = excluded.column" for every column
-- outside the primary key.
INSERT INTO {table} ({columns}) VALUES ({values})
ON CONFLICT ({key}) DO UPDATE SET {assignments}
WHERE excluded.{cursor} > {table}.{cursor}
   OR (excluded.{cursor} = {table}.{cursor} AND ({excluded}) IS NOT ({current}));
