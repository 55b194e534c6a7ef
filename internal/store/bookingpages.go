package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// BookingPage is a user's personal booking page, served at /u/{Slug} while
// Enabled: visitors see the user's free times and ask for a meeting.
type BookingPage struct {
	UserID    string
	AccountID string
	// Slug names the page in its URL; unique on the server.
	Slug    string
	Enabled bool
	// Durations are the meeting lengths a visitor may choose, in minutes;
	// none means the user's default duration.
	Durations []int
	// Days is how far ahead the page offers times.
	Days int
	// Intro is the page's plain text for its visitors (empty: none).
	Intro   string
	Updated time.Time
}

// BookingRequest is a visitor's request on a booking page, waiting for
// the visitor to confirm it from the link mailed to them. Only the
// SHA-256 of the link's secret is stored.
type BookingRequest struct {
	ID           string
	AccountID    string
	UserID       string // the page's owner, who organizes the meeting
	TokenHash    string // hex SHA-256 of the link's secret
	VisitorName  string
	VisitorEmail string // lower case
	Start        time.Time
	Duration     int    // minutes
	TimeZone     string // the visitor's zone, for the mail and the pages
	Language     string // the visitor's language: "en" or "fr"
	Note         string
	Created      time.Time
	Expires      time.Time
	// Confirmed is when the visitor confirmed (zero: not yet); MeetingID
	// the meeting it booked.
	Confirmed time.Time
	MeetingID string
}

// BookingPages stores booking pages and their visitors' requests.
type BookingPages interface {
	// BookingPage returns a user's page; ErrNotFound when they never set
	// one up.
	BookingPage(ctx context.Context, accountID, userID string) (*BookingPage, error)
	// BookingPageBySlug finds a page by its slug (any account).
	BookingPageBySlug(ctx context.Context, slug string) (*BookingPage, error)
	// PutBookingPage creates or replaces a user's page; ErrConflict when
	// another user's page has the slug.
	PutBookingPage(ctx context.Context, p *BookingPage) error

	CreateBookingRequest(ctx context.Context, r *BookingRequest) error
	// BookingRequestByHash finds a request by the hash of its link's
	// secret (any account).
	BookingRequestByHash(ctx context.Context, hash string) (*BookingRequest, error)
	// BookingRequestForUpdate loads a request and locks it until the
	// transaction ends.
	BookingRequestForUpdate(ctx context.Context, accountID, id string) (*BookingRequest, error)
	// ConfirmBookingRequest records that a request booked meeting.
	ConfirmBookingRequest(ctx context.Context, accountID, id, meetingID string, at time.Time) error
	// CountOpenBookingRequests counts a visitor's requests to a user that
	// are neither confirmed nor expired at now.
	CountOpenBookingRequests(ctx context.Context, accountID, userID, email string, now time.Time) (int, error)
	// PruneBookingRequests deletes the requests that expired before
	// before and were never confirmed, and returns how many.
	PruneBookingRequests(ctx context.Context, before time.Time) (int, error)
}

var _ BookingPages = (*DB)(nil)

const bookingPageColumns = `user_id, account_id, slug, enabled, durations, days, intro, updated_ms`

func scanBookingPage(row interface{ Scan(...any) error }) (*BookingPage, error) {
	var p BookingPage
	var durations string
	var updated int64
	if err := row.Scan(&p.UserID, &p.AccountID, &p.Slug, &p.Enabled, &durations, &p.Days, &p.Intro, &updated); err != nil {
		return nil, err
	}
	for _, f := range strings.Split(durations, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			p.Durations = append(p.Durations, n)
		}
	}
	p.Updated = fromMS(updated)
	return &p, nil
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// BookingPage implements BookingPages.
func (db *DB) BookingPage(ctx context.Context, accountID, userID string) (*BookingPage, error) {
	p, err := scanBookingPage(db.r().QueryRowContext(ctx, `SELECT `+bookingPageColumns+` FROM booking_pages
		WHERE account_id = $1 AND user_id = $2`, accountID, userID))
	return p, db.wrap(err, "load booking page of %s", userID)
}

// BookingPageBySlug implements BookingPages.
func (db *DB) BookingPageBySlug(ctx context.Context, slug string) (*BookingPage, error) {
	p, err := scanBookingPage(db.r().QueryRowContext(ctx, `SELECT `+bookingPageColumns+` FROM booking_pages WHERE slug = $1`,
		strings.ToLower(slug)))
	return p, db.wrap(err, "find booking page %q", slug)
}

// PutBookingPage implements BookingPages.
func (db *DB) PutBookingPage(ctx context.Context, p *BookingPage) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO booking_pages (`+bookingPageColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (user_id) DO UPDATE SET slug = excluded.slug, enabled = excluded.enabled, durations = excluded.durations,
		days = excluded.days, intro = excluded.intro, updated_ms = excluded.updated_ms WHERE booking_pages.account_id = excluded.account_id`,
		p.UserID, p.AccountID, strings.ToLower(p.Slug), p.Enabled, joinInts(p.Durations), p.Days, p.Intro, ms(p.Updated))
	return db.wrap(err, "save booking page %q", p.Slug)
}

const bookingRequestColumns = `id, account_id, user_id, token_hash, visitor_name, visitor_email, start_ms, duration, timezone,
	language, note, created_ms, expires_ms, confirmed_ms, meeting_id`

func scanBookingRequest(row interface{ Scan(...any) error }) (*BookingRequest, error) {
	var r BookingRequest
	var start, created, expires, confirmed int64
	if err := row.Scan(&r.ID, &r.AccountID, &r.UserID, &r.TokenHash, &r.VisitorName, &r.VisitorEmail, &start, &r.Duration,
		&r.TimeZone, &r.Language, &r.Note, &created, &expires, &confirmed, &r.MeetingID); err != nil {
		return nil, err
	}
	r.Start, r.Created, r.Expires, r.Confirmed = fromMS(start), fromMS(created), fromMS(expires), fromMS(confirmed)
	return &r, nil
}

// CreateBookingRequest implements BookingPages.
func (db *DB) CreateBookingRequest(ctx context.Context, r *BookingRequest) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO booking_requests (`+bookingRequestColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.AccountID, r.UserID, r.TokenHash, r.VisitorName, strings.ToLower(r.VisitorEmail), ms(r.Start), r.Duration,
		r.TimeZone, r.Language, r.Note, ms(r.Created), ms(r.Expires), ms(r.Confirmed), r.MeetingID)
	return db.wrap(err, "create booking request")
}

// BookingRequestByHash implements BookingPages.
func (db *DB) BookingRequestByHash(ctx context.Context, hash string) (*BookingRequest, error) {
	r, err := scanBookingRequest(db.r().QueryRowContext(ctx, `SELECT `+bookingRequestColumns+` FROM booking_requests
		WHERE token_hash = $1`, hash))
	return r, db.wrap(err, "find booking request")
}

// BookingRequestForUpdate implements BookingPages.
func (db *DB) BookingRequestForUpdate(ctx context.Context, accountID, id string) (*BookingRequest, error) {
	r, err := scanBookingRequest(db.w().QueryRowContext(ctx, `SELECT `+bookingRequestColumns+` FROM booking_requests
		WHERE account_id = $1 AND id = $2`+db.d.forUpdate(), accountID, id))
	return r, db.wrap(err, "load booking request %s", id)
}

// ConfirmBookingRequest implements BookingPages.
func (db *DB) ConfirmBookingRequest(ctx context.Context, accountID, id, meetingID string, at time.Time) error {
	res, err := db.w().ExecContext(ctx, `UPDATE booking_requests SET confirmed_ms = $3, meeting_id = $4
		WHERE account_id = $1 AND id = $2 AND confirmed_ms = 0`, accountID, id, ms(at), meetingID)
	return db.mustAffect(res, err, "confirm booking request %s", id)
}

// CountOpenBookingRequests implements BookingPages.
func (db *DB) CountOpenBookingRequests(ctx context.Context, accountID, userID, email string, now time.Time) (int, error) {
	var n int
	err := db.r().QueryRowContext(ctx, `SELECT count(*) FROM booking_requests
		WHERE account_id = $1 AND user_id = $2 AND visitor_email = $3 AND confirmed_ms = 0 AND expires_ms > $4`,
		accountID, userID, strings.ToLower(email), ms(now)).Scan(&n)
	return n, db.wrap(err, "count booking requests")
}

// PruneBookingRequests implements BookingPages.
func (db *DB) PruneBookingRequests(ctx context.Context, before time.Time) (int, error) {
	res, err := db.w().ExecContext(ctx, `DELETE FROM booking_requests WHERE confirmed_ms = 0 AND expires_ms < $1`, ms(before))
	if err != nil {
		return 0, db.wrap(err, "prune booking requests")
	}
	n, err := res.RowsAffected()
	return int(n), db.wrap(err, "prune booking requests")
}
