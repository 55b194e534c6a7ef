package invite

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// ProdID is the PRODID of every calendar Convene writes (RFC 5545 §3.7.3).
const ProdID = "-//Convene//Convene Invitations 1.0//EN"

// Calendar returns the iCalendar object (RFC 5545) of an iTIP message
// (RFC 5546) about m: METHOD:REQUEST for a new or updated meeting, series or
// occurrence, METHOD:CANCEL for a cancelled one, stamped (DTSTAMP) at stamp.
// The lines are CRLF-terminated and folded at 75 octets; every TZID used has
// its VTIMEZONE.
func Calendar(method Method, m *Meeting, stamp time.Time) ([]byte, error) {
	cal, err := buildCalendar(method, m, stamp)
	if err != nil {
		return nil, err
	}
	return encodeCalendar(cal)
}

func encodeCalendar(cal *ical.Calendar) ([]byte, error) {
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("invite: encode calendar: %w", err)
	}
	return fold(buf.Bytes()), nil
}

// writer turns instants into property values in one zone.
type writer struct {
	loc  *time.Location
	tzid string // empty for UTC
}

// dateTime returns the property name = t: with TZID and the local time
// (RFC 5545 §3.3.5, form 3), or in UTC (form 2) when the zone is UTC or when
// the local time occurs twice and t is the second one, since a TZID value
// names the first (§3.3.5: "the DATE-TIME value refers to the first
// occurrence"). A series' DTSTART keeps its TZID (pass keepLocal), because
// its rule is expanded in that zone; buildCalendar refuses a series that
// starts at such a time.
func (w writer) dateTime(name string, t time.Time, keepLocal ...bool) *ical.Prop {
	p := ical.NewProp(name)
	if w.tzid == "" || (secondOfTwice(t, w.loc) && len(keepLocal) == 0) {
		p.Value = t.UTC().Format("20060102T150405Z")
		return p
	}
	p.Params.Set(ical.ParamTimezoneID, w.tzid)
	p.Value = t.In(w.loc).Format("20060102T150405")
	return p
}

// secondOfTwice reports whether t's local time in loc also names an earlier
// instant (t falls in the hour repeated when clocks go back).
func secondOfTwice(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	start, _ := lt.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, after := lt.Zone()
	_, before := start.Add(-time.Second).In(loc).Zone()
	back := time.Duration(before-after) * time.Second
	return back > 0 && lt.Sub(start) < back
}

func buildCalendar(method Method, m *Meeting, stamp time.Time) (*ical.Calendar, error) {
	if method != MethodRequest && method != MethodCancel {
		return nil, invalid("method", "Convene sends REQUEST and CANCEL, not %q", method)
	}
	loc, err := m.validate(method)
	if err != nil {
		return nil, err
	}
	if stamp.IsZero() {
		return nil, invalid("dtstamp", "no clock reading")
	}
	w := writer{loc: loc}
	if loc != time.UTC {
		w.tzid = m.TimeZone
	}
	rrule, seriesEnd, err := m.rule(loc)
	if err != nil {
		return nil, err
	}
	if m.Recurrence != nil && m.Occurrence == nil && loc != time.UTC && secondOfTwice(m.Start, loc) {
		// A series is expanded from the local DTSTART, and that local
		// time names the first of the two instants (RFC 5545 §3.3.5).
		return nil, invalid("start", "a series cannot start in the hour repeated when clocks go back (%s); move its first occurrence",
			m.Start.In(loc).Format("2006-01-02 15:04 MST"))
	}

	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, ProdID)
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, string(method))

	if w.tzid != "" {
		from, to := m.span(seriesEnd)
		tz, err := vtimezone(w.tzid, loc, from, to)
		if err != nil {
			return nil, fmt.Errorf("invite: time zone %s: %w", w.tzid, err)
		}
		cal.Children = append(cal.Children, tz)
	}

	ev := m.event(method, w, stamp)
	switch {
	case m.Occurrence != nil:
		p := w.dateTime(ical.PropRecurrenceID, m.Occurrence.RecurrenceID)
		if m.Occurrence.ThisAndFuture {
			// RFC 5545 §3.2.13.
			p.Params.Set(ical.ParamRange, "THISANDFUTURE")
		}
		ev.Props.Set(p)
		setX(ev, "X-MICROSOFT-CDO-INSTTYPE", "3")
	case m.Recurrence != nil:
		p := ical.NewProp(ical.PropRecurrenceRule)
		p.Value = rrule
		ev.Props.Set(p)
		// One property per date, as Google writes them: each value can
		// then take the form its own instant needs.
		for _, t := range sortedTimes(m.Recurrence.ExDates) {
			ev.Props.Add(w.dateTime(ical.PropExceptionDates, t))
		}
		for _, t := range sortedTimes(m.Recurrence.RDates) {
			ev.Props.Add(w.dateTime(ical.PropRecurrenceDates, t))
		}
		setX(ev, "X-MICROSOFT-CDO-INSTTYPE", "1")
	default:
		setX(ev, "X-MICROSOFT-CDO-INSTTYPE", "0")
	}
	cal.Children = append(cal.Children, ev.Component)

	// Moved occurrences travel with their series (RFC 5546 §2.1.5): one
	// more VEVENT per RECURRENCE-ID, same UID and SEQUENCE.
	if m.Occurrence == nil && method == MethodRequest {
		seen := map[int64]bool{}
		for i, o := range m.Overrides {
			if seen[o.RecurrenceID.Unix()] {
				return nil, invalid(fmt.Sprintf("overrides[%d]", i), "recurrence id %s given twice", o.RecurrenceID.UTC().Format(time.RFC3339))
			}
			seen[o.RecurrenceID.Unix()] = true
			oc := *m
			oc.Start, oc.End = o.Start, o.End
			oe := oc.event(method, w, stamp)
			oe.Props.Set(w.dateTime(ical.PropRecurrenceID, o.RecurrenceID))
			setX(oe, "X-MICROSOFT-CDO-INSTTYPE", "3")
			cal.Children = append(cal.Children, oe.Component)
		}
	}
	return cal, nil
}

// event writes the properties every VEVENT of m shares.
func (m *Meeting) event(method Method, w writer, stamp time.Time) *ical.Event {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, m.UID)
	ev.Props.Set(&ical.Prop{Name: ical.PropSequence, Params: ical.Params{}, Value: strconv.Itoa(m.Sequence)})
	ev.Props.Set(&ical.Prop{Name: ical.PropDateTimeStamp, Params: ical.Params{}, Value: stamp.UTC().Format("20060102T150405Z")})
	if m.Recurrence != nil && m.Occurrence == nil {
		ev.Props.Set(w.dateTime(ical.PropDateTimeStart, m.Start, true))
	} else {
		ev.Props.Set(w.dateTime(ical.PropDateTimeStart, m.Start))
	}
	ev.Props.Set(w.dateTime(ical.PropDateTimeEnd, m.End))
	if s := cleanLine(m.Summary); s != "" {
		ev.Props.SetText(ical.PropSummary, s)
	}
	if d := m.descriptionText(); d != "" {
		ev.Props.SetText(ical.PropDescription, d)
	}
	if loc := m.location(); loc != "" {
		ev.Props.SetText(ical.PropLocation, loc)
	}
	if m.URL != "" {
		p := ical.NewProp(ical.PropURL)
		p.Value = m.URL
		ev.Props.Set(p)
	}
	if v := m.Video; v != nil && v.JoinURL != "" {
		// RFC 7986 §5.11.
		p := ical.NewProp(ical.PropConference)
		// VALUE=URI is required here, not a default (RFC 7986 §5.11).
		p.Params.Set(ical.ParamValue, string(ical.ValueURI))
		p.Params.Set(ical.ParamFeature, "VIDEO")
		if v.Provider != "" {
			p.Params.Set(ical.ParamLabel, paramText(v.Provider))
		}
		p.Value = v.JoinURL
		ev.Props.Set(p)
	}
	org := ical.NewProp(ical.PropOrganizer)
	if n := paramText(m.Organizer.Name); n != "" {
		org.Params.Set(ical.ParamCommonName, n)
	}
	addr, _ := mailbox(m.Organizer.Email)
	org.Value = "mailto:" + addr
	ev.Props.Set(org)
	for _, a := range m.Attendees {
		ev.Props.Add(attendeeProp(a, method))
	}
	status, busy := "CONFIRMED", "BUSY"
	if method == MethodCancel {
		status, busy = "CANCELLED", "FREE"
	}
	ev.Props.SetText(ical.PropStatus, status)
	ev.Props.SetText(ical.PropTransparency, "OPAQUE")
	// Outlook's own properties: busy status while the invitation is
	// pending and once accepted, not an all-day event, and no "propose
	// new time": a COUNTER goes to the ORGANIZER's mailbox, which the
	// assistant reads only when the organizer redirects it there
	// (ParseCounter reads those that arrive).
	setX(ev, "X-MICROSOFT-CDO-BUSYSTATUS", busy)
	setX(ev, "X-MICROSOFT-CDO-INTENDEDSTATUS", busy)
	setX(ev, "X-MICROSOFT-CDO-ALLDAYEVENT", "FALSE")
	setX(ev, "X-MICROSOFT-CDO-IMPORTANCE", "1")
	setX(ev, "X-MICROSOFT-DISALLOW-COUNTER", "TRUE")
	return ev
}

func attendeeProp(a Attendee, method Method) *ical.Prop {
	p := ical.NewProp(ical.PropAttendee)
	if n := paramText(a.Name); n != "" {
		p.Params.Set(ical.ParamCommonName, n)
	}
	p.Params.Set(ical.ParamCalendarUserType, string(cmp(a.CUType, CUTypeIndividual)))
	p.Params.Set(ical.ParamRole, string(cmp(a.Role, RoleRequired)))
	p.Params.Set(ical.ParamParticipationStatus, string(cmp(a.PartStat, PartStatNeedsAction)))
	if method == MethodRequest {
		// RFC 5545 §3.2.17; Outlook shows Accept/Decline only with it.
		if a.NoRSVP {
			p.Params.Set(ical.ParamRSVP, "FALSE")
		} else {
			p.Params.Set(ical.ParamRSVP, "TRUE")
		}
	}
	addr, _ := mailbox(a.Email)
	p.Value = "mailto:" + addr
	return p
}

func cmp[T ~string](v, def T) T {
	if v == "" {
		return def
	}
	return v
}

func setX(ev *ical.Event, name, value string) {
	ev.Props.Set(&ical.Prop{Name: name, Params: ical.Params{}, Value: value})
}

// location is LOCATION: the join URL (what calendars show as "where"), else
// the place.
func (m *Meeting) location() string {
	if m.Video != nil && m.Video.JoinURL != "" {
		return m.Video.JoinURL
	}
	return cleanLine(m.Location)
}

// descriptionText is DESCRIPTION: the organizer's description, then the
// provider's invitation text (or the join link when there is none).
func (m *Meeting) descriptionText() string {
	var parts []string
	if d := cleanText(m.Description); d != "" {
		parts = append(parts, d)
	}
	if v := m.Video; v != nil {
		inv := cleanText(v.Invitation)
		if v.JoinURL != "" && !strings.Contains(inv, v.JoinURL) {
			var b strings.Builder
			b.WriteString(v.JoinURL)
			if v.MeetingID != "" {
				b.WriteString("\nMeeting ID: " + cleanLine(v.MeetingID))
			}
			if v.Passcode != "" {
				b.WriteString("\nPasscode: " + cleanLine(v.Passcode))
			}
			parts = append(parts, b.String())
		}
		if inv != "" {
			parts = append(parts, inv)
		}
	}
	return strings.Join(parts, "\n\n")
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// cleanText makes a multi-line text readable and safe to write: CRLF and CR
// become LF (Zoom's invitation text is CRLF-separated), trailing blanks go,
// runs of blank lines shrink to one, other control characters are dropped.
func cleanText(s string) string {
	if cleanAlready(s) {
		return strings.Trim(s, "\n")
	}
	return cleanTextFull(s)
}

// cleanTextFull is cleanText without its shortcut.
func cleanTextFull(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || r == '\uFEFF' {
			return -1
		}
		return r
	}, s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.Trim(s, "\n")
}

// cleanAlready reports whether cleanText would change nothing in s but
// leading and trailing line breaks: no CR, no control character, no
// blank at a line's end, no run of three line breaks. Names, subjects and
// most texts are, and are then not copied four times.
func cleanAlready(s string) bool {
	newlines := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
				return false
			}
			if newlines++; newlines == 3 {
				return false
			}
			continue
		case c < 0x20 && c != '\t', c == 0x7f:
			return false
		case c == 0xEF && strings.HasPrefix(s[i:], "\uFEFF"):
			return false
		}
		newlines = 0
	}
	return len(s) == 0 || (s[len(s)-1] != ' ' && s[len(s)-1] != '\t') && utf8.ValidString(s)
}

// cleanLine is cleanText on one line: line breaks become spaces.
func cleanLine(s string) string {
	if lineAlready(s) {
		return s
	}
	return cleanLineFull(s)
}

// cleanLineFull is cleanLine without its shortcut.
func cleanLineFull(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(strings.ReplaceAll(cleanText(s), "\n", " ")), " "))
}

// lineAlready reports whether cleanLine would return s as it is: printable
// ASCII or other UTF-8 without a control character or the BOM, single
// spaces between words, none at either end.
func lineAlready(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20, c == 0x7f:
			return false
		case c == ' ' && s[i+1] == ' ':
			return false
		case c >= 0x80:
			// Unicode spaces (strings.Fields splits at them too) and the
			// BOM: leave those to the full path.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == '\uFEFF' || unicode.IsSpace(r) || r == utf8.RuneError && size == 1 {
				return false
			}
			i += size - 1
		}
	}
	return true
}

// paramText makes a text a valid parameter value (RFC 5545 §3.1: no
// control characters and no DQUOTE, which go-ical refuses to write).
func paramText(s string) string {
	return strings.ReplaceAll(cleanLine(s), `"`, "'")
}

func sortedTimes(ts []time.Time) []time.Time {
	out := slices.Clone(ts)
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// maxRuleIterations bounds the expansion that finds the end of a series.
const maxRuleIterations = 200_000

// rule checks the RRULE, rewrites a floating or date UNTIL as UTC (RFC 5545
// §3.3.10: UNTIL is UTC when DTSTART has a TZID) and returns the end of the
// series' last occurrence, or the zero time for a series without an end.
func (m *Meeting) rule(loc *time.Location) (string, time.Time, error) {
	if m.Recurrence == nil {
		return "", m.End, nil
	}
	src := strings.TrimSpace(m.Recurrence.RRule)
	if len(src) >= 6 && strings.EqualFold(src[:6], "RRULE:") {
		src = src[6:]
	}
	if src == "" {
		return "", time.Time{}, invalid("recurrence.rrule", "empty")
	}
	r, err := recur.ParseRule(src)
	if err == nil {
		// What RFC 5545 forbids (COUNT with UNTIL, BYWEEKNO outside
		// YEARLY...) is read by calendars in different ways: never
		// written.
		err = r.Validate()
	}
	if err != nil {
		return "", time.Time{}, invalid("recurrence.rrule", "%v", err)
	}
	if !r.Until.IsZero() && r.UntilKind != recur.UntilUTC {
		var until time.Time
		u := r.Until
		switch r.UntilKind {
		case recur.UntilFloating:
			until = recur.At(time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), 0, loc), loc)
		case recur.UntilDate:
			// Every occurrence on that date, in the meeting's zone.
			until = recur.At(time.Date(u.Year(), u.Month(), u.Day(), 23, 59, 59, 0, loc), loc)
		}
		parts := strings.Split(src, ";")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok && strings.EqualFold(strings.TrimSpace(k), "UNTIL") {
				parts[i] = "UNTIL=" + until.UTC().Format("20060102T150405Z")
			}
		}
		src = strings.Join(parts, ";")
		r.Until, r.UntilKind = until.UTC(), recur.UntilUTC
	}
	switch {
	case !r.Until.IsZero():
		// No occurrence starts after UNTIL: no need to expand.
		return src, r.Until.Add(m.End.Sub(m.Start)), nil
	case r.Count == 0:
		return src, time.Time{}, nil
	}
	it := r.Iterator(m.Start.In(loc), maxRuleIterations)
	last := m.Start
	for n := 0; n < r.Count; n++ {
		t, ok := it.Next()
		if !ok {
			break
		}
		last = t
	}
	if it.Err() != nil {
		return src, time.Time{}, nil // treated as open-ended
	}
	return src, last.Add(m.End.Sub(m.Start)), nil
}

// span returns the first and last instants the message's dates reach, for
// the VTIMEZONE; seriesEnd is zero for a series without an end.
func (m *Meeting) span(seriesEnd time.Time) (from, to time.Time) {
	from, to = m.Start, m.End
	grow := func(ts ...time.Time) {
		for _, t := range ts {
			if t.IsZero() {
				continue
			}
			if t.Before(from) {
				from = t
			}
			if t.After(to) {
				to = t
			}
		}
	}
	dur := m.End.Sub(m.Start)
	if m.Occurrence != nil {
		grow(m.Occurrence.RecurrenceID, m.Occurrence.RecurrenceID.Add(dur))
	}
	for _, o := range m.Overrides {
		grow(o.RecurrenceID, o.Start, o.End)
	}
	if r := m.Recurrence; r != nil {
		for _, t := range append(slices.Clone(r.RDates), r.ExDates...) {
			grow(t, t.Add(dur))
		}
		if seriesEnd.IsZero() {
			grow(from.AddDate(openEndedYears, 0, 0))
		} else {
			grow(seriesEnd)
		}
	}
	return from, to
}
