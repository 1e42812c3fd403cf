-- SPDX-License-Identifier: Apache-2.0
-- Template: per partition of a child stream ({identity}: its identity columns),
-- the live rows and how many of them a completed full pass did not return, for
-- the partitions where it missed any. {live} as in count_unseen.sql.
SELECT json_array({identity}) AS partition, count(*) AS live,
       sum(NOT EXISTS (SELECT 1 FROM {seen} AS s WHERE {match})) AS unseen
FROM {table} AS t
WHERE {live}
GROUP BY 1
HAVING unseen > 0;
