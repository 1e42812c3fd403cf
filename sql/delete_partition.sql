-- SPDX-License-Identifier: Apache-2.0
-- Forgets one partition of a child stream (its parent row is gone), in the
-- transaction that deletes its rows.
DELETE FROM _partition WHERE stream = ?1 AND partition = ?2;
