-- SPDX-License-Identifier: Apache-2.0
-- Template: removes the rows of one partition of a child stream whose parent is
-- gone (log_partition_rows.sql kept their keys first); {match} compares its
-- identity columns with ?1.
DELETE FROM {table} WHERE {match};
