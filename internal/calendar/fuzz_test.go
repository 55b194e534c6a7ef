package calendar

import (
	"bytes"
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
