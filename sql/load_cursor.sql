-- SPDX-License-Identifier: Apache-2.0
-- A stream's saved cursor (a change feed's token), and the instant saved with it.
SELECT last_timestamp, last_timestamp_utc FROM _state WHERE stream = ?1 AND last_timestamp IS NOT NULL;
