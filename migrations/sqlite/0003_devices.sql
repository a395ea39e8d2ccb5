-- Door devices and their one-time enrolment codes. Only hashes of codes and
-- credentials are stored.
CREATE TABLE devices (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id          INTEGER NOT NULL REFERENCES areas(id),
    venue_id         INTEGER NOT NULL REFERENCES venues(id),
    name             TEXT NOT NULL,
    credential_hash  BLOB NOT NULL UNIQUE,
    enrolled_at      INTEGER NOT NULL,
    revoked_at       INTEGER,
    last_sync_at     INTEGER
);
CREATE INDEX devices_venue ON devices (venue_id);

CREATE TABLE enrolment_codes (
    code_hash   BLOB PRIMARY KEY,
    venue_id    INTEGER NOT NULL REFERENCES venues(id),
    created_by  INTEGER NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
