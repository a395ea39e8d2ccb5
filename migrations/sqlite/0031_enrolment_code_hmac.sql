-- Enrolment codes are now stored as HMAC-SHA256 under a key derived from the
-- deployment secret (outside the database) instead of plain SHA-256. An
-- unused code stored the old way could never be redeemed again, and codes
-- live 15 minutes anyway: unused ones are dropped (an owner whose code was
-- pending during the upgrade makes a new one). Used codes stay as records.
DELETE FROM enrolment_codes WHERE used_at IS NULL;
