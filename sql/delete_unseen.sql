-- SPDX-License-Identifier: Apache-2.0
-- Template: removes every row a completed full pass did not return.
DELETE FROM {table} AS t
WHERE NOT EXISTS (SELECT 1 FROM {seen} AS s WHERE {match});
