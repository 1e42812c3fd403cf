-- SPDX-License-Identifier: Apache-2.0
-- Records that index ?2 of table ?1, built by the statement ?3, was dropped by
-- a first load's apply and is to be built when the run ends; in the
-- transaction that drops it, so a rollback keeps both or neither.
INSERT OR REPLACE INTO _deferred_index (table_name, name, sql) VALUES (?1, ?2, ?3);
