-- SPDX-License-Identifier: Apache-2.0
-- Template: the live rows of a stream's table, how many of them a completed full
-- pass did not return, and how many keys it returned. {live} is "TRUE" while the
-- table has no _tsync_deleted_at column yet.
SELECT
  (SELECT count(*) FROM {table} WHERE {live}),
  (SELECT count(*) FROM {table} AS t
   WHERE {live} AND NOT EXISTS (SELECT 1 FROM {seen} AS s WHERE {match})),
  (SELECT count(*) FROM {seen});
