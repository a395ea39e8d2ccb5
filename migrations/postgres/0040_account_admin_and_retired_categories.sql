-- Account administration: a password reset by a beheerder or the operator
-- leaves a one-time password the account must replace at its next login;
-- the last login is shown in the account lists. An offence category can be
-- retired: it keeps its bans but no new ban can choose it.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN last_login_at BIGINT;
ALTER TABLE offence_categories ADD COLUMN retired_on TEXT;
