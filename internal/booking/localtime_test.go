package booking

import (
	"testing"
	"time"

	"github.com/convene/convene/internal/failure"
)

func TestParseStart(t *testing.T) {
	cases := []struct {
		zone, in string
		want     string // RFC 3339, or "" for an error
		reason   string
		instants []string
	}{
		{"Europe/Paris", "2026-03-05T14:00", "2026-03-05T14:00:00+01:00", "", nil},
		{"Europe/Paris", "2026-07-05T14:00:00", "2026-07-05T14:00:00+02:00", "", nil},
		{"Europe/Paris", "2026-07-05T14:00:00Z", "2026-07-05T14:00:00Z", "", nil},
		{"Europe/Paris", "2026-07-05T14:00:00-04:00", "2026-07-05T14:00:00-04:00", "", nil},
		// Spring forward: 02:30 does not exist.
		{"Europe/Paris", "2026-03-29T02:30", "", "nonexistent_local_time", []string{"2026-03-29T01:30:00+01:00", "2026-03-29T03:30:00+02:00"}},
		// Fall back: 02:30 happens twice.
		{"Europe/Paris", "2026-10-25T02:30", "", "ambiguous_local_time", []string{"2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00"}},
		{"America/New_York", "2026-03-08T02:15", "", "nonexistent_local_time", []string{"2026-03-08T01:15:00-05:00", "2026-03-08T03:15:00-04:00"}},
		{"America/New_York", "2026-11-01T01:30", "", "ambiguous_local_time", []string{"2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00"}},
		{"America/New_York", "2026-11-01T02:30", "2026-11-01T02:30:00-05:00", "", nil},
		// India: no DST, half-hour offset.
		{"Asia/Kolkata", "2026-03-29T02:30", "2026-03-29T02:30:00+05:30", "", nil},
		// Lord Howe: a half-hour shift. 2026-10-04 02:00 → 02:30.
		{"Australia/Lord_Howe", "2026-10-04T02:15", "", "nonexistent_local_time", []string{"2026-10-04T01:45:00+10:30", "2026-10-04T02:45:00+11:00"}},
		{"Australia/Lord_Howe", "2026-04-05T01:45", "", "ambiguous_local_time", []string{"2026-04-05T01:45:00+11:00", "2026-04-05T01:45:00+10:30"}},
		{"Australia/Lord_Howe", "2026-04-05T02:00", "2026-04-05T02:00:00+10:30", "", nil},
		{"UTC", "yesterday", "", "", nil},
	}
	for _, c := range cases {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseStart("start_time", c.in, loc)
		if c.want != "" {
			want, _ := time.Parse(time.RFC3339, c.want)
			if err != nil || !got.Equal(want) {
				t.Errorf("%s %s: %v, %v; want %s", c.zone, c.in, got, err, c.want)
			}
			continue
		}
		fe, ok := failure.As(err)
		if !ok || fe.Kind != failure.Invalid {
			t.Errorf("%s %s: %v, want an Invalid failure", c.zone, c.in, err)
			continue
		}
		if c.reason == "" {
			continue
		}
		if fe.Extra["reason"] != c.reason {
			t.Errorf("%s %s: reason %v, want %s", c.zone, c.in, fe.Extra["reason"], c.reason)
		}
		inst, _ := fe.Extra["instants"].([]string)
		if len(inst) != 2 {
			t.Errorf("%s %s: instants %v", c.zone, c.in, inst)
			continue
		}
		for i := range inst {
			a, _ := time.Parse(time.RFC3339, inst[i])
			b, _ := time.Parse(time.RFC3339, c.instants[i])
			if !a.Equal(b) {
				t.Errorf("%s %s: instant %d = %s, want %s", c.zone, c.in, i, inst[i], c.instants[i])
			}
		}
	}
}
