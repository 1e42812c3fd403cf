-- SPDX-License-Identifier: Apache-2.0
-- The indexes a first load dropped and has yet to build: of table ?1, or of
-- every table when ?1 is NULL (a sync's start, after a run that was killed).
SELECT table_name, name, sql
FROM _deferred_index
WHERE ?1 IS NULL OR table_name = ?1
ORDER BY table_name, name;
