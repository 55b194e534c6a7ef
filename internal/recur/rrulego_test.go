package recur

import (
	"slices"
	"testing"
	"time"

	rrulego "github.com/teambition/rrule-go"
)

// TestRRuleGoDifferences documents, with real runs, where
// github.com/teambition/rrule-go (the library go-ical uses, and the one
// STYLE.md warns about) gives wrong instances across DST changes, and what
// this package gives instead. rrule-go builds each candidate with
// time.Date, whose choice in a gap or an overlap is unspecified, and never
// removes the duplicates that creates.
func TestRRuleGoDifferences(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	cases := []struct {
		name    string
		rule    string
		dtstart time.Time
		rrulego []string // what rrule-go v1.8.2 returns (wrong)
		want    []string // RFC 5545
		why     string
	}{
		{
			name: "HOURLY across spring-forward", rule: "FREQ=HOURLY;COUNT=5", dtstart: time.Date(2026, 3, 29, 0, 30, 0, 0, paris),
			rrulego: []string{"2026-03-29T00:30:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"},
			want:    []string{"2026-03-29T00:30:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00", "2026-03-29T04:30:00+02:00"},
			why:     "02:30 does not exist and moves to 03:30 (RFC 5545 §3.3.5), onto the next instance: one instance, not two (§3.8.5.3)",
		},
		{
			name: "every 30 minutes across spring-forward", rule: "FREQ=MINUTELY;INTERVAL=30;COUNT=6", dtstart: time.Date(2026, 3, 29, 1, 0, 0, 0, paris),
			rrulego: []string{"2026-03-29T01:00:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"},
			want:    []string{"2026-03-29T01:00:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"},
			why:     "02:00 and 02:30 move to 03:00 and 03:30 (RFC 5545 §3.3.5); rrule-go lists both twice, out of order",
		},
		{
			name: "DAILY in the fall-back hour", rule: "FREQ=DAILY;COUNT=3", dtstart: time.Date(2026, 10, 24, 2, 30, 0, 0, paris),
			rrulego: []string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+01:00", "2026-10-26T02:30:00+01:00"},
			want:    []string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
			why:     "02:30 occurs twice on October 25; RFC 5545 §3.3.5 takes the first occurrence (CEST), rrule-go the second",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := rrulego.StrToROption(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			o.Dtstart = c.dtstart
			rg, err := rrulego.NewRRule(*o)
			if err != nil {
				t.Fatal(err)
			}
			var theirs []string
			for _, x := range rg.All() {
				theirs = append(theirs, x.Format(time.RFC3339))
			}
			if !slices.Equal(theirs, c.rrulego) {
				t.Errorf("rrule-go now returns %q (was %q): check whether it was fixed", theirs, c.rrulego)
			}
			r, err := ParseRule(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			var ours []string
			for x := range r.Iterator(c.dtstart, 0).All() {
				ours = append(ours, x.Format(time.RFC3339))
			}
			if !slices.Equal(ours, c.want) {
				t.Errorf("got %q, want %q: %s", ours, c.want, c.why)
			}
		})
	}
}
