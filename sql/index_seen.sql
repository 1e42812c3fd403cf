-- SPDX-License-Identifier: Apache-2.0
-- Template: indexes the keys a completed full pass has seen, built once from
-- the whole file (a sorted build), before the replica's connection reads them.
-- Keys are appended as they arrive (mark_seen.sql), so marking one costs the
-- same at the ten millionth key as at the first.
CREATE INDEX {seen}_key ON {seen} ({key});
