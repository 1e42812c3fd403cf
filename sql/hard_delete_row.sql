-- SPDX-License-Identifier: Apache-2.0
-- Template: removes the row of a tombstone (a record its API marks deleted),
-- unless the stored row is newer, and returns its key as a JSON array for
-- _deleted. {key_params} and {cursor_param} are the statement's parameters.
DELETE FROM {table}
WHERE ({key}) = ({key_params}) AND {cursor} <= {cursor_param}
RETURNING json_array({key});
