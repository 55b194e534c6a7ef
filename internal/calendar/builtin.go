package calendar

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// Typed failures of writes to a built-in calendar, for the CalDAV server to
// answer with the right precondition.
var (
	// ErrPrecondition: If-Match or If-None-Match does not hold (HTTP 412).
	ErrPrecondition = errors.New("precondition failed")
	// ErrUIDConflict: another resource of the calendar has the UID
	// (RFC 4791 §5.3.2.1 CALDAV:no-uid-conflict).
	ErrUIDConflict = errors.New("another object of the calendar has this UID")
	// ErrNoObject: no such calendar object.
	ErrNoObject = errors.New("no such calendar object")
)

// errUnchanged rolls back a transaction that would write nothing new.
var errUnchanged = errors.New("unchanged")

// errUserRemoved: the user was removed from the account; writes to their
// built-in calendar, which is gone, change nothing.
var errUserRemoved = fmt.Errorf("user removed: %w", errUnchanged)

// ObjectName is the resource name Convene gives the object of a UID in a
// built-in calendar: safe in a URL whatever the UID holds.
func ObjectName(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:12]) + ".ics"
}

// ImportResult says what an import changed in the built-in calendar.
type ImportResult struct {
	CalendarID string `json:"calendar_id"`
	// Events is the number of imported events (UIDs) now in the calendar.
	Events    int `json:"events"`
	Added     int `json:"added"`
	Changed   int `json:"changed"`
	Removed   int `json:"removed"`
	Unchanged int `json:"unchanged"`
	// Skipped lists what was not imported, and why.
	Skipped []Skipped `json:"skipped"`
}

// Import replaces the imported events of the built-in calendar of the user
// with address email by the events of an iCalendar body (one or more
// VCALENDARs). Events that meetings or CalDAV clients wrote stay; an
// imported UID that one of them already uses is skipped. Importing the same
// data twice changes nothing.
func (s *Service) Import(ctx context.Context, p account.Principal, email string, body io.Reader) (*ImportResult, error) {
	u, err := s.target(ctx, p, email)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(body, s.opts.Limits.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("calendar: read import: %w", err)
	}
	if int64(len(data)) > s.opts.Limits.MaxBytes {
		return nil, failure.New(failure.TooLarge, "the calendar is over %d bytes", s.opts.Limits.MaxBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, failure.New(failure.Malformed, "the body is empty; send an iCalendar file (text/calendar)")
	}
	cals, err := decodeAll(data)
	if err != nil {
		return nil, failure.New(failure.Malformed, "the body is not iCalendar (RFC 5545): %s", reason(err))
	}
	// Reading the events is bounded by the request's context and a
	// budget of expansion work (Limits.ImportSteps).
	budget := recur.NewBudget(ctx, math.MaxInt, s.opts.Limits.ImportSteps)
	objs, skipped, err := splitCalendarsWith(budget, cals, u.Email, s.opts.Limits.MaxObjects)
	if err != nil {
		if errors.Is(err, recur.ErrBudget) {
			return nil, (&failure.Error{Kind: failure.Invalid, Title: "Calendar too dense",
				Detail: fmt.Sprintf("the calendar's recurrences take more work to read than one import may spend (%d steps); import it in parts, or remove the events that repeat every few seconds or minutes", s.opts.Limits.ImportSteps)}).
				Wrap(fmt.Errorf("%w: %w", ErrTooDense, err))
		}
		return nil, failure.New(failure.Unavailable, "the request ended while the calendar was read; try again").Wrap(err)
	}
	if err := s.checkImport(objs); err != nil {
		return nil, err
	}
	return s.importObjects(ctx, u, objs, skipped)
}

func (s *Service) importObjects(ctx context.Context, u *store.User, objs []parsedObject, skipped []Skipped) (*ImportResult, error) {
	res := &ImportResult{Skipped: skipped}
	if res.Skipped == nil {
		res.Skipped = []Skipped{}
	}
	now := s.now().UTC()
	err := s.store.Tx(ctx, func(tx store.Store) error {
		*res = ImportResult{Skipped: res.Skipped}
		cal, err := s.builtin(ctx, tx, u.AccountID, u.ID)
		if err != nil {
			return err
		}
		res.CalendarID = cal.ID
		seq, err := tx.BumpCalendarSeq(ctx, u.AccountID, cal.ID)
		if err != nil {
			return err
		}
		before, err := tx.CalendarUsage(ctx, u.AccountID, cal.ID)
		if err != nil {
			return err
		}
		existing, err := tx.CalendarObjects(ctx, u.AccountID, cal.ID, false)
		if err != nil {
			return err
		}
		byUID := map[string]*store.CalendarObject{}
		byName := map[string]*store.CalendarObject{}
		for i := range existing {
			byUID[existing[i].UID] = &existing[i]
			byName[existing[i].Name] = &existing[i]
		}
		keep := map[string]bool{}
		for _, o := range objs {
			etag := etagOf(o.data)
			name := ObjectName(o.uid)
			if cur := byUID[o.uid]; cur != nil {
				if cur.Origin != store.OriginImport {
					res.Skipped = append(res.Skipped, Skipped{UID: o.uid,
						Reason: fmt.Sprintf("the calendar has this UID from %s; it is not replaced by an import", originText(cur.Origin))})
					continue
				}
				name = cur.Name
				keep[name] = true
				res.Events++
				if cur.ETag == etag {
					res.Unchanged++
					continue
				}
				res.Changed++
			} else {
				if other := byName[name]; other != nil {
					res.Skipped = append(res.Skipped, Skipped{UID: o.uid, Reason: "its resource name is taken by another event"})
					continue
				}
				keep[name] = true
				res.Events++
				res.Added++
			}
			if err := tx.PutCalendarObject(ctx, &store.CalendarObject{AccountID: u.AccountID, CalendarID: cal.ID, Name: name,
				UID: o.uid, Origin: store.OriginImport, ETag: etag, Data: o.data, Start: o.a.start, End: o.a.end,
				Busy: o.a.busy, Seq: seq, Modified: now}); err != nil {
				return err
			}
		}
		for _, cur := range existing {
			if cur.Origin == store.OriginImport && !keep[cur.Name] {
				if err := tx.DeleteCalendarObject(ctx, u.AccountID, cal.ID, cur.Name, seq); err != nil {
					return err
				}
				res.Removed++
			}
		}
		if res.Added+res.Changed+res.Removed == 0 {
			return errUnchanged
		}
		if err := s.checkUsage(ctx, tx, u.AccountID, cal.ID, before); err != nil {
			return err
		}
		return s.pruneLog(ctx, tx, u.AccountID, cal.ID, seq)
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("calendar: import for %s: %w", u.Email, err)
	}
	return res, nil
}

func originText(origin string) string {
	switch origin {
	case store.OriginBooking:
		return "a meeting booked by Convene"
	case store.OriginClient:
		return "a CalDAV client"
	}
	return origin
}

// keepChanges is how many changes of tombstones a calendar keeps for
// sync-collection; a client whose token is older syncs from scratch
// (RFC 6578 §3.2, DAV:valid-sync-token).
const keepChanges = 5000

func (s *Service) pruneLog(ctx context.Context, tx store.Store, accountID, calendarID string, seq int64) error {
	if seq%100 != 0 || seq <= keepChanges {
		return nil
	}
	return tx.PruneCalendarChanges(ctx, accountID, calendarID, seq-keepChanges)
}

// Written describes an event written to a built-in calendar.
type Written struct {
	UID  string
	Name string // the resource name under the user's CalDAV calendar
	ETag string
	// Changed is false when the calendar already held exactly this data.
	Changed bool
}

// WriteEvent writes the event of a booked meeting into the built-in
// calendar of a user (the organizer or an attendee), replacing the object
// with the same UID whoever wrote it: the UID is the meeting's, stable
// across updates. ics holds one VCALENDAR whose VEVENTs (a single event, or
// a series with its overrides) share that UID, with the VTIMEZONEs they
// use; a METHOD (an invitation's REQUEST) is dropped, as RFC 4791 §4.1
// wants for stored objects. Writing the same data again changes nothing,
// so a retried job is harmless. The caller has decided the user may be
// written to.
func (s *Service) WriteEvent(ctx context.Context, accountID, userID string, ics []byte) (*Written, error) {
	u, err := s.store.User(ctx, accountID, userID)
	if err != nil {
		return nil, fmt.Errorf("calendar: write event: %w", err)
	}
	ev, err := PrepareEvent(u, ics)
	if err != nil {
		return nil, err
	}
	return s.writeEvent(ctx, s.store, ev)
}

// Event is a booked meeting's event for one user's built-in calendar, read
// and checked by PrepareEvent, to be written by WriteEventIn.
type Event struct {
	owner *store.User
	data  []byte
	a     *analysis
}

// PrepareEvent reads ics for u's built-in calendar as WriteEvent does, so
// that the work is done before the transaction WriteEventIn runs in.
func PrepareEvent(u *store.User, ics []byte) (*Event, error) {
	cal, err := decodeOne(ics)
	if err != nil {
		return nil, fmt.Errorf("calendar: write event: %w", err)
	}
	cal.Props.Del(ical.PropMethod)
	data, err := encode(cal)
	if err != nil {
		return nil, fmt.Errorf("calendar: write event: %w", err)
	}
	a, err := analyze(cal, u.Email)
	if err != nil {
		return nil, fmt.Errorf("calendar: write event: %w", err)
	}
	return &Event{owner: u, data: data, a: a}, nil
}

// WriteEventIn is WriteEvent of a prepared event inside the caller's
// transaction tx (the Store its Tx gives): the event commits with the
// caller's other writes, or not at all.
func (s *Service) WriteEventIn(ctx context.Context, tx store.Store, ev *Event) (*Written, error) {
	return s.writeEvent(ctx, tx, ev)
}

// WriteNewEventIn is WriteEventIn of the first event ever written with its
// UID (a meeting this very transaction books, or stores as booked): no
// object can hold that UID yet, so none is looked for, and the built-in
// calendar is looked up only when it does not exist yet. Should an object
// hold the UID after all, the store refuses the second one (the UID is
// unique in a calendar) and the transaction fails.
func (s *Service) WriteNewEventIn(ctx context.Context, tx store.Store, ev *Event) (*Written, error) {
	u, data, a := ev.owner, ev.data, ev.a
	accountID := u.AccountID
	w := &Written{UID: a.uid, ETag: etagOf(data), Name: ObjectName(a.uid), Changed: true}
	seq, err := tx.BumpAndPutCalendarObject(ctx, &store.CalendarObject{AccountID: accountID, CalendarID: BuiltinID(u.ID), Name: w.Name,
		UID: a.uid, Origin: store.OriginBooking, ETag: w.ETag, Data: data, Start: a.start, End: a.end, Busy: a.busy,
		Modified: s.now().UTC()})
	if errors.Is(err, store.ErrNotFound) {
		// No built-in calendar yet (nothing written): WriteEventIn makes
		// it, or refuses.
		return s.writeEvent(ctx, tx, ev)
	}
	if err != nil {
		return nil, fmt.Errorf("calendar: write event %s: %w", a.uid, err)
	}
	if err := s.pruneLog(ctx, tx, accountID, BuiltinID(u.ID), seq); err != nil {
		return nil, fmt.Errorf("calendar: write event %s: %w", a.uid, err)
	}
	return w, nil
}

func (s *Service) writeEvent(ctx context.Context, st store.Store, ev *Event) (*Written, error) {
	u, data, a := ev.owner, ev.data, ev.a
	accountID := u.AccountID
	w := &Written{UID: a.uid, ETag: etagOf(data)}
	err := st.Tx(ctx, func(tx store.Store) error {
		c, err := s.builtin(ctx, tx, accountID, u.ID)
		if err != nil {
			return err
		}
		w.Name = ObjectName(a.uid)
		cur, err := tx.CalendarObjectByUID(ctx, accountID, c.ID, a.uid)
		switch {
		case err == nil:
			w.Name = cur.Name
			if cur.ETag == w.ETag && cur.Origin == store.OriginBooking {
				// Nothing written: inside the caller's transaction too,
				// where errUnchanged rolls nothing back.
				return errUnchanged
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		seq, err := tx.BumpCalendarSeq(ctx, accountID, c.ID)
		if err != nil {
			return err
		}
		w.Changed = true
		if err := tx.PutCalendarObject(ctx, &store.CalendarObject{AccountID: accountID, CalendarID: c.ID, Name: w.Name,
			UID: a.uid, Origin: store.OriginBooking, ETag: w.ETag, Data: data, Start: a.start, End: a.end, Busy: a.busy,
			Seq: seq, Modified: s.now().UTC()}); err != nil {
			return err
		}
		return s.pruneLog(ctx, tx, accountID, c.ID, seq)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, fmt.Errorf("calendar: write event %s: %w", a.uid, err)
	}
	return w, nil
}

// DeleteEvent removes the event with uid (a whole series) from a user's
// built-in calendar. Deleting an event that is not there is no error, so a
// retried job is harmless.
func (s *Service) DeleteEvent(ctx context.Context, accountID, userID, uid string) error {
	err := s.store.Tx(ctx, func(tx store.Store) error {
		c, err := s.builtin(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		seq, err := tx.BumpCalendarSeq(ctx, accountID, c.ID)
		if err != nil {
			return err
		}
		cur, err := tx.CalendarObjectByUID(ctx, accountID, c.ID, uid)
		if errors.Is(err, store.ErrNotFound) {
			return errUnchanged
		}
		if err != nil {
			return err
		}
		return tx.DeleteCalendarObject(ctx, accountID, c.ID, cur.Name, seq)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return fmt.Errorf("calendar: delete event %s: %w", uid, err)
	}
	return nil
}

// DeleteOccurrence removes one instance, named by its recurrence ID (its
// original start), from a recurring event of a user's built-in calendar:
// it adds an EXDATE to the series (RFC 5545 §3.8.5.1) and drops an override
// of that instance. On a single event starting at recurrenceID it deletes
// the event. A missing event or instance is no error.
func (s *Service) DeleteOccurrence(ctx context.Context, accountID, userID, uid string, recurrenceID time.Time) error {
	u, err := s.store.User(ctx, accountID, userID)
	if err != nil {
		return fmt.Errorf("calendar: delete occurrence: %w", err)
	}
	err = s.store.Tx(ctx, func(tx store.Store) error {
		c, err := s.builtin(ctx, tx, accountID, userID)
		if err != nil {
			return err
		}
		seq, err := tx.BumpCalendarSeq(ctx, accountID, c.ID)
		if err != nil {
			return err
		}
		cur, err := tx.CalendarObjectByUID(ctx, accountID, c.ID, uid)
		if errors.Is(err, store.ErrNotFound) {
			return errUnchanged
		}
		if err != nil {
			return err
		}
		cal, err := decodeOne(cur.Data)
		if err != nil {
			return err
		}
		whole, changed, err := excludeInstance(cal, recurrenceID)
		if err != nil {
			return err
		}
		if whole {
			return tx.DeleteCalendarObject(ctx, accountID, c.ID, cur.Name, seq)
		}
		if !changed {
			return errUnchanged
		}
		data, err := encode(cal)
		if err != nil {
			return err
		}
		a, err := analyze(cal, u.Email)
		if err != nil {
			return err
		}
		cur.Data, cur.ETag, cur.Start, cur.End, cur.Busy = data, etagOf(data), a.start, a.end, a.busy
		cur.Seq, cur.Modified = seq, s.now().UTC()
		return tx.PutCalendarObject(ctx, cur)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return fmt.Errorf("calendar: delete occurrence of %s: %w", uid, err)
	}
	return nil
}

// excludeInstance removes the instance of cal whose recurrence ID is rid.
// It reports whole when the object is a single event at rid (delete it).
func excludeInstance(cal *ical.Calendar, rid time.Time) (whole, changed bool, err error) {
	zones := recur.NewZones(cal)
	var master *ical.Component
	kept := cal.Children[:0:0]
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			kept = append(kept, c)
			continue
		}
		if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
			if v, err := zones.Value(p, time.UTC); err == nil && v.Time.Equal(rid) {
				changed = true
				continue // the override of the removed instance
			}
		} else if master == nil {
			master = c
		}
		kept = append(kept, c)
	}
	cal.Children = kept
	if master == nil {
		return false, changed, nil
	}
	sp := master.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return false, changed, invalidf("the series has no DTSTART")
	}
	start, err := zones.Value(sp, time.UTC)
	if err != nil {
		return false, changed, err
	}
	if master.Props.Get(ical.PropRecurrenceRule) == nil && master.Props.Get(ical.PropRecurrenceDates) == nil {
		return start.Time.Equal(rid), changed, nil
	}
	ex := ical.NewProp(ical.PropExceptionDates)
	switch {
	case start.Date:
		ex.Params.Set(ical.ParamValue, "DATE")
		ex.Value = rid.In(start.Time.Location()).Format("20060102")
	case start.Floating:
		ex.Value = rid.In(start.Time.Location()).Format("20060102T150405")
	case sp.Params.Get(ical.PropTimezoneID) != "":
		ex.Params.Set(ical.PropTimezoneID, sp.Params.Get(ical.PropTimezoneID))
		ex.Value = rid.In(start.Time.Location()).Format("20060102T150405")
	default:
		ex.Value = rid.UTC().Format("20060102T150405Z")
	}
	master.Props.Add(ex)
	return false, true, nil
}

// Conditions are the preconditions of a CalDAV write (RFC 7232 §3.1,
// §3.2), as received: an entity tag list or "*"; empty when absent.
type Conditions struct {
	IfMatch     string
	IfNoneMatch string
}

// matches reports whether an If-Match / If-None-Match list names etag
// ("*" names any existing resource).
func matches(list, etag string, exists bool) bool {
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		if v == "*" {
			return exists
		}
		v = strings.TrimPrefix(v, "W/")
		if exists && strings.Trim(v, `"`) == etag {
			return true
		}
	}
	return false
}

func (c Conditions) check(cur *store.CalendarObject) error {
	exists := cur != nil
	etag := ""
	if exists {
		etag = cur.ETag
	}
	if c.IfMatch != "" && !matches(c.IfMatch, etag, exists) {
		return fmt.Errorf("%w: If-Match %s does not match the current version", ErrPrecondition, c.IfMatch)
	}
	if c.IfNoneMatch != "" && matches(c.IfNoneMatch, etag, exists) {
		return fmt.Errorf("%w: If-None-Match %s: the resource exists", ErrPrecondition, c.IfNoneMatch)
	}
	return nil
}

// PutClientObject stores a calendar object a CalDAV client sent for the
// resource name of u's built-in calendar (RFC 4791 §5.3.2): data as sent
// (so the ETag answered is the octets stored), cal its parse. It reports
// whether the resource was created.
func (s *Service) PutClientObject(ctx context.Context, u *store.User, name string, data []byte, cal *ical.Calendar, cond Conditions) (*store.CalendarObject, bool, error) {
	a, err := analyze(cal, u.Email)
	if err != nil {
		return nil, false, err
	}
	if err := s.checkObjectSize(a.uid, len(data)); err != nil {
		return nil, false, err
	}
	o := &store.CalendarObject{AccountID: u.AccountID, Name: name, UID: a.uid, Origin: store.OriginClient,
		ETag: etagOf(data), Data: data, Start: a.start, End: a.end, Busy: a.busy}
	created := false
	err = s.store.Tx(ctx, func(tx store.Store) error {
		c, err := s.builtin(ctx, tx, u.AccountID, u.ID)
		if err != nil {
			return err
		}
		o.CalendarID = c.ID
		seq, err := tx.BumpCalendarSeq(ctx, u.AccountID, c.ID)
		if err != nil {
			return err
		}
		cur, err := tx.CalendarObject(ctx, u.AccountID, c.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := cond.check(cur); err != nil {
			return err
		}
		other, err := tx.CalendarObjectByUID(ctx, u.AccountID, c.ID, a.uid)
		if err == nil && other.Name != name {
			return fmt.Errorf("%w: %s holds UID %s", ErrUIDConflict, other.Name, a.uid)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		created = cur == nil
		if cur != nil && cur.ETag == o.ETag && cur.UID == o.UID {
			*o = *cur
			return errUnchanged
		}
		if err := s.checkPut(ctx, tx, u.AccountID, c.ID, cur, len(data)); err != nil {
			return err
		}
		o.Seq, o.Modified = seq, s.now().UTC()
		if err := tx.PutCalendarObject(ctx, o); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: UID %s", ErrUIDConflict, a.uid)
			}
			return err
		}
		return s.pruneLog(ctx, tx, u.AccountID, c.ID, seq)
	})
	if err != nil && !errors.Is(err, errUnchanged) {
		return nil, false, fmt.Errorf("calendar: put %s: %w", name, err)
	}
	return o, created, nil
}

// DeleteClientObject removes a resource of u's built-in calendar, if
// ifMatch (when not empty) names its current version.
func (s *Service) DeleteClientObject(ctx context.Context, u *store.User, name, ifMatch string) error {
	err := s.store.Tx(ctx, func(tx store.Store) error {
		c, err := s.builtin(ctx, tx, u.AccountID, u.ID)
		if err != nil {
			return err
		}
		seq, err := tx.BumpCalendarSeq(ctx, u.AccountID, c.ID)
		if err != nil {
			return err
		}
		cur, err := tx.CalendarObject(ctx, u.AccountID, c.ID, name)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoObject
		}
		if err != nil {
			return err
		}
		if err := (Conditions{IfMatch: ifMatch}).check(cur); err != nil {
			return err
		}
		return tx.DeleteCalendarObject(ctx, u.AccountID, c.ID, name, seq)
	})
	if err != nil {
		return fmt.Errorf("calendar: delete %s: %w", name, err)
	}
	return nil
}
