-- The notice letter (issue 9 item 1): who the controller is, and what each
-- offence category means in words. All optional, set by the area's
-- beheerder; none holds a banned person's data.
--   controller_name       the organisation keeping the list on behalf of the
--                         participating venues (the beheerder's organisation)
--   controller_address    its postal address (several lines)
--   controller_statement  the area's joint-controller statement (how the
--                         venues share the controllership), quoted in letters
--   public_page_url       the public page's address when not the server's own
--                         (`<public url>/gebieden/<id>` otherwise)
ALTER TABLE areas ADD COLUMN controller_name TEXT;
ALTER TABLE areas ADD COLUMN controller_address TEXT;
ALTER TABLE areas ADD COLUMN controller_statement TEXT;
ALTER TABLE areas ADD COLUMN public_page_url TEXT;
-- What the offence is, in Dutch and English, for the letter.
ALTER TABLE offence_categories ADD COLUMN description_nl TEXT;
ALTER TABLE offence_categories ADD COLUMN description_en TEXT;
