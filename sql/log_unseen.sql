-- SPDX-License-Identifier: Apache-2.0
-- Template: keeps in _deleted (stream ?1, deleted at ?2, by run ?3) the key of
-- every row a completed full pass did not return, before delete_unseen.sql
-- removes them (a stream's "on_delete": "hard").
INSERT INTO _deleted (stream, key, deleted_at, run_id)
SELECT ?1, json_array({key_values}), ?2, ?3 FROM {table} AS t
WHERE NOT EXISTS (SELECT 1 FROM {seen} AS s WHERE {match});
