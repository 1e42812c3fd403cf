-- SPDX-License-Identifier: Apache-2.0
-- The fields of a stream's table, the columns that hold them and the types
-- they were declared with.
SELECT field, column_name, declared_type FROM _columns WHERE table_name = ?1 ORDER BY rowid;
