-- SPDX-License-Identifier: Apache-2.0
-- The saved partitions of a child stream: where each starts, and the parent row
-- it was last read whole for.
SELECT partition, last_timestamp, parent_version FROM _partition WHERE stream = ?1;
