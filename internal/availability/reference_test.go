package availability

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"
)

// This file holds a slow, obviously correct reference implementation of the
// slot search, minute by minute, and random cases to compare it with.

// refPerson is the reference's view of one person: raw busy intervals, not
// merged, and the working-hours rules applied to each minute's wall clock.
type refPerson struct {
	p   *Person
	raw []Interval
}

// refCase is a random query with minute-aligned data.
type refCase struct {
	q      Query
	people []refPerson
}

// refWorking reports whether the minute starting at u is working time for
// p: its wall clock reading, on its local date, is inside a range of that
// date (override, else weekday, else default hours).
func refWorking(p *Person, u time.Time) bool {
	t := u.In(p.Location)
	clock := Clock(t.Hour()*60 + t.Minute())
	ranges := p.Hours.Days[t.Weekday()]
	if p.Hours.IsZero() {
		ranges = defaultHours.Days[t.Weekday()]
	}
	for _, o := range p.Overrides {
		if o.Date == (Date{t.Year(), t.Month(), t.Day()}) {
			ranges = o.Ranges
		}
	}
	for _, r := range ranges {
		if r.Start <= clock && clock < r.End {
			return true
		}
	}
	return false
}

// refInPreferred reports whether the minute at u is in the preferred times.
func refInPreferred(p *Person, u time.Time) bool {
	t := u.In(p.Location)
	clock := Clock(t.Hour()*60 + t.Minute())
	for _, r := range p.Preferred.Days[t.Weekday()] {
		if r.Start <= clock && clock < r.End {
			return true
		}
	}
	return false
}

// refModel holds per-minute facts over [base, base+n minutes).
type refModel struct {
	c       *refCase
	base    time.Time
	n       int
	working [][]bool // [person][minute]
	busy    [][]bool // minute overlaps a raw busy interval
	pref    []bool
	offW    [][]int           // prefix counts of non-working minutes
	onB     [][]int           // prefix counts of busy minutes
	date    [][]Date          // local date of each minute
	span    []map[Date][2]int // first and last+1 working minute of each date
}

// refMargin is how far around the window the model looks: more than the
// largest buffer, and far enough that a working day cut at the edge of the
// model is more than two hours from any slot (so comfort is capped anyway).
const refMargin = 30 * time.Hour

func newRefModel(c *refCase) *refModel {
	m := &refModel{c: c, base: c.q.From.Add(-refMargin)}
	m.n = int(c.q.To.Add(refMargin).Sub(m.base) / time.Minute)
	for _, rp := range c.people {
		w := make([]bool, m.n)
		b := make([]bool, m.n)
		dates := make([]Date, m.n)
		spans := map[Date][2]int{}
		for i := range m.n {
			u := m.base.Add(time.Duration(i) * time.Minute)
			w[i] = refWorking(rp.p, u)
			t := u.In(rp.p.Location)
			dates[i] = Date{t.Year(), t.Month(), t.Day()}
			if w[i] {
				sp, ok := spans[dates[i]]
				if !ok {
					sp[0] = i
				}
				sp[1] = i + 1
				spans[dates[i]] = sp
			}
		}
		m.date = append(m.date, dates)
		m.span = append(m.span, spans)
		for _, iv := range rp.raw {
			for i := max(0, m.idx(iv.Start)); i < min(m.n, m.idx(iv.End)); i++ {
				b[i] = true // the minute [base+i, base+i+1) meets the interval
			}
		}
		m.working = append(m.working, w)
		m.busy = append(m.busy, b)
		ow, ob := make([]int, m.n+1), make([]int, m.n+1)
		for i := range m.n {
			ow[i+1], ob[i+1] = ow[i], ob[i]
			if !w[i] {
				ow[i+1]++
			}
			if b[i] {
				ob[i+1]++
			}
		}
		m.offW = append(m.offW, ow)
		m.onB = append(m.onB, ob)
	}
	if org := c.people[0].p; org.Preferred != nil {
		m.pref = make([]bool, m.n)
		for i := range m.n {
			m.pref[i] = refInPreferred(org, m.base.Add(time.Duration(i)*time.Minute))
		}
	}
	return m
}

func (m *refModel) idx(t time.Time) int { return int(t.Sub(m.base) / time.Minute) }

// conflicts lists, by the definitions alone, why a meeting at start does not
// suit (ignoring the grid).
func (m *refModel) conflicts(start time.Time) []Conflict {
	q := m.c.q
	end := start.Add(q.Duration)
	var out []Conflict
	if start.Before(q.From) || end.After(q.To) {
		out = append(out, Conflict{-1, "", ReasonWindow})
	}
	for pi, rp := range m.c.people {
		p := rp.p
		if start.Before(q.Now.Add(p.MinNotice)) {
			out = append(out, Conflict{pi, p.ID, ReasonNotice})
		}
		// Some minute of the meeting is not working time.
		if m.offW[pi][m.idx(end)]-m.offW[pi][m.idx(start)] > 0 {
			out = append(out, Conflict{pi, p.ID, ReasonHours})
		}
		// Some minute of the meeting or its buffers is busy.
		if m.onB[pi][m.idx(end.Add(p.BufferAfter))]-m.onB[pi][m.idx(start.Add(-p.BufferBefore))] > 0 {
			out = append(out, Conflict{pi, p.ID, ReasonBusy})
		}
	}
	return out
}

// onGrid reports whether start is on the organizer's local grid.
func (m *refModel) onGrid(start time.Time) bool {
	g := m.c.q.Granularity
	if g == 0 {
		g = DefaultGranularity
	}
	t := start.In(m.c.people[0].p.Location)
	sec := time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second
	return sec%g == 0
}

// valid lists every suitable slot start, minute by minute.
func (m *refModel) valid() []time.Time {
	var out []time.Time
	q := m.c.q
	for t := q.From; !t.Add(q.Duration).After(q.To); t = t.Add(time.Minute) {
		if m.onGrid(t) && len(m.conflicts(t)) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// daySpan returns the working day around the slot for person pi: the
// maximal run of working minutes containing it, widened to the first and
// last working minute of every local date that run touches.
func (m *refModel) daySpan(pi int, start time.Time) (ds, de time.Time) {
	w := m.working[pi]
	i := m.idx(start)
	a, b := i, i
	for a > 0 && w[a-1] {
		a--
	}
	for b < m.n && w[b] {
		b++
	}
	lo, hi := m.n, 0
	for k := a; k < b; k++ {
		sp := m.span[pi][m.date[pi][k]]
		lo, hi = min(lo, sp[0]), max(hi, sp[1])
	}
	return m.base.Add(time.Duration(lo) * time.Minute), m.base.Add(time.Duration(hi) * time.Minute)
}

// score is the Balanced score of Slot.Score computed from the per-minute
// model, in the same arithmetic order as the documentation states it.
func (m *refModel) score(start time.Time) float64 {
	q := m.c.q
	end := start.Add(q.Duration)
	worst, sum := 1.0, 0.0
	for pi := range m.c.people {
		ds, de := m.daySpan(pi, start)
		dist := min(start.Sub(ds), de.Sub(end))
		comfort := min(1, max(0, float64(dist/time.Second)/7200))
		worst = min(worst, comfort)
		sum += comfort
	}
	pref := 1.0
	if m.pref != nil {
		in := 0
		for u := m.idx(start); u < m.idx(end); u++ {
			if m.pref[u] {
				in++
			}
		}
		pref = float64(int64(in)*60) / float64(q.Duration/time.Second)
	}
	mean := sum / float64(len(m.c.people))
	return round6(0.45*worst + 0.15*mean + 0.30*pref + 0.10*m.soon(start))
}

func (m *refModel) soon(start time.Time) float64 {
	q := m.c.q
	first := q.From
	for _, rp := range m.c.people {
		if n := q.Now.Add(rp.p.MinNotice); n.After(first) {
			first = n
		}
	}
	last := q.To.Add(-q.Duration)
	if !last.After(first) {
		return 1
	}
	return 1 - float64(start.Sub(first)/time.Second)/float64(last.Sub(first)/time.Second)
}

// refZones are the zones of the random cases: the four of LESSONS.md, one
// whose transitions fall at midnight, and UTC.
var refZones = []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago", "UTC"}

// refBases are window starts close to DST transitions of those zones.
var refBases = []string{
	"2026-03-07T12:00:00Z", "2026-03-27T18:00:00Z", "2026-04-03T06:00:00Z",
	"2026-09-04T10:00:00Z", "2026-10-02T20:00:00Z", "2026-10-23T12:00:00Z",
	"2026-10-30T15:00:00Z", "2026-06-15T00:00:00Z",
}

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

// randRanges returns a random valid list of clock ranges for one day,
// biased towards midnight and the small hours where DST changes happen.
func randRanges(r *rand.Rand) []ClockRange {
	switch r.IntN(8) {
	case 0:
		return nil
	case 1:
		return []ClockRange{{0, EndOfDay}}
	}
	var points []Clock
	n := 2 * (1 + r.IntN(3))
	for len(points) < n {
		var c Clock
		switch r.IntN(4) {
		case 0:
			c = Clock(r.IntN(5 * 60)) // small hours
		case 1:
			c = []Clock{0, EndOfDay, 12 * 60, 23 * 60}[r.IntN(4)]
		default:
			c = Clock(r.IntN(97) * 15)
		}
		if !slices.Contains(points, c) {
			points = append(points, c)
		}
	}
	slices.Sort(points)
	var rs []ClockRange
	for i := 0; i < n; i += 2 {
		rs = append(rs, ClockRange{points[i], points[i+1]})
	}
	return rs
}

func randCase(tb testing.TB, r *rand.Rand) *refCase {
	base, _ := time.Parse(time.RFC3339, refBases[r.IntN(len(refBases))])
	from := base.Add(time.Duration(r.IntN(24*60)) * time.Minute)
	to := from.Add(time.Duration(60+r.IntN(3*24*60)) * time.Minute)
	c := &refCase{}
	np := []int{1, 1, 2, 2, 2, 3, 4}[r.IntN(7)]
	shared := r.IntN(2) == 0 // everyone has the same weekly hours
	for i := range np {
		p := &Person{ID: string(rune('a' + i)), Location: mustLoad(tb, refZones[r.IntN(len(refZones))])}
		switch {
		case shared && i > 0:
			p.Hours = c.people[0].p.Hours
		case r.IntN(5) > 0:
			for d := range 7 {
				p.Hours.Days[d] = randRanges(r)
			}
		}
		if r.IntN(3) == 0 {
			// Overrides on local dates around the window.
			seen := map[Date]bool{}
			for range 1 + r.IntN(3) {
				t := from.Add(time.Duration(r.IntN(int(to.Sub(from)/time.Hour)+24)-12) * time.Hour).In(p.Location)
				d := Date{t.Year(), t.Month(), t.Day()}
				if !seen[d] {
					seen[d] = true
					p.Overrides = append(p.Overrides, DateOverride{d, randRanges(r)})
				}
			}
		}
		if r.IntN(2) == 0 {
			p.BufferBefore = time.Duration(r.IntN(31)) * time.Minute
			p.BufferAfter = time.Duration(r.IntN(31)) * time.Minute
		}
		if r.IntN(2) == 0 {
			p.MinNotice = time.Duration(r.IntN(12*60)) * time.Minute
		}
		if i == 0 && r.IntN(2) == 0 {
			var pref WorkingHours
			for d := range 7 {
				pref.Days[d] = randRanges(r)
			}
			p.Preferred = &pref
		}
		var raw []Interval
		for range r.IntN(25) {
			s := from.Add(time.Duration(r.IntN(int(to.Sub(from)/time.Minute)+24*60)-12*60) * time.Minute)
			d := time.Duration(5+r.IntN(240)) * time.Minute
			if r.IntN(15) == 0 {
				d = 24 * time.Hour
			}
			raw = append(raw, Interval{s, s.Add(d)})
		}
		p.Busy = NewBusy(raw)
		c.people = append(c.people, refPerson{p, raw})
		c.q.People = append(c.q.People, p)
	}
	c.q.From, c.q.To = from, to
	c.q.Now = from.Add(time.Duration(r.IntN(6*60)-3*60) * time.Minute)
	c.q.Duration = time.Duration(5+r.IntN(180)) * time.Minute
	c.q.Granularity = []time.Duration{0, time.Minute, 5 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}[r.IntN(8)]
	c.q.Limit = []int{0, 1, 3, 15, 1000}[r.IntN(5)]
	return c
}

func slotStarts(slots []Slot) []time.Time {
	out := make([]time.Time, len(slots))
	for i, s := range slots {
		out[i] = s.Start
	}
	return out
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

func refCases(t *testing.T) int {
	if testing.Short() || raceEnabled {
		return 120
	}
	return 1000
}

// TestSearchMatchesReference compares Search, both rankings, with the
// minute-by-minute reference on random small calendars around DST changes.
func TestSearchMatchesReference(t *testing.T) {
	r := newRand(1)
	n := refCases(t)
	nonEmpty := 0
	for i := range n {
		c := randCase(t, r)
		m := newRefModel(c)
		valid := m.valid()
		limit := c.q.Limit
		if limit == 0 {
			limit = DefaultLimit
		}
		if len(valid) > 0 {
			nonEmpty++
		}

		c.q.Ranking = Earliest
		got, err := Search(c.q)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		want := valid[:min(limit, len(valid))]
		if !slices.EqualFunc(slotStarts(got), want, time.Time.Equal) {
			t.Fatalf("case %d earliest:\n got %v\nwant %v\nquery %+v", i, slotStarts(got), want, c.q)
		}
		for j, s := range got {
			if !s.End.Equal(s.Start.Add(c.q.Duration)) {
				t.Fatalf("case %d: slot %v ends at %v", i, s.Start, s.End)
			}
			if j > 0 && s.Score > got[j-1].Score {
				t.Fatalf("case %d: earliest scores rise: %v", i, got)
			}
			if math.Abs(s.Score-round6(m.soon(s.Start))) > 1e-6 {
				t.Fatalf("case %d: earliest score %v, want %v", i, s.Score, m.soon(s.Start))
			}
		}

		c.q.Ranking = Balanced
		got, err = Search(c.q)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		type sc struct {
			t time.Time
			s float64
		}
		all := make([]sc, len(valid))
		for j, v := range valid {
			all[j] = sc{v, m.score(v)}
		}
		sort.SliceStable(all, func(a, b int) bool { return all[a].s > all[b].s })
		all = all[:min(limit, len(all))]
		if len(got) != len(all) {
			t.Fatalf("case %d balanced: got %d slots, want %d", i, len(got), len(all))
		}
		for j := range all {
			if !got[j].Start.Equal(all[j].t) || got[j].Score != all[j].s {
				t.Fatalf("case %d balanced slot %d: got %v %v, want %v %v\nall got %v", i, j, got[j].Start, got[j].Score, all[j].t, all[j].s, got)
			}
		}
	}
	if nonEmpty < n/4 {
		t.Fatalf("only %d of %d random cases had any slot: the generator tests too little", nonEmpty, n)
	}
}
