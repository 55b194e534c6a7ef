package recur

import (
	"slices"
	"testing"
	"time"
)

// The DST tests use the four zones LESSONS.md names. In 2026:
//   - Europe/Paris: 02:00→03:00 on March 29 (gap), 03:00→02:00 on
//     October 25 (02:00-03:00 twice);
//   - America/New_York: 02:00→03:00 on March 8, 02:00→01:00 on November 1;
//   - Australia/Lord_Howe: a 30-minute change, 02:00→01:30 on April 5
//     (01:30-02:00 twice), 02:00→02:30 on October 4 (gap);
//   - Asia/Kolkata: +05:30 all year.

func TestAtGapsAndOverlaps(t *testing.T) {
	cases := []struct {
		zone string
		wall time.Time
		want string
	}{
		// RFC 5545 §3.3.5: in a gap, the offset before it: later by the gap.
		{"Europe/Paris", wall(2026, 3, 29, 2, 30), "2026-03-29T03:30:00+02:00"},
		{"America/New_York", wall(2026, 3, 8, 2, 30), "2026-03-08T03:30:00-04:00"},
		{"Australia/Lord_Howe", wall(2026, 10, 4, 2, 15), "2026-10-04T02:45:00+11:00"},
		// RFC 5545 §3.3.5: twice, the first occurrence.
		{"Europe/Paris", wall(2026, 10, 25, 2, 30), "2026-10-25T02:30:00+02:00"},
		{"America/New_York", wall(2026, 11, 1, 1, 30), "2026-11-01T01:30:00-04:00"},
		{"Australia/Lord_Howe", wall(2026, 4, 5, 1, 45), "2026-04-05T01:45:00+11:00"},
		// Either side of the changes, and a zone without any.
		{"Europe/Paris", wall(2026, 3, 29, 1, 59), "2026-03-29T01:59:00+01:00"},
		{"Europe/Paris", wall(2026, 3, 29, 3, 0), "2026-03-29T03:00:00+02:00"},
		{"Europe/Paris", wall(2026, 10, 25, 3, 0), "2026-10-25T03:00:00+01:00"},
		{"Australia/Lord_Howe", wall(2026, 4, 5, 2, 0), "2026-04-05T02:00:00+10:30"},
		{"Asia/Kolkata", wall(2026, 3, 29, 2, 30), "2026-03-29T02:30:00+05:30"},
	}
	for _, c := range cases {
		got := At(c.wall, mustLoad(t, c.zone)).Format(time.RFC3339)
		if got != c.want {
			t.Errorf("%s %v: %s, want %s", c.zone, c.wall.Format("2006-01-02 15:04"), got, c.want)
		}
	}
}

func TestRulesAcrossDST(t *testing.T) {
	cases := []struct {
		name    string
		zone    string
		dtstart time.Time
		rule    string
		want    []string
	}{
		{"Paris daily 09:00 keeps its wall time", "Europe/Paris", wall(2026, 3, 28, 9, 0), "FREQ=DAILY;COUNT=3",
			[]string{"2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"}},
		{"Paris daily in the gap", "Europe/Paris", wall(2026, 3, 28, 2, 30), "FREQ=DAILY;COUNT=3",
			[]string{"2026-03-28T02:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"Paris daily in the repeated hour", "Europe/Paris", wall(2026, 10, 24, 2, 30), "FREQ=DAILY;COUNT=3",
			[]string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"Paris hourly across spring-forward", "Europe/Paris", wall(2026, 3, 29, 0, 30), "FREQ=HOURLY;COUNT=5",
			[]string{"2026-03-29T00:30:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"}},
		{"New York daily in the gap", "America/New_York", wall(2026, 3, 7, 2, 30), "FREQ=DAILY;COUNT=3",
			[]string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"New York daily in the repeated hour", "America/New_York", wall(2026, 10, 31, 1, 30), "FREQ=DAILY;COUNT=3",
			[]string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		// COUNT counts the wall times the rule produces (00, 01, 02, 03);
		// 02:00 moves onto 03:00 and is one instance (RFC 5545 §3.8.5.3).
		{"New York hourly across spring-forward", "America/New_York", wall(2026, 3, 8, 0, 0), "FREQ=HOURLY;COUNT=4",
			[]string{"2026-03-08T00:00:00-05:00", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"}},
		{"New York weekly Monday 09:00 over both changes", "America/New_York", wall(2026, 3, 2, 9, 0), "FREQ=WEEKLY;UNTIL=20261110T000000Z;BYDAY=MO;BYSETPOS=1",
			nil}, // checked below: always 09:00 on the wall
		{"Lord Howe daily in the 30-minute gap", "Australia/Lord_Howe", wall(2026, 10, 3, 2, 15), "FREQ=DAILY;COUNT=3",
			[]string{"2026-10-03T02:15:00+10:30", "2026-10-04T02:45:00+11:00", "2026-10-05T02:15:00+11:00"}},
		{"Lord Howe hourly across the 30-minute gap", "Australia/Lord_Howe", wall(2026, 10, 4, 0, 15), "FREQ=HOURLY;COUNT=4",
			[]string{"2026-10-04T00:15:00+10:30", "2026-10-04T01:15:00+10:30", "2026-10-04T02:45:00+11:00", "2026-10-04T03:15:00+11:00"}},
		{"Lord Howe hourly across the repeated half hour", "Australia/Lord_Howe", wall(2026, 4, 5, 0, 45), "FREQ=HOURLY;COUNT=4",
			[]string{"2026-04-05T00:45:00+11:00", "2026-04-05T01:45:00+11:00", "2026-04-05T02:45:00+10:30", "2026-04-05T03:45:00+10:30"}},
		{"Lord Howe every 20 minutes through the gap", "Australia/Lord_Howe", wall(2026, 10, 4, 1, 40), "FREQ=MINUTELY;INTERVAL=20;COUNT=5",
			// Wall times 01:40, 02:00, 02:20, 02:40, 03:00: 02:00 and
			// 02:20 are in the gap and move to 02:30 and 02:50, around
			// 02:40; instants come out sorted.
			[]string{"2026-10-04T01:40:00+10:30", "2026-10-04T02:30:00+11:00", "2026-10-04T02:40:00+11:00", "2026-10-04T02:50:00+11:00", "2026-10-04T03:00:00+11:00"}},
		{"Kolkata daily, no change", "Asia/Kolkata", wall(2026, 3, 28, 2, 30), "FREQ=DAILY;COUNT=3",
			[]string{"2026-03-28T02:30:00+05:30", "2026-03-29T02:30:00+05:30", "2026-03-30T02:30:00+05:30"}},
		{"Kolkata monthly last Friday 18:30", "Asia/Kolkata", wall(2026, 10, 30, 18, 30), "FREQ=MONTHLY;COUNT=3;BYDAY=-1FR",
			[]string{"2026-10-30T18:30:00+05:30", "2026-11-27T18:30:00+05:30", "2026-12-25T18:30:00+05:30"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc := mustLoad(t, c.zone)
			r, err := ParseRule(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for tm := range r.Iterator(At(c.dtstart, loc), 0).All() {
				got = append(got, tm.Format(time.RFC3339))
			}
			if c.want == nil {
				if len(got) < 30 {
					t.Fatalf("only %d instances", len(got))
				}
				for _, g := range got {
					if g[11:19] != "09:00:00" {
						t.Errorf("instance %s is not at 09:00", g)
					}
				}
				return
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

// TestDurationsAcrossDST checks RFC 5545 §3.8.5.3: DTEND gives every
// instance the same exact duration, DURATION the same nominal one.
func TestDurationsAcrossDST(t *testing.T) {
	cal := decodeCal(t, `BEGIN:VCALENDAR
VERSION:2.0
PRODID:test
BEGIN:VEVENT
UID:exact
DTSTART;TZID=Europe/Paris:20260327T120000
DTEND;TZID=Europe/Paris:20260328T120000
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:nominal
DTSTART;TZID=Europe/Paris:20260327T120000
DURATION:P1D
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:allday
DTSTART;VALUE=DATE:20260307
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
END:VCALENDAR`)
	got, err := ExpandCalendar(cal, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Options{Floating: mustLoad(t, "America/New_York")})
	if err != nil {
		t.Fatal(err)
	}
	lasting := map[string][]string{}
	for _, in := range got {
		lasting[in.UID] = append(lasting[in.UID], in.Start.Format(time.RFC3339)+" "+in.End.Sub(in.Start).String())
	}
	want := map[string][]string{
		"exact":   {"2026-03-27T12:00:00+01:00 24h0m0s", "2026-03-28T12:00:00+01:00 24h0m0s", "2026-03-29T12:00:00+02:00 24h0m0s"},
		"nominal": {"2026-03-27T12:00:00+01:00 24h0m0s", "2026-03-28T12:00:00+01:00 23h0m0s", "2026-03-29T12:00:00+02:00 24h0m0s"},
		// All-day events are floating: New York's March 8 has 23 hours.
		"allday": {"2026-03-07T00:00:00-05:00 24h0m0s", "2026-03-08T00:00:00-05:00 23h0m0s", "2026-03-09T00:00:00-04:00 24h0m0s"},
	}
	for uid, w := range want {
		if !slices.Equal(lasting[uid], w) {
			t.Errorf("%s:\n got  %q\n want %q", uid, lasting[uid], w)
		}
	}
}
