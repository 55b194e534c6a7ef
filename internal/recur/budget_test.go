package recur

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// denseCalendar returns a VCALENDAR of n events, each with rule from
// DTSTART (UTC) and lasting one second.
func denseCalendar(n int, dtstart, rule string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n")
	for i := range n {
		fmt.Fprintf(&b, "BEGIN:VEVENT\nUID:dense-%d\nDTSTART:%s\nDURATION:PT1S\nRRULE:%s\nEND:VEVENT\n", i, dtstart, rule)
	}
	b.WriteString("END:VCALENDAR")
	return b.String()
}

// TestSeekWithCount checks that a rule with COUNT jumps to the window
// when each of its periods yields the same number of instances: a
// SECONDLY rule started 14 months before the window reaches it in a few
// steps, with the instances COUNT still allows, and stops where COUNT
// ends. Before, it walked every instance from DTSTART and gave up (with no
// instance at all) after a million.
func TestSeekWithCount(t *testing.T) {
	cases := []struct {
		rule, dtstart string
		seek          time.Time
		want          []string // the first instances from seek
	}{
		// 2025-01-01 to 2026-03-01 is 424 days: instance number 36,633,600
		// (from 0) is at the seek point, well within COUNT.
		{"FREQ=SECONDLY;COUNT=100000000", "20250101T000000Z", utc(2026, 3, 1, 0),
			[]string{"2026-03-01T00:00:00Z", "2026-03-01T00:00:01Z", "2026-03-01T00:00:02Z"}},
		// INTERVAL=7 from 00:00:00: the first at or after 12:00 (43,200 s)
		// is 12:00:04 (43,204 = 7 × 6,172).
		{"FREQ=SECONDLY;INTERVAL=7;COUNT=1000000", "20260301T000000Z", utc(2026, 3, 1, 12),
			[]string{"2026-03-01T12:00:04Z", "2026-03-01T12:00:11Z", "2026-03-01T12:00:18Z"}},
		// COUNT=10 minutes from midnight: used up before the window.
		{"FREQ=MINUTELY;COUNT=10", "20260301T000000Z", utc(2026, 3, 1, 1), nil},
		// The last of COUNT=3,000 (minute 2,999 after 00:00) is 01:59 of
		// the third day: seek to 01:58 leaves two.
		{"FREQ=MINUTELY;COUNT=3000", "20260301T000000Z", time.Date(2026, 3, 3, 1, 58, 0, 0, time.UTC),
			[]string{"2026-03-03T01:58:00Z", "2026-03-03T01:59:00Z"}},
		// Two instances a day; DTSTART at 12:00 leaves one in the first
		// day: COUNT=7 ends at noon on the fourth day.
		{"FREQ=DAILY;BYHOUR=9,12;COUNT=7", "20260301T120000Z", utc(2026, 3, 3, 10),
			[]string{"2026-03-03T12:00:00Z", "2026-03-04T09:00:00Z", "2026-03-04T12:00:00Z"}},
		// Mondays and Thursdays from Thursday March 5: COUNT=5 ends on
		// Thursday March 19.
		{"FREQ=WEEKLY;BYDAY=MO,TH;COUNT=5", "20260305T090000Z", utc(2026, 3, 13, 0),
			[]string{"2026-03-16T09:00:00Z", "2026-03-19T09:00:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			r, err := ParseRule(c.rule)
			if err != nil {
				t.Fatal(err)
			}
			start, _ := time.Parse("20060102T150405Z", c.dtstart)
			it := r.Iterator(start, 1000)
			it.Seek(c.seek)
			var got []string
			for len(got) < 3 {
				tm, ok := it.Next()
				if !ok {
					break
				}
				got = append(got, tm.UTC().Format(time.RFC3339))
			}
			if err := it.Err(); err != nil {
				t.Fatalf("after %v: %v", got, err)
			}
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

// TestSeekWithCountAgreesWithWalking compares, on random rules with
// COUNT (those seek can jump and those it cannot), the instances after a
// seek with those found by walking from DTSTART.
func TestSeekWithCountAgreesWithWalking(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 16))
	freqs := []string{"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY"}
	zones := []string{"UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Apia"}
	for i := range 400 {
		parts := []string{"FREQ=" + freqs[rng.IntN(len(freqs))], fmt.Sprintf("COUNT=%d", 1+rng.IntN(3000))}
		if rng.IntN(2) == 0 {
			parts = append(parts, fmt.Sprintf("INTERVAL=%d", 1+rng.IntN(40)))
		}
		switch rng.IntN(6) {
		case 0:
			parts = append(parts, "BYHOUR=9,14")
		case 1:
			parts = append(parts, "BYDAY=MO,WE,FR")
		case 2:
			parts = append(parts, "BYMINUTE=0,30")
		case 3:
			parts = append(parts, "BYSETPOS=1")
		}
		r, err := ParseRule(strings.Join(parts, ";"))
		if err != nil {
			continue
		}
		loc := mustLoad(t, zones[rng.IntN(len(zones))])
		start := time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, loc)
		walk := r.Iterator(start, 5_000_000)
		var all []time.Time
		for tm := range walk.All() {
			all = append(all, tm)
		}
		if walk.Err() != nil {
			continue
		}
		if len(all) == 0 {
			continue
		}
		// Seek to a random point between DTSTART and a bit after the end.
		span := all[len(all)-1].Unix() - start.Unix() + 3*3600
		at := time.Unix(start.Unix()-3600+rng.Int64N(span), 0)
		it := r.Iterator(start, 5_000_000)
		it.Seek(at)
		var got []time.Time
		for tm := range it.All() {
			got = append(got, tm)
		}
		var want []time.Time
		for _, tm := range all {
			if !tm.Before(at) {
				want = append(want, tm)
			}
		}
		if len(got) != len(want) || len(got) > 0 && (!got[0].Equal(want[0]) || !got[len(got)-1].Equal(want[len(want)-1])) {
			t.Fatalf("case %d: %s from %v, seek %v: %d instances (%v...), walking gives %d (%v...)",
				i, r, start, at, len(got), head(got), len(want), head(want))
		}
	}
}

func head(ts []time.Time) []time.Time { return ts[:min(3, len(ts))] }

// TestCountRuleBeforeWindow: a COUNT rule that started long before the
// window is expanded in it, cheaply, by ExpandCalendar.
func TestCountRuleBeforeWindow(t *testing.T) {
	got, err := expand(t, `BEGIN:VEVENT
UID:c
DTSTART:20250101T000000Z
DURATION:PT1S
RRULE:FREQ=SECONDLY;COUNT=100000000
END:VEVENT`, utc(2026, 3, 1, 0), time.Date(2026, 3, 1, 0, 10, 0, 0, time.UTC), Options{MaxIterations: 10_000})
	if err != nil || len(got) != 600 {
		t.Errorf("%d instances, %v; want 600", len(got), err)
	}
}

// TestCapsSayWhatIsComplete checks the promise of CapError: every
// instance that starts before Complete is in the result. With many
// events, the earliest MaxInstances are kept whatever the order of the
// events; a rule that gives up before the window says nothing is known
// from the window's start.
func TestCapsSayWhatIsComplete(t *testing.T) {
	// Ten hourly events, started at different minutes, the later UIDs
	// earlier in the day.
	var body []string
	for i := range 10 {
		body = append(body, fmt.Sprintf("BEGIN:VEVENT\nUID:e%d\nDTSTART:20260301T%02d%02d00Z\nDURATION:PT5M\nRRULE:FREQ=HOURLY\nEND:VEVENT", i, 9-i, 59-5*i))
	}
	from, to := utc(2026, 3, 2, 0), utc(2026, 3, 4, 0)
	// 48 hours of ten events, and the 23:59 one of the day before that
	// lasts into the window.
	all, err := expand(t, strings.Join(body, "\n"), from, to, Options{})
	if err != nil || len(all) != 481 {
		t.Fatalf("full expansion: %d, %v", len(all), err)
	}
	for _, most := range []int{1, 7, 150, 480} {
		got, err := expand(t, strings.Join(body, "\n"), from, to, Options{MaxInstances: most})
		complete, ok := CompleteUntil(err)
		if !errors.Is(err, ErrCapped) || !ok || len(got) != most {
			t.Fatalf("cap %d: %d instances, %v", most, len(got), err)
		}
		if !complete.Equal(all[most].Start) {
			t.Errorf("cap %d: complete until %v, want %v", most, complete, all[most].Start)
		}
		for i := range got {
			if got[i].UID != all[i].UID || !got[i].Start.Equal(all[i].Start) {
				t.Fatalf("cap %d: instance %d is %s %v, want %s %v", most, i, got[i].UID, got[i].Start, all[i].UID, all[i].Start)
			}
		}
	}
	// A rule that yields nothing for a million steps: nothing is known in
	// the window.
	_, err = expand(t, `BEGIN:VEVENT
UID:never
DTSTART:20260101T000000Z
RRULE:FREQ=SECONDLY;BYSETPOS=2
END:VEVENT`, from, to, Options{MaxIterations: 1000})
	if complete, ok := CompleteUntil(err); !ok || complete.After(from) {
		t.Errorf("a rule capped before the window: complete until %v (%v), %v", complete, ok, err)
	}
}

// TestBudgetStopsExpansion: one budget bounds the instances and steps of
// every expansion that shares it; past it, ExpandCalendar stops with a
// *BudgetError.
func TestBudgetStopsExpansion(t *testing.T) {
	cal := decodeCal(t, denseCalendar(300, "20260101T000000Z", "FREQ=SECONDLY;INTERVAL=7"))
	b := NewBudget(context.Background(), 10_000, 0)
	// Three calls share the budget, as the calendars of one request do.
	var err error
	var got []Instance
	for range 3 {
		got, err = ExpandCalendar(cal, utc(2026, 3, 1, 0), utc(2026, 6, 1, 0), Options{Budget: b})
		if err != nil {
			break
		}
	}
	var be *BudgetError
	if !errors.As(err, &be) || be.Resource != "instances" || !errors.Is(err, ErrBudget) {
		t.Fatalf("err %v, want an instance budget error", err)
	}
	if n, _ := b.Used(); n > 10_000+chargeBatch || len(got) > 10_000+chargeBatch {
		t.Errorf("%d instances charged, %d returned, budget 10,000", n, len(got))
	}
	// Rules that never match cost steps, not instances.
	never := decodeCal(t, denseCalendar(200, "20260101T000000Z", "FREQ=SECONDLY;BYSETPOS=2"))
	b = NewBudget(context.Background(), 0, 500_000)
	_, err = ExpandCalendar(never, utc(2026, 3, 1, 0), utc(2026, 6, 1, 0), Options{Budget: b})
	if !errors.As(err, &be) || be.Resource != "steps" {
		t.Fatalf("err %v, want a step budget error", err)
	}
	if _, steps := b.Used(); steps > 500_000+2*budgetStride {
		t.Errorf("%d steps spent, budget 500,000", steps)
	}
	// A spent budget stops the next expansion at once.
	if got, err := ExpandCalendar(cal, utc(2026, 3, 1, 0), utc(2026, 3, 2, 0), Options{Budget: b}); !errors.Is(err, ErrBudget) || len(got) != 0 {
		t.Errorf("after the budget: %d instances, %v", len(got), err)
	}
}

// doneAfter is a context that is done once its Done channel has been
// asked for more than n times: it ends in the middle of an expansion
// without any timing.
type doneAfter struct {
	context.Context
	n    atomic.Int64
	ch   chan struct{}
	once sync.Once
}

func newDoneAfter(n int64) *doneAfter {
	c := &doneAfter{Context: context.Background(), ch: make(chan struct{})}
	c.n.Store(n)
	return c
}

func (c *doneAfter) Done() <-chan struct{} {
	if c.n.Add(-1) < 0 {
		c.once.Do(func() { close(c.ch) })
	}
	return c.ch
}

func (c *doneAfter) Err() error {
	select {
	case <-c.ch:
		return context.Canceled
	default:
		return nil
	}
}

// TestBudgetFollowsContext: an expansion looks at its request's context
// every few thousand steps, and stops once it is done.
func TestBudgetFollowsContext(t *testing.T) {
	// One rule, a million instances in the window: only the looks inside
	// the rule's iteration can stop it.
	cal := decodeCal(t, denseCalendar(1, "20260101T000000Z", "FREQ=SECONDLY"))
	ctx := newDoneAfter(5)
	b := NewBudget(ctx, 10_000_000, 100_000_000)
	got, err := ExpandCalendar(cal, utc(2026, 3, 1, 0), utc(2026, 3, 15, 0), Options{Budget: b, MaxInstances: 10_000_000})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrBudget) {
		t.Fatalf("err %v, want the context's", err)
	}
	if _, steps := b.Used(); steps > 20*budgetStride || len(got) > 20*budgetStride {
		t.Errorf("%d steps and %d instances after the context ended", steps, len(got))
	}
}

// genDenseRule returns a random rule of the kind that fills a window:
// SECONDLY, MINUTELY or HOURLY, with or without limits, COUNT and UNTIL.
func genDenseRule(rng *rand.Rand) string {
	freqs := []string{"SECONDLY", "MINUTELY", "HOURLY"}
	parts := []string{"FREQ=" + freqs[rng.IntN(3)]}
	if rng.IntN(2) == 0 {
		parts = append(parts, fmt.Sprintf("INTERVAL=%d", 1+rng.IntN(120)))
	}
	switch rng.IntN(8) {
	case 0:
		parts = append(parts, fmt.Sprintf("COUNT=%d", 1+rng.IntN(100_000_000)))
	case 1:
		parts = append(parts, "UNTIL=20270101T000000Z")
	case 2:
		parts = append(parts, "BYHOUR=9,10,11")
	case 3:
		parts = append(parts, "BYDAY=MO,TU,WE,TH,FR")
	case 4:
		parts = append(parts, "BYSETPOS=2") // never matches: only steps
	case 5:
		parts = append(parts, "BYMONTH=2,3;BYMONTHDAY=1,15,28")
	}
	return strings.Join(parts, ";")
}

// genDenseCalendar returns a calendar of many events with dense rules,
// some with EXRULEs, RDATE lists and overrides.
func genDenseCalendar(rng *rand.Rand, events int) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n")
	for i := range events {
		start := time.Date(2020+rng.IntN(7), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60), 0, time.UTC)
		fmt.Fprintf(&b, "BEGIN:VEVENT\nUID:g-%d\nDTSTART:%s\nDURATION:PT%dS\nRRULE:%s\n", i, start.Format("20060102T150405Z"), 1+rng.IntN(600), genDenseRule(rng))
		if rng.IntN(5) == 0 {
			fmt.Fprintf(&b, "EXRULE:%s\n", genDenseRule(rng))
		}
		if rng.IntN(5) == 0 {
			var ds []string
			for range 1 + rng.IntN(200) {
				ds = append(ds, start.Add(time.Duration(rng.IntN(1<<20))*time.Minute).Format("20060102T150405Z"))
			}
			fmt.Fprintf(&b, "RDATE:%s\n", strings.Join(ds, ","))
		}
		b.WriteString("END:VEVENT\n")
	}
	b.WriteString("END:VCALENDAR")
	return b.String()
}

// TestDenseCalendarsStayBounded is the property behind issue 8 item 1:
// whatever the calendar (here: random dense rules, up to 400 events, in
// windows of up to 92 days), an expansion with a budget ends with the
// budget's error or a result within its caps, its allocations are bounded
// by the budget and not by the calendar or the window, and it returns
// quickly.
func TestDenseCalendarsStayBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 8))
	const maxInst, maxSteps = 20_000, 2_000_000
	var budgetErrs, results int
	for i := range 30 {
		events, hours := 1+rng.IntN(400), 1+rng.IntN(92*24)
		if i%2 == 0 {
			events, hours = 1+rng.IntN(4), 1+rng.IntN(48)
		}
		cal := decodeCal(t, genDenseCalendar(rng, events))
		from := time.Date(2026, time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		to := from.Add(time.Duration(hours) * time.Hour)
		b := NewBudget(context.Background(), maxInst, maxSteps)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		got, err := ExpandCalendar(cal, from, to, Options{Budget: b, MaxInstances: 5000})
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		switch {
		case errors.Is(err, ErrBudget):
			budgetErrs++
		case len(got) > 5000:
			t.Errorf("calendar %d: %d instances over the cap", i, len(got))
		default:
			results++
		}
		if n, _ := b.Used(); n > maxInst+chargeBatch {
			t.Errorf("calendar %d: %d instances held, budget %d", i, n, maxInst)
		}
		// An Instance is about 200 bytes, and the set an expansion sorts
		// holds each one once more: 20,000 of them are well under 32 MB,
		// whereas the unbounded expansion of one such calendar took GBs.
		if alloc > 32<<20 {
			t.Errorf("calendar %d: %d MB allocated", i, alloc>>20)
		}
		// A few milliseconds, a second under the race detector; the
		// deadline leaves room for a loaded machine. Unbounded, one such
		// calendar takes minutes.
		if elapsed > 20*time.Second {
			t.Errorf("calendar %d: %v", i, elapsed)
		}
	}
	if budgetErrs == 0 || results == 0 {
		t.Errorf("the generator should give both outcomes: %d budget errors, %d results", budgetErrs, results)
	}
}

// TestExpansionAllocationsIndependentOfWindow: with a budget, expanding a
// calendar of dense events allocates as much for three months as for
// one day, since the budget stops both.
func TestExpansionAllocationsIndependentOfWindow(t *testing.T) {
	cal := decodeCal(t, denseCalendar(100, "20260101T000000Z", "FREQ=SECONDLY;INTERVAL=7"))
	allocs := func(to time.Time) float64 {
		return testing.AllocsPerRun(3, func() {
			b := NewBudget(context.Background(), 5000, 0)
			ExpandCalendar(cal, utc(2026, 3, 1, 0), to, Options{Budget: b})
		})
	}
	day, quarter := allocs(utc(2026, 3, 2, 0)), allocs(utc(2026, 6, 1, 0))
	if quarter > day*1.2+100 {
		t.Errorf("%v allocations for three months, %v for a day", quarter, day)
	}
}
