-- Template: the keys a full pass of a stream has seen, kept in the replica file
-- (not in memory: a pass over ten million rows needs no more memory than one over
-- ten thousand). Made afresh when a pass starts, dropped when it ends; {columns}
-- defines the primary-key columns as the stream's table does.
DROP TABLE IF EXISTS {seen};
CREATE TABLE {seen} (
  {columns},
  PRIMARY KEY ({key})
) WITHOUT ROWID;
