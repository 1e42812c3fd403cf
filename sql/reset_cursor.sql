-- SPDX-License-Identifier: Apache-2.0
-- Forgets a stream's cursor: the next sync asks for everything again.
UPDATE _state
SET last_timestamp = NULL, last_timestamp_utc = NULL,
    saved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE stream = ?1 AND last_timestamp IS NOT NULL;
