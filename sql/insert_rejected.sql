-- SPDX-License-Identifier: Apache-2.0
-- Keeps a record that could not be stored; the same text is kept once.
INSERT INTO _rejected (stream, raw, reason, rejected_at)
VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
ON CONFLICT (stream, raw) DO NOTHING;
