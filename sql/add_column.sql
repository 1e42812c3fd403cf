-- SPDX-License-Identifier: Apache-2.0
-- Template: a column for a field seen for the first time; run in the
-- transaction that stores the rows that bring it. Rows stored before hold NULL.
ALTER TABLE {table} ADD COLUMN {column};
