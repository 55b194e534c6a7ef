package invite

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// calCase is one iTIP message the tests build, check structurally, compare
// with its golden file and give to python3-icalendar.
type calCase struct {
	name    string
	method  Method
	meeting func(t testing.TB) *Meeting
}

func calCases() []calCase {
	return []calCase{
		{"request-single-paris", MethodRequest, parisMeeting},
		{"request-update-newyork", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			ny := mustZone(t, "America/New_York")
			m.TimeZone = "America/New_York"
			m.Sequence = 2
			// The week the United States have changed clocks and Europe
			// has not: 9:00 in New York is 14:00 in Paris.
			m.Start = time.Date(2026, 3, 10, 9, 0, 0, 0, ny)
			m.End = time.Date(2026, 3, 10, 10, 15, 0, 0, ny)
			return m
		}},
		{"request-series-paris", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			loc := mustZone(t, "Europe/Paris")
			// Weekly on Tuesdays across the end of March, when Paris moves
			// to summer time, until a date (rewritten as UTC).
			m.Recurrence = &Recurrence{
				RRule:   "FREQ=WEEKLY;BYDAY=TU;UNTIL=20260630",
				ExDates: []time.Time{time.Date(2026, 4, 7, 14, 0, 0, 0, loc), time.Date(2026, 3, 17, 14, 0, 0, 0, loc)},
				RDates:  []time.Time{time.Date(2026, 4, 9, 16, 0, 0, 0, loc)},
			}
			m.Overrides = []Override{{
				RecurrenceID: time.Date(2026, 3, 31, 14, 0, 0, 0, loc),
				Start:        time.Date(2026, 4, 1, 9, 0, 0, 0, loc),
				End:          time.Date(2026, 4, 1, 9, 30, 0, 0, loc),
			}}
			m.Sequence = 1
			return m
		}},
		{"cancel-series-paris", MethodCancel, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU;COUNT=10"}
			m.Sequence = 3
			return m
		}},
		{"cancel-occurrence-paris", MethodCancel, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			loc := mustZone(t, "Europe/Paris")
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU"}
			m.Occurrence = &Occurrence{RecurrenceID: time.Date(2026, 4, 14, 14, 0, 0, 0, loc)}
			m.Start = time.Date(2026, 4, 14, 14, 0, 0, 0, loc)
			m.End = time.Date(2026, 4, 14, 14, 30, 0, 0, loc)
			m.Sequence = 2
			return m
		}},
		{"request-thisandfuture-paris", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			loc := mustZone(t, "Europe/Paris")
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=TU;COUNT=20"}
			m.Occurrence = &Occurrence{RecurrenceID: time.Date(2026, 4, 28, 14, 0, 0, 0, loc), ThisAndFuture: true}
			m.Start = time.Date(2026, 4, 28, 15, 0, 0, 0, loc)
			m.End = time.Date(2026, 4, 28, 15, 45, 0, 0, loc)
			m.Sequence = 4
			return m
		}},
		{"request-single-kolkata", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			loc := mustZone(t, "Asia/Kolkata")
			m.TimeZone = "Asia/Kolkata"
			m.Start = time.Date(2026, 3, 29, 18, 30, 0, 0, loc)
			m.End = time.Date(2026, 3, 29, 19, 0, 0, 0, loc)
			return m
		}},
		{"request-series-lordhowe", MethodRequest, func(t testing.TB) *Meeting {
			// Lord Howe Island moves by half an hour, on the first Sunday
			// of October: a daily 08:00 series across it.
			m := parisMeeting(t)
			loc := mustZone(t, "Australia/Lord_Howe")
			m.TimeZone = "Australia/Lord_Howe"
			m.Start = time.Date(2026, 10, 1, 8, 0, 0, 0, loc)
			m.End = time.Date(2026, 10, 1, 8, 30, 0, 0, loc)
			m.Recurrence = &Recurrence{RRule: "FREQ=DAILY;COUNT=10", ExDates: []time.Time{time.Date(2026, 10, 4, 8, 0, 0, 0, loc)}}
			return m
		}},
		{"request-single-utc", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			m.TimeZone = "UTC"
			return m
		}},
		{"request-repeated-hour-newyork", MethodRequest, func(t testing.TB) *Meeting {
			// 01:30 happens twice in New York on 1 November 2026; this
			// meeting is at the second one (EST), which a TZID value
			// cannot name.
			m := parisMeeting(t)
			ny := mustZone(t, "America/New_York")
			m.TimeZone = "America/New_York"
			m.Start = time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)
			m.End = m.Start.Add(30 * time.Minute)
			if m.Start.In(ny).Hour() != 1 {
				t.Fatalf("fixture: %v", m.Start.In(ny))
			}
			return m
		}},
		{"request-no-video", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			m.Video = nil
			m.Location = "Room 4.2, 12 rue de la Paix\nParis"
			return m
		}},
		{"request-open-series-newyork", MethodRequest, func(t testing.TB) *Meeting {
			m := parisMeeting(t)
			ny := mustZone(t, "America/New_York")
			m.TimeZone = "America/New_York"
			m.Start = time.Date(2026, 10, 30, 9, 0, 0, 0, ny)
			m.End = time.Date(2026, 10, 30, 9, 15, 0, 0, ny)
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYDAY=MO,WE,FR"}
			return m
		}},
		{"request-series-casablanca", MethodRequest, func(t testing.TB) *Meeting {
			// Morocco leaves +01 for Ramadan, on dates no yearly rule
			// gives: the VTIMEZONE lists each transition.
			m := parisMeeting(t)
			loc := mustZone(t, "Africa/Casablanca")
			m.TimeZone = "Africa/Casablanca"
			m.Start = time.Date(2026, 1, 6, 10, 0, 0, 0, loc)
			m.End = time.Date(2026, 1, 6, 11, 0, 0, 0, loc)
			m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;COUNT=15"}
			return m
		}},
	}
}

// wantEvent is what a VEVENT must say, as instants.
type wantEvent struct {
	recurrenceID     time.Time
	start, end       time.Time
	exdates, rdates  []time.Time
	thisAndFuture    bool
	hasRRule, master bool
}

func wantEvents(m *Meeting, method Method) []wantEvent {
	main := wantEvent{start: m.Start, end: m.End}
	switch {
	case m.Occurrence != nil:
		main.recurrenceID = m.Occurrence.RecurrenceID
		main.thisAndFuture = m.Occurrence.ThisAndFuture
	case m.Recurrence != nil:
		main.master, main.hasRRule = true, true
		main.exdates = sortedTimes(m.Recurrence.ExDates)
		main.rdates = sortedTimes(m.Recurrence.RDates)
	default:
		main.master = true
	}
	out := []wantEvent{main}
	if m.Occurrence == nil && method == MethodRequest {
		for _, o := range m.Overrides {
			out = append(out, wantEvent{recurrenceID: o.RecurrenceID, start: o.Start, end: o.End})
		}
	}
	return out
}

func buildCase(t *testing.T, c calCase) (*Meeting, []byte) {
	t.Helper()
	m := c.meeting(t)
	b, err := Calendar(c.method, m, stamp)
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	return m, b
}

func TestCalendarGolden(t *testing.T) {
	for _, c := range calCases() {
		t.Run(c.name, func(t *testing.T) {
			_, b := buildCase(t, c)
			golden(t, c.name+".ics", b)
		})
	}
}

// checkStructure checks an encoded calendar the way a strict reader would,
// and returns it decoded.
func checkStructure(t *testing.T, name string, b []byte, method Method, m *Meeting) *ical.Calendar {
	t.Helper()
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		t.Errorf("%s: does not end with CRLF", name)
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\r\n")), []byte("\r\n")) {
		if len(line) > maxLineOctets {
			t.Errorf("%s: line %d is %d octets: %q", name, i+1, len(line), line)
		}
		if bytes.ContainsAny(line, "\r\n") {
			t.Errorf("%s: line %d has a bare CR or LF", name, i+1)
		}
	}
	cal, err := ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("%s: go-ical cannot read it back: %v", name, err)
	}
	if got := cal.Props.Get(ical.PropMethod); got == nil || got.Value != string(method) {
		t.Errorf("%s: METHOD %v, want %s", name, got, method)
	}
	zones := map[string]*ical.Component{}
	var events []*ical.Component
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompTimezone:
			id := c.Props.Get(ical.PropTimezoneID).Value
			if zones[id] != nil {
				t.Errorf("%s: two VTIMEZONEs %s", name, id)
			}
			zones[id] = c
		case ical.CompEvent:
			events = append(events, c)
		default:
			t.Errorf("%s: unexpected %s", name, c.Name)
		}
	}
	// RFC 5545 §3.2.19: every TZID has its VTIMEZONE, and no VTIMEZONE is
	// unused.
	used := map[string]bool{}
	for _, ev := range events {
		for _, props := range ev.Props {
			for _, p := range props {
				if id := p.Params.Get(ical.ParamTimezoneID); id != "" {
					used[id] = true
					if zones[id] == nil {
						t.Errorf("%s: %s;TZID=%s without VTIMEZONE", name, p.Name, id)
					}
				}
			}
		}
	}
	for id := range zones {
		if !used[id] {
			t.Errorf("%s: VTIMEZONE %s is not used", name, id)
		}
	}
	// One VEVENT per UID and RECURRENCE-ID, all with the meeting's UID,
	// SEQUENCE and DTSTAMP.
	seen := map[string]bool{}
	masters := 0
	for _, ev := range events {
		uid := ev.Props.Get(ical.PropUID).Value
		if uid != m.UID {
			t.Errorf("%s: UID %q, want %q", name, uid, m.UID)
		}
		rid := ""
		if p := ev.Props.Get(ical.PropRecurrenceID); p != nil {
			rid = p.Value
		} else {
			masters++
		}
		if seen[uid+"/"+rid] {
			t.Errorf("%s: two VEVENTs for UID %s RECURRENCE-ID %q", name, uid, rid)
		}
		seen[uid+"/"+rid] = true
		if p := ev.Props.Get(ical.PropSequence); p == nil || p.Value != fmt.Sprint(m.Sequence) {
			t.Errorf("%s: SEQUENCE %v, want %d", name, p, m.Sequence)
		}
		if p := ev.Props.Get(ical.PropDateTimeStamp); p == nil || p.Value != stamp.Format("20060102T150405Z") {
			t.Errorf("%s: DTSTAMP %v", name, p)
		}
		status := ev.Props.Get(ical.PropStatus).Value
		if want := map[Method]string{MethodRequest: "CONFIRMED", MethodCancel: "CANCELLED"}[method]; status != want {
			t.Errorf("%s: STATUS %s, want %s", name, status, want)
		}
		org := ev.Props.Get(ical.PropOrganizer)
		if org == nil || !strings.EqualFold(org.Value, "mailto:"+m.Organizer.Email) {
			t.Errorf("%s: ORGANIZER %v", name, org)
		}
		atts := ev.Props.Values(ical.PropAttendee)
		if len(atts) != len(m.Attendees) {
			t.Errorf("%s: %d ATTENDEEs, want %d", name, len(atts), len(m.Attendees))
		}
		for i, a := range atts {
			if a.Params.Get(ical.ParamParticipationStatus) == "" {
				t.Errorf("%s: ATTENDEE %s without PARTSTAT", name, a.Value)
			}
			if method == MethodRequest {
				want := "TRUE"
				if m.Attendees[i].NoRSVP {
					want = "FALSE"
				}
				if got := a.Params.Get(ical.ParamRSVP); got != want {
					t.Errorf("%s: ATTENDEE %s RSVP=%s, want %s", name, a.Value, got, want)
				}
			}
		}
		if m.Video != nil {
			if loc, _ := ev.Props.Text(ical.PropLocation); loc != m.Video.JoinURL {
				t.Errorf("%s: LOCATION %q, want the join URL", name, loc)
			}
			if p := ev.Props.Get(ical.PropConference); p == nil || p.Value != m.Video.JoinURL || p.Params.Get(ical.ParamValue) != "URI" {
				t.Errorf("%s: CONFERENCE %v", name, p)
			}
			if d, _ := ev.Props.Text(ical.PropDescription); !strings.Contains(d, m.Video.JoinURL) || strings.Contains(d, "\r") {
				t.Errorf("%s: DESCRIPTION lacks the join URL or has CRs: %q", name, d)
			}
		}
		// Each zone's VTIMEZONE, read by recur (a reader independent of
		// the writer), resolves the local times to the instants put in.
		for _, pname := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropRecurrenceID} {
			p := ev.Props.Get(pname)
			if p == nil {
				continue
			}
			got := resolve(t, name, zones, p)
			if !slices.ContainsFunc(wantEvents(m, method), func(w wantEvent) bool {
				switch pname {
				case ical.PropDateTimeStart:
					return w.start.Equal(got)
				case ical.PropDateTimeEnd:
					return w.end.Equal(got)
				}
				return w.recurrenceID.Equal(got)
			}) {
				t.Errorf("%s: %s %s:%s resolves to %s, which the meeting does not have", name, pname, p.Params.Get(ical.ParamTimezoneID), p.Value, got.UTC())
			}
		}
	}
	if want := len(wantEvents(m, method)); len(events) != want {
		t.Errorf("%s: %d VEVENTs, want %d", name, len(events), want)
	}
	wantMasters := 1
	if m.Occurrence != nil {
		wantMasters = 0
	}
	if masters != wantMasters {
		t.Errorf("%s: %d VEVENTs without RECURRENCE-ID, want %d", name, masters, wantMasters)
	}
	return cal
}

// resolve reads a date-time property through the calendar's own VTIMEZONE.
func resolve(t *testing.T, name string, zones map[string]*ical.Component, p *ical.Prop) time.Time {
	t.Helper()
	loc := time.UTC
	if id := p.Params.Get(ical.ParamTimezoneID); id != "" {
		l, err := recur.LocationFromVTimezone(zones[id])
		if err != nil {
			t.Fatalf("%s: recur cannot read VTIMEZONE %s: %v", name, id, err)
		}
		loc = l
	} else if !strings.HasSuffix(p.Value, "Z") {
		t.Fatalf("%s: floating %s:%s", name, p.Name, p.Value)
	}
	wall, err := time.Parse("20060102T150405", strings.TrimSuffix(p.Value, "Z"))
	if err != nil {
		t.Fatalf("%s: %s: %v", name, p.Name, err)
	}
	return recur.At(time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, loc), loc)
}

func TestCalendarStructure(t *testing.T) {
	for _, c := range calCases() {
		t.Run(c.name, func(t *testing.T) {
			m, b := buildCase(t, c)
			checkStructure(t, c.name, b, c.method, m)
		})
	}
}

// TestCalendarPython has python3-icalendar and dateutil read every case and
// checks that they find the instants the meeting has, through the
// VTIMEZONE Convene wrote as well as through the zone's IANA name.
func TestCalendarPython(t *testing.T) {
	files := map[string][]byte{}
	meetings := map[string]*Meeting{}
	methods := map[string]Method{}
	for _, c := range calCases() {
		m, b := buildCase(t, c)
		files[c.name], meetings[c.name], methods[c.name] = b, m, c.method
	}
	for name, r := range pyCheck(t, files) {
		m, method := meetings[name], methods[name]
		if r.Method != string(method) || r.Version != "2.0" || r.ProdID != ProdID {
			t.Errorf("%s: METHOD %q VERSION %q PRODID %q", name, r.Method, r.Version, r.ProdID)
		}
		wants := wantEvents(m, method)
		if len(r.Events) != len(wants) {
			t.Fatalf("%s: python found %d events, want %d", name, len(r.Events), len(wants))
		}
		for i, e := range r.Events {
			w := wants[i]
			if e.UID != m.UID || e.Sequence != m.Sequence || e.DTStamp != stamp.Format(time.RFC3339) {
				t.Errorf("%s: UID %q SEQUENCE %d DTSTAMP %s", name, e.UID, e.Sequence, e.DTStamp)
			}
			check := func(prop string, want []time.Time) {
				got := e.instants(t, name, prop)
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s event %d: %s is %s, want %s", name, i, prop, fmtTimes(got), fmtTimes(want))
				}
			}
			check("DTSTART", []time.Time{w.start})
			check("DTEND", []time.Time{w.end})
			check("EXDATE", w.exdates)
			check("RDATE", w.rdates)
			if w.recurrenceID.IsZero() {
				check("RECURRENCE-ID", nil)
			} else {
				check("RECURRENCE-ID", []time.Time{w.recurrenceID})
			}
			if (e.Range == "THISANDFUTURE") != w.thisAndFuture {
				t.Errorf("%s: RANGE %q", name, e.Range)
			}
			if (e.RRule != "") != w.hasRRule {
				t.Errorf("%s: RRULE %q", name, e.RRule)
			}
			if e.Organizer != "mailto:"+m.Organizer.Email {
				t.Errorf("%s: ORGANIZER %q", name, e.Organizer)
			}
			if len(e.Attendees) != len(m.Attendees) {
				t.Errorf("%s: %d attendees", name, len(e.Attendees))
			}
			for j, a := range e.Attendees {
				if a.Address != "mailto:"+m.Attendees[j].Email || a.CN != paramText(m.Attendees[j].Name) {
					t.Errorf("%s: attendee %d read as %+v", name, j, a)
				}
			}
			if e.Summary != m.Summary {
				t.Errorf("%s: SUMMARY read as %q", name, e.Summary)
			}
		}
	}
}

// TestUntilRewritten: a date or floating UNTIL becomes the UTC instant
// RFC 5545 requires, and dateutil, expanding the rule, ends the series on
// the occurrence the organizer meant.
func TestUntilRewritten(t *testing.T) {
	tests := []struct {
		zone, rrule, want string
		last              string // the last occurrence, in the zone, "" for none
	}{
		{"Europe/Paris", "FREQ=WEEKLY;UNTIL=20260630", "FREQ=WEEKLY;UNTIL=20260630T215959Z", "2026-06-30 14:00"},
		{"Europe/Paris", "FREQ=WEEKLY;UNTIL=20260331T140000", "FREQ=WEEKLY;UNTIL=20260331T120000Z", "2026-03-31 14:00"},
		{"Asia/Kolkata", "RRULE:FREQ=DAILY;until=20260305T000000", "FREQ=DAILY;UNTIL=20260304T183000Z", "2026-03-04 14:00"},
		{"America/New_York", "FREQ=DAILY;UNTIL=20260310T130000Z", "FREQ=DAILY;UNTIL=20260310T130000Z", "2026-03-09 14:00"},
		{"Australia/Lord_Howe", "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20261231", "FREQ=MONTHLY;BYDAY=1TU;UNTIL=20261231T125959Z", "2026-12-01 14:00"},
		{"UTC", "FREQ=DAILY;UNTIL=20260306", "FREQ=DAILY;UNTIL=20260306T235959Z", "2026-03-06 14:00"},
		{"Europe/Paris", "FREQ=WEEKLY;COUNT=10", "FREQ=WEEKLY;COUNT=10", "2026-05-05 14:00"},
	}
	files := map[string][]byte{}
	for i, tt := range tests {
		m := parisMeeting(t)
		loc := mustZone(t, tt.zone)
		m.TimeZone = tt.zone
		m.Start = time.Date(2026, 3, 3, 14, 0, 0, 0, loc)
		m.End = m.Start.Add(time.Hour)
		m.Recurrence = &Recurrence{RRule: tt.rrule}
		cal, err := buildCalendar(MethodRequest, m, stamp)
		if err != nil {
			t.Fatalf("%s: %v", tt.rrule, err)
		}
		got := cal.Children[len(cal.Children)-1].Props.Get(ical.PropRecurrenceRule).Value
		if got != tt.want {
			t.Errorf("%s in %s: RRULE %s, want %s", tt.rrule, tt.zone, got, tt.want)
		}
		b, err := encodeCalendar(cal)
		if err != nil {
			t.Fatal(err)
		}
		files[fmt.Sprint(i)] = b
	}
	res := pyCheck(t, files)
	for i, tt := range tests {
		e := res[fmt.Sprint(i)].Events[0]
		want := ""
		if tt.last != "" {
			l, err := time.ParseInLocation("2006-01-02 15:04", tt.last, mustZone(t, tt.zone))
			if err != nil {
				t.Fatal(err)
			}
			want = l.UTC().Format(time.RFC3339)
		}
		if e.Last != want {
			t.Errorf("%s in %s: dateutil's last occurrence %s, want %s (%s)", tt.rrule, tt.zone, e.Last, want, tt.last)
		}
	}
}

func TestCalendarErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Meeting)
		field string
	}{
		{"no uid", func(m *Meeting) { m.UID = " " }, "uid"},
		{"end before start", func(m *Meeting) { m.End = m.Start.Add(-time.Minute) }, "end"},
		{"unknown zone", func(m *Meeting) { m.TimeZone = "Mars/Olympus" }, "time_zone"},
		{"local zone", func(m *Meeting) { m.TimeZone = "Local" }, "time_zone"},
		{"no organizer", func(m *Meeting) { m.Organizer.Email = "" }, "organizer"},
		{"no attendees", func(m *Meeting) { m.Attendees = nil }, "attendees"},
		{"bad attendee", func(m *Meeting) { m.Attendees[1].Email = "bob at example" }, "attendees[1]"},
		{"duplicate attendee", func(m *Meeting) { m.Attendees[2].Email = "BOB@example.org" }, "attendees[2]"},
		{"bad partstat", func(m *Meeting) { m.Attendees[1].PartStat = "MAYBE" }, "attendees[1]"},
		{"join url", func(m *Meeting) { m.Video.JoinURL = "javascript:alert(1)" }, "video.join_url"},
		{"bad rrule", func(m *Meeting) { m.Recurrence = &Recurrence{RRule: "FREQ=SOMETIMES"} }, "recurrence.rrule"},
		{"count and until", func(m *Meeting) { m.Recurrence = &Recurrence{RRule: "FREQ=DAILY;COUNT=3;UNTIL=20260401T000000Z"} }, "recurrence.rrule"},
		{"bymonthday in weekly", func(m *Meeting) { m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;BYMONTHDAY=3"} }, "recurrence.rrule"},
		{"occurrence of a single meeting", func(m *Meeting) { m.Occurrence = &Occurrence{RecurrenceID: m.Start} }, "occurrence"},
		{"negative sequence", func(m *Meeting) { m.Sequence = -1 }, "sequence"},
	}
	for _, tt := range tests {
		m := parisMeeting(t)
		tt.edit(m)
		_, err := Calendar(MethodRequest, m, stamp)
		var e *Error
		if !errors.As(err, &e) || e.Field != tt.field {
			t.Errorf("%s: error %v, want one about %s", tt.name, err, tt.field)
		}
	}
	if _, err := Calendar(MethodReply, parisMeeting(t), stamp); err == nil {
		t.Error("Calendar built a REPLY")
	}
}

func TestFold(t *testing.T) {
	long := strings.Repeat("é", 60) + strings.Repeat("a", 100)
	in := []byte("DESCRIPTION:" + long + "\r\nX:y\r\n")
	out := fold(in)
	// Unfolding (RFC 5545 §3.1) gives the input back.
	if got := strings.ReplaceAll(string(out), "\r\n ", ""); got != string(in) {
		t.Fatalf("unfolded %q", got)
	}
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets", len(l))
		}
		if !utf8Valid(l) {
			t.Errorf("split UTF-8 sequence in %q", l)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
