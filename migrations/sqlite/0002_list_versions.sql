-- Signed door lists: one row per published version of an area's list. The
-- snapshot is stored signed, exactly as devices receive it; deltas are
-- computed between two stored snapshots on request.
CREATE TABLE list_versions (
    area_id     INTEGER NOT NULL REFERENCES areas(id),
    version     INTEGER NOT NULL,
    key_epoch   INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    entries     INTEGER NOT NULL,
    digest      BLOB NOT NULL,
    snapshot    BLOB NOT NULL,
    PRIMARY KEY (area_id, version)
);
