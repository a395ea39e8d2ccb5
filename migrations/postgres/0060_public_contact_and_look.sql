-- The public page's contact fields of an area (set by its beheerder), and
-- a municipality's look (set by the operator): its primary colour and logo.
-- All optional; lengths and formats are checked by the server.
ALTER TABLE areas ADD COLUMN contact_email TEXT;
ALTER TABLE areas ADD COLUMN contact_phone TEXT;
ALTER TABLE areas ADD COLUMN complaint_committee_address TEXT;
ALTER TABLE areas ADD COLUMN complaint_committee_email TEXT;
ALTER TABLE areas ADD COLUMN privacy_contact TEXT;
ALTER TABLE municipalities ADD COLUMN primary_colour TEXT;
ALTER TABLE municipalities ADD COLUMN logo BYTEA;
ALTER TABLE municipalities ADD COLUMN logo_type TEXT;
-- `ban_statistics.month` is from now on the month a purged ban was issued
-- (its creation day in the Netherlands), the month the statistics count a
-- live ban in, so a month's figure does not move when retention purges.
-- Rows written before counted the month the ban started; a ban starts at
-- most 30 days after its issue, and the data to re-key them is gone.
