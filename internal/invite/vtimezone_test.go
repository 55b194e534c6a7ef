package invite

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/convene/convene/internal/recur"
)

// dstZones are the zones shared/LESSONS.md asks for, and the odd ones:
// half-hour and 45-minute offsets, a half-hour DST, southern summers,
// negative DST, Ramadan DST, a zone that dropped DST, fixed offsets.
var dstZones = []string{
	"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
	"Australia/Sydney", "America/Santiago", "Pacific/Chatham", "America/St_Johns",
	"Europe/Dublin", "Africa/Casablanca", "Asia/Tehran", "Etc/GMT+5", "Asia/Kathmandu",
}

// edges returns instants around each transition of loc in 2026 and 2027:
// the minute before, at and after, and the hour after (inside a repeated
// hour), and a plain midsummer and midwinter time.
func edges(loc *time.Location) []time.Time {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC)
	out := []time.Time{time.Date(2026, 7, 15, 10, 0, 0, 0, loc), time.Date(2026, 1, 15, 10, 0, 0, 0, loc)}
	trs, _ := transitionsIn(loc, from, to, 100)
	for _, tr := range trs {
		for _, d := range []time.Duration{-time.Minute, 0, time.Minute, 30 * time.Minute, time.Hour - time.Minute} {
			out = append(out, tr.at.Add(d))
		}
	}
	return out
}

// checkZoneAgrees reads the VTIMEZONE back with recur and compares its
// offset with Go's at every transition (and a second before) and every six
// hours over [from, to].
func checkZoneAgrees(t *testing.T, name string, vtz *ical.Component, loc *time.Location, from, to time.Time) {
	t.Helper()
	got, err := recur.LocationFromVTimezone(vtz)
	if err != nil {
		t.Fatalf("%s: recur cannot read the VTIMEZONE: %v", name, err)
	}
	samples := []time.Time{}
	for s := from; !s.After(to); s = s.Add(6 * time.Hour) {
		samples = append(samples, s)
	}
	trs, _ := transitionsIn(loc, from, to, maxTransitions)
	for _, tr := range trs {
		samples = append(samples, tr.at, tr.at.Add(-time.Second))
	}
	bad := 0
	for _, s := range samples {
		_, want := s.In(loc).Zone()
		_, have := s.In(got).Zone()
		if want != have && bad < 5 {
			bad++
			t.Errorf("%s: at %s the VTIMEZONE says UTC%+d s, Go's zone data %+d s", name, s.UTC().Format(time.RFC3339), have, want)
		}
	}
}

// TestVTimezoneDST builds single meetings and weekly series starting at
// each edge of each zone, checks the VTIMEZONE against Go's data through
// recur, then has python3-icalendar and dateutil resolve every DTSTART and
// DTEND back to the instants put in.
func TestVTimezoneDST(t *testing.T) {
	files := map[string][]byte{}
	meetings := map[string]*Meeting{}
	for _, zone := range dstZones {
		loc := mustZone(t, zone)
		for i, start := range edges(loc) {
			for _, series := range []bool{false, true} {
				m := parisMeeting(t)
				m.TimeZone = zone
				m.Start, m.End = start, start.Add(45*time.Minute)
				if series {
					m.Recurrence = &Recurrence{RRule: "FREQ=WEEKLY;COUNT=60"}
				}
				name := fmt.Sprintf("%s/%d/series=%v", zone, i, series)
				cal, err := buildCalendar(MethodRequest, m, stamp)
				if series && secondOfTwice(start, loc) {
					var e *Error
					if !errors.As(err, &e) || e.Field != "start" {
						t.Errorf("%s: a series starting in the repeated hour gave %v", name, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				_, seriesEnd, _ := m.rule(loc)
				from, to := m.span(seriesEnd)
				for _, c := range cal.Children {
					if c.Name == ical.CompTimezone {
						checkZoneAgrees(t, name, c, loc, from, to)
					}
				}
				b, err := encodeCalendar(cal)
				if err != nil {
					t.Fatal(err)
				}
				files[name], meetings[name] = b, m
			}
		}
	}
	for name, r := range pyCheck(t, files) {
		m := meetings[name]
		if len(r.Events) != 1 {
			t.Fatalf("%s: %d events", name, len(r.Events))
		}
		e := r.Events[0]
		if got := e.instants(t, name, "DTSTART"); len(got) != 1 || !got[0].Equal(m.Start) {
			t.Errorf("%s: DTSTART read as %s, want %s (%s local)", name, fmtTimes(got), m.Start.UTC().Format(time.RFC3339), m.Start.Format(time.DateTime+" -0700"))
		}
		if got := e.instants(t, name, "DTEND"); len(got) != 1 || !got[0].Equal(m.End) {
			t.Errorf("%s: DTEND read as %s, want %s", name, fmtTimes(got), m.End.UTC().Format(time.RFC3339))
		}
	}
}

// TestVTimezoneForms checks which form each kind of zone gets.
func TestVTimezoneForms(t *testing.T) {
	from := time.Date(2026, 3, 3, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		zone  string
		to    time.Time
		want  []string // observances: name, DTSTART, RRULE
		count int      // when want is nil, the number of observances
	}{
		{zone: "Europe/Paris", to: from.Add(time.Hour), want: []string{
			"STANDARD 20241027T030000 FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU +0200 +0100",
			"DAYLIGHT 20240331T020000 FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU +0100 +0200",
		}},
		{zone: "America/New_York", to: from.AddDate(10, 0, 0), want: []string{
			"STANDARD 20241103T020000 FREQ=YEARLY;BYMONTH=11;BYDAY=1SU -0400 -0500",
			"DAYLIGHT 20240310T020000 FREQ=YEARLY;BYMONTH=3;BYDAY=2SU -0500 -0400",
		}},
		{zone: "Australia/Lord_Howe", to: from.Add(time.Hour), want: []string{
			"STANDARD 20240407T020000 FREQ=YEARLY;BYMONTH=4;BYDAY=1SU +1100 +1030",
			"DAYLIGHT 20241006T020000 FREQ=YEARLY;BYMONTH=10;BYDAY=1SU +1030 +1100",
		}},
		{zone: "Asia/Kolkata", to: from.AddDate(5, 0, 0), want: []string{
			"STANDARD 19451015T000000 - +0630 +0530",
		}},
		{zone: "Etc/GMT+5", to: from.Add(time.Hour), want: []string{
			"STANDARD 19700101T000000 - -0500 -0500",
		}},
		// Ramadan: one observance per transition over a year.
		{zone: "Africa/Casablanca", to: from.AddDate(1, 0, 0), count: 3},
	}
	for _, tt := range tests {
		loc := mustZone(t, tt.zone)
		vtz, err := vtimezone(tt.zone, loc, from, tt.to)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range vtz.Children {
			rr := "-"
			if p := c.Props.Get(ical.PropRecurrenceRule); p != nil {
				rr = p.Value
			}
			got = append(got, fmt.Sprintf("%s %s %s %s %s", c.Name, c.Props.Get(ical.PropDateTimeStart).Value, rr,
				c.Props.Get(ical.PropTimezoneOffsetFrom).Value, c.Props.Get(ical.PropTimezoneOffsetTo).Value))
		}
		if tt.want != nil && fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.zone, got, tt.want)
		}
		if tt.want == nil && len(got) != tt.count {
			t.Errorf("%s: %d observances, want %d: %q", tt.zone, len(got), tt.count, got)
		}
		checkZoneAgrees(t, tt.zone, vtz, loc, from, tt.to)
	}
}

func TestNthWeekday(t *testing.T) {
	tests := []struct {
		year  int
		month time.Month
		wd    time.Weekday
		n     int
		want  int
	}{
		{2026, time.March, time.Sunday, -1, 29},
		{2026, time.October, time.Sunday, -1, 25},
		{2027, time.October, time.Sunday, -1, 31},
		{2026, time.March, time.Sunday, 2, 8},
		{2026, time.November, time.Sunday, 1, 1},
		{2026, time.February, time.Saturday, -1, 28},
		{2024, time.February, time.Thursday, -1, 29},
		{2026, time.April, time.Sunday, 1, 5},
	}
	for _, tt := range tests {
		if got := nthWeekday(tt.year, tt.month, tt.wd, tt.n); got != tt.want {
			t.Errorf("nthWeekday(%d, %s, %s, %d) = %d, want %d", tt.year, tt.month, tt.wd, tt.n, got, tt.want)
		}
	}
}

func TestSecondOfTwice(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	lh := mustZone(t, "Australia/Lord_Howe")
	tests := []struct {
		at   time.Time
		loc  *time.Location
		want bool
	}{
		{time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), ny, false}, // 01:30 EDT
		{time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), ny, true},  // 01:30 EST
		{time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), ny, false},  // 02:00 EST
		{time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), ny, false},  // after the gap
		// Lord Howe goes back half an hour at 02:00 on 5 April 2026.
		{time.Date(2026, 4, 4, 15, 15, 0, 0, time.UTC), lh, true},  // second 01:45
		{time.Date(2026, 4, 4, 14, 45, 0, 0, time.UTC), lh, false}, // first 01:45
	}
	for _, tt := range tests {
		if got := secondOfTwice(tt.at, tt.loc); got != tt.want {
			t.Errorf("%s (%s): %v, want %v", tt.at.Format(time.RFC3339), tt.at.In(tt.loc).Format("15:04 MST"), got, tt.want)
		}
	}
}
