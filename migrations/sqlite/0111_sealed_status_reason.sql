-- Revocation and refusal reasons may name people (issue 9, item 8): they
-- are sealed like the personal data, bound to the ban's row. The plain
-- `status_reason` of earlier versions is sealed into this column at start
-- (`services::bans::seal_legacy_status_reasons`) and emptied.
ALTER TABLE bans ADD COLUMN status_reason_sealed BLOB;
