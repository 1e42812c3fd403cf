-- SPDX-License-Identifier: Apache-2.0
-- What `tsync status` shows of a child stream's partitions: how many, the
-- oldest cursor, and how many failed (or were not found) when last read.
SELECT count(*),
       (SELECT last_timestamp FROM _partition
        WHERE stream = ?1 AND last_timestamp_utc IS NOT NULL
        ORDER BY last_timestamp_utc LIMIT 1),
       count(*) FILTER (WHERE status = 'error'),
       count(*) FILTER (WHERE status = 'not_found')
FROM _partition WHERE stream = ?1;
