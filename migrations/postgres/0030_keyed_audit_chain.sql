-- The audit chain becomes keyed: events after `keyed_from` are linked with
-- HMAC-SHA256 under a key kept outside the database (derived from the
-- deployment secret). The events already chained keep their plain SHA-256
-- links as a legacy segment that ends at today's head; the first keyed event
-- links to it, and the server signs a checkpoint of this old head at its
-- first start (every checkpoint signs `keyed_from`, so it cannot be moved to
-- make the chain look unkeyed).
ALTER TABLE audit_head ADD COLUMN keyed_from BIGINT NOT NULL DEFAULT 0;
UPDATE audit_head SET keyed_from = seq WHERE id = 1;
