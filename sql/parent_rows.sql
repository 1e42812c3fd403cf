-- SPDX-License-Identifier: Apache-2.0
-- Template: the live rows of a parent stream's table, each a partition of a
-- child: {key} its primary key as a JSON array (the partition's identity),
-- {values} the parent fields the child's placeholders and columns take, and
-- its version, which changes whenever any value of the row does.
SELECT json_array({key}), {values}, tsync_row_version({all})
FROM {table}
WHERE {live}
ORDER BY rowid;
