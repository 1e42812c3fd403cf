-- SPDX-License-Identifier: Apache-2.0
-- Run by a sync that holds the replica's lock, before its own runs begin: no
-- other process can be running a run still marked 'running', so the process
-- that ran it ended without finishing. Marks each such run 'died' and says when
-- and by whom it was found. ?1: the pid of the sync that found it.
UPDATE _sync_log
SET status = 'died',
    error  = 'found running at ' || strftime('%Y-%m-%dT%H:%M:%fZ', 'now') ||
             ' by the next sync (pid ' || ?1 || '): the process ended without ' ||
             'finishing (killed, or the machine stopped); the rows and cursor it ' ||
             'committed are kept, and later runs ask again for the rest' ||
             ifnull('; its last error: ' || error, '')
WHERE status = 'running';
