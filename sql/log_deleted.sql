-- SPDX-License-Identifier: Apache-2.0
-- Keeps the key of a row removed by a hard delete.
INSERT INTO _deleted (stream, key, deleted_at, run_id) VALUES (?1, ?2, ?3, ?4);
