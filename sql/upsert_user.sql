-- Inserts a record or updates the stored one, unless the stored one is newer:
-- an older version never overwrites a newer one, and an identical replay
-- changes nothing (so sqlite3_changes() counts real changes only).
INSERT INTO user (id, name, email, address, company, job, updatedAt, createdAt)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (id) DO UPDATE SET
  name      = excluded.name,
  email     = excluded.email,
  address   = excluded.address,
  company   = excluded.company,
  job       = excluded.job,
  updatedAt = excluded.updatedAt,
  createdAt = excluded.createdAt
WHERE excluded.updatedAt > user.updatedAt
   OR (excluded.updatedAt = user.updatedAt
       AND (excluded.name IS NOT user.name
            OR excluded.email IS NOT user.email
            OR excluded.address IS NOT user.address
            OR excluded.company IS NOT user.company
            OR excluded.job IS NOT user.job
            OR excluded.createdAt IS NOT user.createdAt));
