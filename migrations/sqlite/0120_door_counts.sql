-- Anonymous door counts (issue 10, item 6): per door phone, hour (unix
-- seconds of its start, UTC) and verdict (`banned`, `possible_match`,
-- `welcome`, `outdated`, `no_list`; checked in code), how many checks it
-- did. No token, identity or single check. A door sends its running
-- totals and the server sets them, so a resend is harmless. Deleted by the
-- retention job 90 days after the hour.
CREATE TABLE door_counts (
    device_id  INTEGER NOT NULL REFERENCES devices(id),
    hour       INTEGER NOT NULL,
    verdict    TEXT NOT NULL,
    checks     INTEGER NOT NULL,
    PRIMARY KEY (device_id, hour, verdict)
);
CREATE INDEX door_counts_hour ON door_counts (hour);
