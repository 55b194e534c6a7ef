package store

import (
	"context"
	"time"
)

// Invitation modes of an account (Account.Invitations): who mails a
// meeting's invitations when its organizer has an app calendar.
const (
	// InvitationsConvene: Convene's branded iTIP mail; the event in the
	// organizer's app calendar is written without the provider notifying
	// anyone. The default.
	InvitationsConvene = "convene"
	// InvitationsProvider: the provider (Outlook, Google Calendar) mails
	// its own invitations, updates and cancellations; Convene mails the
	// invitees of such meetings nothing.
	InvitationsProvider = "provider"
)

// MeetingAppEvent is a meeting's event in its organizer's app calendar.
type MeetingAppEvent struct {
	AccountID string
	MeetingID string
	// App is the app whose calendar holds the event; EventID the
	// provider's id of it; ICalUID the UID the provider keeps.
	App, EventID, ICalUID string
	Created, Updated      time.Time
}

// MeetingAppEvents stores meetings' events in app calendars.
type MeetingAppEvents interface {
	// MeetingAppEvent returns a meeting's event; ErrNotFound if none.
	MeetingAppEvent(ctx context.Context, accountID, meetingID string) (*MeetingAppEvent, error)
	// PutMeetingAppEvent saves a meeting's event, replacing the one it had.
	PutMeetingAppEvent(ctx context.Context, e *MeetingAppEvent) error
	// DeleteMeetingAppEvent forgets a meeting's event.
	DeleteMeetingAppEvent(ctx context.Context, accountID, meetingID string) error
}

var _ MeetingAppEvents = (*DB)(nil)

// MeetingAppEvent implements MeetingAppEvents.
func (db *DB) MeetingAppEvent(ctx context.Context, accountID, meetingID string) (*MeetingAppEvent, error) {
	var e MeetingAppEvent
	var created, updated int64
	err := db.r().QueryRowContext(ctx, `SELECT account_id, meeting_id, app, event_id, ical_uid, created_ms, updated_ms
		FROM meeting_app_events WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID).
		Scan(&e.AccountID, &e.MeetingID, &e.App, &e.EventID, &e.ICalUID, &created, &updated)
	if err != nil {
		return nil, db.wrap(err, "load meeting app event %s", meetingID)
	}
	e.Created, e.Updated = fromMS(created), fromMS(updated)
	return &e, nil
}

// PutMeetingAppEvent implements MeetingAppEvents.
func (db *DB) PutMeetingAppEvent(ctx context.Context, e *MeetingAppEvent) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO meeting_app_events (account_id, meeting_id, app, event_id, ical_uid, created_ms, updated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (meeting_id) DO UPDATE SET app = $3, event_id = $4, ical_uid = $5, updated_ms = $7
		WHERE meeting_app_events.account_id = $1`,
		e.AccountID, e.MeetingID, e.App, e.EventID, e.ICalUID, ms(e.Created), ms(e.Updated))
	return db.wrap(err, "save meeting app event %s", e.MeetingID)
}

// DeleteMeetingAppEvent implements MeetingAppEvents.
func (db *DB) DeleteMeetingAppEvent(ctx context.Context, accountID, meetingID string) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM meeting_app_events WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID)
	return db.wrap(err, "delete meeting app event %s", meetingID)
}
