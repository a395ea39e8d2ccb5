-- The CHO server's schema (SQLite). Times are unix seconds (INTEGER) and
-- dates ISO strings 'YYYY-MM-DD' (TEXT), so one set of runtime queries
-- serves SQLite and PostgreSQL alike. Personal data lives only in the
-- encrypted `bans.personal_data` blob.

CREATE TABLE municipalities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE areas (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    municipality_id        INTEGER NOT NULL REFERENCES municipalities(id),
    name                   TEXT NOT NULL UNIQUE,
    permit_reference       TEXT,
    permit_granted_on      TEXT,
    permit_expires_on      TEXT,
    complaint_window_days  INTEGER NOT NULL,
    retention_days         INTEGER NOT NULL,
    max_list_age_seconds   INTEGER NOT NULL,
    created_at             INTEGER NOT NULL
);

-- The area's identity keys by epoch, sealed under the master key.
CREATE TABLE area_keys (
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    epoch       INTEGER NOT NULL,
    sealed_key  BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (area_id, epoch)
);

CREATE TABLE offence_categories (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id       INTEGER NOT NULL REFERENCES areas(id),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    default_days  INTEGER NOT NULL,
    max_days      INTEGER NOT NULL CHECK (max_days <= 730 AND default_days <= max_days AND default_days > 0),
    UNIQUE (area_id, code)
);

CREATE TABLE venues (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id       INTEGER NOT NULL REFERENCES areas(id),
    name          TEXT NOT NULL,
    address       TEXT NOT NULL,
    kvk_number    TEXT NOT NULL,
    admitted_on   TEXT,
    withdrawn_on  TEXT,
    created_at    INTEGER NOT NULL,
    UNIQUE (area_id, kvk_number, name)
);

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    username         TEXT NOT NULL UNIQUE,
    password_hash    TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('operator', 'beheerder', 'owner')),
    area_id          INTEGER REFERENCES areas(id),
    failed_logins    INTEGER NOT NULL DEFAULT 0,
    next_login_at    INTEGER NOT NULL DEFAULT 0,
    disabled         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE account_venues (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    venue_id    INTEGER NOT NULL REFERENCES venues(id),
    PRIMARY KEY (account_id, venue_id)
);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    expires_at  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE bans (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id              INTEGER NOT NULL REFERENCES areas(id),
    venue_id             INTEGER NOT NULL REFERENCES venues(id),
    category_id          INTEGER NOT NULL REFERENCES offence_categories(id),
    issued_by            INTEGER NOT NULL REFERENCES accounts(id),
    starts_on            TEXT NOT NULL,
    ends_on              TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'overturned')),
    status_changed_at    INTEGER,
    status_reason        TEXT,
    incident_at          INTEGER NOT NULL,
    heard                INTEGER NOT NULL,
    notified_on          TEXT,
    notification_method  TEXT,
    name_truncated       INTEGER NOT NULL,
    personal_data        BLOB NOT NULL,
    created_at           INTEGER NOT NULL
);
CREATE INDEX bans_area_status ON bans (area_id, status, ends_on);
CREATE INDEX bans_venue ON bans (venue_id);

CREATE TABLE ban_tokens (
    ban_id     INTEGER NOT NULL REFERENCES bans(id) ON DELETE CASCADE,
    area_id    INTEGER NOT NULL,
    key_epoch  INTEGER NOT NULL,
    token      BLOB NOT NULL,
    strength   INTEGER NOT NULL,
    PRIMARY KEY (ban_id, key_epoch, token)
);
CREATE INDEX ban_tokens_lookup ON ban_tokens (area_id, token);

-- Anonymous counts left behind when ban data is purged.
CREATE TABLE ban_statistics (
    area_id      INTEGER NOT NULL,
    category_id  INTEGER NOT NULL,
    month        TEXT NOT NULL,
    bans         INTEGER NOT NULL,
    PRIMARY KEY (area_id, category_id, month)
);

-- The hash-chained audit trail; `audit_head` is claimed first in every
-- write transaction, which serialises writers on both databases.
CREATE TABLE audit_events (
    seq          INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    area_id      INTEGER,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL
);
CREATE INDEX audit_events_area ON audit_events (area_id, seq);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');
