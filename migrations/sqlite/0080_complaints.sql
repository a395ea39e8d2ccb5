-- Complaints (bezwaar) against a ban, decided by the area's committee.
-- `ban_id` has no foreign key on purpose: when retention purges the ban,
-- its complaints stay (for the statistics) with only their dates, lateness
-- and outcome; the purge clears ban_id and the sealed texts in the same
-- transaction. The sealed texts (summary, extension reason, reasoning) are
-- bound to the complaint's own random record_id (fixed before insert).
CREATE TABLE complaints (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id           INTEGER NOT NULL REFERENCES areas(id),
    ban_id            INTEGER,
    record_id         BLOB NOT NULL,
    received_on       TEXT NOT NULL,
    late              INTEGER NOT NULL CHECK (late IN (0, 1)),
    decide_by         TEXT NOT NULL,
    summary           BLOB,
    recorded_by       INTEGER REFERENCES accounts(id),
    extension_days    INTEGER CHECK (extension_days BETWEEN 1 AND 14),
    extension_reason  BLOB,
    extended_on       TEXT,
    extended_by       INTEGER REFERENCES accounts(id),
    outcome           TEXT CHECK (outcome IN ('upheld', 'rejected')),
    reasoning         BLOB,
    decided_on        TEXT,
    decided_by        INTEGER REFERENCES accounts(id),
    created_at        INTEGER NOT NULL,
    CHECK ((outcome IS NULL) = (decided_on IS NULL))
);
CREATE INDEX complaints_area ON complaints (area_id, outcome, decide_by);
CREATE INDEX complaints_ban ON complaints (ban_id);
