-- SPDX-License-Identifier: Apache-2.0
-- The indexes of table ?1 that a large apply (TableWriter::apply_stage) drops and builds
-- again, in the same transaction, rather than updating them row by row in an
-- order that is random to them: those made by CREATE INDEX without UNIQUE (the
-- cursor's, and any a user added). The primary key's index always stays.
SELECT s.name, s.sql
FROM pragma_index_list(?1) AS l
JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = l.name
WHERE l."unique" = 0 AND l.origin = 'c' AND s.sql IS NOT NULL
ORDER BY s.name;
