-- About how many rows user holds, read from the end of its rowid b-tree rather
-- than by a scan: tsync never deletes rows, so the largest rowid is the count.
SELECT coalesce(max(rowid), 0) FROM user;
