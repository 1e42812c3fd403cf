-- SPDX-License-Identifier: Apache-2.0
-- Template: about how many rows a stream's table holds, read from the end of its
-- rowid b-tree rather than by a scan (exact while no row was deleted).
SELECT coalesce(max(rowid), 0) FROM {table};
