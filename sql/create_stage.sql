-- Template: the rows of a large transaction, staged in arrival order rather
-- than written into the stream's table one by one, and applied to it in key
-- order when the transaction commits (apply_stage.sql). The table lives in the
-- connection's TEMP database: a file SQLite unlinks as soon as it opens it, so
-- the space returns when tsync exits, or is killed. It is made and dropped
-- inside one transaction. {seq} numbers the rows in arrival order, under a name
-- none of the table's columns has (a field may be called rowid). {columns}
-- names the stream table's columns without a type: a value stays exactly as
-- bound, and the stream table's own column types apply when it is copied there.
CREATE TEMP TABLE {stage} ({seq} INTEGER PRIMARY KEY, {columns});
