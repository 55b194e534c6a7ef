package calendar

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/recur"
)

// FuzzImportICS feeds arbitrary bodies to the import parser (PUT
// /api/v1/users/{email}/calendar and ICS feeds): it must never panic or
// nest without bound, and every object it makes must be one UID's events
// that decode again to the same object, with bounds that hold every
// instance.
func FuzzImportICS(f *testing.F) {
	for _, s := range []string{
		ics(vevent("a", "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z")),
		ics(vevent("r", "DTSTART;TZID=Europe/Paris:20260302T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;TZID=Europe/Paris:20260309T090000"),
			vevent("r", "RECURRENCE-ID;TZID=Europe/Paris:20260316T090000", "DTSTART;TZID=Europe/Paris:20260316T140000", "DURATION:PT1H")),
		ics("BEGIN:VTIMEZONE\nTZID:Custom\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE",
			vevent("z", "DTSTART;TZID=Custom:20260302T090000", "DTEND;TZID=Custom:20260302T093000")),
		ics(vevent("d", "DTSTART;VALUE=DATE:20260302", "RRULE:FREQ=YEARLY")),
		ics("BEGIN:VEVENT\nDTSTART:20260302T090000\nSUMMARY:no uid, floating\nEND:VEVENT"),
		"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
		strings.Repeat("BEGIN:VCALENDAR\r\n", 20),
		ics(vevent("x", "DTSTART:20260302T090000Z", "RRULE:FREQ=SECONDLY")),
		"\xff\xfe", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		cals, err := decodeAll(data)
		if err != nil {
			return
		}
		objs, _ := splitCalendars(cals, "ann@acme.test", 50)
		if len(objs) > 50 {
			t.Fatalf("%d objects over the limit", len(objs))
		}
		for _, o := range objs {
			again, err := decodeOne(o.data)
			if err != nil {
				t.Fatalf("stored data does not decode: %v\n%s", err, o.data)
			}
			a, err := analyze(again, "ann@acme.test")
			if err != nil {
				t.Fatalf("stored object fails analysis: %v\n%s", err, o.data)
			}
			if a.uid != o.uid || a.busy != o.a.busy || !a.start.Equal(o.a.start) || !a.end.Equal(o.a.end) {
				t.Fatalf("analysis changed after a round trip: %+v vs %+v", a, o.a)
			}
			if re, err := encode(again); err != nil || !bytes.Equal(re, o.data) {
				t.Fatalf("encoding is not stable:\n%s", o.data)
			}
			// Every instance lies inside the bounds.
			insts, _ := recur.ExpandCalendar(again, o.a.start.Add(-48*time.Hour), o.a.start.AddDate(2, 0, 0),
				recur.Options{MaxInstances: 200, KeepCancelled: true, MaxIterations: 100_000})
			for _, in := range insts {
				if in.Start.Before(o.a.start.Add(-floatSlack)) || in.End.After(o.a.end.Add(floatSlack)) {
					t.Fatalf("instance %s-%s outside bounds %s-%s", in.Start, in.End, o.a.start, o.a.end)
				}
			}
		}
	})
}

// FuzzImportThenBusy drives arbitrary bodies through what an import and
// an availability query do with them, without the database: decode,
// split into objects (the density rule and the import's step budget
// applied), then the busy-time expansion of every object kept, over a
// quarter, under one query budget. Whatever the body, the query's
// instances stay within its budget, its intervals within the window, and
// it returns within a deadline. Run it with
//
//	go test -run '^$' -fuzz FuzzImportThenBusy ./internal/calendar
func FuzzImportThenBusy(f *testing.F) {
	for _, s := range []string{
		denseEvents(3),
		ics(vevent("d", "DTSTART:20260101T000000Z", "DTEND:20260101T000001Z", "RRULE:FREQ=SECONDLY;INTERVAL=7")),
		ics(vevent("c", "DTSTART:20250101T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=5;COUNT=100000000")),
		ics(vevent("w", "DTSTART;TZID=W. Europe Standard Time:20260302T090000", "DURATION:PT1H", "RRULE:FREQ=WEEKLY;BYDAY=MO,TH", "EXDATE;TZID=W. Europe Standard Time:20260305T090000,20260312T090000")),
		"\uFEFF" + ics(vevent("bom", "DTSTART:20260310T090000Z", "DURATION:PT1H")),
	} {
		f.Add([]byte(s))
	}
	if data, err := os.ReadFile("../recur/testdata/exports/outlook.ics"); err == nil {
		f.Add(data)
	}
	svc := New(nil, nil, Options{Limits: Limits{EventInstances: 500}})
	from, to := mustTime("2026-03-01T00:00:00Z"), mustTime("2026-06-01T00:00:00Z")
	loc, _ := time.LoadLocation("Europe/Paris")
	const maxInst, maxSteps = 5000, 500_000
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		start := time.Now()
		cals, err := decodeAll(data)
		if err != nil {
			return
		}
		objs, _, err := splitCalendarsWith(recur.NewBudget(context.Background(), 0, 5_000_000), cals, "ann@acme.test", 50)
		if err != nil {
			if !errors.Is(err, recur.ErrBudget) {
				t.Fatalf("split: %v", err)
			}
			return
		}
		b := recur.NewBudget(context.Background(), maxInst, maxSteps)
		var held int
		for _, o := range objs {
			ivs, _, err := svc.expandBusy(b, etagOf(o.data), o.data, "ann@acme.test", loc, from, to)
			if b.Err() != nil {
				break
			}
			if err != nil {
				continue // counted busy by the policy
			}
			held += len(ivs)
			for _, iv := range ivs {
				if !iv.End.After(from) && !iv.Start.Equal(from) || !iv.Start.Before(to) {
					t.Fatalf("interval %v-%v outside the window", iv.Start, iv.End)
				}
			}
		}
		if n, _ := b.Used(); n > maxInst+256 || held > maxInst+256 {
			t.Fatalf("%d instances charged, %d intervals held; budget %d", n, held, maxInst)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
