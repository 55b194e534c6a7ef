package understand

import (
	"testing"
	"time"
)

var dstZones = []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"}

// TestWallClockProperty checks R11 on every 5th minute of the days around
// each zone's 2026 transitions against a brute-force reading that does not
// use at(): the instants whose local rendering is the wall time. One such
// instant: it is the answer. Two (an overlap): the first. None (a gap): the
// wall time read with the offset before the gap, which shows as the wall
// time plus the gap.
func TestWallClockProperty(t *testing.T) {
	for _, name := range dstZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		var days []day
		// the days around each offset change of 2026, and an ordinary day
		start := mkday(2026, 1, 1)
		for d := start; d < start+365; d++ {
			if offsetAt(int64(d)*86400, loc) != offsetAt(int64(d+1)*86400, loc) {
				days = append(days, d-1, d, d+1)
			}
		}
		days = append(days, mkday(2026, 6, 15))
		if name == "Asia/Kolkata" && len(days) != 1 {
			t.Fatalf("Kolkata has no DST, found changes on %v", days)
		}
		gaps, overlaps := 0, 0
		for _, d := range days {
			y, m, dd := d.date()
			for min := 0; min < 24*60; min += 5 {
				wall := int64(d)*86400 + int64(min)*60
				var found []time.Time
				for off := int64(-14 * 3600); off <= 14*3600; off += 15 * 60 {
					u := time.Unix(wall-off, 0).In(loc)
					uy, um, ud := u.Date()
					if uy == y && um == m && ud == dd && u.Hour()*60+u.Minute() == min {
						found = append(found, u)
					}
				}
				got, fold := at(d, min*60, loc)
				switch len(found) {
				case 1:
					if fold != wallExact || !got.Equal(found[0]) {
						t.Fatalf("%s %d-%02d-%02d %02d:%02d: got %v (fold %d), want %v", name, y, m, dd, min/60, min%60, got, fold, found[0])
					}
				case 2:
					overlaps++
					first := found[0]
					if found[1].Before(first) {
						first = found[1]
					}
					if fold != wallOverlap || !got.Equal(first) {
						t.Fatalf("%s %d-%02d-%02d %02d:%02d overlap: got %v, want the first %v", name, y, m, dd, min/60, min%60, got, first)
					}
				case 0:
					gaps++
					before := offsetAt(wall-86400, loc)
					after := offsetAt(wall+86400, loc)
					gap := after - before
					lc := got.Hour()*60 + got.Minute()
					if fold != wallGap || got.Unix() != wall-before || int64(lc) != (int64(min)+gap/60)%(24*60) {
						t.Fatalf("%s %d-%02d-%02d %02d:%02d gap: got %v, want moved forward by %v", name, y, m, dd, min/60, min%60, got, time.Duration(gap)*time.Second)
					}
				default:
					t.Fatalf("%s: %d instants for one wall time", name, len(found))
				}
			}
		}
		if name != "Asia/Kolkata" && (gaps == 0 || overlaps == 0) {
			t.Fatalf("%s: the test saw %d gap and %d overlap minutes; the transitions were not covered", name, gaps, overlaps)
		}
	}
}

// TestDSTRequests reads requests whose answer falls in or across a change
// (values derived by hand from R6, R9 and R11).
func TestDSTRequests(t *testing.T) {
	for _, c := range []struct {
		now, zone, text string
		start, end      string
		dur             int
	}{
		// Paris: 29 March 02:00 -> 03:00; 25 October 03:00 -> 02:00
		{"2026-03-28T12:00:00+01:00", "Europe/Paris", "tomorrow at 2:30am", "2026-03-29T03:30:00+02:00", "", 0},
		{"2026-03-28T12:00:00+01:00", "Europe/Paris", "demain à 2h30 du matin", "2026-03-29T03:30:00+02:00", "", 0},
		{"2026-10-24T12:00:00+02:00", "Europe/Paris", "tomorrow at 2:30am", "2026-10-25T02:30:00+02:00", "", 0},
		{"2026-10-24T12:00:00+02:00", "Europe/Paris", "in 24 hours", "2026-10-25T11:00:00+01:00", "", 0},
		{"2026-10-24T12:00:00+02:00", "Europe/Paris", "same time tomorrow", "2026-10-25T12:00:00+01:00", "", 0},
		{"2026-03-28T22:00:00+01:00", "Europe/Paris", "tonight from 11pm to 4am", "2026-03-28T23:00:00+01:00", "2026-03-29T04:00:00+02:00", 240},
		// New York: 8 March 02:00 -> 03:00; 1 November 02:00 -> 01:00
		{"2026-03-07T12:00:00-05:00", "America/New_York", "tomorrow at 2:30am", "2026-03-08T03:30:00-04:00", "", 0},
		{"2026-03-07T12:00:00-05:00", "America/New_York", "tomorrow at 2am", "2026-03-08T03:00:00-04:00", "", 0},
		{"2026-10-31T12:00:00-04:00", "America/New_York", "tomorrow at 1:59am", "2026-11-01T01:59:00-04:00", "", 0},
		{"2026-10-31T12:00:00-04:00", "America/New_York", "tomorrow from 1am to 3am", "2026-11-01T01:00:00-04:00", "2026-11-01T03:00:00-05:00", 180},
		// Kolkata: no change, half-hour offset
		{"2026-03-28T12:00:00+05:30", "Asia/Kolkata", "tomorrow at 2:30am", "2026-03-29T02:30:00+05:30", "", 0},
		{"2026-03-28T12:00:00+05:30", "Asia/Kolkata", "in 36 hours", "2026-03-30T00:00:00+05:30", "", 0},
		// Lord Howe: 5 April 02:00 -> 01:30; 4 October 02:00 -> 02:30
		{"2026-04-04T12:00:00+11:00", "Australia/Lord_Howe", "tomorrow at 1:45am", "2026-04-05T01:45:00+11:00", "", 0},
		{"2026-04-04T12:00:00+11:00", "Australia/Lord_Howe", "tomorrow at 2am", "2026-04-05T02:00:00+10:30", "", 0},
		{"2026-10-03T12:00:00+10:30", "Australia/Lord_Howe", "tomorrow at 2:15am", "2026-10-04T02:45:00+11:00", "", 0},
		{"2026-10-03T12:00:00+10:30", "Australia/Lord_Howe", "tomorrow from 1am to 3am", "2026-10-04T01:00:00+10:30", "2026-10-04T03:00:00+11:00", 90},
	} {
		loc, _ := time.LoadLocation(c.zone)
		now, _ := time.Parse(time.RFC3339, c.now)
		r := Parse(c.text, Context{Now: now, Zone: loc}).Request
		if got := r.Start.Format(time.RFC3339); got != c.start {
			t.Errorf("%s %q: start %s, want %s", c.zone, c.text, got, c.start)
		}
		if c.end != "" {
			if got := r.End.Format(time.RFC3339); got != c.end || r.Duration != c.dur {
				t.Errorf("%s %q: end %s (%d min), want %s (%d min)", c.zone, c.text, got, r.Duration, c.end, c.dur)
			}
		}
	}
}
