package invite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // mail in other charsets than UTF-8 (shared/STYLE.md)

	"github.com/convene/convene/internal/recur"
)

// Reply is one attendee's answer about a meeting, or about one of its
// occurrences, read from an iTIP REPLY (RFC 5546 §3.2.3).
//
// ParseReply checks the form, not the right to answer: the caller matches
// UID with a meeting, checks that Attendee is one of its attendees and that
// the mail came from that address (SPF/DKIM/DMARC), and ignores a reply
// whose Sequence is lower than the meeting's (Stale).
type Reply struct {
	UID      string
	Sequence int
	// RecurrenceID is the original start of the occurrence answered for,
	// zero when the answer is about the whole meeting or series.
	RecurrenceID  time.Time
	ThisAndFuture bool
	// Attendee is who answers; Email is as written, compare it without
	// regard to case.
	Attendee Person
	PartStat PartStat
	// DelegatedTo lists the addresses a DELEGATED answer hands over to.
	DelegatedTo []string
	// Comment is the attendee's note (COMMENT), if any.
	Comment string
	// Stamp is DTSTAMP, when the attendee's software wrote the reply.
	Stamp     time.Time
	Organizer string
}

// Stale reports whether the reply answers an older version of the meeting
// than sequence (RFC 5546 §2.1.5): it must not change the attendee's
// response.
func (r Reply) Stale(sequence int) bool { return r.Sequence < sequence }

// Errors of ParseReply, wrapped in a *ReplyError; test them with errors.Is.
var (
	// ErrNotReply: the calendar is well-formed but is not an iTIP REPLY
	// (no METHOD, or another one).
	ErrNotReply = errors.New("not an iTIP REPLY")
	// ErrMalformed: the text is not an iCalendar object, or a property a
	// REPLY needs is missing or wrong.
	ErrMalformed = errors.New("malformed iTIP REPLY")
)

// ReplyError is the error of ParseReply. Kind is ErrNotReply or
// ErrMalformed; Field names the property at fault (empty for the whole
// object) and Event the VEVENT (counted from 1, 0 for the calendar).
type ReplyError struct {
	Kind   error
	Event  int
	Field  string
	Reason string
}

func (e *ReplyError) Error() string {
	var b strings.Builder
	b.WriteString("invite: ")
	b.WriteString(e.Kind.Error())
	if e.Event > 0 {
		fmt.Fprintf(&b, ": event %d", e.Event)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

// Unwrap returns Kind.
func (e *ReplyError) Unwrap() error { return e.Kind }

// MaxReplySize bounds the iCalendar text ParseReply reads.
const MaxReplySize = 1 << 20

// ParseReply reads an iTIP REPLY: one Reply per VEVENT (a reply about
// several occurrences has one VEVENT for each). Every VEVENT must name the
// same UID and the same single ATTENDEE, with a PARTSTAT a REPLY may carry
// (RFC 5546 §3.2.3: ACCEPTED, DECLINED, TENTATIVE, DELEGATED).
func ParseReply(b []byte) ([]Reply, error) {
	fail := func(kind error, ev int, field, format string, args ...any) ([]Reply, error) {
		return nil, &ReplyError{Kind: kind, Event: ev, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) > MaxReplySize {
		return fail(ErrMalformed, 0, "", "%d bytes, at most %d", len(b), MaxReplySize)
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	cal, err := decodeCalendar(b)
	if err != nil {
		return fail(ErrMalformed, 0, "", "%v", err)
	}
	method := ""
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		method = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if method != string(MethodReply) {
		if method == "" {
			return fail(ErrNotReply, 0, "METHOD", "missing")
		}
		return fail(ErrNotReply, 0, "METHOD", "%s", method)
	}
	zones := recur.NewZones(cal)
	var out []Reply
	n := 0
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		n++
		r, field, err := readReplyEvent(c, zones)
		if err != nil {
			return fail(ErrMalformed, n, field, "%v", err)
		}
		if len(out) > 0 {
			if r.UID != out[0].UID {
				return fail(ErrMalformed, n, "UID", "%q differs from the first event's %q", r.UID, out[0].UID)
			}
			if !strings.EqualFold(r.Attendee.Email, out[0].Attendee.Email) {
				return fail(ErrMalformed, n, "ATTENDEE", "%s differs from the first event's %s", r.Attendee.Email, out[0].Attendee.Email)
			}
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return fail(ErrMalformed, 0, "VEVENT", "none (Convene's invitations are events)")
	}
	return out, nil
}

// decodeCalendar reads the first calendar of b through recur.Decode, the
// one decoder of every calendar Convene reads: it skips a UTF-8 byte
// order mark (Outlook writes one), bounds nesting and turns go-ical's
// panics on malformed lines into errors.
func decodeCalendar(b []byte) (*ical.Calendar, error) {
	cals, err := recur.Decode(b)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errors.New("truncated: no END:VCALENDAR")
		}
		return nil, err
	}
	if len(cals) == 0 {
		return nil, errors.New("truncated: no END:VCALENDAR")
	}
	return cals[0], nil
}

func readReplyEvent(c *ical.Component, zones *recur.Zones) (Reply, string, error) {
	var r Reply
	one := func(name string) (*ical.Prop, error) {
		switch ps := c.Props.Values(name); len(ps) {
		case 0:
			return nil, nil
		case 1:
			return &ps[0], nil
		default:
			return nil, fmt.Errorf("%d of them, at most one", len(ps))
		}
	}
	p, err := one(ical.PropUID)
	if err != nil {
		return r, ical.PropUID, err
	}
	if p == nil {
		return r, ical.PropUID, errors.New("missing")
	}
	if r.UID = strings.TrimSpace(unescapeText(p.Value)); r.UID == "" {
		return r, ical.PropUID, errors.New("empty")
	}
	if p, err = one(ical.PropSequence); err != nil {
		return r, ical.PropSequence, err
	} else if p != nil {
		n, err := strconv.Atoi(strings.TrimSpace(p.Value))
		if err != nil || n < 0 {
			return r, ical.PropSequence, fmt.Errorf("%q is not a sequence number", p.Value)
		}
		r.Sequence = n
	}
	if p, err = one(ical.PropDateTimeStamp); err != nil {
		return r, ical.PropDateTimeStamp, err
	} else if p != nil {
		// RFC 5545 §3.8.7.2: DTSTAMP is in UTC.
		t, err := time.Parse("20060102T150405Z", strings.TrimSpace(p.Value))
		if err != nil {
			return r, ical.PropDateTimeStamp, fmt.Errorf("%q is not a UTC date-time", p.Value)
		}
		r.Stamp = t
	}
	if p, err = one(ical.PropOrganizer); err != nil {
		return r, ical.PropOrganizer, err
	} else if p != nil {
		r.Organizer, _ = calAddress(p.Value)
	}
	atts := c.Props.Values(ical.PropAttendee)
	switch len(atts) {
	case 0:
		return r, ical.PropAttendee, errors.New("missing: a REPLY names the attendee who answers")
	case 1:
	default:
		return r, ical.PropAttendee, fmt.Errorf("%d attendees; a REPLY carries only the one who answers", len(atts))
	}
	a := atts[0]
	addr, err := calAddress(a.Value)
	if err != nil {
		return r, ical.PropAttendee, err
	}
	r.Attendee = Person{Name: cleanLine(a.Params.Get(ical.ParamCommonName)), Email: addr}
	ps := strings.ToUpper(strings.TrimSpace(a.Params.Get(ical.ParamParticipationStatus)))
	switch PartStat(ps) {
	case PartStatAccepted, PartStatDeclined, PartStatTentative, PartStatDelegated:
		r.PartStat = PartStat(ps)
	case "":
		return r, ical.ParamParticipationStatus, errors.New("missing on the ATTENDEE")
	default:
		return r, ical.ParamParticipationStatus, fmt.Errorf("%q is not an answer (ACCEPTED, DECLINED, TENTATIVE or DELEGATED)", ps)
	}
	for _, d := range a.Params.Values(ical.ParamDelegatedTo) {
		if addr, err := calAddress(d); err == nil {
			r.DelegatedTo = append(r.DelegatedTo, addr)
		}
	}
	if r.PartStat == PartStatDelegated && len(r.DelegatedTo) == 0 {
		return r, ical.ParamDelegatedTo, errors.New("DELEGATED without a delegate")
	}
	if p, err = one(ical.PropRecurrenceID); err != nil {
		return r, ical.PropRecurrenceID, err
	} else if p != nil {
		t, err := readDateTime(p, zones)
		if err != nil {
			return r, ical.PropRecurrenceID, err
		}
		r.RecurrenceID = t
		r.ThisAndFuture = strings.EqualFold(p.Params.Get(ical.ParamRange), "THISANDFUTURE")
	}
	if ps := c.Props.Values(ical.PropComment); len(ps) > 0 {
		r.Comment = cleanText(unescapeText(ps[0].Value))
	}
	return r, "", nil
}

// unescapeText reads one TEXT value (RFC 5545 §3.3.11) leniently: a bare
// comma is kept (go-ical would split the value there), an unknown escape
// keeps its character.
func unescapeText(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '\\' && i+1 < len(v) {
			i++
			switch v[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(v[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// calAddress reads a CAL-ADDRESS (RFC 5545 §3.3.3) that must be a mailto
// URI.
func calAddress(v string) (string, error) {
	v = strings.TrimSpace(v)
	if len(v) < 7 || !strings.EqualFold(v[:7], "mailto:") {
		return "", fmt.Errorf("%q is not a mailto: address", v)
	}
	addr, err := mailbox(v[7:])
	if err != nil {
		return "", err
	}
	return addr, nil
}

// readDateTime reads a DATE-TIME in UTC or with a TZID, resolved through
// the calendar's VTIMEZONEs, IANA and Windows names (recur.Zones).
func readDateTime(p *ical.Prop, zones *recur.Zones) (time.Time, error) {
	v := strings.TrimSpace(p.Value)
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(v) == 8 {
		return time.Time{}, fmt.Errorf("%q is a date; Convene's meetings have times", v)
	}
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("20060102T150405Z", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date-time", v)
		}
		return t, nil
	}
	tzid := p.Params.Get(ical.ParamTimezoneID)
	if tzid == "" {
		return time.Time{}, fmt.Errorf("%q has neither a time zone nor Z", v)
	}
	loc, err := zones.Location(tzid)
	if err != nil {
		return time.Time{}, fmt.Errorf("time zone %q: %v", tzid, err)
	}
	wall, err := time.Parse("20060102T150405", v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time", v)
	}
	return recur.At(time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc), loc), nil
}

// ReplyFromMail finds the iTIP REPLY in an e-mail (RFC 6047 §2.4: a
// text/calendar part with method=REPLY, or an .ics attachment) and parses
// it. A message without calendar part is an ErrNotReply.
func ReplyFromMail(r io.Reader) ([]Reply, error) {
	ent, err := message.Read(io.LimitReader(r, 16*MaxReplySize))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, &ReplyError{Kind: ErrMalformed, Reason: fmt.Sprintf("mail: %v", err)}
	}
	var found []byte
	var lastErr error
	walkErr := ent.Walk(func(_ []int, part *message.Entity, err error) error {
		if err != nil {
			lastErr = err
			return nil
		}
		if found != nil {
			return nil
		}
		mt, params, _ := part.Header.ContentType()
		_, dparams, _ := part.Header.ContentDisposition()
		isICS := strings.HasSuffix(strings.ToLower(dparams["filename"]), ".ics") || strings.HasSuffix(strings.ToLower(params["name"]), ".ics")
		if mt != "text/calendar" && mt != "application/ics" && !(isICS && mt == "application/octet-stream") {
			return nil
		}
		if m := params["method"]; m != "" && !strings.EqualFold(m, string(MethodReply)) {
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(part.Body, MaxReplySize+1))
		if err != nil {
			lastErr = err
			return nil
		}
		found = b
		return nil
	})
	if found == nil {
		reason := "no text/calendar part with method=REPLY"
		if walkErr != nil {
			reason += ": " + walkErr.Error()
		} else if lastErr != nil {
			reason += ": " + lastErr.Error()
		}
		return nil, &ReplyError{Kind: ErrNotReply, Reason: reason}
	}
	return ParseReply(found)
}
