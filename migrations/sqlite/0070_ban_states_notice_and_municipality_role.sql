-- no-transaction
-- The banned person's rights (issue 9) widen two CHECK constraints, which
-- SQLite can only do by rebuilding the table. Foreign keys are switched off
-- for the rebuild (outside a transaction, where the pragma works), so that
-- dropping the old `bans` does not cascade into `ban_tokens`; the rebuild
-- itself is one transaction and `foreign_key_check` runs before commit.
--
-- bans.status gains `requested` (four-eyes: on no list until approved) and
-- `rejected` (refused by the beheerder). The optional notification of the
-- first version becomes the notice: a date, a method from a fixed set, and a
-- sealed note. The old free-text method may name people, so it is kept only
-- until the server seals it into `notice_note` at start (`legacy_notice_text`
-- is then cleared).
--
-- accounts.role gains `municipality`: read-only accounts linked to one
-- municipality (never to an area or venue).
PRAGMA foreign_keys = OFF;

BEGIN;

CREATE TABLE bans_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id              INTEGER NOT NULL REFERENCES areas(id),
    venue_id             INTEGER NOT NULL REFERENCES venues(id),
    category_id          INTEGER NOT NULL REFERENCES offence_categories(id),
    issued_by            INTEGER NOT NULL REFERENCES accounts(id),
    starts_on            TEXT NOT NULL,
    ends_on              TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('requested', 'active', 'rejected', 'revoked', 'overturned')),
    status_changed_at    INTEGER,
    status_reason        TEXT,
    incident_at          INTEGER NOT NULL,
    heard                INTEGER NOT NULL,
    notice_on            TEXT,
    notice_method        TEXT CHECK (notice_method IN ('handed_over', 'refused', 'post', 'email', 'other')),
    notice_note          BLOB,
    notice_recorded_by   INTEGER REFERENCES accounts(id),
    notice_recorded_at   INTEGER,
    legacy_notice_text   TEXT,
    name_truncated       INTEGER NOT NULL,
    personal_data        BLOB NOT NULL,
    created_at           INTEGER NOT NULL,
    record_id            BLOB,
    CHECK ((notice_on IS NULL) = (notice_method IS NULL))
);

INSERT INTO bans_new (id, area_id, venue_id, category_id, issued_by, starts_on, ends_on, status,
    status_changed_at, status_reason, incident_at, heard, notice_on, notice_method, notice_note,
    notice_recorded_by, notice_recorded_at, legacy_notice_text, name_truncated, personal_data,
    created_at, record_id)
SELECT id, area_id, venue_id, category_id, issued_by, starts_on, ends_on, status,
    status_changed_at, status_reason, incident_at, heard, notified_on,
    CASE
        WHEN notified_on IS NULL THEN NULL
        WHEN notification_method IN ('handed_over', 'refused', 'post', 'email') THEN notification_method
        ELSE 'other'
    END,
    NULL,
    CASE WHEN notified_on IS NULL THEN NULL ELSE issued_by END,
    CASE WHEN notified_on IS NULL THEN NULL ELSE created_at END,
    CASE
        WHEN notified_on IS NULL OR notification_method IN ('handed_over', 'refused', 'post', 'email') THEN NULL
        ELSE NULLIF(notification_method, '')
    END,
    name_truncated, personal_data, created_at, record_id
FROM bans;

DROP TABLE bans;
ALTER TABLE bans_new RENAME TO bans;
CREATE INDEX bans_area_status ON bans (area_id, status, ends_on);
CREATE INDEX bans_venue ON bans (venue_id);
CREATE UNIQUE INDEX bans_record_id ON bans (record_id);

CREATE TABLE accounts_new (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    username              TEXT NOT NULL UNIQUE,
    password_hash         TEXT NOT NULL,
    role                  TEXT NOT NULL CHECK (role IN ('operator', 'beheerder', 'owner', 'municipality')),
    area_id               INTEGER REFERENCES areas(id),
    municipality_id       INTEGER REFERENCES municipalities(id),
    disabled              INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    must_change_password  INTEGER NOT NULL DEFAULT 0,
    last_login_at         INTEGER,
    CHECK ((role = 'municipality') = (municipality_id IS NOT NULL))
);

INSERT INTO accounts_new (id, username, password_hash, role, area_id, municipality_id, disabled,
    created_at, must_change_password, last_login_at)
SELECT id, username, password_hash, role, area_id, NULL, disabled, created_at,
    must_change_password, last_login_at
FROM accounts;

DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;

PRAGMA foreign_key_check;

COMMIT;

PRAGMA foreign_keys = ON;
