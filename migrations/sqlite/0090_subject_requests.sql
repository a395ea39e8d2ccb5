-- Data-subject requests (GDPR art. 15-21) of an area's register. The person
-- is never stored in the clear: their identity as typed or read from an MRZ
-- is sealed (bound to the request's random record id), and the bans it
-- matched exactly are linked. How identity was checked is a choice from a
-- fixed set with an optional sealed note; no copy of an ID is ever stored.
-- Once closed and past the area's retention, the sealed fields and the links
-- are cleared (purged_at set): kind, dates and outcome stay for the figures.
CREATE TABLE subject_requests (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    area_id            INTEGER NOT NULL REFERENCES areas(id),
    record_id          BLOB NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction', 'objection')),
    received_on        TEXT NOT NULL,
    due_on             TEXT NOT NULL,
    identity_check     TEXT CHECK (identity_check IN ('document_shown_in_person', 'copy_checked_then_destroyed', 'known_contact', 'other')),
    identity_note      BLOB,
    person             BLOB,
    status             TEXT NOT NULL CHECK (status IN ('identity_unverified', 'in_progress', 'completed', 'refused')),
    extended_to        TEXT,
    extension_reason   BLOB,
    extension_told_on  TEXT,
    refusal_reason     BLOB,
    closed_on          TEXT,
    created_by         INTEGER NOT NULL REFERENCES accounts(id),
    created_at         INTEGER NOT NULL,
    purged_at          INTEGER
);
CREATE INDEX subject_requests_area ON subject_requests (area_id, status, due_on);

-- The bans a request's person matched exactly (by identity tokens). A ban
-- linked to an open request is not purged; erasing a ban removes its links.
CREATE TABLE subject_request_bans (
    request_id  INTEGER NOT NULL REFERENCES subject_requests(id) ON DELETE CASCADE,
    ban_id      INTEGER NOT NULL REFERENCES bans(id) ON DELETE CASCADE,
    PRIMARY KEY (request_id, ban_id)
);
CREATE INDEX subject_request_bans_ban ON subject_request_bans (ban_id);

-- Which bans an audit event returned personal data of. The event's own
-- object_id lists the same ids (so the chain's hash covers them); this
-- table is the index a data subject's access request reads by ban.
CREATE TABLE audit_event_bans (
    ban_id  INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    PRIMARY KEY (ban_id, seq)
);
