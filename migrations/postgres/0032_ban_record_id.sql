-- Sealed personal data is bound to its ban: a random record id, fixed before
-- the row is inserted, is part of the AEAD associated data, so a sealed blob
-- copied or swapped into another ban does not open. Rows sealed before this
-- have no record id (NULL); the server re-seals each under a fresh record id
-- at its first start, after checking that the data still hashes to the
-- ban's stored tokens, and refuses to read a row without one.
ALTER TABLE bans ADD COLUMN record_id BYTEA;
CREATE UNIQUE INDEX bans_record_id ON bans (record_id);
