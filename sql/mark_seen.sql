-- SPDX-License-Identifier: Apache-2.0
-- Template: a full pass has seen this key.
INSERT INTO {seen} ({key}) VALUES ({values});
