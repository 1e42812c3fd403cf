-- One row per replicated stream: its cursor, its table and its rejected records.
SELECT s.stream,
       s.last_timestamp,
       ifnull(s.saved_at, ''),
       ifnull(s.table_name, s.stream),
       (SELECT count(*) FROM _rejected r WHERE r.stream = s.stream) AS rejected
FROM _state s
ORDER BY s.stream;
