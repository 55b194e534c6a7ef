package recur

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The seed corpus of both targets is under testdata/fuzz; run them with
//
//	go test -run '^$' -fuzz FuzzParseRule ./internal/recur
//	go test -run '^$' -fuzz FuzzExpandCalendar ./internal/recur

// FuzzParseRule checks that ParseRule never panics, that what it accepts
// prints back to the same rule, and that expanding it stays bounded and
// ordered.
func FuzzParseRule(f *testing.F) {
	f.Add("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2")
	f.Add("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO;WKST=SU")
	f.Add("RRULE:FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z")
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	dtstart := time.Date(2026, 3, 29, 1, 30, 0, 0, loc)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			return
		}
		back, err := ParseRule(r.String())
		if err != nil || !back.Equal(r) {
			t.Fatalf("%q printed as %q, which parses to %+v, %v", s, r.String(), back, err)
		}
		it := r.Iterator(dtstart, 20_000)
		var prev time.Time
		for n := 0; n < 200; n++ {
			tm, ok := it.Next()
			if !ok {
				break
			}
			if !prev.IsZero() && !tm.After(prev) {
				t.Fatalf("%s: %v after %v", r, tm, prev)
			}
			if tm.Before(dtstart.Add(-time.Hour)) {
				t.Fatalf("%s: %v before DTSTART %v", r, tm, dtstart)
			}
			prev = tm
		}
	})
}

// FuzzExpandCalendar checks that any calendar go-ical decodes expands
// without panicking, within the caps, sorted, inside the window.
func FuzzExpandCalendar(f *testing.F) {
	f.Add([]byte(strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:fuzz
`+vtzLordHowe+`
BEGIN:VEVENT
UID:a
DTSTART;TZID=Custom Lord Howe:20261003T013000
DURATION:PT1H
RRULE:FREQ=HOURLY;COUNT=5
EXDATE;TZID=Custom Lord Howe:20261004T023000
RDATE;VALUE=PERIOD:20261010T010000Z/PT2H
END:VEVENT
BEGIN:VEVENT
UID:a
RECURRENCE-ID;TZID=Custom Lord Howe:20261004T013000;RANGE=THISANDFUTURE
DTSTART;TZID=Custom Lord Howe:20261004T033000
DTEND;TZID=Custom Lord Howe:20261004T040000
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")))
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		cals, err := DecodeCalendars(bytes.NewReader(data))
		if err != nil {
			return
		}
		got, _ := ExpandCalendar(cals[0], from, to, Options{MaxInstances: 500, MaxIterations: 20_000})
		if len(got) > 500 {
			t.Fatalf("%d instances, cap 500", len(got))
		}
		for i, in := range got {
			if in.End.Before(in.Start) {
				t.Fatalf("instance %d ends before it starts: %+v", i, in)
			}
			if !overlaps(in.Start, in.End, from, to) {
				t.Fatalf("instance %d outside the window: %v-%v", i, in.Start, in.End)
			}
			if i > 0 && in.Start.Before(got[i-1].Start) {
				t.Fatalf("instances out of order at %d", i)
			}
		}
	})
}

// FuzzExpandBudget decodes arbitrary bytes as calendars (a byte order
// mark, bare LF, any case) and expands them over a quarter with a small
// budget, as a busy-time query would: whatever the input, the expansion
// returns within a deadline, holds no more instances than the budget
// allows, and either fails with the budget's error or gives sorted
// instances inside the window and the caps. Run it with
//
//	go test -run '^$' -fuzz FuzzExpandBudget ./internal/recur
func FuzzExpandBudget(f *testing.F) {
	f.Add([]byte("\uFEFFBEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTART:20260101T000000Z\r\nDURATION:PT1S\r\nRRULE:FREQ=SECONDLY;INTERVAL=7\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte(denseCalendar(50, "20250101T000000Z", "FREQ=MINUTELY;COUNT=100000000")))
	f.Add([]byte(denseCalendar(20, "20260101T000000Z", "FREQ=SECONDLY;BYSETPOS=2")))
	f.Add([]byte("begin:vcalendar\nbegin:vevent\nuid:x\ndtstart;tzid=Europe/Paris:20260301T090000\nrrule:freq=hourly;byminute=0,1,2,3,4,5\nexrule:freq=minutely;interval=2\nend:vevent\nend:vcalendar\n"))
	for _, name := range []string{"outlook.ics", "google.ics", "nextcloud.ics"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "exports", name)); err == nil {
			f.Add(data)
		}
	}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	const maxInst, maxSteps, perCal = 3000, 300_000, 500
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		cals, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("decode error %v does not wrap ErrMalformed", err)
			}
			return
		}
		b := NewBudget(context.Background(), maxInst, maxSteps)
		start := time.Now()
		for _, cal := range cals {
			got, err := ExpandCalendar(cal, from, to, Options{Budget: b, MaxInstances: perCal, MaxIterations: 100_000})
			if n, _ := b.Used(); n > maxInst+chargeBatch {
				t.Fatalf("%d instances held, budget %d", n, maxInst)
			}
			if errors.Is(err, ErrBudget) {
				break
			}
			if len(got) > perCal {
				t.Fatalf("%d instances, cap %d", len(got), perCal)
			}
			for i, in := range got {
				if in.End.Before(in.Start) || !overlaps(in.Start, in.End, from, to) {
					t.Fatalf("instance %d: %v-%v", i, in.Start, in.End)
				}
				if i > 0 && in.Start.Before(got[i-1].Start) {
					t.Fatalf("instances out of order at %d", i)
				}
			}
		}
		// 300,000 steps take a few milliseconds (ten times more under the
		// race detector), parsing 64 KiB some more.
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("expansion took %v", d)
		}
	})
}
