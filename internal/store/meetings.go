package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Meeting statuses.
const (
	MeetingBooking   = "booking"
	MeetingBooked    = "booked"
	MeetingProposed  = "proposed"
	MeetingCancelled = "cancelled"
	MeetingFailed    = "failed"
)

// Meeting is a meeting of an account, organized by one of its users.
type Meeting struct {
	ID            string
	AccountID     string
	OrganizerID   string
	UID           string // iCalendar UID, stable for the meeting's life
	Status        string
	Type          string // scheduled, recurring, instant
	Subject       string
	Description   string
	Start         time.Time // first occurrence
	End           time.Time
	TimeZone      string
	Duration      int // minutes
	RRule         string
	Password      string
	Language      string
	VideoProvider string // "", "zoom", "jitsi"
	Settings      []byte // JSON: the request's video settings overrides
	Video         []byte // JSON: the video meeting as last read, without the start URL
	VideoID       string
	StartURL      string // sealed: it lets anyone start the meeting as host
	Sequence      int    // iCalendar SEQUENCE
	Problem       string
	Options       []byte // JSON: proposed times
	SeriesOf      string // the meeting this one continues ("this and following")
	Previous      []byte // JSON: what was last sent, to say what changed
	Created       time.Time
	Updated       time.Time
	Attendees     []Attendee

	// VideoPosted is when the last create request for the video meeting
	// was sent (zero: none), VideoPosts how many of the requests sent may
	// have made a meeting (RecordVideoPost, RecordVideoRefused): with none,
	// nothing is in flight. They are read with the meeting and written
	// only by those two, and by CreateMeeting (a request recorded with the
	// booking, before it is sent).
	VideoPosted time.Time
	VideoPosts  int
}

// Attendee is an invitee of a meeting.
type Attendee struct {
	Email    string
	Name     string
	UserID   string // set when the attendee is a user of the account
	Response string // needs-action, accepted, declined, tentative
}

// Occurrence is one occurrence of a recurring meeting, as the video
// provider numbers it.
type Occurrence struct {
	ID       string    // the provider's occurrence id (Zoom: start in ms)
	Original time.Time // start per the rule
	Start    time.Time // start now (moved occurrences differ)
	End      time.Time
	Status   string // available, cancelled
}

// Hold is time an organizer has booked.
type Hold struct {
	AccountID   string
	OrganizerID string
	MeetingID   string
	Start, End  time.Time
}

// OverlapError is ErrOverlap with the meeting in the way.
type OverlapError struct {
	MeetingID  string
	Start, End time.Time
}

// Error implements error.
func (e *OverlapError) Error() string {
	return fmt.Sprintf("overlaps meeting %s (%s to %s)", e.MeetingID, e.Start.Format(time.RFC3339), e.End.Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrOverlap) true.
func (e *OverlapError) Is(target error) bool { return target == ErrOverlap }

// Meetings stores meetings.
type Meetings interface {
	CreateMeeting(ctx context.Context, m *Meeting) error
	Meeting(ctx context.Context, accountID, id string) (*Meeting, error)
	// MeetingForUpdate loads a meeting and, on PostgreSQL, locks its row
	// until the transaction ends.
	MeetingForUpdate(ctx context.Context, accountID, id string) (*Meeting, error)
	// MeetingByVideo finds the meeting of a provider's meeting (any
	// account): for webhooks.
	MeetingByVideo(ctx context.Context, provider, videoID string) (*Meeting, error)
	// MeetingsOf lists the meetings a user organizes or attends that start
	// before to and end after from.
	MeetingsOf(ctx context.Context, accountID, userID, email string, from, to time.Time) ([]Meeting, error)
	// VideoMeetings lists an account's meetings of any status with a video
	// provider that end (a series: start) after since: for the reconciler.
	VideoMeetings(ctx context.Context, accountID, provider string, since time.Time) ([]Meeting, error)
	UpdateMeeting(ctx context.Context, m *Meeting) error
	// UpdateMeetingUnchanged is UpdateMeeting on the condition that the
	// row still has was's status, sequence, update time and video
	// requests (nothing changed it since it was read as was), and reports
	// whether it did.
	UpdateMeetingUnchanged(ctx context.Context, m, was *Meeting) (bool, error)
	// RecordVideoPost notes that a create request for the meeting's video
	// meeting is sent at at: VideoPosted becomes at, VideoPosts grows by
	// one.
	RecordVideoPost(ctx context.Context, accountID, meetingID string, at time.Time) error
	// MoveVideoPost notes that the create request recorded with the
	// booking (by an earlier VideoPosted) is sent only at at: VideoPosted
	// becomes at and VideoPosts stays (at least one), for that record's
	// request is this one, not another besides it.
	MoveVideoPost(ctx context.Context, accountID, meetingID string, at time.Time) error
	// RecordVideoRefused notes that the provider refused a create request
	// RecordVideoPost recorded: it made nothing, so VideoPosts shrinks by
	// one (VideoPosted stays: an earlier request may still be open).
	RecordVideoRefused(ctx context.Context, accountID, meetingID string) error
	SetAttendees(ctx context.Context, accountID, meetingID string, as []Attendee) error
	SetResponse(ctx context.Context, accountID, meetingID, email, response string) error

	// AddHolds holds time for an organizer; an *OverlapError (ErrOverlap)
	// when a hold overlaps one of another meeting.
	AddHolds(ctx context.Context, hs []Hold) error
	// DeleteHolds releases a meeting's holds that start at or after from
	// (zero: all).
	DeleteHolds(ctx context.Context, accountID, meetingID string, from time.Time) error
	Holds(ctx context.Context, accountID, meetingID string) ([]Hold, error)
	// OrganizerHolds lists the holds of organizers that overlap [from,
	// to), by start.
	OrganizerHolds(ctx context.Context, accountID string, organizerIDs []string, from, to time.Time) ([]Hold, error)
	DeleteHoldAt(ctx context.Context, accountID, meetingID string, start time.Time) error

	SetOccurrences(ctx context.Context, accountID, meetingID string, os []Occurrence) error
	Occurrences(ctx context.Context, accountID, meetingID string) ([]Occurrence, error)
}

var _ Meetings = (*DB)(nil)

const meetingColumns = `id, account_id, organizer_id, uid, status, type, subject, description, start_ms, end_ms,
	timezone, duration, rrule, password, language, video_provider, settings, video, video_id, start_url, sequence,
	problem, options, series_of, previous, created_ms, updated_ms`

// meetingSelect is meetingColumns and the columns only RecordVideoPost
// writes.
const meetingSelect = meetingColumns + `, video_posted_ms, video_posts`

func scanMeeting(row interface{ Scan(...any) error }) (*Meeting, error) {
	var m Meeting
	var start, end, created, updated, posted int64
	var settings, video, options, previous string
	err := row.Scan(&m.ID, &m.AccountID, &m.OrganizerID, &m.UID, &m.Status, &m.Type, &m.Subject, &m.Description,
		&start, &end, &m.TimeZone, &m.Duration, &m.RRule, &m.Password, &m.Language, &m.VideoProvider, &settings,
		&video, &m.VideoID, &m.StartURL, &m.Sequence, &m.Problem, &options, &m.SeriesOf, &previous, &created, &updated,
		&posted, &m.VideoPosts)
	if err != nil {
		return nil, err
	}
	m.Start, m.End, m.Created, m.Updated, m.VideoPosted = fromMS(start), fromMS(end), fromMS(created), fromMS(updated), fromMS(posted)
	m.Settings, m.Video, m.Options, m.Previous = []byte(settings), []byte(video), []byte(options), []byte(previous)
	return &m, nil
}

func orEmpty(b []byte, empty string) string {
	if len(b) == 0 {
		return empty
	}
	return string(b)
}

// CreateMeeting implements Meetings; it stores the attendees too, and the
// video requests recorded (VideoPosted, VideoPosts). The organizer must be
// an active user of the account (ErrInactive): checked in the same
// statement, so a user disabled or removed meanwhile cannot slip a meeting
// in.
func (db *DB) CreateMeeting(ctx context.Context, m *Meeting) error {
	const insert = `INSERT INTO meetings (` + meetingSelect + `)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29
		WHERE EXISTS (SELECT 1 FROM users WHERE account_id = $2 AND id = $3 AND disabled_ms = 0 AND removed_ms = 0)`
	args := []any{m.ID, m.AccountID, m.OrganizerID, m.UID, m.Status, m.Type, m.Subject, m.Description, ms(m.Start), ms(m.End),
		m.TimeZone, m.Duration, m.RRule, m.Password, m.Language, m.VideoProvider, orEmpty(m.Settings, "{}"),
		string(m.Video), m.VideoID, m.StartURL, m.Sequence, m.Problem, orEmpty(m.Options, "[]"), m.SeriesOf,
		string(m.Previous), ms(m.Created), ms(m.Updated), ms(m.VideoPosted), m.VideoPosts}
	if db.d.name() == "postgres" && len(m.Attendees) > 0 {
		// One round trip for the meeting and its attendees: the
		// attendees' insert takes the meeting's id from the first, so it
		// writes nothing when the organizer may not organize.
		var q strings.Builder
		q.WriteString(`WITH m AS (` + insert + ` RETURNING id), a AS (
			INSERT INTO meeting_attendees (meeting_id, account_id, email, name, user_id, response, position)
			SELECT m.id, $2, v.email, v.name, v.user_id, v.response, v.position FROM m, (VALUES `)
		for i, a := range m.Attendees {
			n := len(args)
			if i > 0 {
				q.WriteString(", ")
			}
			fmt.Fprintf(&q, "($%d::text, $%d::text, $%d::text, $%d::text, $%d::integer)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, strings.ToLower(a.Email), a.Name, a.UserID, attendeeResponse(a.Response), i)
		}
		q.WriteString(`) AS v (email, name, user_id, response, position)) SELECT count(*) FROM m`)
		var n int
		if err := db.w().QueryRowContext(ctx, q.String(), args...).Scan(&n); err != nil {
			return db.wrap(err, "create meeting %s", m.ID)
		}
		if n == 0 {
			return fmt.Errorf("store: create meeting %s: organizer %s: %w", m.ID, m.OrganizerID, ErrInactive)
		}
		return nil
	}
	res, err := db.w().ExecContext(ctx, insert, args...)
	if err != nil {
		return db.wrap(err, "create meeting %s", m.ID)
	}
	if n, err := res.RowsAffected(); err != nil {
		return db.wrap(err, "create meeting %s", m.ID)
	} else if n == 0 {
		return fmt.Errorf("store: create meeting %s: organizer %s: %w", m.ID, m.OrganizerID, ErrInactive)
	}
	// A new meeting has no attendees to replace: insert them.
	for i, a := range m.Attendees {
		if err := db.insertAttendee(ctx, m.AccountID, m.ID, i, a.Email, a.Name, a.UserID, a.Response); err != nil {
			return db.wrap(err, "set attendees of %s", m.ID)
		}
	}
	return nil
}

func (db *DB) insertAttendee(ctx context.Context, accountID, meetingID string, position int, email, name, userID, response string) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO meeting_attendees (meeting_id, account_id, email, name, user_id, response, position)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, meetingID, accountID, strings.ToLower(email), name, userID, attendeeResponse(response), position)
	return err
}

// attendeeResponse is the response stored for an attendee: needs-action
// until they answer.
func attendeeResponse(response string) string {
	if response == "" {
		return "needs-action"
	}
	return response
}

func (db *DB) loadMeeting(ctx context.Context, q querier, query string, args ...any) (*Meeting, error) {
	m, err := scanMeeting(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, err
	}
	m.Attendees, err = db.attendees(ctx, q, m.AccountID, m.ID)
	return m, err
}

// Meeting implements Meetings.
func (db *DB) Meeting(ctx context.Context, accountID, id string) (*Meeting, error) {
	m, err := db.loadMeeting(ctx, db.r(), `SELECT `+meetingSelect+` FROM meetings WHERE account_id = $1 AND id = $2`, accountID, id)
	return m, db.wrap(err, "load meeting %s", id)
}

// MeetingForUpdate implements Meetings.
func (db *DB) MeetingForUpdate(ctx context.Context, accountID, id string) (*Meeting, error) {
	m, err := db.loadMeeting(ctx, db.w(), `SELECT `+meetingSelect+` FROM meetings WHERE account_id = $1 AND id = $2`+db.d.forUpdate(), accountID, id)
	return m, db.wrap(err, "load meeting %s", id)
}

// MeetingByVideo implements Meetings.
func (db *DB) MeetingByVideo(ctx context.Context, provider, videoID string) (*Meeting, error) {
	m, err := db.loadMeeting(ctx, db.r(), `SELECT `+meetingSelect+` FROM meetings WHERE video_provider = $1 AND video_id = $2
		ORDER BY created_ms DESC LIMIT 1`, provider, videoID)
	return m, db.wrap(err, "find meeting of %s %s", provider, videoID)
}

func (db *DB) listMeetings(ctx context.Context, what, query string, args ...any) ([]Meeting, error) {
	rows, err := db.r().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.wrap(err, "%s", what)
	}
	var out []Meeting
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			rows.Close()
			return nil, db.wrap(err, "%s", what)
		}
		out = append(out, *m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "%s", what)
	}
	for i := range out {
		if out[i].Attendees, err = db.attendees(ctx, db.r(), out[i].AccountID, out[i].ID); err != nil {
			return nil, db.wrap(err, "%s", what)
		}
	}
	return out, nil
}

// farFuture stands for "no end" in range queries over series.
const farFuture = int64(1) << 50

// MeetingsOf implements Meetings. A series matches from its first start on.
func (db *DB) MeetingsOf(ctx context.Context, accountID, userID, email string, from, to time.Time) ([]Meeting, error) {
	return db.listMeetings(ctx, "list meetings", `SELECT `+meetingSelect+` FROM meetings m
		WHERE account_id = $1 AND start_ms < $4 AND (CASE WHEN rrule = '' THEN end_ms ELSE $5 END) > $3
		AND (organizer_id = $2 OR EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id AND a.email = $6))
		ORDER BY start_ms, id`, accountID, userID, ms(from), ms(to), farFuture, strings.ToLower(email))
}

// VideoMeetings implements Meetings.
func (db *DB) VideoMeetings(ctx context.Context, accountID, provider string, since time.Time) ([]Meeting, error) {
	return db.listMeetings(ctx, "list video meetings", `SELECT `+meetingSelect+` FROM meetings
		WHERE account_id = $1 AND video_provider = $2 AND (CASE WHEN rrule = '' THEN end_ms ELSE $4 END) > $3
		ORDER BY start_ms, id`, accountID, provider, ms(since), farFuture)
}

// UpdateMeeting implements Meetings (not the attendees).
func (db *DB) UpdateMeeting(ctx context.Context, m *Meeting) error {
	res, err := db.w().ExecContext(ctx, `UPDATE meetings SET status = $3, type = $4, subject = $5, description = $6,
		start_ms = $7, end_ms = $8, timezone = $9, duration = $10, rrule = $11, password = $12, language = $13,
		video_provider = $14, settings = $15, video = $16, video_id = $17, start_url = $18, sequence = $19, problem = $20,
		options = $21, series_of = $22, previous = $23, updated_ms = $24
		WHERE account_id = $1 AND id = $2`,
		m.AccountID, m.ID, m.Status, m.Type, m.Subject, m.Description, ms(m.Start), ms(m.End), m.TimeZone, m.Duration,
		m.RRule, m.Password, m.Language, m.VideoProvider, orEmpty(m.Settings, "{}"), string(m.Video), m.VideoID,
		m.StartURL, m.Sequence, m.Problem, orEmpty(m.Options, "[]"), m.SeriesOf, string(m.Previous), ms(m.Updated))
	return db.mustAffect(res, err, "update meeting %s", m.ID)
}

// UpdateMeetingUnchanged implements Meetings.
func (db *DB) UpdateMeetingUnchanged(ctx context.Context, m, was *Meeting) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE meetings SET status = $3, type = $4, subject = $5, description = $6,
		start_ms = $7, end_ms = $8, timezone = $9, duration = $10, rrule = $11, password = $12, language = $13,
		video_provider = $14, settings = $15, video = $16, video_id = $17, start_url = $18, sequence = $19, problem = $20,
		options = $21, series_of = $22, previous = $23, updated_ms = $24
		WHERE account_id = $1 AND id = $2 AND status = $25 AND sequence = $26 AND updated_ms = $27 AND video_posts = $28
			AND video_posted_ms = $29`,
		m.AccountID, m.ID, m.Status, m.Type, m.Subject, m.Description, ms(m.Start), ms(m.End), m.TimeZone, m.Duration,
		m.RRule, m.Password, m.Language, m.VideoProvider, orEmpty(m.Settings, "{}"), string(m.Video), m.VideoID,
		m.StartURL, m.Sequence, m.Problem, orEmpty(m.Options, "[]"), m.SeriesOf, string(m.Previous), ms(m.Updated),
		was.Status, was.Sequence, ms(was.Updated), was.VideoPosts, ms(was.VideoPosted))
	if err != nil {
		return false, db.wrap(err, "update meeting %s", m.ID)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "update meeting %s", m.ID)
}

// RecordVideoPost implements Meetings.
func (db *DB) RecordVideoPost(ctx context.Context, accountID, meetingID string, at time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE meetings SET video_posted_ms = $3, video_posts = video_posts + 1
		WHERE account_id = $1 AND id = $2`, accountID, meetingID, ms(at))
	return db.mustAffect(res, err, "record video create of %s", meetingID)
}

// MoveVideoPost implements Meetings.
func (db *DB) MoveVideoPost(ctx context.Context, accountID, meetingID string, at time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE meetings SET video_posted_ms = $3,
		video_posts = CASE WHEN video_posts > 0 THEN video_posts ELSE 1 END
		WHERE account_id = $1 AND id = $2`, accountID, meetingID, ms(at))
	return db.mustAffect(res, err, "move video create of %s", meetingID)
}

// RecordVideoRefused implements Meetings.
func (db *DB) RecordVideoRefused(ctx context.Context, accountID, meetingID string) error {
	res, err := db.w().ExecContext(ctx, `UPDATE meetings SET video_posts = video_posts - 1
		WHERE account_id = $1 AND id = $2 AND video_posts > 0`, accountID, meetingID)
	return db.mustAffect(res, err, "record refused video create of %s", meetingID)
}

func (db *DB) attendees(ctx context.Context, q querier, accountID, meetingID string) ([]Attendee, error) {
	rows, err := q.QueryContext(ctx, `SELECT email, name, user_id, response FROM meeting_attendees
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY position`, accountID, meetingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attendee
	for rows.Next() {
		var a Attendee
		if err := rows.Scan(&a.Email, &a.Name, &a.UserID, &a.Response); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAttendees implements Meetings: it replaces the attendee list, keeping
// the responses of those who stay.
func (db *DB) SetAttendees(ctx context.Context, accountID, meetingID string, as []Attendee) error {
	old, err := db.attendees(ctx, db.w(), accountID, meetingID)
	if err != nil {
		return db.wrap(err, "set attendees of %s", meetingID)
	}
	responses := map[string]string{}
	for _, a := range old {
		responses[a.Email] = a.Response
	}
	if _, err := db.w().ExecContext(ctx, `DELETE FROM meeting_attendees WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID); err != nil {
		return db.wrap(err, "set attendees of %s", meetingID)
	}
	for i, a := range as {
		resp := a.Response
		if r, ok := responses[a.Email]; ok && resp == "" {
			resp = r
		}
		if err := db.insertAttendee(ctx, accountID, meetingID, i, a.Email, a.Name, a.UserID, resp); err != nil {
			return db.wrap(err, "set attendees of %s", meetingID)
		}
	}
	return nil
}

// SetResponse implements Meetings.
func (db *DB) SetResponse(ctx context.Context, accountID, meetingID, email, response string) error {
	res, err := db.w().ExecContext(ctx, `UPDATE meeting_attendees SET response = $4 WHERE account_id = $1 AND meeting_id = $2 AND email = $3`,
		accountID, meetingID, strings.ToLower(email), response)
	return db.mustAffect(res, err, "set response of %s", email)
}

// AddHolds implements Meetings. Each hold is inserted only when no other
// hold of the organizer overlaps it, in one statement; when one does, it
// is read for a clear answer. On PostgreSQL the exclusion constraint also
// refuses an overlap that commits concurrently. On SQLite the write
// transaction holds the database lock, so the check and the insert cannot
// interleave with another booking.
func (db *DB) AddHolds(ctx context.Context, hs []Hold) error {
	for _, h := range hs {
		// The casts give PostgreSQL the parameters' types, which an
		// INSERT … SELECT does not infer; SQLite takes them as they are.
		res, err := db.w().ExecContext(ctx, `INSERT INTO holds (account_id, organizer_id, meeting_id, start_ms, end_ms)
			SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS BIGINT), CAST($5 AS BIGINT)
			WHERE NOT EXISTS (SELECT 1 FROM holds
				WHERE organizer_id = $2 AND start_ms < $5 AND end_ms > $4 AND meeting_id <> $3)`,
			h.AccountID, h.OrganizerID, h.MeetingID, ms(h.Start), ms(h.End))
		if err != nil {
			return db.wrap(err, "add hold")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return db.wrap(err, "add hold")
		}
		if n == 1 {
			continue
		}
		var other string
		var s, e int64
		err = db.w().QueryRowContext(ctx, `SELECT meeting_id, start_ms, end_ms FROM holds
			WHERE organizer_id = $1 AND start_ms < $3 AND end_ms > $2 AND meeting_id <> $4 LIMIT 1`,
			h.OrganizerID, ms(h.Start), ms(h.End), h.MeetingID).Scan(&other, &s, &e)
		if errors.Is(err, sql.ErrNoRows) {
			// Gone since the insert saw it (cancelled meanwhile): the
			// insert still found the time taken.
			return fmt.Errorf("store: add hold: %w", ErrOverlap)
		}
		if err != nil {
			return db.wrap(err, "check holds")
		}
		return &OverlapError{MeetingID: other, Start: fromMS(s), End: fromMS(e)}
	}
	return nil
}

// DeleteHolds implements Meetings.
func (db *DB) DeleteHolds(ctx context.Context, accountID, meetingID string, from time.Time) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM holds WHERE account_id = $1 AND meeting_id = $2 AND start_ms >= $3`,
		accountID, meetingID, ms(from))
	return db.wrap(err, "delete holds of %s", meetingID)
}

// Holds implements Meetings.
func (db *DB) Holds(ctx context.Context, accountID, meetingID string) ([]Hold, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT account_id, organizer_id, meeting_id, start_ms, end_ms FROM holds
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY start_ms`, accountID, meetingID)
	if err != nil {
		return nil, db.wrap(err, "list holds")
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var s, e int64
		if err := rows.Scan(&h.AccountID, &h.OrganizerID, &h.MeetingID, &s, &e); err != nil {
			return nil, db.wrap(err, "list holds")
		}
		h.Start, h.End = fromMS(s), fromMS(e)
		out = append(out, h)
	}
	return out, db.wrap(rows.Err(), "list holds")
}

// OrganizerHolds implements Meetings.
func (db *DB) OrganizerHolds(ctx context.Context, accountID string, organizerIDs []string, from, to time.Time) ([]Hold, error) {
	if len(organizerIDs) == 0 {
		return nil, nil
	}
	args := []any{accountID, ms(from), ms(to)}
	for _, id := range organizerIDs {
		args = append(args, id)
	}
	rows, err := db.r().QueryContext(ctx, `SELECT account_id, organizer_id, meeting_id, start_ms, end_ms FROM holds
		WHERE account_id = $1 AND start_ms < $3 AND end_ms > $2 AND organizer_id IN (`+inList(4, len(organizerIDs))+`)
		ORDER BY start_ms`, args...)
	if err != nil {
		return nil, db.wrap(err, "list holds of organizers")
	}
	defer rows.Close()
	var out []Hold
	for rows.Next() {
		var h Hold
		var s, e int64
		if err := rows.Scan(&h.AccountID, &h.OrganizerID, &h.MeetingID, &s, &e); err != nil {
			return nil, db.wrap(err, "list holds of organizers")
		}
		h.Start, h.End = fromMS(s), fromMS(e)
		out = append(out, h)
	}
	return out, db.wrap(rows.Err(), "list holds of organizers")
}

// SetOccurrences implements Meetings: it replaces the occurrence list.
func (db *DB) SetOccurrences(ctx context.Context, accountID, meetingID string, os []Occurrence) error {
	if _, err := db.w().ExecContext(ctx, `DELETE FROM meeting_occurrences WHERE account_id = $1 AND meeting_id = $2`, accountID, meetingID); err != nil {
		return db.wrap(err, "set occurrences of %s", meetingID)
	}
	for _, o := range os {
		if _, err := db.w().ExecContext(ctx, `INSERT INTO meeting_occurrences (meeting_id, account_id, occurrence_id, original_ms, start_ms, end_ms, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, meetingID, accountID, o.ID, ms(o.Original), ms(o.Start), ms(o.End), o.Status); err != nil {
			return db.wrap(err, "set occurrences of %s", meetingID)
		}
	}
	return nil
}

// Occurrences implements Meetings.
func (db *DB) Occurrences(ctx context.Context, accountID, meetingID string) ([]Occurrence, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT occurrence_id, original_ms, start_ms, end_ms, status FROM meeting_occurrences
		WHERE account_id = $1 AND meeting_id = $2 ORDER BY original_ms`, accountID, meetingID)
	if err != nil {
		return nil, db.wrap(err, "list occurrences")
	}
	defer rows.Close()
	var out []Occurrence
	for rows.Next() {
		var o Occurrence
		var orig, s, e int64
		if err := rows.Scan(&o.ID, &orig, &s, &e, &o.Status); err != nil {
			return nil, db.wrap(err, "list occurrences")
		}
		o.Original, o.Start, o.End = fromMS(orig), fromMS(s), fromMS(e)
		out = append(out, o)
	}
	return out, db.wrap(rows.Err(), "list occurrences")
}

// DeleteHoldAt releases the hold of one occurrence, by its start.
func (db *DB) DeleteHoldAt(ctx context.Context, accountID, meetingID string, start time.Time) error {
	_, err := db.w().ExecContext(ctx, `DELETE FROM holds WHERE account_id = $1 AND meeting_id = $2 AND start_ms = $3`,
		accountID, meetingID, ms(start))
	return db.wrap(err, "delete hold of %s", meetingID)
}
