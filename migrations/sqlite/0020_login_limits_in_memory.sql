-- Failed logins are now counted in memory per (username, client address),
-- per address and per instance (server/src/services/limits.rs): a count per
-- account alone let anyone lock any account out with one wrong guess every
-- 15 minutes. The per-account columns go.
ALTER TABLE accounts DROP COLUMN failed_logins;
ALTER TABLE accounts DROP COLUMN next_login_at;
