-- Anonymous counts that survive every purge (issue 9, item 7): per area,
-- month, figure (`issued`, `expired`, `revoked`, `overturned`; checked in
-- code, so a later figure needs no table rebuild), category and venue.
-- A purge adds the ban's figures here in the transaction that deletes it.
-- The per-category counts of `ban_statistics` move over as `issued` with
-- venue 0: they were kept without their venue.
CREATE TABLE ban_counts (
    area_id      BIGINT NOT NULL REFERENCES areas(id),
    month        TEXT NOT NULL,
    figure       TEXT NOT NULL,
    category_id  BIGINT NOT NULL,
    venue_id     BIGINT NOT NULL,
    bans         BIGINT NOT NULL,
    PRIMARY KEY (area_id, month, figure, category_id, venue_id)
);

INSERT INTO ban_counts (area_id, month, figure, category_id, venue_id, bans)
SELECT area_id, month, 'issued', category_id, 0, bans FROM ban_statistics;

DROP TABLE ban_statistics;
