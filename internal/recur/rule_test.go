package recur

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseRuleErrors(t *testing.T) {
	cases := []struct {
		rule, part, reason string
	}{
		{"", "", "empty rule"},
		{"INTERVAL=2", "", "FREQ is required"},
		{"FREQ=FORTNIGHTLY", "FREQ=FORTNIGHTLY", "unknown frequency"},
		{"FREQ=DAILY;FREQ=WEEKLY", "FREQ=WEEKLY", "FREQ given twice"},
		{"FREQ=DAILY;COUNT=0", "COUNT=0", "out of range 1.."},
		{"FREQ=DAILY;COUNT=ten", "COUNT=ten", "not an integer"},
		{"FREQ=DAILY;INTERVAL=-1", "INTERVAL=-1", "out of range"},
		{"FREQ=DAILY;UNTIL=2026-01-01", "UNTIL=2026-01-01", "not a date or date-time"},
		{"FREQ=DAILY;UNTIL=20261301", "UNTIL=20261301", "not a date"},
		{"FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0", "out of range -31..-1 or 1..31"},
		{"FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32", "out of range"},
		{"FREQ=YEARLY;BYYEARDAY=367", "BYYEARDAY=367", "out of range"},
		{"FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO=54", "out of range"},
		{"FREQ=YEARLY;BYMONTH=13", "BYMONTH=13", "out of range 1..12"},
		{"FREQ=YEARLY;BYMONTH=-1", "BYMONTH=-1", "out of range 1..12"},
		{"FREQ=DAILY;BYHOUR=24", "BYHOUR=24", "out of range 0..23"},
		{"FREQ=DAILY;BYMINUTE=60", "BYMINUTE=60", "out of range 0..59"},
		{"FREQ=DAILY;BYSECOND=61", "BYSECOND=61", "out of range 0..60"},
		{"FREQ=MONTHLY;BYDAY=XX", "BYDAY=XX", "weekday"},
		{"FREQ=MONTHLY;BYDAY=0MO", "BYDAY=0MO", "ordinal"},
		{"FREQ=MONTHLY;BYDAY=54MO", "BYDAY=54MO", "ordinal"},
		{"FREQ=MONTHLY;BYSETPOS=0;BYDAY=MO", "BYSETPOS=0", "out of range"},
		{"FREQ=WEEKLY;WKST=XY", "WKST=XY", "unknown weekday"},
		{"FREQ=WEEKLY;BYDAY", "BYDAY", "expected NAME=VALUE"},
		{"FREQ=WEEKLY;BYDAY=", "BYDAY=", "empty value"},
		{"FREQ=WEEKLY;X-FOO=1", "X-FOO=1", "unknown rule part"},
		{"FREQ=YEARLY;RSCALE=HEBREW", "RSCALE=HEBREW", "not supported"},
	}
	for _, c := range cases {
		_, err := ParseRule(c.rule)
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%q: %v, want a *ParseError", c.rule, err)
			continue
		}
		if pe.Part != c.part || !strings.Contains(pe.Reason, c.reason) {
			t.Errorf("%q: part %q reason %q, want part %q reason containing %q", c.rule, pe.Part, pe.Reason, c.part, c.reason)
		}
		if c.part != "" && !strings.Contains(err.Error(), c.part) {
			t.Errorf("%q: message %q does not name %q", c.rule, err, c.part)
		}
	}
}

func TestParseRuleFields(t *testing.T) {
	r, err := ParseRule("rrule:freq=monthly;interval=2;count=10;byday=1su,-1SU, MO;bymonthday=-3;bysetpos=1,-1;wkst=su;")
	if err != nil {
		t.Fatal(err)
	}
	want := Rule{Freq: Monthly, Interval: 2, Count: 10,
		ByDay:      []WeekdayNum{{1, time.Sunday}, {-1, time.Sunday}, {0, time.Monday}},
		ByMonthDay: []int{-3}, BySetPos: []int{1, -1}, WeekStart: time.Sunday}
	if !r.Equal(want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	if got := r.String(); got != "FREQ=MONTHLY;COUNT=10;INTERVAL=2;BYDAY=1SU,-1SU,MO;BYMONTHDAY=-3;BYSETPOS=1,-1;WKST=SU" {
		t.Errorf("String: %s", got)
	}
	for _, s := range []string{"FREQ=DAILY;UNTIL=20260301T100000Z", "FREQ=DAILY;UNTIL=20260301T100000", "FREQ=DAILY;UNTIL=20260301"} {
		r, err := ParseRule(s)
		if err != nil || r.String() != s {
			t.Errorf("%s: %s, %v", s, r.String(), err)
		}
	}
	if r, _ := ParseRule("FREQ=DAILY;UNTIL=20260301T100000Z"); r.UntilKind != UntilUTC || !r.Until.Equal(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("UNTIL: %v %v", r.Until, r.UntilKind)
	}
}

func TestValidate(t *testing.T) {
	ok := []string{"FREQ=MONTHLY;BYDAY=-1FR", "FREQ=YEARLY;BYWEEKNO=1;BYDAY=MO", "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1"}
	for _, s := range ok {
		r, _ := ParseRule(s)
		if err := r.Validate(); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := map[string]string{
		"FREQ=DAILY;COUNT=3;UNTIL=20260101T000000Z": "COUNT and UNTIL",
		"FREQ=MONTHLY;BYWEEKNO=3":                   "BYWEEKNO",
		"FREQ=WEEKLY;BYMONTHDAY=3":                  "BYMONTHDAY",
		"FREQ=DAILY;BYYEARDAY=3":                    "BYYEARDAY",
		"FREQ=WEEKLY;BYDAY=1MO":                     "ordinal",
		"FREQ=YEARLY;BYWEEKNO=2;BYDAY=1MO":          "ordinal",
		"FREQ=DAILY;BYSETPOS=1":                     "BYSETPOS",
	}
	for s, want := range bad {
		r, err := ParseRule(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error about %s", s, err, want)
		}
	}
}

// TestSeekCostsNothing checks that reaching a window far from DTSTART does
// not walk the periods in between: a 15-minute rule started in 1900 reaches
// 2026 within two hundred iterations.
func TestSeekCostsNothing(t *testing.T) {
	r, _ := ParseRule("FREQ=MINUTELY;INTERVAL=15")
	loc := mustLoad(t, "Europe/Paris")
	// Seek steps back a day (a gap can move a wall time that far: Samoa
	// skipped December 30, 2011), so about a hundred periods are looked at.
	it := r.Iterator(time.Date(1900, 1, 1, 0, 0, 0, 0, loc), 200)
	it.Seek(time.Date(2026, 3, 29, 0, 0, 0, 0, loc))
	var got []string
	for len(got) < 12 {
		tm, ok := it.Next()
		if !ok {
			t.Fatalf("stopped: %v", it.Err())
		}
		got = append(got, tm.Format("15:04-07:00"))
	}
	want := []string{"00:00+01:00", "00:15+01:00", "00:30+01:00", "00:45+01:00", "01:00+01:00", "01:15+01:00",
		"01:30+01:00", "01:45+01:00", "03:00+02:00", "03:15+02:00", "03:30+02:00", "03:45+02:00"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// Between agrees with plain iteration from DTSTART.
	start := time.Date(2025, 12, 30, 22, 0, 0, 0, loc)
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, loc), time.Date(2026, 1, 2, 0, 0, 0, 0, loc)
	b, err := r.Between(start, from, to, 0)
	if err != nil || len(b) != 96 || !b[0].Equal(from) {
		t.Errorf("Between: %d instances from %v, %v", len(b), b, err)
	}
	if _, err := r.Between(start, from, to, 10); !errors.Is(err, ErrCapped) {
		t.Errorf("Between with limit: %v", err)
	}
}
