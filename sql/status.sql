-- One row per replicated stream: its cursor, rows and rejected records.
SELECT s.stream,
       s.last_timestamp,
       s.saved_at,
       (SELECT count(*) FROM user) AS rows,
       (SELECT count(*) FROM _rejected r WHERE r.stream = s.stream) AS rejected
FROM _state s
ORDER BY s.stream;
