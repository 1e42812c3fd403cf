-- SPDX-License-Identifier: Apache-2.0
-- Index ?2 of table ?1 is built again: in the transaction that builds it.
DELETE FROM _deferred_index WHERE table_name = ?1 AND name = ?2;
