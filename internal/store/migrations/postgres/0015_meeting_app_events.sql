-- A meeting's event in its organizer's app calendar (Outlook, Google
-- Calendar), written by booking with the app's PutEvent: the provider's
-- event id, to update and delete it, and the iCalendar UID the provider
-- keeps (it may not be the meeting's), so that the synced copy of the
-- organizer's calendar is known as the meeting itself.
CREATE TABLE meeting_app_events (
	account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	event_id TEXT NOT NULL,
	ical_uid TEXT NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	updated_ms BIGINT NOT NULL,
	PRIMARY KEY (meeting_id)
);
CREATE INDEX meeting_app_events_account ON meeting_app_events (account_id);

-- Who sends a meeting's invitations when its organizer has an app
-- calendar: 'convene' (Convene's own iTIP mail; the provider's event is
-- written without notifying) or 'provider' (the provider mails its own
-- invitations, updates and cancellations; Convene mails the invitees
-- nothing).
ALTER TABLE accounts ADD COLUMN invitations TEXT NOT NULL DEFAULT 'convene';
