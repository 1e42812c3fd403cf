-- SPDX-License-Identifier: Apache-2.0
-- Whether an index named ?1 exists (a deferred index that a user, or an
-- earlier build, made already is kept as it is).
SELECT count(*)
FROM sqlite_schema
WHERE type = 'index' AND name = ?1;
