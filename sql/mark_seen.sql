-- Template: a full pass has seen this key.
INSERT OR IGNORE INTO {seen} ({key}) VALUES ({values});
