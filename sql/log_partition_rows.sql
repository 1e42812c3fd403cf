-- SPDX-License-Identifier: Apache-2.0
-- Template: keeps in _deleted the keys of the rows of one partition of a child
-- stream that hard_delete_partition_rows.sql removes (?1 the partition's
-- identity, ?2 the stream, ?3 the time, ?4 the run).
INSERT INTO _deleted (stream, key, deleted_at, run_id)
SELECT ?2, json_array({key}), ?3, ?4 FROM {table} WHERE {match};
