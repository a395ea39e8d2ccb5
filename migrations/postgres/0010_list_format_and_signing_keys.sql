-- List format 2 (key check value, signing-key announcement): versions
-- published before it are format 1, which devices now refuse, so the next
-- publication replaces them even when nothing else changed.
ALTER TABLE list_versions ADD COLUMN format BIGINT NOT NULL DEFAULT 1;

-- List-signing key rotation: per area, the list version signed by the old
-- key that announces the new one, kept so a device that was offline during
-- the rotation (still trusting the old key) is handed it on its next sync.
-- A row also marks the old key as retired for the area: no instance may
-- sign the area's lists with it again.
CREATE TABLE signing_key_announcements (
    area_id         BIGINT NOT NULL REFERENCES areas(id),
    old_public_key  BYTEA NOT NULL,
    new_public_key  BYTEA NOT NULL,
    version         BIGINT NOT NULL,
    key_epoch       BIGINT NOT NULL,
    snapshot        BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (area_id, old_public_key)
);
