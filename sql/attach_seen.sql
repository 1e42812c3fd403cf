-- SPDX-License-Identifier: Apache-2.0
-- Makes the keys a completed full pass has seen (kept by a connection of their
-- own in the file ?1, beside the replica) readable by the replica's connection.
ATTACH DATABASE ?1 AS tsync_pass;
