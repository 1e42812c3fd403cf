-- SPDX-License-Identifier: Apache-2.0
-- The end of a full pass: its seen keys are no longer needed.
DETACH DATABASE tsync_pass;
