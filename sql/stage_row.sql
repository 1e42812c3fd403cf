-- SPDX-License-Identifier: Apache-2.0
-- Template: stages one record's row (create_stage.sql); {values} holds a
-- parameter per column, bound as upsert_row.sql's are.
INSERT INTO {stage} ({columns}) VALUES ({values});
