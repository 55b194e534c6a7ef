package availability

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// starts formats slot starts in loc as "Mon 15:04".
func starts(slots []Slot, loc *time.Location) string {
	var out []string
	for _, s := range slots {
		out = append(out, s.Start.In(loc).Format("Mon 15:04"))
	}
	return strings.Join(out, " ")
}

func TestNewBusy(t *testing.T) {
	b := NewBusy([]Interval{
		{utc("2026-03-02T10:00:00Z"), utc("2026-03-02T11:00:00Z")},
		{utc("2026-03-02T09:00:00Z"), utc("2026-03-02T09:30:00Z")},
		{utc("2026-03-02T10:30:00Z"), utc("2026-03-02T12:00:00Z")}, // overlaps
		{utc("2026-03-02T12:00:00Z"), utc("2026-03-02T12:15:00Z")}, // touches
		{utc("2026-03-02T13:00:00Z"), utc("2026-03-02T13:00:00Z")}, // empty
		{utc("2026-03-02T15:00:00Z"), utc("2026-03-02T14:00:00Z")}, // inverted
		{utc("2026-03-02T16:00:00.5Z"), utc("2026-03-02T16:10:00.2Z")},
	})
	var got []string
	for _, iv := range b.Intervals() {
		got = append(got, iv.Start.Format("15:04:05")+"-"+iv.End.Format("15:04:05"))
	}
	want := "09:00:00-09:30:00 10:00:00-12:15:00 16:00:00-16:10:01"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v, want %s", got, want)
	}
	if b.Len() != 3 {
		t.Fatalf("Len %d", b.Len())
	}
	for _, tt := range []struct {
		s, e string
		want bool
	}{
		{"2026-03-02T09:30:00Z", "2026-03-02T10:00:00Z", false},
		{"2026-03-02T09:29:00Z", "2026-03-02T10:00:00Z", true},
		{"2026-03-02T12:15:00Z", "2026-03-02T16:00:00Z", false},
		{"2026-03-02T11:00:00Z", "2026-03-02T11:01:00Z", true},
	} {
		if got := b.Overlaps(Interval{utc(tt.s), utc(tt.e)}); got != tt.want {
			t.Errorf("Overlaps(%s, %s) = %v", tt.s, tt.e, got)
		}
	}
	var none *Busy
	if none.Len() != 0 || none.Overlaps(Interval{utc(want[:0] + "2026-03-02T09:00:00Z"), utc("2026-03-03T09:00:00Z")}) || none.Intervals() != nil {
		t.Fatal("nil Busy is not empty")
	}
	u := b.Union(NewBusy([]Interval{{utc("2026-03-02T09:30:00Z"), utc("2026-03-02T10:00:00Z")}}), nil)
	if u.Len() != 2 || b.Len() != 3 {
		t.Fatalf("Union: %v (and b now %d)", u.Intervals(), b.Len())
	}
}

func TestBusyFromEvents(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC) }
	b := BusyFromEvents([]Event{
		{Start: at(9), End: at(10)},
		{Start: at(10), End: at(11), Transparent: true},
		{Start: at(11), End: at(12), Cancelled: true},
		{Start: at(12), End: at(13), Declined: true},
		{Start: at(14), End: at(15)},
	})
	if got := b.Intervals(); len(got) != 2 || !got[0].End.Equal(at(10)) || !got[1].Start.Equal(at(14)) {
		t.Fatalf("got %v", got)
	}
}

// oneDay is a Monday in winter, before any 2026 clock change.
var oneDay = utc("2026-02-02T00:00:00Z")

func TestBuffersAndNotice(t *testing.T) {
	p := &Person{
		ID: "a", Location: time.UTC,
		Busy:         NewBusy([]Interval{{oneDay.Add(10 * time.Hour), oneDay.Add(11 * time.Hour)}}),
		BufferBefore: 15 * time.Minute, BufferAfter: 10 * time.Minute,
	}
	q := Query{People: []*Person{p}, Duration: 30 * time.Minute, From: oneDay, To: oneDay.Add(24 * time.Hour), Now: oneDay, Limit: 6}
	slots, err := Search(q)
	if err != nil {
		t.Fatal(err)
	}
	// Before the busy hour a meeting must end by 09:50 (10-minute buffer
	// after it); after it, start at 11:15 (15 minutes before). The buffer
	// before 09:00 may lie outside working hours.
	if got := starts(slots, time.UTC); got != "Mon 09:00 Mon 09:15 Mon 11:15 Mon 11:30 Mon 11:45 Mon 12:00" {
		t.Fatalf("got %s", got)
	}
	// Minimum notice: now 08:50 plus 2 hours; the grid then gives 11:15.
	p.MinNotice = 2 * time.Hour
	q.Now = oneDay.Add(8*time.Hour + 50*time.Minute)
	q.Limit = 1
	slots, err = Search(q)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, time.UTC); got != "Mon 11:15" {
		t.Fatalf("with notice: got %s", got)
	}
}

func TestOverrides(t *testing.T) {
	kolkata := mustLoad(t, "Asia/Kolkata")
	p := &Person{ID: "k", Location: kolkata, Overrides: []DateOverride{
		{Date{2026, 2, 4}, []ClockRange{rng("14:00", "15:00")}}, // Wednesday: one hour only
		{Date{2026, 2, 3}, nil},                                 // Tuesday: day off
	}}
	from := time.Date(2026, 2, 3, 0, 0, 0, 0, kolkata)
	slots, err := Search(Query{People: []*Person{p}, Duration: time.Hour, From: from, To: from.Add(72 * time.Hour), Now: from, Granularity: time.Hour, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, kolkata); got != "Wed 14:00 Thu 09:00 Thu 10:00" {
		t.Fatalf("got %s", got)
	}
}

// TestAcrossZonesAndDST checks a Paris organizer with a New York attendee,
// both on default hours: they overlap 14:00-16:00 UTC in winter, but
// 13:00-16:00 UTC in the weeks when only the USA has moved its clocks.
func TestAcrossZonesAndDST(t *testing.T) {
	paris, ny := mustLoad(t, "Europe/Paris"), mustLoad(t, "America/New_York")
	people := []*Person{{ID: "paris", Location: paris}, {ID: "ny", Location: ny}}
	for _, tt := range []struct{ from, want string }{
		{"2026-03-02T00:00:00Z", "Mon 15:00 Mon 15:30 Mon 16:00"},                     // CET and EST
		{"2026-03-09T00:00:00Z", "Mon 14:00 Mon 14:30 Mon 15:00 Mon 15:30 Mon 16:00"}, // CET and EDT
		{"2026-03-30T00:00:00Z", "Mon 15:00 Mon 15:30 Mon 16:00"},                     // CEST and EDT
		{"2026-10-26T00:00:00Z", "Mon 14:00 Mon 14:30 Mon 15:00 Mon 15:30 Mon 16:00"}, // CET and EDT again
	} {
		from := utc(tt.from)
		slots, err := Search(Query{People: people, Duration: time.Hour, From: from, To: from.Add(24 * time.Hour), Now: from, Granularity: 30 * time.Minute, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if got := starts(slots, paris); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.from, got, tt.want)
		}
	}
}

// TestBalancedRanking checks the fairness score on the same pair: Paris
// works 08:00-16:00 UTC and New York 14:00-22:00 UTC in winter. A 30-minute
// slot at 14:45 UTC ends 0:45 before Paris's day ends and starts 0:45 after
// New York's begins: comfort 0.375 each, the best worst case of the day.
func TestBalancedRanking(t *testing.T) {
	paris, ny := mustLoad(t, "Europe/Paris"), mustLoad(t, "America/New_York")
	org := &Person{ID: "paris", Location: paris}
	people := []*Person{org, {ID: "ny", Location: ny}}
	from := utc("2026-02-02T00:00:00Z")
	q := Query{People: people, Duration: 30 * time.Minute, From: from, To: from.Add(5 * 24 * time.Hour), Now: from, Ranking: Balanced, Limit: 3}
	slots, err := Search(q)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, time.UTC); got != "Mon 14:45 Tue 14:45 Wed 14:45" {
		t.Fatalf("got %s", got)
	}
	// 0.45·0.375 + 0.15·0.375 + 0.30·1 + 0.10·1 on the first possible start.
	if want := round6(0.45*0.375 + 0.15*0.375 + 0.30 + 0.10*(1-float64(14*time.Hour+45*time.Minute)/float64(5*24*time.Hour-30*time.Minute))); slots[0].Score != want {
		t.Fatalf("score %v, want %v", slots[0].Score, want)
	}
	for i := 1; i < len(slots); i++ {
		if slots[i].Score > slots[i-1].Score {
			t.Fatalf("not best first: %v", slots)
		}
	}
	// Preferred times of the organizer outweigh fairness: 15:30-16:00 Paris.
	org.Preferred = &WorkingHours{}
	org.Preferred.Days[time.Wednesday] = []ClockRange{rng("15:30", "16:00")}
	slots, err = Search(q)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, paris); !strings.HasPrefix(got, "Wed 15:30 ") {
		t.Fatalf("with preferred times: got %s", got)
	}
	// Earliest ranking, same query: time order, scores falling.
	q.Ranking = Earliest
	slots, err = Search(q)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, time.UTC); got != "Mon 14:00 Mon 14:15 Mon 14:30" || !(slots[0].Score > slots[1].Score && slots[1].Score > slots[2].Score) {
		t.Fatalf("earliest: got %s %v", got, slots)
	}
}

func TestPropose(t *testing.T) {
	paris := mustLoad(t, "Europe/Paris")
	p := &Person{ID: "p", Location: paris}
	from := time.Date(2026, 2, 2, 0, 0, 0, 0, paris) // Monday
	q := Query{People: []*Person{p}, Duration: time.Hour, From: from, To: from.Add(7 * 24 * time.Hour), Now: from}
	for _, tt := range []struct {
		ranking Ranking
		want    string
	}{
		{Earliest, "Mon 09:00 Tue 09:00 Wed 09:00 Thu 09:00"},
		// Balanced: the first start two hours from the day's edges (full
		// comfort; earlier beats later among equals), on the earliest days.
		{Balanced, "Mon 11:00 Tue 11:00 Wed 11:00 Thu 11:00"},
	} {
		q.Ranking = tt.ranking
		slots, err := Propose(q, 4)
		if err != nil {
			t.Fatal(err)
		}
		if got := starts(slots, paris); got != tt.want {
			t.Errorf("%v: got %s, want %s", tt.ranking, got, tt.want)
		}
	}
	// Only Monday is free: one option in each half-day, then any other
	// time that does not overlap them.
	p.Busy = NewBusy([]Interval{{from.Add(24 * time.Hour), from.Add(7 * 24 * time.Hour)}})
	q.Ranking = Earliest
	slots, err := Propose(q, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, paris); got != "Mon 09:00 Mon 10:00 Mon 12:00" {
		t.Errorf("one free day: got %s", got)
	}
	slots, err = Propose(q, 0)
	if err != nil || len(slots) != 3 {
		t.Errorf("default n: %v %v", slots, err)
	}
	p.Busy = NewBusy([]Interval{{from, from.Add(7 * 24 * time.Hour)}})
	if slots, err := Propose(q, 3); err != nil || len(slots) != 0 {
		t.Errorf("no time at all: %v %v", slots, err)
	}
}

func TestCheck(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	a := &Person{ID: "a@x", Location: ny, Busy: NewBusy([]Interval{{utc("2026-03-09T15:00:00Z"), utc("2026-03-09T16:00:00Z")}}), BufferAfter: 10 * time.Minute}
	b := &Person{ID: "b@x", Location: time.UTC, MinNotice: 24 * time.Hour}
	q := Query{People: []*Person{a, b}, Duration: 30 * time.Minute, From: utc("2026-03-09T00:00:00Z"), To: utc("2026-03-10T00:00:00Z"), Now: utc("2026-03-08T12:00:00Z")}
	for _, tt := range []struct{ start, want string }{
		{"2026-03-09T14:05:00Z", ""},                           // 10:05 EDT: off the grid is fine
		{"2026-03-09T14:25:00Z", "a@x: busy"},                  // buffer after reaches 15:00
		{"2026-03-09T15:30:00Z", "a@x: busy"},                  // inside the busy hour
		{"2026-03-09T12:30:00Z", "a@x: outside working hours"}, // 08:30 EDT
		{"2026-03-09T16:45:00Z", "b@x: outside working hours"}, // 17:00 UTC is b's end
		{"2026-03-09T23:45:00Z", "outside the search window; a@x: outside working hours; b@x: outside working hours"},
	} {
		cs, err := Check(q, utc(tt.start))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.String())
		}
		if strings.Join(got, "; ") != tt.want {
			t.Errorf("Check(%s) = %q, want %q", tt.start, strings.Join(got, "; "), tt.want)
		}
	}
	q.Now = utc("2026-03-09T00:00:00Z")
	cs, err := Check(q, utc("2026-03-09T14:00:00Z"))
	if err != nil || len(cs) != 1 || cs[0].Reason != ReasonNotice || cs[0].Person != 1 {
		t.Fatalf("notice: %v %v", cs, err)
	}
}

// TestCheckMatchesReference compares Check with the reference at random
// start times, on the grid or not.
func TestCheckMatchesReference(t *testing.T) {
	r := newRand(7)
	for i := range refCases(t) / 4 {
		c := randCase(t, r)
		m := newRefModel(c)
		for range 20 {
			start := c.q.From.Add(time.Duration(r.IntN(int(c.q.To.Sub(c.q.From)/time.Minute))) * time.Minute)
			got, err := Check(c.q, start)
			if err != nil {
				t.Fatal(err)
			}
			if want := m.conflicts(start); !slices.Equal(got, want) {
				t.Fatalf("case %d, start %v: got %v, want %v", i, start, got, want)
			}
		}
	}
}

func TestQueryErrors(t *testing.T) {
	p := &Person{ID: "p", Location: time.UTC}
	ok := Query{People: []*Person{p}, Duration: time.Hour, From: oneDay, To: oneDay.Add(time.Hour * 24), Now: oneDay}
	bad := func(f func(q *Query)) Query { q := ok; f(&q); return q }
	for _, tt := range []struct {
		q    Query
		want string
	}{
		{bad(func(q *Query) { q.People = nil }), "no attendees"},
		{bad(func(q *Query) { q.Duration = 30 * time.Second }), "at least one minute"},
		{bad(func(q *Query) { q.To = q.From }), "is not before to"},
		{bad(func(q *Query) { q.Now = time.Time{} }), "now is not set"},
		{bad(func(q *Query) { q.To = q.From.Add(MaxWindow + time.Hour) }), "longer than"},
		{bad(func(q *Query) { q.Granularity = 7 * time.Minute }), "dividing 24 hours"},
		{bad(func(q *Query) { q.Granularity = 90 * time.Second }), "whole minutes"},
		{bad(func(q *Query) { q.Limit = -1 }), "negative"},
		{bad(func(q *Query) { q.Ranking = 7 }), "Ranking(7)"},
		{bad(func(q *Query) { q.People = []*Person{{ID: "z"}} }), "attendee 1 (z): no time zone"},
		{bad(func(q *Query) { q.People = []*Person{p, nil} }), "attendee 2 (unnamed): nil person"},
		{bad(func(q *Query) {
			q.People = []*Person{{ID: "w", Location: time.UTC, Hours: WorkingHours{Days: [7][]ClockRange{1: {{600, 500}}}}}}
		}), "attendee 1 (w): working hours: mon: invalid working hours: range 1: end 08:20 is not after start 10:00"},
		{bad(func(q *Query) {
			q.People = []*Person{{ID: "o", Location: time.UTC, Overrides: []DateOverride{{Date{2026, 2, 2}, nil}, {Date{2026, 2, 2}, nil}}}}
		}), "override date 2026-02-02 given twice"},
		{bad(func(q *Query) { q.People = []*Person{{ID: "n", Location: time.UTC, MinNotice: -time.Hour}} }), "negative"},
	} {
		for name, call := range map[string]func(Query) error{
			"Search":  func(q Query) error { _, err := Search(q); return err },
			"Propose": func(q Query) error { _, err := Propose(q, 3); return err },
			"Check":   func(q Query) error { _, err := Check(q, oneDay); return err },
		} {
			err := call(tt.q)
			if err == nil || !errors.Is(err, ErrInvalidQuery) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %v, want ErrInvalidQuery with %q", name, err, tt.want)
			}
		}
	}
	if _, err := Propose(ok, -1); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("Propose(-1): %v", err)
	}
	if r, err := ParseRanking("balanced"); err != nil || r != Balanced || r.String() != "balanced" {
		t.Errorf("ParseRanking: %v %v", r, err)
	}
	if _, err := ParseRanking("fair"); !errors.Is(err, ErrInvalidQuery) {
		t.Errorf("ParseRanking(fair): %v", err)
	}
}

// TestUnsortedOverridesNotModified checks that Search sorts a copy.
func TestUnsortedOverridesNotModified(t *testing.T) {
	over := []DateOverride{{Date{2026, 2, 4}, nil}, {Date{2026, 2, 3}, nil}}
	p := &Person{ID: "p", Location: time.UTC, Overrides: over}
	slots, err := Search(Query{People: []*Person{p}, Duration: time.Hour, From: oneDay, To: oneDay.Add(4 * 24 * time.Hour), Now: oneDay, Granularity: 8 * time.Hour, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := starts(slots, time.UTC); got != "Mon 16:00 Thu 16:00" || over[0].Date.Day != 4 {
		t.Fatalf("got %s, overrides %v", got, over)
	}
}

// TestIndependentOfLocalZone runs the same queries with time.Local set to
// different zones: nothing may depend on the machine's zone.
func TestIndependentOfLocalZone(t *testing.T) {
	saved := time.Local
	defer func() { time.Local = saved }()
	var results []string
	for _, zone := range []string{"UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"} {
		time.Local = mustLoad(t, zone)
		r := newRand(3)
		var b strings.Builder
		for range 50 {
			c := randCase(t, r)
			for _, rk := range []Ranking{Earliest, Balanced} {
				c.q.Ranking = rk
				slots, err := Search(c.q)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, slots)
			}
		}
		results = append(results, b.String())
	}
	for i := 1; i < len(results); i++ {
		if results[i] != results[0] {
			t.Fatalf("results differ with time.Local set to another zone")
		}
	}
}

// TestConcurrentSearch shares people between concurrent queries (run with
// -race): a Person and its Busy are only read.
func TestConcurrentSearch(t *testing.T) {
	r := newRand(11)
	cases := make([]*refCase, 8)
	want := make([][]Slot, len(cases))
	for i := range cases {
		cases[i] = randCase(t, r)
		cases[i].q.Ranking = Ranking(i % 2)
		var err error
		if want[i], err = Search(cases[i].q); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(cases))
	for range 4 {
		for i, c := range cases {
			wg.Go(func() {
				got, err := Search(c.q)
				if err == nil && !slices.Equal(got, want[i]) {
					err = fmt.Errorf("case %d: got %v, want %v", i, got, want[i])
				}
				if err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSortSpans checks the radix sort against the standard library, on
// short, long, narrow and very wide inputs.
func TestSortSpans(t *testing.T) {
	r := newRand(5)
	for _, tt := range []struct {
		n     int
		width int64
	}{{0, 10}, {10, 1000}, {300, 60}, {5000, 5e6}, {5000, 1 << 32}, {3000, 1 << 40}, {2000, 1 << 62}} {
		spans := make([]span, tt.n)
		for i := range spans {
			s := r.Int64N(tt.width) - tt.width/3
			spans[i] = span{s, s + int64(i)}
		}
		want := slices.Clone(spans)
		slices.SortStableFunc(want, func(a, b span) int { return cmp.Compare(a.s, b.s) })
		sortSpans(spans)
		if !slices.Equal(spans, want) {
			t.Fatalf("n=%d width=%d: radix sort differs from a stable sort", tt.n, tt.width)
		}
	}
}
