package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Calendar kinds.
const (
	CalendarBuiltin = "builtin" // the user's own calendar, served over CalDAV
	CalendarCalDAV  = "caldav"  // an external CalDAV account, synced in
	CalendarICS     = "ics"     // an external ICS feed, fetched
	// CalendarApp is a user's calendar at an installed app with
	// calendars (Outlook, Google Calendar), synced in through the app's
	// video.Calendars; Calendar.App names the app.
	CalendarApp = "app"
)

// Origins of calendar objects: who wrote them.
const (
	OriginImport  = "import"  // PUT /api/v1/users/{email}/calendar
	OriginBooking = "booking" // a meeting Convene booked
	OriginClient  = "client"  // a CalDAV client (Thunderbird, DAVx5…)
	OriginRemote  = "remote"  // synced from an external source
)

// Busy classes of a calendar object: how the busy-time query treats it
// without parsing it.
const (
	// BusyFree: no instance ever blocks time (transparent, cancelled or
	// declined by the calendar's owner).
	BusyFree = 0
	// BusyExact: one instance whose interval is exactly [Start, End).
	BusyExact = 1
	// BusyExpand: recurring, floating or all-day: parse and expand.
	BusyExpand = 2
)

// Calendar is a user's built-in calendar or an external source.
type Calendar struct {
	ID        string
	AccountID string
	UserID    string
	Kind      string
	Name      string
	URL       string // sources: the CalDAV or ICS URL
	Username  string // sources: the CalDAV user name
	Secret    string // sources: the password, sealed
	// App is the app of an app calendar (CalendarApp): its catalog ID.
	App string
	// SyncSeq is raised by every change of the calendar's objects: the
	// CalDAV ctag and sync token of the built-in calendar.
	SyncSeq int64
	// SyncFloor: sync tokens below it are no longer answerable (their
	// tombstones were pruned).
	SyncFloor int64
	// RemoteState is the sync client's memo (remote ctag, sync token,
	// HTTP validators), JSON.
	RemoteState  []byte
	Problem      string // why the last sync failed; "" when it worked
	ProblemSince time.Time
	LastSync     time.Time // last successful sync
	LastAttempt  time.Time
	NextSync     time.Time
	Created      time.Time
	Updated      time.Time
}

// CalendarObject is one calendar object resource (RFC 4791 §4.1): the
// components of one UID, with the time bounds of all their instances.
type CalendarObject struct {
	AccountID  string
	CalendarID string
	Name       string // resource name in the collection ("abc.ics"), or a remote href
	UID        string
	Origin     string
	ETag       string // ours: a hash of Data
	RemoteETag string // the source's, for incremental sync
	Data       []byte // iCalendar text; empty when not loaded
	// Start and End bound every instance (End is far in the future for
	// an endless recurrence).
	Start, End time.Time
	Busy       int
	Seq        int64 // the calendar's SyncSeq at the last change
	Modified   time.Time
}

// BusyObject is what busy time needs of a calendar object: for BusyExact
// its interval; for BusyExpand its UID, ETag and data as well.
type BusyObject struct {
	CalendarID string
	UID        string
	ETag       string
	Data       []byte
	Start, End time.Time
	Busy       int
	Modified   time.Time
}

// CalendarChange is an entry of a calendar's change log: the last change
// of one object name.
type CalendarChange struct {
	Name    string
	Seq     int64
	Deleted bool
}

// Calendars stores calendars, their objects and change logs.
type Calendars interface {
	// CreateCalendar adds a calendar; ErrConflict if its ID is taken (a
	// user's built-in calendar exists).
	CreateCalendar(ctx context.Context, c *Calendar) error
	Calendar(ctx context.Context, accountID, id string) (*Calendar, error)
	// UserCalendars lists the calendars of some users of an account,
	// ordered by user then ID.
	UserCalendars(ctx context.Context, accountID string, userIDs []string) ([]Calendar, error)
	// SaveCalendarSync writes a source's sync outcome: remote state,
	// problem, times. It ends the claim; when a sync was asked for while
	// it ran (ScheduleCalendarSync), the next sync is due at
	// c.LastAttempt instead of c.NextSync.
	SaveCalendarSync(ctx context.Context, c *Calendar) error
	DeleteCalendar(ctx context.Context, accountID, id string) error
	// DueCalendars lists sources of any account whose next sync is due,
	// the most overdue first, at most perAccount of each account (its
	// most overdue ones): one account's many sources cannot fill the list.
	DueCalendars(ctx context.Context, now time.Time, perAccount, limit int) ([]Calendar, error)
	// ClaimCalendarSyncNow claims a source's sync now, whenever its next
	// one was due, unless a sync of it runs (its claim ends after now):
	// a sync asked for by its user. It reports whether this caller got it.
	ClaimCalendarSyncNow(ctx context.Context, accountID, id string, now, until time.Time) (bool, error)
	// ClaimCalendarSync moves a due source's next sync to until and
	// reports whether this caller got it (no other node did first).
	ClaimCalendarSync(ctx context.Context, accountID, id string, now, until time.Time) (bool, error)

	// BumpCalendarSeq raises the calendar's SyncSeq and returns it. Inside
	// a transaction it locks the calendar row, so that writers of one
	// calendar take turns.
	BumpCalendarSeq(ctx context.Context, accountID, id string) (int64, error)
	// PruneCalendarChanges drops the tombstones at or below seq and raises
	// the calendar's SyncFloor to seq.
	PruneCalendarChanges(ctx context.Context, accountID, id string, seq int64) error

	CalendarObject(ctx context.Context, accountID, calendarID, name string) (*CalendarObject, error)
	// CalendarObjectByUID finds the object of a UID in a calendar Convene
	// keeps (the copies of sources may hold a UID more than once).
	CalendarObjectByUID(ctx context.Context, accountID, calendarID, uid string) (*CalendarObject, error)
	// CalendarObjectCounts counts the objects of some calendars.
	CalendarObjectCounts(ctx context.Context, accountID string, calendarIDs []string) (map[string]int, error)
	// CalendarUsage returns the objects of a calendar and the bytes of
	// their data (a user's quota, counted on their built-in calendar).
	CalendarUsage(ctx context.Context, accountID, calendarID string) (CalendarUsage, error)
	// CalendarObjects lists a calendar's objects by name, with their data
	// when withData.
	CalendarObjects(ctx context.Context, accountID, calendarID string, withData bool) ([]CalendarObject, error)
	// CalendarObjectsByName loads the named objects that exist, with data.
	CalendarObjectsByName(ctx context.Context, accountID, calendarID string, names []string) ([]CalendarObject, error)
	// CalendarObjectsInRange lists the objects of some calendars whose
	// bounds meet [from, to), with their data, by calendar and start.
	CalendarObjectsInRange(ctx context.Context, accountID string, calendarIDs []string, from, to time.Time) ([]CalendarObject, error)
	// BusyObjectsInRange lists what busy time needs of the objects of
	// some calendars meeting [from, to): the bounds of BusyExact ones
	// (read from an index), the data of BusyExpand ones; BusyFree ones
	// are left out, and so are the objects of ignoreUIDs.
	BusyObjectsInRange(ctx context.Context, accountID string, calendarIDs []string, from, to time.Time, ignoreUIDs []string) ([]BusyObject, error)
	// PutCalendarObject inserts or replaces an object (by calendar and
	// name) at seq and records the change.
	PutCalendarObject(ctx context.Context, o *CalendarObject) error
	// BumpAndPutCalendarObject is BumpCalendarSeq then PutCalendarObject
	// at the new seq (set in o.Seq and returned): one statement on
	// PostgreSQL. ErrNotFound: no such calendar, nothing written.
	BumpAndPutCalendarObject(ctx context.Context, o *CalendarObject) (int64, error)
	// DeleteCalendarObject removes an object at seq and records a
	// tombstone.
	DeleteCalendarObject(ctx context.Context, accountID, calendarID, name string, seq int64) error
	// CalendarChanges returns the log entries after seq, oldest first.
	CalendarChanges(ctx context.Context, accountID, calendarID string, since int64) ([]CalendarChange, error)

	// AppCalendars lists the app calendars (CalendarApp) of an account,
	// by user then ID.
	AppCalendars(ctx context.Context, accountID string) ([]Calendar, error)
	// AppCalendarAccounts lists the accounts that have app calendars or
	// channels.
	AppCalendarAccounts(ctx context.Context) ([]string, error)
	// ScheduleCalendarSync brings a source's next sync forward to at
	// (never later than it is) and reports whether it moved. While a
	// claimed sync runs it moves nothing: the sync after it is asked for
	// at its end (SaveCalendarSync), never beside it.
	ScheduleCalendarSync(ctx context.Context, accountID, id string, at time.Time) (bool, error)

	// PutCalendarChannel saves the channel of a calendar, replacing the
	// one it had.
	PutCalendarChannel(ctx context.Context, ch *CalendarChannel) error
	// CalendarChannel returns the channel of a calendar.
	CalendarChannel(ctx context.Context, accountID, calendarID string) (*CalendarChannel, error)
	// CalendarChannelByID finds a channel by its app and the provider's
	// channel id (any account): for notifications.
	CalendarChannelByID(ctx context.Context, app, channelID string) (*CalendarChannel, error)
	// DeleteCalendarChannel removes the channel of a calendar.
	DeleteCalendarChannel(ctx context.Context, accountID, calendarID string) error
	// CalendarChannels lists the channels of an account, also those whose
	// calendar is gone (channels outlive their calendars until they are
	// stopped at the provider).
	CalendarChannels(ctx context.Context, accountID string) ([]CalendarChannel, error)
}

// CalendarChannel is a change-notification channel an app opened for an
// app calendar (video.Channel), its token sealed.
type CalendarChannel struct {
	CalendarID string
	AccountID  string
	App        string
	// ChannelID and Resource are the provider's (video.Channel's ID and
	// Resource); UserEmail whose calendar it watches.
	ChannelID, Resource, UserEmail string
	// Token is the channel's token, sealed.
	Token   string
	Expires time.Time
	Created time.Time
	Updated time.Time
}

var _ Calendars = (*DB)(nil)

const calendarColumns = `id, account_id, user_id, kind, name, url, username, secret, sync_seq, sync_floor, remote_state,
	problem, problem_since_ms, last_sync_ms, last_attempt_ms, next_sync_ms, created_ms, updated_ms, app`

func scanCalendar(row interface{ Scan(...any) error }) (*Calendar, error) {
	var c Calendar
	var state string
	var since, last, attempt, next, created, updated int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.UserID, &c.Kind, &c.Name, &c.URL, &c.Username, &c.Secret, &c.SyncSeq,
		&c.SyncFloor, &state, &c.Problem, &since, &last, &attempt, &next, &created, &updated, &c.App); err != nil {
		return nil, err
	}
	c.RemoteState = []byte(state)
	c.ProblemSince, c.LastSync, c.LastAttempt, c.NextSync = fromMS(since), fromMS(last), fromMS(attempt), fromMS(next)
	c.Created, c.Updated = fromMS(created), fromMS(updated)
	return &c, nil
}

// CreateCalendar implements Calendars.
//
// A taken ID is ErrConflict without an error from the database, so that a
// PostgreSQL transaction that races to create a user's built-in calendar
// goes on.
func (db *DB) CreateCalendar(ctx context.Context, c *Calendar) error {
	res, err := db.w().ExecContext(ctx, `INSERT INTO calendars (`+calendarColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
		ON CONFLICT (id) DO NOTHING`,
		c.ID, c.AccountID, c.UserID, c.Kind, c.Name, c.URL, c.Username, c.Secret, c.SyncSeq, c.SyncFloor,
		jsonOr(c.RemoteState), c.Problem, ms(c.ProblemSince), ms(c.LastSync), ms(c.LastAttempt), ms(c.NextSync),
		ms(c.Created), ms(c.Updated), c.App)
	if err != nil {
		return db.wrap(err, "create calendar %s", c.ID)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("store: create calendar %s: %w", c.ID, ErrConflict)
	}
	return nil
}

// Calendar implements Calendars.
func (db *DB) Calendar(ctx context.Context, accountID, id string) (*Calendar, error) {
	c, err := scanCalendar(db.r().QueryRowContext(ctx, `SELECT `+calendarColumns+` FROM calendars
		WHERE account_id = $1 AND id = $2`, accountID, id))
	return c, db.wrap(err, "load calendar %s", id)
}

// inList returns "$n, $n+1, …" for k values starting at placeholder n.
func inList(n, k int) string {
	var b strings.Builder
	for i := range k {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(n+i))
	}
	return b.String()
}

func (db *DB) queryCalendars(ctx context.Context, what, q string, args ...any) ([]Calendar, error) {
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []Calendar
	for rows.Next() {
		c, err := scanCalendar(rows)
		if err != nil {
			return nil, db.wrap(err, "%s", what)
		}
		out = append(out, *c)
	}
	return out, db.wrap(rows.Err(), "%s", what)
}

// UserCalendars implements Calendars.
func (db *DB) UserCalendars(ctx context.Context, accountID string, userIDs []string) ([]Calendar, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := []any{accountID}
	for _, id := range userIDs {
		args = append(args, id)
	}
	return db.queryCalendars(ctx, "list calendars", `SELECT `+calendarColumns+` FROM calendars
		WHERE account_id = $1 AND user_id IN (`+inList(2, len(userIDs))+`) ORDER BY user_id, id`, args...)
}

// SaveCalendarSync implements Calendars.
func (db *DB) SaveCalendarSync(ctx context.Context, c *Calendar) error {
	// A change notified while this sync ran (sync_again) brings the next
	// one to the end of this one; either way the claim ends.
	res, err := db.w().ExecContext(ctx, `UPDATE calendars SET name = $3, remote_state = $4, problem = $5,
		problem_since_ms = $6, last_sync_ms = $7, last_attempt_ms = $8,
		next_sync_ms = CASE WHEN sync_again <> 0 AND CAST($8 AS BIGINT) < CAST($9 AS BIGINT) THEN CAST($8 AS BIGINT) ELSE CAST($9 AS BIGINT) END,
		updated_ms = $10, claimed_until_ms = 0, sync_again = 0
		WHERE account_id = $1 AND id = $2`,
		c.AccountID, c.ID, c.Name, jsonOr(c.RemoteState), c.Problem, ms(c.ProblemSince), ms(c.LastSync),
		ms(c.LastAttempt), ms(c.NextSync), ms(c.Updated))
	return db.mustAffect(res, err, "save calendar sync %s", c.ID)
}

// DeleteCalendar implements Calendars.
func (db *DB) DeleteCalendar(ctx context.Context, accountID, id string) error {
	res, err := db.w().ExecContext(ctx, `DELETE FROM calendars WHERE account_id = $1 AND id = $2`, accountID, id)
	return db.mustAffect(res, err, "delete calendar %s", id)
}

// DueCalendars implements Calendars.
func (db *DB) DueCalendars(ctx context.Context, now time.Time, perAccount, limit int) ([]Calendar, error) {
	return db.queryCalendars(ctx, "list due calendars", `SELECT `+calendarColumns+` FROM (
			SELECT `+calendarColumns+`, row_number() OVER (PARTITION BY account_id ORDER BY next_sync_ms, id) AS nth
			FROM calendars WHERE kind <> 'builtin' AND next_sync_ms <= $1
		) due WHERE nth <= $2 ORDER BY next_sync_ms, id LIMIT $3`, ms(now), perAccount, limit)
}

// ClaimCalendarSync implements Calendars.
func (db *DB) ClaimCalendarSync(ctx context.Context, accountID, id string, now, until time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE calendars SET next_sync_ms = $4, claimed_until_ms = $4, sync_again = 0
		WHERE account_id = $1 AND id = $2 AND next_sync_ms <= $3`, accountID, id, ms(now), ms(until))
	if err != nil {
		return false, db.wrap(err, "claim calendar sync %s", id)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim calendar sync %s", id)
}

// ClaimCalendarSyncNow implements Calendars.
func (db *DB) ClaimCalendarSyncNow(ctx context.Context, accountID, id string, now, until time.Time) (bool, error) {
	res, err := db.w().ExecContext(ctx, `UPDATE calendars SET next_sync_ms = $4, claimed_until_ms = $4, sync_again = 0
		WHERE account_id = $1 AND id = $2 AND claimed_until_ms <= $3`, accountID, id, ms(now), ms(until))
	if err != nil {
		return false, db.wrap(err, "claim calendar sync %s", id)
	}
	n, err := res.RowsAffected()
	return n == 1, db.wrap(err, "claim calendar sync %s", id)
}

// BumpCalendarSeq implements Calendars.
func (db *DB) BumpCalendarSeq(ctx context.Context, accountID, id string) (int64, error) {
	var seq int64
	err := db.w().QueryRowContext(ctx, `UPDATE calendars SET sync_seq = sync_seq + 1
		WHERE account_id = $1 AND id = $2 RETURNING sync_seq`, accountID, id).Scan(&seq)
	return seq, db.wrap(err, "bump calendar %s", id)
}

// PruneCalendarChanges implements Calendars.
func (db *DB) PruneCalendarChanges(ctx context.Context, accountID, id string, seq int64) error {
	return db.InTx(ctx, func(tx *DB) error {
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM calendar_changes
			WHERE account_id = $1 AND calendar_id = $2 AND deleted AND seq <= $3`, accountID, id, seq); err != nil {
			return tx.wrap(err, "prune calendar %s", id)
		}
		res, err := tx.w().ExecContext(ctx, `UPDATE calendars SET sync_floor = $3
			WHERE account_id = $1 AND id = $2 AND sync_floor < $3`, accountID, id, seq)
		return tx.wrap(ignoreAffected(res, err), "prune calendar %s", id)
	})
}

func ignoreAffected(_ sql.Result, err error) error { return err }

const objectColumns = `account_id, calendar_id, name, uid, origin, etag, remote_etag, start_ms, end_ms, busy, seq, modified_ms`

func scanObject(row interface{ Scan(...any) error }, data bool) (*CalendarObject, error) {
	var o CalendarObject
	var start, end, mod int64
	dest := []any{&o.AccountID, &o.CalendarID, &o.Name, &o.UID, &o.Origin, &o.ETag, &o.RemoteETag, &start, &end, &o.Busy, &o.Seq, &mod}
	var text string
	if data {
		dest = append(dest, &text)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	o.Start, o.End, o.Modified = time.UnixMilli(start).UTC(), time.UnixMilli(end).UTC(), fromMS(mod)
	if data {
		o.Data = []byte(text)
	}
	return &o, nil
}

func (db *DB) queryObjects(ctx context.Context, data bool, what, q string, args ...any) ([]CalendarObject, error) {
	rows, err := db.r().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, db.wrap(err, "%s", what)
	}
	defer rows.Close()
	var out []CalendarObject
	for rows.Next() {
		o, err := scanObject(rows, data)
		if err != nil {
			return nil, db.wrap(err, "%s", what)
		}
		out = append(out, *o)
	}
	return out, db.wrap(rows.Err(), "%s", what)
}

// CalendarObject implements Calendars.
func (db *DB) CalendarObject(ctx context.Context, accountID, calendarID, name string) (*CalendarObject, error) {
	o, err := scanObject(db.r().QueryRowContext(ctx, `SELECT `+objectColumns+`, data FROM calendar_objects
		WHERE account_id = $1 AND calendar_id = $2 AND name = $3`, accountID, calendarID, name), true)
	return o, db.wrap(err, "load calendar object %s", name)
}

// CalendarObjectByUID implements Calendars.
func (db *DB) CalendarObjectByUID(ctx context.Context, accountID, calendarID, uid string) (*CalendarObject, error) {
	o, err := scanObject(db.r().QueryRowContext(ctx, `SELECT `+objectColumns+`, data FROM calendar_objects
		WHERE account_id = $1 AND calendar_id = $2 AND uid = $3 AND origin <> 'remote'`, accountID, calendarID, uid), true)
	return o, db.wrap(err, "load calendar object with UID %s", uid)
}

// CalendarObjectCounts implements Calendars.
func (db *DB) CalendarObjectCounts(ctx context.Context, accountID string, calendarIDs []string) (map[string]int, error) {
	out := map[string]int{}
	if len(calendarIDs) == 0 {
		return out, nil
	}
	args := []any{accountID}
	for _, id := range calendarIDs {
		args = append(args, id)
	}
	rows, err := db.r().QueryContext(ctx, `SELECT calendar_id, count(*) FROM calendar_objects
		WHERE account_id = $1 AND calendar_id IN (`+inList(2, len(calendarIDs))+`) GROUP BY calendar_id`, args...)
	if err != nil {
		return nil, db.wrap(err, "count calendar objects")
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, db.wrap(err, "count calendar objects")
		}
		out[id] = n
	}
	return out, db.wrap(rows.Err(), "count calendar objects")
}

// CalendarUsage is what a calendar holds: its objects and their bytes.
type CalendarUsage struct {
	Objects int
	Bytes   int64
}

// CalendarUsage implements Calendars.
func (db *DB) CalendarUsage(ctx context.Context, accountID, calendarID string) (CalendarUsage, error) {
	var u CalendarUsage
	err := db.r().QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM calendar_objects
		WHERE account_id = $1 AND calendar_id = $2`, accountID, calendarID).Scan(&u.Objects, &u.Bytes)
	return u, db.wrap(err, "calendar usage %s", calendarID)
}

// CalendarObjects implements Calendars.
func (db *DB) CalendarObjects(ctx context.Context, accountID, calendarID string, withData bool) ([]CalendarObject, error) {
	cols := objectColumns
	if withData {
		cols += ", data"
	}
	return db.queryObjects(ctx, withData, "list calendar objects", `SELECT `+cols+` FROM calendar_objects
		WHERE account_id = $1 AND calendar_id = $2 ORDER BY name`, accountID, calendarID)
}

// CalendarObjectsByName implements Calendars.
func (db *DB) CalendarObjectsByName(ctx context.Context, accountID, calendarID string, names []string) ([]CalendarObject, error) {
	var out []CalendarObject
	// Bounded batches keep every statement under the engines' parameter
	// limits.
	for len(names) > 0 {
		n := min(len(names), 500)
		args := []any{accountID, calendarID}
		for _, name := range names[:n] {
			args = append(args, name)
		}
		part, err := db.queryObjects(ctx, true, "load calendar objects", `SELECT `+objectColumns+`, data FROM calendar_objects
			WHERE account_id = $1 AND calendar_id = $2 AND name IN (`+inList(3, n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
		names = names[n:]
	}
	return out, nil
}

// dayMS is a day in milliseconds: the length under which objects are
// found by their start.
const dayMS = 86_400_000

// rangeWhere is the condition of objects meeting [$2, $3) in two disjoint
// parts, each on its index (migration 0004): objects starting less than a
// day before the window ($4; every object of a day or less that meets the
// window does), and longer ones that start earlier. The cost follows the
// objects near the window, not the size of the calendars. The calendar
// IDs are the placeholders in.
func rangeWhere(in, extra string) [2]string {
	return [2]string{
		`account_id = $1 AND calendar_id IN (` + in + `) AND start_ms > $4 AND start_ms < $3 AND end_ms > $2` + extra,
		`account_id = $1 AND calendar_id IN (` + in + `) AND end_ms - start_ms > 86400000 AND end_ms > $2 AND start_ms <= $4` + extra,
	}
}

func rangeArgs(accountID string, calendarIDs []string, from, to time.Time) []any {
	args := []any{accountID, from.UnixMilli(), to.UnixMilli(), from.UnixMilli() - dayMS}
	for _, id := range calendarIDs {
		args = append(args, id)
	}
	return args
}

// CalendarObjectsInRange implements Calendars.
func (db *DB) CalendarObjectsInRange(ctx context.Context, accountID string, calendarIDs []string, from, to time.Time) ([]CalendarObject, error) {
	if len(calendarIDs) == 0 {
		return nil, nil
	}
	w := rangeWhere(inList(5, len(calendarIDs)), "")
	return db.queryObjects(ctx, true, "list calendar objects in range", `SELECT `+objectColumns+`, data FROM calendar_objects WHERE `+w[0]+`
		UNION ALL SELECT `+objectColumns+`, data FROM calendar_objects WHERE `+w[1]+`
		ORDER BY 2, 8`, rangeArgs(accountID, calendarIDs, from, to)...)
}

// BusyObjectsInRange implements Calendars.
func (db *DB) BusyObjectsInRange(ctx context.Context, accountID string, calendarIDs []string, from, to time.Time, ignoreUIDs []string) ([]BusyObject, error) {
	if len(calendarIDs) == 0 {
		return nil, nil
	}
	args := rangeArgs(accountID, calendarIDs, from, to)
	in := inList(5, len(calendarIDs))
	ignore := ""
	if len(ignoreUIDs) > 0 {
		ignore = " AND uid NOT IN (" + inList(len(args)+1, len(ignoreUIDs)) + ")"
		for _, u := range ignoreUIDs {
			args = append(args, u)
		}
	}
	var out []BusyObject
	// Single events: bounds from the index alone (unless UIDs are
	// ignored).
	w := rangeWhere(in, " AND busy = 1"+ignore)
	rows, err := db.r().QueryContext(ctx, `SELECT calendar_id, start_ms, end_ms FROM calendar_objects WHERE `+w[0]+`
		UNION ALL SELECT calendar_id, start_ms, end_ms FROM calendar_objects WHERE `+w[1], args...)
	if err != nil {
		return nil, db.wrap(err, "list busy objects")
	}
	defer rows.Close()
	for rows.Next() {
		o := BusyObject{Busy: BusyExact}
		var s, e int64
		if err := rows.Scan(&o.CalendarID, &s, &e); err != nil {
			return nil, db.wrap(err, "list busy objects")
		}
		o.Start, o.End = time.UnixMilli(s).UTC(), time.UnixMilli(e).UTC()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, db.wrap(err, "list busy objects")
	}
	rows.Close()
	// Objects to expand: with their data.
	w = rangeWhere(in, " AND busy = 2"+ignore)
	rows, err = db.r().QueryContext(ctx, `SELECT calendar_id, uid, etag, data, start_ms, end_ms, modified_ms FROM calendar_objects WHERE `+w[0]+`
		UNION ALL SELECT calendar_id, uid, etag, data, start_ms, end_ms, modified_ms FROM calendar_objects WHERE `+w[1], args...)
	if err != nil {
		return nil, db.wrap(err, "list busy objects")
	}
	defer rows.Close()
	for rows.Next() {
		o := BusyObject{Busy: BusyExpand}
		var s, e, m int64
		var data string
		if err := rows.Scan(&o.CalendarID, &o.UID, &o.ETag, &data, &s, &e, &m); err != nil {
			return nil, db.wrap(err, "list busy objects")
		}
		o.Data, o.Start, o.End, o.Modified = []byte(data), time.UnixMilli(s).UTC(), time.UnixMilli(e).UTC(), fromMS(m)
		out = append(out, o)
	}
	return out, db.wrap(rows.Err(), "list busy objects")
}

// PutCalendarObject implements Calendars.
func (db *DB) PutCalendarObject(ctx context.Context, o *CalendarObject) error {
	return db.InTx(ctx, func(tx *DB) error {
		_, err := tx.w().ExecContext(ctx, `INSERT INTO calendar_objects (`+objectColumns+`, data, size)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (calendar_id, name) DO UPDATE SET uid = $4, origin = $5, etag = $6, remote_etag = $7,
				start_ms = $8, end_ms = $9, busy = $10, seq = $11, modified_ms = $12, data = $13, size = $14
			WHERE calendar_objects.account_id = $1`,
			o.AccountID, o.CalendarID, o.Name, o.UID, o.Origin, o.ETag, o.RemoteETag, o.Start.UnixMilli(), o.End.UnixMilli(),
			o.Busy, o.Seq, ms(o.Modified), string(o.Data), len(o.Data))
		if err != nil {
			return tx.wrap(err, "put calendar object %s", o.Name)
		}
		return tx.logChange(ctx, o.AccountID, o.CalendarID, o.Name, o.Seq, false)
	})
}

// BumpAndPutCalendarObject implements Calendars.
func (db *DB) BumpAndPutCalendarObject(ctx context.Context, o *CalendarObject) (int64, error) {
	if db.d.name() != "postgres" {
		// SQLite answers in-process: three statements cost less than a
		// statement SQLite could not run (no writes in a WITH).
		seq, err := db.BumpCalendarSeq(ctx, o.AccountID, o.CalendarID)
		if err != nil {
			return 0, err
		}
		o.Seq = seq
		return seq, db.PutCalendarObject(ctx, o)
	}
	// One round trip where three would do. The statements of a WITH see
	// one snapshot, each other's results, and all run to completion: the
	// object and its change take the sequence the UPDATE returns, and
	// nothing is written when it finds no calendar.
	var seq int64
	err := db.w().QueryRowContext(ctx, `WITH c AS (
			UPDATE calendars SET sync_seq = sync_seq + 1 WHERE account_id = $1 AND id = $2 RETURNING sync_seq
		), o AS (
			INSERT INTO calendar_objects (`+objectColumns+`, data, size)
			SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::bigint, $9::bigint,
				$10::integer, c.sync_seq, $11::bigint, $12::text, $13::bigint FROM c
			ON CONFLICT (calendar_id, name) DO UPDATE SET uid = EXCLUDED.uid, origin = EXCLUDED.origin, etag = EXCLUDED.etag,
				remote_etag = EXCLUDED.remote_etag, start_ms = EXCLUDED.start_ms, end_ms = EXCLUDED.end_ms, busy = EXCLUDED.busy,
				seq = EXCLUDED.seq, modified_ms = EXCLUDED.modified_ms, data = EXCLUDED.data, size = EXCLUDED.size
				WHERE calendar_objects.account_id = $1
			RETURNING seq
		), l AS (
			INSERT INTO calendar_changes (account_id, calendar_id, name, seq, deleted)
			SELECT $1, $2, $3, c.sync_seq, false FROM c
			ON CONFLICT (calendar_id, name) DO UPDATE SET seq = EXCLUDED.seq, deleted = false
				WHERE calendar_changes.account_id = $1
		)
		SELECT sync_seq FROM c`,
		o.AccountID, o.CalendarID, o.Name, o.UID, o.Origin, o.ETag, o.RemoteETag, o.Start.UnixMilli(), o.End.UnixMilli(),
		o.Busy, ms(o.Modified), string(o.Data), len(o.Data)).Scan(&seq)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, db.wrap(err, "bump calendar %s", o.CalendarID)
		}
		return 0, db.wrap(err, "put calendar object %s", o.Name)
	}
	o.Seq = seq
	return seq, nil
}

func (db *DB) logChange(ctx context.Context, accountID, calendarID, name string, seq int64, deleted bool) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO calendar_changes (account_id, calendar_id, name, seq, deleted)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (calendar_id, name) DO UPDATE SET seq = $4, deleted = $5 WHERE calendar_changes.account_id = $1`,
		accountID, calendarID, name, seq, deleted)
	return db.wrap(err, "log calendar change %s", name)
}

// DeleteCalendarObject implements Calendars.
func (db *DB) DeleteCalendarObject(ctx context.Context, accountID, calendarID, name string, seq int64) error {
	return db.InTx(ctx, func(tx *DB) error {
		res, err := tx.w().ExecContext(ctx, `DELETE FROM calendar_objects WHERE account_id = $1 AND calendar_id = $2 AND name = $3`,
			accountID, calendarID, name)
		if err := tx.mustAffect(res, err, "delete calendar object %s", name); err != nil {
			return err
		}
		return tx.logChange(ctx, accountID, calendarID, name, seq, true)
	})
}

// CalendarChanges implements Calendars.
func (db *DB) CalendarChanges(ctx context.Context, accountID, calendarID string, since int64) ([]CalendarChange, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT name, seq, deleted FROM calendar_changes
		WHERE account_id = $1 AND calendar_id = $2 AND seq > $3 ORDER BY seq, name`, accountID, calendarID, since)
	if err != nil {
		return nil, db.wrap(err, "list calendar changes")
	}
	defer rows.Close()
	var out []CalendarChange
	for rows.Next() {
		var c CalendarChange
		if err := rows.Scan(&c.Name, &c.Seq, &c.Deleted); err != nil {
			return nil, db.wrap(err, "list calendar changes")
		}
		out = append(out, c)
	}
	return out, db.wrap(rows.Err(), "list calendar changes")
}

// AppCalendars implements Calendars.
func (db *DB) AppCalendars(ctx context.Context, accountID string) ([]Calendar, error) {
	return db.queryCalendars(ctx, "list app calendars", `SELECT `+calendarColumns+` FROM calendars
		WHERE account_id = $1 AND kind = 'app' ORDER BY user_id, id`, accountID)
}

// AppCalendarAccounts implements Calendars.
func (db *DB) AppCalendarAccounts(ctx context.Context) ([]string, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT account_id FROM calendars WHERE kind = 'app'
		UNION SELECT account_id FROM calendar_channels ORDER BY 1`)
	if err != nil {
		return nil, db.wrap(err, "app calendar accounts")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, db.wrap(err, "app calendar accounts")
		}
		out = append(out, id)
	}
	return out, db.wrap(rows.Err(), "app calendar accounts")
}

// ScheduleCalendarSync implements Calendars.
func (db *DB) ScheduleCalendarSync(ctx context.Context, accountID, id string, at time.Time) (bool, error) {
	// While a sync of the calendar runs (its claim has not ended), the
	// next one is asked for at its end (sync_again) rather than started
	// beside it. One statement: a claim or a save between two would lose
	// the request.
	var moved bool
	err := db.w().QueryRowContext(ctx, `UPDATE calendars SET
			sync_again = CASE WHEN claimed_until_ms > $3 THEN 1 ELSE sync_again END,
			next_sync_ms = CASE WHEN claimed_until_ms > $3 THEN next_sync_ms ELSE $3 END
		WHERE account_id = $1 AND id = $2 AND kind <> 'builtin' AND (claimed_until_ms > $3 OR next_sync_ms > $3)
		RETURNING claimed_until_ms <= $3`, accountID, id, ms(at)).Scan(&moved)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil // due already, or not a synced calendar
	}
	return moved, db.wrap(err, "schedule calendar sync %s", id)
}

const channelColumns = `calendar_id, account_id, app, channel_id, resource, user_email, token, expires_ms, created_ms, updated_ms`

func scanChannel(row interface{ Scan(...any) error }) (*CalendarChannel, error) {
	var ch CalendarChannel
	var exp, created, updated int64
	if err := row.Scan(&ch.CalendarID, &ch.AccountID, &ch.App, &ch.ChannelID, &ch.Resource, &ch.UserEmail, &ch.Token,
		&exp, &created, &updated); err != nil {
		return nil, err
	}
	ch.Expires, ch.Created, ch.Updated = fromMS(exp), fromMS(created), fromMS(updated)
	return &ch, nil
}

// PutCalendarChannel implements Calendars.
func (db *DB) PutCalendarChannel(ctx context.Context, ch *CalendarChannel) error {
	_, err := db.w().ExecContext(ctx, `INSERT INTO calendar_channels (`+channelColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (calendar_id) DO UPDATE SET app = $3, channel_id = $4, resource = $5, user_email = $6, token = $7,
			expires_ms = $8, updated_ms = $10 WHERE calendar_channels.account_id = $2`,
		ch.CalendarID, ch.AccountID, ch.App, ch.ChannelID, ch.Resource, ch.UserEmail, ch.Token, ms(ch.Expires),
		ms(ch.Created), ms(ch.Updated))
	return db.wrap(err, "save calendar channel %s", ch.CalendarID)
}

// CalendarChannel implements Calendars.
func (db *DB) CalendarChannel(ctx context.Context, accountID, calendarID string) (*CalendarChannel, error) {
	ch, err := scanChannel(db.r().QueryRowContext(ctx, `SELECT `+channelColumns+` FROM calendar_channels
		WHERE account_id = $1 AND calendar_id = $2`, accountID, calendarID))
	return ch, db.wrap(err, "load calendar channel %s", calendarID)
}

// CalendarChannelByID implements Calendars.
func (db *DB) CalendarChannelByID(ctx context.Context, app, channelID string) (*CalendarChannel, error) {
	ch, err := scanChannel(db.r().QueryRowContext(ctx, `SELECT `+channelColumns+` FROM calendar_channels
		WHERE app = $1 AND channel_id = $2`, app, channelID))
	return ch, db.wrap(err, "find calendar channel")
}

// DeleteCalendarChannel implements Calendars.
func (db *DB) DeleteCalendarChannel(ctx context.Context, accountID, calendarID string) error {
	res, err := db.w().ExecContext(ctx, `DELETE FROM calendar_channels WHERE account_id = $1 AND calendar_id = $2`, accountID, calendarID)
	return db.mustAffect(res, err, "delete calendar channel %s", calendarID)
}

// CalendarChannels implements Calendars.
func (db *DB) CalendarChannels(ctx context.Context, accountID string) ([]CalendarChannel, error) {
	rows, err := db.r().QueryContext(ctx, `SELECT `+channelColumns+` FROM calendar_channels
		WHERE account_id = $1 ORDER BY calendar_id`, accountID)
	if err != nil {
		return nil, db.wrap(err, "list calendar channels")
	}
	defer rows.Close()
	var out []CalendarChannel
	for rows.Next() {
		ch, err := scanChannel(rows)
		if err != nil {
			return nil, db.wrap(err, "list calendar channels")
		}
		out = append(out, *ch)
	}
	return out, db.wrap(rows.Err(), "list calendar channels")
}
