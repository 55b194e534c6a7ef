package recur

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func expand(t *testing.T, body string, from, to time.Time, opts Options) ([]Instance, error) {
	t.Helper()
	cal := decodeCal(t, "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n"+strings.TrimSpace(body)+"\nEND:VCALENDAR")
	return ExpandCalendar(cal, from, to, opts)
}

// lines renders instances as "uid start end summary" (RFC 3339), for table
// comparison.
func lines(in []Instance) []string {
	var out []string
	for _, i := range in {
		s := i.UID + " " + i.Start.Format(time.RFC3339) + " " + i.End.Format(time.RFC3339) + " " + i.Summary
		if i.Status != "" {
			s += " " + i.Status
		}
		out = append(out, s)
	}
	return out
}

func utc(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

func TestExpandCalendar(t *testing.T) {
	cases := []struct {
		name     string
		body     string
		from, to time.Time
		opts     Options
		want     []string
	}{
		{
			name: "THISANDFUTURE moves the rest of the series",
			body: `BEGIN:VEVENT
UID:s
DTSTART;TZID=Europe/Paris:20260302T090000
DTEND;TZID=Europe/Paris:20260302T093000
RRULE:FREQ=WEEKLY;COUNT=6
SUMMARY:Sync
END:VEVENT
BEGIN:VEVENT
UID:s
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Paris:20260316T090000
DTSTART;TZID=Europe/Paris:20260316T100000
DTEND;TZID=Europe/Paris:20260316T110000
SUMMARY:Sync (later)
END:VEVENT
BEGIN:VEVENT
UID:s
RECURRENCE-ID;TZID=Europe/Paris:20260330T090000
DTSTART;TZID=Europe/Paris:20260331T140000
DTEND;TZID=Europe/Paris:20260331T143000
SUMMARY:Sync (one-off)
END:VEVENT`,
			from: utc(2026, 3, 1, 0), to: utc(2026, 5, 1, 0),
			want: []string{
				"s 2026-03-02T09:00:00+01:00 2026-03-02T09:30:00+01:00 Sync",
				"s 2026-03-09T09:00:00+01:00 2026-03-09T09:30:00+01:00 Sync",
				"s 2026-03-16T10:00:00+01:00 2026-03-16T11:00:00+01:00 Sync (later)",
				"s 2026-03-23T10:00:00+01:00 2026-03-23T11:00:00+01:00 Sync (later)",
				// Across the DST change the shift stays on the wall clock.
				"s 2026-03-31T14:00:00+02:00 2026-03-31T14:30:00+02:00 Sync (one-off)",
				"s 2026-04-06T10:00:00+02:00 2026-04-06T11:00:00+02:00 Sync (later)",
			},
		},
		{
			name: "RDATE as PERIOD, DATE and DATE-TIME; EXDATE as DATE removes the day",
			body: `BEGIN:VEVENT
UID:r
DTSTART;TZID=America/New_York:20260105T083000
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=4
RDATE;VALUE=PERIOD;TZID=America/New_York:20260110T120000/PT3H,20260111T120000/20260111T123000
RDATE;VALUE=DATE:20260112
RDATE:20260113T150000Z
EXDATE;VALUE=DATE:20260106
SUMMARY:R
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0),
			want: []string{
				"r 2026-01-05T08:30:00-05:00 2026-01-05T09:30:00-05:00 R",
				"r 2026-01-07T08:30:00-05:00 2026-01-07T09:30:00-05:00 R",
				"r 2026-01-08T08:30:00-05:00 2026-01-08T09:30:00-05:00 R",
				"r 2026-01-10T12:00:00-05:00 2026-01-10T15:00:00-05:00 R",
				"r 2026-01-11T12:00:00-05:00 2026-01-11T12:30:00-05:00 R",
				"r 2026-01-12T08:30:00-05:00 2026-01-12T09:30:00-05:00 R",
				"r 2026-01-13T10:00:00-05:00 2026-01-13T11:00:00-05:00 R",
			},
		},
		{
			name: "cancelled instance and cancelled event are left out, orphan override kept",
			body: `BEGIN:VEVENT
UID:c
DTSTART:20260105T090000Z
DTEND:20260105T100000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:C
END:VEVENT
BEGIN:VEVENT
UID:c
RECURRENCE-ID:20260106T090000Z
DTSTART:20260106T090000Z
DTEND:20260106T100000Z
STATUS:CANCELLED
SUMMARY:C
END:VEVENT
BEGIN:VEVENT
UID:gone
DTSTART:20260105T120000Z
STATUS:CANCELLED
SUMMARY:Gone
END:VEVENT
BEGIN:VEVENT
UID:orphan
RECURRENCE-ID:20260108T090000Z
DTSTART:20260108T100000Z
DTEND:20260108T110000Z
SUMMARY:Only this one
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0),
			want: []string{
				"c 2026-01-05T09:00:00Z 2026-01-05T10:00:00Z C",
				"c 2026-01-07T09:00:00Z 2026-01-07T10:00:00Z C",
				"orphan 2026-01-08T10:00:00Z 2026-01-08T11:00:00Z Only this one",
			},
		},
		{
			name: "KeepCancelled keeps them with their status",
			body: `BEGIN:VEVENT
UID:c
DTSTART:20260105T090000Z
RRULE:FREQ=DAILY;COUNT=2
SUMMARY:C
END:VEVENT
BEGIN:VEVENT
UID:c
RECURRENCE-ID:20260106T090000Z
DTSTART:20260106T090000Z
STATUS:CANCELLED
SUMMARY:C
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0), opts: Options{KeepCancelled: true},
			want: []string{
				"c 2026-01-05T09:00:00Z 2026-01-05T09:00:00Z C",
				"c 2026-01-06T09:00:00Z 2026-01-06T09:00:00Z C CANCELLED",
			},
		},
		{
			name: "DTSTART counts as the first of COUNT when the rule does not produce it",
			body: `BEGIN:VEVENT
UID:u
DTSTART:20260107T090000Z
RRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO
SUMMARY:U
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 3, 1, 0),
			want: []string{
				"u 2026-01-07T09:00:00Z 2026-01-07T09:00:00Z U",
				"u 2026-01-12T09:00:00Z 2026-01-12T09:00:00Z U",
				"u 2026-01-19T09:00:00Z 2026-01-19T09:00:00Z U",
			},
		},
		{
			name: "floating times and dates are read in Options.Floating",
			body: `BEGIN:VEVENT
UID:f
DTSTART:20260105T090000
DTEND:20260105T100000
SUMMARY:F
END:VEVENT
BEGIN:VEVENT
UID:d
DTSTART;VALUE=DATE:20260106
SUMMARY:D
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0), opts: Options{Floating: time.FixedZone("", 5*3600+1800)},
			want: []string{
				"f 2026-01-05T09:00:00+05:30 2026-01-05T10:00:00+05:30 F",
				"d 2026-01-06T00:00:00+05:30 2026-01-07T00:00:00+05:30 D",
			},
		},
		{
			name: "an instance that starts before the window and lasts into it is in it",
			body: `BEGIN:VEVENT
UID:long
DTSTART:20260101T000000Z
DURATION:P3D
RRULE:FREQ=WEEKLY;COUNT=2
SUMMARY:L
END:VEVENT`,
			from: utc(2026, 1, 2, 0), to: utc(2026, 1, 3, 0),
			want: []string{"long 2026-01-01T00:00:00Z 2026-01-04T00:00:00Z L"},
		},
		{
			name: "UNTIL as a DATE includes that day; a floating EXDATE is read in the series' zone",
			body: `BEGIN:VEVENT
UID:z
DTSTART;TZID=Asia/Kolkata:20260105T183000
RRULE:FREQ=DAILY;UNTIL=20260108
EXDATE:20260106T183000
SUMMARY:Z
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0),
			want: []string{
				"z 2026-01-05T18:30:00+05:30 2026-01-05T18:30:00+05:30 Z",
				"z 2026-01-07T18:30:00+05:30 2026-01-07T18:30:00+05:30 Z",
				"z 2026-01-08T18:30:00+05:30 2026-01-08T18:30:00+05:30 Z",
			},
		},
		{
			name: "EXRULE (RFC 2445) removes instances",
			body: `BEGIN:VEVENT
UID:x
DTSTART:20260105T090000Z
RRULE:FREQ=DAILY;COUNT=7
EXRULE:FREQ=WEEKLY;BYDAY=TU,TH
SUMMARY:X
END:VEVENT`,
			from: utc(2026, 1, 1, 0), to: utc(2026, 2, 1, 0),
			want: []string{
				"x 2026-01-05T09:00:00Z 2026-01-05T09:00:00Z X",
				"x 2026-01-07T09:00:00Z 2026-01-07T09:00:00Z X",
				"x 2026-01-09T09:00:00Z 2026-01-09T09:00:00Z X",
				"x 2026-01-10T09:00:00Z 2026-01-10T09:00:00Z X",
				"x 2026-01-11T09:00:00Z 2026-01-11T09:00:00Z X",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := expand(t, c.body, c.from, c.to, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines(got), c.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(lines(got), "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestExpandCalendarFields(t *testing.T) {
	got, err := expand(t, `BEGIN:VEVENT
UID:f
DTSTART;VALUE=DATE:20260105
SUMMARY:Off\, all day
STATUS:tentative
TRANSP:TRANSPARENT
END:VEVENT`, utc(2026, 1, 1, 0), utc(2026, 2, 1, 0), Options{})
	if err != nil || len(got) != 1 {
		t.Fatalf("%v %v", got, err)
	}
	in := got[0]
	if !in.AllDay || !in.Floating || !in.Transparent || in.Status != "TENTATIVE" || in.Summary != "Off, all day" ||
		!in.RecurrenceID.Equal(in.Start) || in.Component == nil {
		t.Errorf("fields: %+v", in)
	}
}

// TestExpandCalendarCaps checks the bounds: a rule with an instance every
// minute for a year, and a rule that never matches, return quickly with
// ErrCapped.
func TestExpandCalendarCaps(t *testing.T) {
	start := time.Now()
	got, err := expand(t, `BEGIN:VEVENT
UID:m
DTSTART:20260101T000000Z
RRULE:FREQ=MINUTELY
END:VEVENT`, utc(2026, 1, 1, 0), utc(2027, 1, 1, 0), Options{MaxInstances: 1000})
	if !errors.Is(err, ErrCapped) || len(got) != 1000 {
		t.Errorf("minutely: %d instances, %v", len(got), err)
	}
	got, err = expand(t, `BEGIN:VEVENT
UID:never
DTSTART:20260101T000000Z
RRULE:FREQ=SECONDLY;BYSETPOS=2
END:VEVENT
BEGIN:VEVENT
UID:ok
DTSTART:20260101T000000Z
END:VEVENT`, utc(2026, 1, 1, 0), utc(9999, 1, 1, 0), Options{})
	// DTSTART is an instance all the same (RFC 5545 §3.8.5.3).
	if !errors.Is(err, ErrCapped) || len(got) != 2 {
		t.Errorf("never: %d instances, %v", len(got), err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("capped expansions took %v", d)
	}
}

func TestExpandCalendarBadEvents(t *testing.T) {
	got, err := expand(t, `BEGIN:VEVENT
UID:nostart
SUMMARY:no DTSTART
END:VEVENT
BEGIN:VEVENT
UID:badrule
DTSTART:20260105T090000Z
RRULE:FREQ=DAILY;BYMONTHDAY=0
END:VEVENT
BEGIN:VEVENT
UID:badzone
DTSTART;TZID=Mars/Olympus:20260105T090000
END:VEVENT
BEGIN:VEVENT
UID:good
DTSTART:20260105T090000Z
END:VEVENT`, utc(2026, 1, 1, 0), utc(2026, 2, 1, 0), Options{})
	if len(got) != 1 || got[0].UID != "good" {
		t.Errorf("instances %v", lines(got))
	}
	var uids []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ComponentError
		if !errors.As(e, &ce) {
			t.Errorf("%v is not a *ComponentError", e)
			continue
		}
		uids = append(uids, ce.UID)
	}
	if !slices.Equal(uids, []string{"nostart", "badrule", "badzone"}) {
		t.Errorf("errors for %v: %v", uids, err)
	}
	if !strings.Contains(err.Error(), "BYMONTHDAY=0") {
		t.Errorf("the error does not name the rule part: %v", err)
	}
}

func TestDecodeCalendars(t *testing.T) {
	two := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
	if cals, err := DecodeCalendars(strings.NewReader(two)); err != nil || len(cals) != 2 {
		t.Errorf("two calendars: %d, %v", len(cals), err)
	}
	for _, bad := range []string{"", "0;0=\r\n", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "BEGIN:VCALENDAR\r\n"} {
		if _, err := DecodeCalendars(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
