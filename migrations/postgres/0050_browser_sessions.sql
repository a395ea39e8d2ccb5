-- Sessions of people in a browser end after 30 minutes without a request as
-- well as at their absolute limit (expires_at). last_seen_at is refreshed at
-- most once a minute; idle_seconds is NULL for API sessions, which have only
-- the absolute limit.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
ALTER TABLE sessions ADD COLUMN idle_seconds BIGINT;
