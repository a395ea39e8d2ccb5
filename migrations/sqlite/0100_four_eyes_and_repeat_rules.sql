-- Issue 9 items 5 and 6: four-eyes and repeat offences, per area.
--
-- areas.four_eyes: when 1, an owner's new ban is stored `requested` (on no
-- list) until the beheerder approves or rejects it. Off by default, so the
-- areas of today keep their behaviour.
-- areas.repeat_breach_days: a ban for an incident during a running ban of
-- the same person in the area lasts this many days (NULL: no breach rule).
-- areas.repeat_count: the k-th ban of the same person (counting the earlier
-- bans still running or ended at most repeat_lookback_days ago) gets the
-- category's maximum (NULL: no such rule).
-- areas.repeat_lookback_days: how long after its end an earlier ban still
-- counts; never more than the area's retention (checked by the server), so
-- the rule never needs data the protocol says is gone.
-- New columns only (no CHECK widened), so no table rebuild.
ALTER TABLE areas ADD COLUMN four_eyes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE areas ADD COLUMN repeat_breach_days INTEGER;
ALTER TABLE areas ADD COLUMN repeat_count INTEGER;
ALTER TABLE areas ADD COLUMN repeat_lookback_days INTEGER NOT NULL DEFAULT 0;

-- bans.repeat_rule: which repeat rule set the ban's period (`breach` or
-- `repeat`), NULL when none applied. No person's data: the earlier ban is
-- found again by its tokens when the beheerder reads the ban.
-- bans.on_behalf: 1 when the beheerder recorded the ban on the venue
-- owner's instruction (issued_by is then the beheerder's account).
-- bans.status_reason_sealed: a rejection, revocation or overturn reason, sealed like
-- the ban's other free text (AAD: field `status_reason`, area, record id);
-- plain reasons of earlier versions are sealed into it at start
-- (`services::bans::seal_legacy_status_reasons`) and emptied.
ALTER TABLE bans ADD COLUMN repeat_rule TEXT CHECK (repeat_rule IN ('breach', 'repeat'));
ALTER TABLE bans ADD COLUMN on_behalf INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bans ADD COLUMN status_reason_sealed BLOB;
