package availability

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// windowsOn returns the working windows that clock ranges give on one local
// date in loc, as "start/end" in UTC, through the same generator Search uses.
func windowsOn(t *testing.T, loc *time.Location, date string, ranges []ClockRange) string {
	t.Helper()
	d, err := ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	var empty [7][]ClockRange
	days := []int64{d.dayNumber()}
	mid := d.dayNumber() * secondsPerDay
	var g hoursGen
	g.init(newZoneCache(loc), &empty, []DateOverride{{d, ranges}}, days, mid-3*secondsPerDay, mid+3*secondsPerDay)
	var out []string
	for {
		w, ok := g.next()
		if !ok {
			break
		}
		out = append(out, time.Unix(w.s, 0).UTC().Format("2006-01-02T15:04Z")+"/"+time.Unix(w.e, 0).UTC().Format("2006-01-02T15:04Z"))
	}
	return strings.Join(out, " ")
}

func rng(a, b string) ClockRange {
	s, err := ParseClock(a)
	if err != nil {
		panic(err)
	}
	e, err := ParseClock(b)
	if err != nil {
		panic(err)
	}
	return ClockRange{s, e}
}

// TestWorkingHoursAcrossDST checks the instants of working ranges on days
// when clocks change, in the four zones of LESSONS.md and in Santiago, whose
// clocks change at midnight. The rule: a range covers exactly the instants
// whose wall clock, on that date, reads a time inside it.
func TestWorkingHoursAcrossDST(t *testing.T) {
	tests := []struct {
		zone, date string
		ranges     []ClockRange
		want       string
	}{
		// Paris: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
		{"Europe/Paris", "2026-03-28", []ClockRange{rng("09:00", "17:00")}, "2026-03-28T08:00Z/2026-03-28T16:00Z"},
		{"Europe/Paris", "2026-03-29", []ClockRange{rng("09:00", "17:00")}, "2026-03-29T07:00Z/2026-03-29T15:00Z"},
		{"Europe/Paris", "2026-03-29", []ClockRange{rng("00:00", "24:00")}, "2026-03-28T23:00Z/2026-03-29T22:00Z"}, // 23 h
		{"Europe/Paris", "2026-03-29", []ClockRange{rng("02:30", "04:00")}, "2026-03-29T01:00Z/2026-03-29T02:00Z"}, // starts 03:00 CEST
		{"Europe/Paris", "2026-03-29", []ClockRange{rng("01:00", "02:30")}, "2026-03-29T00:00Z/2026-03-29T01:00Z"}, // ends 03:00 CEST
		{"Europe/Paris", "2026-03-29", []ClockRange{rng("02:00", "03:00")}, ""},                                    // never on the clock
		{"Europe/Paris", "2026-10-25", []ClockRange{rng("09:00", "17:00")}, "2026-10-25T08:00Z/2026-10-25T16:00Z"},
		{"Europe/Paris", "2026-10-25", []ClockRange{rng("00:00", "24:00")}, "2026-10-24T22:00Z/2026-10-25T23:00Z"}, // 25 h
		{"Europe/Paris", "2026-10-25", []ClockRange{rng("02:30", "04:00")}, "2026-10-25T00:30Z/2026-10-25T01:00Z 2026-10-25T01:30Z/2026-10-25T03:00Z"},
		{"Europe/Paris", "2026-10-25", []ClockRange{rng("00:00", "02:30")}, "2026-10-24T22:00Z/2026-10-25T00:30Z 2026-10-25T01:00Z/2026-10-25T01:30Z"},
		{"Europe/Paris", "2026-10-25", []ClockRange{rng("02:00", "03:00")}, "2026-10-25T00:00Z/2026-10-25T02:00Z"}, // the hour twice
		// New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
		{"America/New_York", "2026-03-08", []ClockRange{rng("09:00", "17:00")}, "2026-03-08T13:00Z/2026-03-08T21:00Z"},
		{"America/New_York", "2026-03-08", []ClockRange{rng("02:30", "04:00")}, "2026-03-08T07:00Z/2026-03-08T08:00Z"},
		{"America/New_York", "2026-03-08", []ClockRange{rng("00:00", "24:00")}, "2026-03-08T05:00Z/2026-03-09T04:00Z"},
		{"America/New_York", "2026-11-01", []ClockRange{rng("09:00", "17:00")}, "2026-11-01T14:00Z/2026-11-01T22:00Z"},
		{"America/New_York", "2026-11-01", []ClockRange{rng("01:00", "02:00")}, "2026-11-01T05:00Z/2026-11-01T07:00Z"},
		{"America/New_York", "2026-11-01", []ClockRange{rng("00:00", "24:00")}, "2026-11-01T04:00Z/2026-11-02T05:00Z"},
		{"America/New_York", "2026-11-01", []ClockRange{rng("08:00", "12:00"), rng("13:00", "17:00")}, "2026-11-01T13:00Z/2026-11-01T17:00Z 2026-11-01T18:00Z/2026-11-01T22:00Z"},
		// Kolkata: +05:30 all year.
		{"Asia/Kolkata", "2026-03-29", []ClockRange{rng("09:00", "17:00")}, "2026-03-29T03:30Z/2026-03-29T11:30Z"},
		{"Asia/Kolkata", "2026-10-25", []ClockRange{rng("00:00", "24:00")}, "2026-10-24T18:30Z/2026-10-25T18:30Z"},
		{"Asia/Kolkata", "2026-11-01", []ClockRange{rng("21:15", "24:00")}, "2026-11-01T15:45Z/2026-11-01T18:30Z"},
		// Lord Howe: half-hour DST. 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11.
		{"Australia/Lord_Howe", "2026-04-05", []ClockRange{rng("09:00", "17:00")}, "2026-04-04T22:30Z/2026-04-05T06:30Z"},
		{"Australia/Lord_Howe", "2026-04-05", []ClockRange{rng("01:00", "02:00")}, "2026-04-04T14:00Z/2026-04-04T15:30Z"}, // 01:30-02:00 twice
		{"Australia/Lord_Howe", "2026-04-05", []ClockRange{rng("00:00", "24:00")}, "2026-04-04T13:00Z/2026-04-05T13:30Z"}, // 24.5 h
		{"Australia/Lord_Howe", "2026-10-04", []ClockRange{rng("09:00", "17:00")}, "2026-10-03T22:00Z/2026-10-04T06:00Z"},
		{"Australia/Lord_Howe", "2026-10-04", []ClockRange{rng("02:00", "03:00")}, "2026-10-03T15:30Z/2026-10-03T16:00Z"}, // 02:00-02:30 skipped
		{"Australia/Lord_Howe", "2026-10-04", []ClockRange{rng("00:00", "24:00")}, "2026-10-03T13:30Z/2026-10-04T13:00Z"}, // 23.5 h
		// Santiago: 2026-04-05 00:00 -03 -> 2026-04-04 23:00 -04 (the date
		// 04-04 comes back); 2026-09-06 00:00 -04 -> 01:00 -03 (no midnight).
		{"America/Santiago", "2026-04-04", []ClockRange{rng("22:00", "24:00")}, "2026-04-05T01:00Z/2026-04-05T04:00Z"},
		{"America/Santiago", "2026-04-05", []ClockRange{rng("00:00", "01:00")}, "2026-04-05T04:00Z/2026-04-05T05:00Z"},
		{"America/Santiago", "2026-09-06", []ClockRange{rng("00:00", "01:00")}, ""},
		{"America/Santiago", "2026-09-06", []ClockRange{rng("00:00", "24:00")}, "2026-09-06T04:00Z/2026-09-07T03:00Z"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s/%v", tt.zone, tt.date, tt.ranges)
		t.Run(name, func(t *testing.T) {
			got := windowsOn(t, mustLoad(t, tt.zone), tt.date, tt.ranges)
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestNightShiftAcrossMidnight checks that ranges touching at midnight make
// one stretch of working time, also across a DST change.
func TestNightShiftAcrossMidnight(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	var w WorkingHours
	for d := range 7 {
		w.Days[d] = []ClockRange{rng("00:00", "02:00"), rng("22:00", "24:00")}
	}
	p := &Person{ID: "night", Location: paris, Hours: w}
	from := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	slots, err := Search(Query{People: []*Person{p}, Duration: 3 * time.Hour, From: from, To: from.Add(48 * time.Hour), Now: from, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Saturday 22:00 CET to Sunday 02:00 CET is 4 hours; Sunday 22:00 CEST
	// to Monday 02:00 CEST too. A 3-hour meeting fits at 22:00-23:00 on each.
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.In(paris).Format("Mon 15:04 MST"))
	}
	want := "Sat 22:00 CET,Sat 22:15 CET,Sat 22:30 CET,Sat 22:45 CET,Sat 23:00 CET,Sun 22:00 CEST,Sun 22:15 CEST,Sun 22:30 CEST,Sun 22:45 CEST,Sun 23:00 CEST"
	if strings.Join(got, ",") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, ","), want)
	}
}

// TestGridInOrganizerZone checks that slots are aligned to the organizer's
// wall clock, with half-hour and half-hour-DST offsets.
func TestGridInOrganizerZone(t *testing.T) {
	for _, zone := range []string{"Asia/Kolkata", "Australia/Lord_Howe", "America/New_York", "Europe/Paris"} {
		loc := mustLoad(t, zone)
		var all WorkingHours
		for d := range 7 {
			all.Days[d] = []ClockRange{{0, EndOfDay}}
		}
		p := &Person{ID: zone, Location: loc, Hours: all}
		// Windows over Lord Howe's and Europe's autumn changes.
		for _, from := range []time.Time{time.Date(2026, 4, 4, 13, 7, 0, 0, time.UTC), time.Date(2026, 10, 3, 13, 7, 0, 0, time.UTC), time.Date(2026, 10, 24, 20, 7, 0, 0, time.UTC)} {
			slots, err := Search(Query{People: []*Person{p}, Duration: 30 * time.Minute, From: from, To: from.Add(6 * time.Hour), Now: from, Granularity: time.Hour, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(slots) < 5 {
				t.Fatalf("%s: only %d slots", zone, len(slots))
			}
			for i, s := range slots {
				l := s.Start.In(loc)
				if l.Minute() != 0 || l.Second() != 0 {
					t.Errorf("%s: slot %v is %s on the organizer's clock", zone, s.Start, l.Format("15:04"))
				}
				if i > 0 && !s.Start.After(slots[i-1].Start) {
					t.Errorf("%s: slots out of order", zone)
				}
			}
		}
	}
}
