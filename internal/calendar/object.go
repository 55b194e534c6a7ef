package calendar

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/store"
)

// Far bounds of stored objects: an endless recurrence ends at farFuture.
var (
	farPast   = time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
)

// floatSlack widens the bounds of floating and all-day events: their
// instants depend on the zone of whoever reads them, from UTC-12 to UTC+14.
const floatSlack = 14 * time.Hour

// boundsInstances caps the expansion that finds where a bounded recurrence
// ends; a longer one is treated as endless (its bounds only select which
// objects a query looks at, so wider is safe). boundsIterations caps the
// work of each of its rules the same way.
const (
	boundsInstances  = 5000
	boundsIterations = 100_000
)

// MaxDailyInstances is the most instances an event may have in any 24
// hours (one every 5 minutes): a denser one is refused when stored (an
// import skips it, a CalDAV PUT fails, a feed reports it and its user
// counts as busy). Every read of busy time is bounded anyway (a budget per
// query, a cap per event); this keeps out of the store what would only
// ever exhaust them, as "FREQ=SECONDLY;INTERVAL=7" does, and what no
// calendar program writes for a meeting.
const MaxDailyInstances = 288

// ErrTooDenseEvent is wrapped (with ErrInvalidObject) by the error about
// an event that has more than MaxDailyInstances instances in 24 hours. It
// is what RFC 4791 §5.3.2.1 calls CALDAV:max-instances.
var ErrTooDenseEvent = errors.New("the event repeats too often")

// ErrInvalidObject is wrapped by every error about calendar data Convene
// cannot store.
var ErrInvalidObject = errors.New("invalid calendar object")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidObject, fmt.Sprintf(format, args...))
}

// analysis is what storing an object needs to know of it.
type analysis struct {
	uid        string
	start, end time.Time
	busy       int
}

// analyze checks that cal is one calendar object resource of VEVENTs
// (RFC 4791 §4.1: one UID, no METHOD) whose times Convene can read, and
// returns its UID, the bounds of its instances and its busy class for the
// calendar of owner (an e-mail address: the owner's own PARTSTAT=DECLINED
// frees an event).
func analyze(cal *ical.Calendar, owner string) (*analysis, error) {
	return analyzeWith(cal, owner, nil)
}

// analyzeWith is analyze with its expansion charged to budget (nil: no
// budget). When budget runs out, the error is budget's.
func analyzeWith(cal *ical.Calendar, owner string, budget *recur.Budget) (*analysis, error) {
	if cal == nil || cal.Component == nil || cal.Name != ical.CompCalendar {
		return nil, invalidf("not a VCALENDAR")
	}
	if cal.Props.Get(ical.PropMethod) != nil {
		// RFC 4791 §4.1: objects in a calendar collection carry no METHOD.
		return nil, invalidf("a stored calendar object must not have METHOD (RFC 4791 §4.1)")
	}
	var events []*ical.Component
	uid := ""
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompTimezone:
			continue
		case ical.CompEvent:
		default:
			return nil, invalidf("component %s: this calendar holds events (VEVENT) only", c.Name)
		}
		u, _ := c.Props.Text(ical.PropUID)
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, invalidf("a VEVENT has no UID (RFC 5545 §3.6.1 requires one)")
		}
		if uid != "" && u != uid {
			// RFC 4791 §4.1: one UID per calendar object resource.
			return nil, invalidf("the object mixes UIDs %q and %q; store each in its own resource (RFC 4791 §4.1)", uid, u)
		}
		uid = u
		if c.Props.Get(ical.PropDateTimeStart) == nil && c.Props.Get(ical.PropRecurrenceID) == nil {
			return nil, invalidf("event %q has no DTSTART", u)
		}
		events = append(events, c)
	}
	if len(events) == 0 {
		return nil, invalidf("the object holds no VEVENT")
	}
	a := &analysis{uid: uid}
	// The first instance: the earliest DTSTART, RECURRENCE-ID or RDATE.
	zones := recur.NewZones(cal)
	first := time.Time{}
	for _, c := range events {
		for _, name := range []string{ical.PropDateTimeStart, ical.PropRecurrenceID, ical.PropRecurrenceDates} {
			for _, p := range c.Props.Values(name) {
				vs, err := zones.Values(&p, time.UTC)
				if err != nil {
					return nil, invalidf("event %q: %s: %v", uid, name, err)
				}
				for _, v := range vs {
					if first.IsZero() || v.Time.Before(first) {
						first = v.Time
					}
				}
			}
		}
	}
	for _, c := range events {
		if err := denseRule(zones, c, uid); err != nil {
			return nil, err
		}
	}
	open := endless(events)
	to, most := farFuture, boundsInstances
	if open {
		// Enough to read every component and see a few instances (two
		// days' worth at the densest); the object's bounds run to
		// farFuture anyway.
		to, most = first.AddDate(1, 1, 0), 2*MaxDailyInstances+2
	}
	insts, err := recur.ExpandCalendar(cal, first.AddDate(0, 0, -1), to, recur.Options{
		MaxInstances: most, MaxIterations: boundsIterations, KeepCancelled: true, Budget: budget,
	})
	if berr := budget.Err(); berr != nil {
		return nil, berr
	}
	var ce *recur.ComponentError
	if errors.As(err, &ce) {
		return nil, invalidf("event %q: %v", uid, ce.Err)
	}
	capped := errors.Is(err, recur.ErrCapped)
	if err != nil && !capped {
		return nil, invalidf("event %q: %v", uid, err)
	}
	// The instances are sorted by start: any MaxDailyInstances+1 of them
	// within 24 hours make the event too dense.
	for i := MaxDailyInstances; i < len(insts); i++ {
		if insts[i].Start.Sub(insts[i-MaxDailyInstances].Start) < 24*time.Hour {
			return nil, tooDense(uid, insts[i-MaxDailyInstances].Start)
		}
	}
	recurring, floating := false, false
	allFree := true
	for _, c := range events {
		if c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil ||
			c.Props.Get(ical.PropRecurrenceID) != nil || c.Props.Get("EXRULE") != nil {
			recurring = true
		}
		if !componentFree(c, owner) {
			allFree = false
		}
	}
	for _, in := range insts {
		if in.Floating || in.AllDay {
			floating = true
		}
	}
	switch {
	case len(insts) == 0:
		// Every instance excluded (EXDATE on each): nothing is busy, but
		// keep plausible bounds for time-range queries.
		a.start, a.end = first.UTC(), first.UTC().Add(time.Second)
	case capped || open:
		a.start, a.end = minTime(first.UTC(), insts[0].Start.UTC()), farFuture
	default:
		a.start, a.end = minTime(first.UTC(), insts[0].Start.UTC()), insts[0].End.UTC()
		for _, in := range insts {
			a.start = minTime(a.start, in.Start.UTC())
			a.end = maxTime(a.end, in.End.UTC())
		}
	}
	if floating {
		a.start = a.start.Add(-floatSlack)
		if a.end.Before(farFuture) {
			a.end = a.end.Add(floatSlack)
		}
	}
	if !a.end.After(a.start) {
		// A zero-length event still matches time-range queries at its
		// start (RFC 4791 §9.9).
		a.end = a.start.Add(time.Second)
	}
	switch {
	case allFree:
		a.busy = store.BusyFree
	case recurring || floating || len(insts) != 1:
		a.busy = store.BusyExpand
	default:
		a.busy = store.BusyExact
		a.start, a.end = insts[0].Start.UTC(), insts[0].End.UTC()
	}
	return a, nil
}

// denseRule refuses an event whose RRULE yields more than
// MaxDailyInstances instances in the 24 hours after its first one: a
// quick look (a few hundred steps, nothing allocated) that turns away
// "FREQ=SECONDLY" before the expansion of analyze spends thousands of
// instances on it. Rules dense only later are caught by analyze's check of
// the instances.
func denseRule(zones *recur.Zones, c *ical.Component, uid string) error {
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return nil
	}
	start, err := zones.Value(sp, time.UTC)
	if err != nil {
		return nil // analyze's expansion reports it
	}
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		r, err := recur.ParseRule(p.Value)
		if err != nil {
			continue
		}
		it := r.Iterator(start.Time, 20*MaxDailyInstances)
		var firstAt time.Time
		for n := 0; n <= MaxDailyInstances; n++ {
			t, ok := it.Next()
			if !ok {
				break
			}
			if n == 0 {
				firstAt = t
			} else if n == MaxDailyInstances && t.Sub(firstAt) < 24*time.Hour {
				return tooDense(uid, firstAt)
			}
		}
	}
	return nil
}

func tooDense(uid string, from time.Time) error {
	return fmt.Errorf("%w: %w: event %q has more than %d instances in the 24 hours from %s; Convene keeps events that repeat at most every 5 minutes",
		ErrInvalidObject, ErrTooDenseEvent, uid, MaxDailyInstances, from.UTC().Format(time.RFC3339))
}

// endless reports whether any RRULE of the events has neither COUNT nor
// UNTIL (or cannot be read, which the expansion reports).
func endless(events []*ical.Component) bool {
	for _, c := range events {
		for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
			r, err := recur.ParseRule(p.Value)
			if err != nil || (r.Count == 0 && r.Until.IsZero()) {
				return true
			}
		}
	}
	return false
}

// componentFree reports whether an event never blocks owner's time:
// TRANSP:TRANSPARENT (RFC 5545 §3.8.2.7), STATUS:CANCELLED (§3.8.1.11), or
// owner's own ATTENDEE with PARTSTAT=DECLINED (§3.2.12).
func componentFree(c *ical.Component, owner string) bool {
	if s, err := c.Props.Text(ical.PropTransparency); err == nil && strings.EqualFold(strings.TrimSpace(s), "TRANSPARENT") {
		return true
	}
	if s, err := c.Props.Text(ical.PropStatus); err == nil && strings.EqualFold(strings.TrimSpace(s), "CANCELLED") {
		return true
	}
	return declinedBy(c, owner)
}

// declinedBy reports whether owner is an ATTENDEE of c with PARTSTAT=DECLINED.
func declinedBy(c *ical.Component, owner string) bool {
	if owner == "" {
		return false
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		if strings.EqualFold(mailtoAddress(p.Value), owner) {
			return strings.EqualFold(p.Params.Get(ical.ParamParticipationStatus), "DECLINED")
		}
	}
	return false
}

// DeclinedBy reports whether owner (an e-mail address) is an ATTENDEE of
// the event c with PARTSTAT=DECLINED (RFC 5545 §3.2.12): declined events
// are free time.
func DeclinedBy(c *ical.Component, owner string) bool { return declinedBy(c, owner) }

// mailtoAddress returns the address of a CAL-ADDRESS value (RFC 5545
// §3.3.3: usually a mailto: URI).
func mailtoAddress(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return strings.TrimSpace(v)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// etagOf returns the entity tag of stored data: a hash of its octets, so
// that writing the same data twice changes nothing.
func etagOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:12])
}

// encode writes cal as iCalendar text with lines folded at 75 octets
// (RFC 5545 §3.1), which go-ical does not do.
func encode(cal *ical.Calendar) ([]byte, error) {
	var buf bytes.Buffer
	fw := &foldWriter{w: &buf}
	if err := ical.NewEncoder(fw).Encode(cal); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidObject, err)
	}
	return buf.Bytes(), nil
}

// foldWriter folds the content lines go-ical writes (one line, ending in
// CRLF, per Write) at 75 octets without splitting a UTF-8 sequence
// (RFC 5545 §3.1).
type foldWriter struct{ w io.Writer }

func (f *foldWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSuffix(p, []byte("\r\n"))
	if len(line) <= 75 {
		return f.w.Write(p)
	}
	var out bytes.Buffer
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		out.Write(line[:cut])
		out.WriteString("\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	out.Write(line)
	out.WriteString("\r\n")
	if _, err := f.w.Write(out.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// decodeAll decodes every VCALENDAR of an iCalendar stream with
// recur.Decode, the one decoder of the project (a leading byte order mark
// skipped, nesting bounded, go-ical's panics turned into errors).
func decodeAll(data []byte) ([]*ical.Calendar, error) {
	cals, err := recur.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidObject, strings.TrimPrefix(err.Error(), recur.ErrMalformed.Error()+": "))
	}
	return cals, nil
}

// Decode parses iCalendar data holding exactly one VCALENDAR, safely (see
// decodeAll): for the CalDAV server, before go-webdav decodes a PUT body.
func Decode(data []byte) (*ical.Calendar, error) { return decodeOne(data) }

// TrimBOM returns data without the UTF-8 byte order mark some programs
// write at its start (Outlook): for the CalDAV server, whose library
// decodes a PUT body itself.
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte("\uFEFF")) }

// decodeOne decodes exactly one VCALENDAR.
func decodeOne(data []byte) (*ical.Calendar, error) {
	cals, err := decodeAll(data)
	if err != nil {
		return nil, err
	}
	if len(cals) != 1 {
		return nil, invalidf("want one VCALENDAR, got %d", len(cals))
	}
	return cals[0], nil
}
