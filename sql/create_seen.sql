-- SPDX-License-Identifier: Apache-2.0
-- Template: the keys a full pass of a stream has seen. They live in a file of
-- their own beside the replica (not in memory: a pass over ten million rows
-- needs no more memory than one over ten thousand), written by a connection of
-- their own, and the file is deleted when the pass ends (or, after a kill, when
-- the next one starts). {columns} defines the primary-key columns as the
-- stream's table does. A key seen twice is there twice; index_seen.sql indexes
-- them when the pass completes.
CREATE TABLE {seen} (
  {columns}
);
