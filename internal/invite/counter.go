package invite

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// Counter is an attendee's proposal of another time for a meeting, read
// from an iTIP COUNTER (RFC 5546 §3.2.7): the whole event as the attendee
// would like it, of which Convene reads the new times.
//
// As for a Reply, ParseCounter checks the form only: the caller matches
// UID with a meeting, checks that Attendee is one of its attendees and that
// the mail came from that address.
type Counter struct {
	UID      string
	Sequence int
	// RecurrenceID is the original start of the occurrence the proposal is
	// about, zero for the whole meeting.
	RecurrenceID time.Time
	// Start and End are the proposed times.
	Start, End time.Time
	// Attendee is who proposes.
	Attendee Person
	Comment  string
}

// ErrNotCounter: the calendar is well-formed but is not an iTIP COUNTER.
var ErrNotCounter = errors.New("not an iTIP COUNTER")

// ParseCounter reads an iTIP COUNTER: its first VEVENT's UID, SEQUENCE,
// RECURRENCE-ID, proposed DTSTART and DTEND (or DURATION) and its one
// ATTENDEE. Errors are *ReplyError with Kind ErrNotCounter or
// ErrMalformed.
func ParseCounter(b []byte) (*Counter, error) {
	fail := func(kind error, field, format string, args ...any) (*Counter, error) {
		return nil, &ReplyError{Kind: kind, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) > MaxReplySize {
		return fail(ErrMalformed, "", "%d bytes, at most %d", len(b), MaxReplySize)
	}
	cal, err := decodeCalendar(bytes.TrimPrefix(b, []byte("\uFEFF")))
	if err != nil {
		return fail(ErrMalformed, "", "%v", err)
	}
	method := ""
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		method = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if method != "COUNTER" {
		return fail(ErrNotCounter, "METHOD", "%q", method)
	}
	zones := recur.NewZones(cal)
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		var out Counter
		get := func(name string) *ical.Prop { return c.Props.Get(name) }
		p := get(ical.PropUID)
		if p == nil || strings.TrimSpace(unescapeText(p.Value)) == "" {
			return fail(ErrMalformed, ical.PropUID, "missing")
		}
		out.UID = strings.TrimSpace(unescapeText(p.Value))
		if p := get(ical.PropSequence); p != nil {
			n, err := strconv.Atoi(strings.TrimSpace(p.Value))
			if err != nil || n < 0 {
				return fail(ErrMalformed, ical.PropSequence, "%q is not a sequence number", p.Value)
			}
			out.Sequence = n
		}
		p = get(ical.PropDateTimeStart)
		if p == nil {
			return fail(ErrMalformed, ical.PropDateTimeStart, "missing: a COUNTER proposes a start")
		}
		if out.Start, err = readDateTime(p, zones); err != nil {
			return fail(ErrMalformed, ical.PropDateTimeStart, "%v", err)
		}
		switch {
		case get(ical.PropDateTimeEnd) != nil:
			if out.End, err = readDateTime(get(ical.PropDateTimeEnd), zones); err != nil {
				return fail(ErrMalformed, ical.PropDateTimeEnd, "%v", err)
			}
		case get(ical.PropDuration) != nil:
			d, err := get(ical.PropDuration).Duration()
			if err != nil {
				return fail(ErrMalformed, ical.PropDuration, "%v", err)
			}
			out.End = out.Start.Add(d)
		default:
			return fail(ErrMalformed, ical.PropDateTimeEnd, "missing (and no DURATION)")
		}
		if !out.End.After(out.Start) || out.End.Sub(out.Start) > 24*time.Hour {
			return fail(ErrMalformed, ical.PropDateTimeEnd, "the proposed end must be after the start, within a day")
		}
		atts := c.Props.Values(ical.PropAttendee)
		if len(atts) == 0 {
			return fail(ErrMalformed, ical.PropAttendee, "missing: a COUNTER names the attendee who proposes")
		}
		// RFC 5546 §3.2.7 lets the COUNTER carry the whole attendee list;
		// the proposer is the one whose mail it is, which the caller
		// checks: any attendee listed may be that one.
		a := atts[0]
		if len(atts) > 1 {
			for _, x := range atts {
				if ps := strings.ToUpper(x.Params.Get(ical.ParamParticipationStatus)); ps != "" && ps != string(PartStatNeedsAction) {
					a = x
					break
				}
			}
		}
		addr, err := calAddress(a.Value)
		if err != nil {
			return fail(ErrMalformed, ical.PropAttendee, "%v", err)
		}
		out.Attendee = Person{Name: cleanLine(a.Params.Get(ical.ParamCommonName)), Email: addr}
		if p := get(ical.PropRecurrenceID); p != nil {
			if out.RecurrenceID, err = readDateTime(p, zones); err != nil {
				return fail(ErrMalformed, ical.PropRecurrenceID, "%v", err)
			}
		}
		if p := get(ical.PropComment); p != nil {
			out.Comment = cleanText(unescapeText(p.Value))
		}
		return &out, nil
	}
	return fail(ErrMalformed, "VEVENT", "none")
}
