-- SPDX-License-Identifier: Apache-2.0
-- Template: drops the staged rows once applied, in the transaction that staged them.
DROP TABLE IF EXISTS {stage};
