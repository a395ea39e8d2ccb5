-- The banned person's rights (issue 9). bans.status gains `requested`
-- (four-eyes: on no list until approved) and `rejected` (refused by the
-- beheerder). The optional notification of the first version becomes the
-- notice: a date, a method from a fixed set, and a sealed note. The old
-- free-text method may name people, so it is kept only until the server
-- seals it into `notice_note` at start (`legacy_notice_text` is then cleared).
-- accounts.role gains `municipality`: read-only accounts linked to one
-- municipality.
ALTER TABLE bans DROP CONSTRAINT bans_status_check;
ALTER TABLE bans ADD CONSTRAINT bans_status_check
    CHECK (status IN ('requested', 'active', 'rejected', 'revoked', 'overturned'));

ALTER TABLE bans RENAME COLUMN notified_on TO notice_on;
ALTER TABLE bans ADD COLUMN notice_method TEXT
    CHECK (notice_method IN ('handed_over', 'refused', 'post', 'email', 'other'));
ALTER TABLE bans ADD COLUMN notice_note BYTEA;
ALTER TABLE bans ADD COLUMN notice_recorded_by BIGINT REFERENCES accounts(id);
ALTER TABLE bans ADD COLUMN notice_recorded_at BIGINT;
ALTER TABLE bans ADD COLUMN legacy_notice_text TEXT;

UPDATE bans SET
    notice_method = CASE
        WHEN notification_method IN ('handed_over', 'refused', 'post', 'email') THEN notification_method
        ELSE 'other'
    END,
    legacy_notice_text = CASE
        WHEN notification_method IN ('handed_over', 'refused', 'post', 'email') THEN NULL
        ELSE NULLIF(notification_method, '')
    END,
    notice_recorded_by = issued_by,
    notice_recorded_at = created_at
WHERE notice_on IS NOT NULL;

ALTER TABLE bans DROP COLUMN notification_method;
ALTER TABLE bans ADD CONSTRAINT bans_notice_complete
    CHECK ((notice_on IS NULL) = (notice_method IS NULL));

ALTER TABLE accounts DROP CONSTRAINT accounts_role_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check
    CHECK (role IN ('operator', 'beheerder', 'owner', 'municipality'));
ALTER TABLE accounts ADD COLUMN municipality_id BIGINT REFERENCES municipalities(id);
ALTER TABLE accounts ADD CONSTRAINT accounts_municipality_link
    CHECK ((role = 'municipality') = (municipality_id IS NOT NULL));
