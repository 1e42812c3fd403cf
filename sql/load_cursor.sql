-- SPDX-License-Identifier: Apache-2.0
SELECT last_timestamp FROM _state WHERE stream = ?1 AND last_timestamp IS NOT NULL;
