-- SPDX-License-Identifier: Apache-2.0
-- Template: one row per replicated stream: its cursor, its table and its rejected
-- records. {table_name} is _state's table_name column, or the stream's name in a
-- replica of schema version 1 opened read-only (whose streams' tables bear their names).
SELECT s.stream,
       s.last_timestamp,
       ifnull(s.saved_at, ''),
       ifnull({table_name}, s.stream),
       (SELECT count(*) FROM _rejected r WHERE r.stream = s.stream) AS rejected
FROM _state s
ORDER BY s.stream;
