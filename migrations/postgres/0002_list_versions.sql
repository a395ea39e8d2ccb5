-- Signed door lists: one row per published version of an area's list. The
-- snapshot is stored signed, exactly as devices receive it; deltas are
-- computed between two stored snapshots on request.
CREATE TABLE list_versions (
    area_id     BIGINT NOT NULL REFERENCES areas(id),
    version     BIGINT NOT NULL,
    key_epoch   BIGINT NOT NULL,
    issued_at   BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    digest      BYTEA NOT NULL,
    snapshot    BYTEA NOT NULL,
    PRIMARY KEY (area_id, version)
);
