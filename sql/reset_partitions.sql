-- SPDX-License-Identifier: Apache-2.0
-- Forgets every partition cursor of a child stream: the next sync reads each
-- partition from the start again.
DELETE FROM _partition WHERE stream = ?1;
