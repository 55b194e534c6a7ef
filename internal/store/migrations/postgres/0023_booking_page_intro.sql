-- A booking page's own plain text for its visitors (what the meeting is
-- for, what to prepare), shown above its times; empty: none.
ALTER TABLE booking_pages ADD COLUMN intro TEXT NOT NULL DEFAULT '';
