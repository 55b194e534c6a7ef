package availability

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// ErrInvalidQuery is wrapped by every error about a malformed Query, so that
// an HTTP handler can answer 400 or 422 with errors.Is.
var ErrInvalidQuery = errors.New("invalid availability query")

// Defaults and bounds of a Query.
const (
	DefaultGranularity = 15 * time.Minute
	DefaultLimit       = 10
	// MaxWindow bounds To - From (and the duration), so that no query can
	// sweep an unbounded stretch of calendar; the HTTP handler may well
	// allow less.
	MaxWindow = 3 * 366 * 24 * time.Hour
)

// Person is one attendee as the slot search sees them. Search only reads a
// Person, so one value may serve concurrent queries.
type Person struct {
	// ID names the person in errors and conflicts (an e-mail address).
	ID string
	// Location is the person's IANA time zone; working hours, overrides and
	// preferred times are wall-clock times there. Required.
	Location *time.Location
	// Hours are the weekly working hours; the zero value means the default,
	// Monday to Friday 09:00-17:00.
	Hours WorkingHours
	// Overrides replace Hours on single local dates (no ranges: a day off).
	Overrides []DateOverride
	// Busy is the person's merged busy time; nil means none.
	Busy *Busy
	// BufferBefore and BufferAfter must be free of busy time before and
	// after a meeting (they may lie outside working hours: a 09:00 meeting
	// with a 10-minute buffer suits someone who starts work at 09:00).
	BufferBefore, BufferAfter time.Duration
	// MinNotice: no meeting may start before Query.Now + MinNotice.
	MinNotice time.Duration
	// Preferred are the times this person likes best, as weekly ranges in
	// Location. Only the organizer's (Query.People[0]) count, in the
	// Balanced ranking; nil means no preference.
	Preferred *WorkingHours
}

// Ranking orders the slots of a Search.
type Ranking int

const (
	// Earliest ranks slots by start time, earliest first. Score is then
	// 1 at the first possible start of the window falling linearly to 0 at
	// the last, so it never disagrees with the order.
	Earliest Ranking = iota
	// Balanced ranks slots by the score described at Score: the organizer's
	// preferred times and fairness across time zones first, then earliness.
	// Equal scores keep time order.
	Balanced
)

// String returns "earliest" or "balanced".
func (r Ranking) String() string {
	switch r {
	case Earliest:
		return "earliest"
	case Balanced:
		return "balanced"
	}
	return fmt.Sprintf("Ranking(%d)", int(r))
}

// ParseRanking parses "earliest" (or "") and "balanced".
func ParseRanking(s string) (Ranking, error) {
	switch s {
	case "", "earliest":
		return Earliest, nil
	case "balanced":
		return Balanced, nil
	}
	return 0, fmt.Errorf("%w: ranking %q: want earliest or balanced", ErrInvalidQuery, s)
}

// Query asks for meeting slots.
type Query struct {
	// People are the attendees whose time counts; People[0] is the
	// organizer, in whose zone slots are aligned and whose preferred times
	// count. External guests with unknown calendars are not listed.
	People []*Person
	// Duration of the meeting; at least one minute.
	Duration time.Duration
	// From and To bound the window: a slot lies entirely inside [From, To).
	From, To time.Time
	// Now is the current time (injected; minimum notice counts from it).
	Now time.Time
	// Granularity of slot starts, aligned to the organizer's local
	// midnight: with 15 minutes, slots start at :00, :15, :30 and :45 of the
	// organizer's wall clock. It must be whole minutes dividing 24 hours.
	// Zero means DefaultGranularity.
	Granularity time.Duration
	// Limit is the number of slots wanted; zero means DefaultLimit.
	Limit int
	// Ranking orders the slots; the zero value is Earliest.
	Ranking Ranking
}

// Slot is one meeting time that suits everyone.
type Slot struct {
	Start, End time.Time // UTC
	// Score is in [0, 1], higher is better, rounded to 6 decimals; see
	// Ranking. In the Balanced ranking it is
	//
	//	0.45·worst + 0.15·mean + 0.30·preferred + 0.10·soon
	//
	// where, for each attendee, comfort is the distance in time from the
	// slot to the nearer edge of that attendee's working day (the first
	// start and last end of working time on that local date), divided by
	// two hours and capped at 1, so a slot that starts as someone's day
	// starts, or ends as it ends, scores 0 for them; worst and mean are the
	// minimum and the mean comfort over the attendees; preferred is the
	// fraction of the slot inside the organizer's preferred times (1 when
	// the organizer has none); soon is 1 at the first possible start of the
	// window falling linearly to 0 at the last.
	Score float64
}

// Score weights of the Balanced ranking (see Slot.Score).
const (
	weightWorst     = 0.45
	weightMean      = 0.15
	weightPreferred = 0.30
	weightSoon      = 0.10
	comfortMargin   = 2 * 60 * 60 // seconds from a day's edge for full comfort
)

// plan is a validated query ready to sweep; plans are pooled.
type plan struct {
	q       *Query
	people  []*Person
	cursors []cursor
	al      aligner
	pref    winQueue
	hasPref bool
	d       int64 // duration, seconds
	first   int64 // earliest possible start (window, notice)
	to      int64 // end of window
	limit   int
	overDay [][]int64
}

var planPool = sync.Pool{New: func() any { return new(plan) }}

// validate checks q and returns the effective granularity and limit.
func (q *Query) validate() (grid time.Duration, limit int, err error) {
	if len(q.People) == 0 {
		return 0, 0, fmt.Errorf("%w: no attendees", ErrInvalidQuery)
	}
	if q.Duration < time.Minute {
		return 0, 0, fmt.Errorf("%w: duration %v: want at least one minute", ErrInvalidQuery, q.Duration)
	}
	if !q.From.Before(q.To) {
		return 0, 0, fmt.Errorf("%w: window from %v is not before to %v", ErrInvalidQuery, q.From, q.To)
	}
	if q.To.Sub(q.From) > MaxWindow || q.Duration > MaxWindow {
		return 0, 0, fmt.Errorf("%w: window or duration longer than %v", ErrInvalidQuery, MaxWindow)
	}
	if q.Now.IsZero() {
		return 0, 0, fmt.Errorf("%w: now is not set", ErrInvalidQuery)
	}
	grid = q.Granularity
	if grid == 0 {
		grid = DefaultGranularity
	}
	if grid < time.Minute || grid%time.Minute != 0 || (24*time.Hour)%grid != 0 {
		return 0, 0, fmt.Errorf("%w: granularity %v: want whole minutes dividing 24 hours", ErrInvalidQuery, grid)
	}
	limit = q.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 0 {
		return 0, 0, fmt.Errorf("%w: limit %d is negative", ErrInvalidQuery, limit)
	}
	if q.Ranking != Earliest && q.Ranking != Balanced {
		return 0, 0, fmt.Errorf("%w: unknown %v", ErrInvalidQuery, q.Ranking)
	}
	for i, p := range q.People {
		if err := p.validate(); err != nil {
			return 0, 0, fmt.Errorf("%w: attendee %d (%s): %w", ErrInvalidQuery, i+1, p.name(), err)
		}
	}
	return grid, limit, nil
}

func (p *Person) name() string {
	if p == nil || p.ID == "" {
		return "unnamed"
	}
	return p.ID
}

func (p *Person) validate() error {
	if p == nil {
		return errors.New("nil person")
	}
	if p.Location == nil {
		return errors.New("no time zone")
	}
	if p.BufferBefore < 0 || p.BufferAfter < 0 || p.MinNotice < 0 {
		return errors.New("negative buffer or notice")
	}
	if err := p.Hours.Validate(); err != nil {
		return fmt.Errorf("working hours: %w", err)
	}
	if p.Preferred != nil {
		if err := p.Preferred.Validate(); err != nil {
			return fmt.Errorf("preferred times: %w", err)
		}
	}
	for _, o := range p.Overrides {
		if err := validateRanges(o.Ranges); err != nil {
			return fmt.Errorf("override %s: %w", o.Date, err)
		}
	}
	return nil
}

var defaultHours = DefaultWorkingHours()

// newPlan validates q and prepares a sweep from the first possible start.
func newPlan(q *Query) (*plan, error) {
	grid, limit, err := q.validate()
	if err != nil {
		return nil, err
	}
	pl := planPool.Get().(*plan)
	pl.q = q
	pl.people = q.People
	pl.limit = limit
	pl.d = int64(q.Duration / time.Second)
	pl.to = floorDiv(q.To.UnixNano(), 1e9)
	first := ceilSeconds(q.From)
	var notice time.Duration
	for _, p := range q.People {
		notice = max(notice, p.MinNotice)
	}
	pl.first = max(first, ceilSeconds(q.Now.Add(notice)))
	org := q.People[0]
	pl.al = aligner{z: newZoneCache(org.Location), grid: int64(grid / time.Second)}
	if cap(pl.cursors) < len(q.People) {
		pl.cursors = make([]cursor, len(q.People))
		pl.overDay = make([][]int64, len(q.People))
	}
	pl.cursors = pl.cursors[:len(q.People)]
	pl.overDay = pl.overDay[:len(q.People)]
	for i, p := range q.People {
		c := &pl.cursors[i]
		week := &p.Hours.Days
		if p.Hours.IsZero() {
			week = &defaultHours.Days
		}
		over, days, err := overrideDays(p.Overrides, pl.overDay[i][:0])
		if err != nil {
			pl.release()
			return nil, fmt.Errorf("%w: attendee %d (%s): %w", ErrInvalidQuery, i+1, p.name(), err)
		}
		pl.overDay[i] = days
		c.gen.init(newZoneCache(p.Location), week, over, days, pl.first, pl.to)
		c.busy = nil
		if p.Busy != nil {
			c.busy = p.Busy.spans
		}
		c.bb, c.ba = int64(p.BufferBefore/time.Second), int64(p.BufferAfter/time.Second)
		c.init(pl.first, pl.to)
	}
	pl.hasPref = org.Preferred != nil && q.Ranking == Balanced
	if pl.hasPref {
		pl.pref.gen.init(newZoneCache(org.Location), &org.Preferred.Days, nil, nil, pl.first, pl.to)
		pl.pref.buf, pl.pref.head = pl.pref.buf[:0], 0
		pl.pref.end = false
	}
	return pl, nil
}

func (pl *plan) release() {
	pl.q, pl.people = nil, nil
	for i := range pl.cursors {
		pl.cursors[i].busy = nil
		pl.cursors[i].gen.week, pl.cursors[i].gen.over = nil, nil
	}
	pl.pref.gen.week = nil
	planPool.Put(pl)
}

// overrideDays returns the overrides sorted by date (a sorted copy when they
// are not) and their day numbers, appended to days.
func overrideDays(over []DateOverride, days []int64) ([]DateOverride, []int64, error) {
	for _, o := range over {
		days = append(days, o.Date.dayNumber())
	}
	if !slices.IsSorted(days) {
		over = slices.Clone(over)
		slices.SortStableFunc(over, func(a, b DateOverride) int { return int(a.Date.dayNumber() - b.Date.dayNumber()) })
		days = days[:0]
		for _, o := range over {
			days = append(days, o.Date.dayNumber())
		}
	}
	for j := 1; j < len(days); j++ {
		if days[j] == days[j-1] {
			return nil, nil, fmt.Errorf("%w: override date %s given twice", ErrInvalidHours, over[j].Date)
		}
	}
	return over, days, nil
}

func ceilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// sweep calls visit with every slot start that suits everyone, in time
// order, until visit returns false. It is a leapfrog join: each attendee's
// cursor proposes the first start at or after t that fits their free time,
// t jumps to the latest proposal, and a start is found when all agree.
func (pl *plan) sweep(visit func(t int64) bool) {
	n := len(pl.cursors)
	t := pl.al.up(pl.first)
	for t+pl.d <= pl.to {
		for agree, i := 0, 0; agree < n; i++ {
			if i == n {
				i = 0
			}
			s := pl.cursors[i].fit(t, pl.d, &pl.al)
			if s == never || s+pl.d > pl.to {
				return
			}
			if s == t {
				agree++
			} else {
				t, agree = s, 1
			}
		}
		if !visit(t) {
			return
		}
		t = pl.al.up(t + 1)
	}
}

// soon is the earliness term of a score.
func (pl *plan) soon(t int64) float64 {
	last := pl.to - pl.d
	if last <= pl.first {
		return 1
	}
	return 1 - float64(t-pl.first)/float64(last-pl.first)
}

// score computes the Balanced score of the slot at t; the cursors must be on
// the pieces that contain it (right after sweep found it).
func (pl *plan) score(t int64) float64 {
	e := t + pl.d
	worst, sum := 1.0, 0.0
	for i := range pl.cursors {
		c := &pl.cursors[i]
		dist := min(t-c.ds, c.de-e)
		comfort := min(1, max(0, float64(dist)/comfortMargin))
		worst = min(worst, comfort)
		sum += comfort
	}
	pref := 1.0
	if pl.hasPref {
		pref = float64(pl.pref.overlap(t, e)) / float64(pl.d)
	}
	mean := sum / float64(len(pl.cursors))
	return round6(weightWorst*worst + weightMean*mean + weightPreferred*pref + weightSoon*pl.soon(t))
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// better reports whether a ranks before b: higher score, then earlier.
func better(a, b cand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.t < b.t
}

type cand struct {
	t     int64
	score float64
}

// topK keeps the k best candidates in a heap whose root is the worst.
type topK struct {
	k int
	h []cand
}

func (h *topK) push(c cand) {
	if len(h.h) < h.k {
		h.h = append(h.h, c)
		for i := len(h.h) - 1; i > 0; {
			p := (i - 1) / 2
			if !better(h.h[p], h.h[i]) {
				break
			}
			h.h[p], h.h[i] = h.h[i], h.h[p]
			i = p
		}
		return
	}
	if h.k == 0 || !better(c, h.h[0]) {
		return
	}
	h.h[0] = c
	for i := 0; ; {
		w, l, r := i, 2*i+1, 2*i+2
		if l < len(h.h) && better(h.h[w], h.h[l]) {
			w = l
		}
		if r < len(h.h) && better(h.h[w], h.h[r]) {
			w = r
		}
		if w == i {
			break
		}
		h.h[w], h.h[i] = h.h[i], h.h[w]
		i = w
	}
}

// sorted returns the candidates best first.
func (h *topK) sorted() []cand {
	out := slices.Clone(h.h)
	slices.SortFunc(out, func(a, b cand) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	return out
}

func (pl *plan) slot(c cand) Slot {
	return Slot{Start: time.Unix(c.t, 0).UTC(), End: time.Unix(c.t+pl.d, 0).UTC(), Score: c.score}
}

// Search returns up to Query.Limit slots at which every attendee is inside
// their working hours (and date overrides), free of busy time including
// their buffers, past everyone's minimum notice, and inside the window;
// best first as Query.Ranking says. No slot at all is an empty result, not
// an error; errors wrap ErrInvalidQuery.
func Search(q Query) ([]Slot, error) {
	pl, err := newPlan(&q)
	if err != nil {
		return nil, err
	}
	defer pl.release()
	var out []Slot
	switch q.Ranking {
	case Earliest:
		out = make([]Slot, 0, min(pl.limit, 64))
		pl.sweep(func(t int64) bool {
			if len(out) == pl.limit {
				return false
			}
			out = append(out, pl.slot(cand{t, round6(pl.soon(t))}))
			return len(out) < pl.limit
		})
	case Balanced:
		h := topK{k: pl.limit, h: make([]cand, 0, min(pl.limit, 64))}
		pl.sweep(func(t int64) bool {
			h.push(cand{t, pl.score(t)})
			return true
		})
		best := h.sorted()
		out = make([]Slot, len(best))
		for i, c := range best {
			out[i] = pl.slot(c)
		}
	}
	return out, nil
}

// Propose returns n (3 to 5 is usual; 0 means 3) well-spread options for
// guests, sorted by start time. It prefers the best slot (by the query's
// ranking) of each of n different days of the organizer; with fewer days it
// adds the best slots of other half-days (before and after noon, organizer's
// clock), then any other slots that do not overlap those chosen. With the
// Earliest ranking it stops sweeping as soon as it has n days. Query.Limit
// is ignored.
func Propose(q Query, n int) ([]Slot, error) {
	if n == 0 {
		n = 3
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: %d options", ErrInvalidQuery, n)
	}
	pl, err := newPlan(&q)
	if err != nil {
		return nil, err
	}
	defer pl.release()
	type bucket struct {
		day  int64 // organizer's local date
		pm   bool  // afternoon
		best cand
	}
	var buckets []bucket
	days := 0
	overall := topK{k: 4 * n}
	org := newZoneCache(q.People[0].Location)
	pl.sweep(func(t int64) bool {
		c := cand{t, round6(pl.soon(t))}
		if q.Ranking == Balanced {
			c.score = pl.score(t)
		}
		local := t + org.offsetAt(t)
		day := floorDiv(local, secondsPerDay)
		pm := local-day*secondsPerDay >= 12*60*60
		k := len(buckets)
		if k > 0 && buckets[k-1].day == day && buckets[k-1].pm == pm {
			if better(c, buckets[k-1].best) {
				buckets[k-1].best = c
			}
			overall.push(c)
			return true
		}
		if k == 0 || buckets[k-1].day != day {
			// Earliest: the first slot of a day is its best, so n days
			// are enough.
			if q.Ranking == Earliest && days == n {
				return false
			}
			days++
		}
		buckets = append(buckets, bucket{day, pm, c})
		overall.push(c)
		return true
	})
	var chosen []cand
	overlaps := func(c cand) bool {
		for _, x := range chosen {
			if c.t < x.t+pl.d && x.t < c.t+pl.d {
				return true
			}
		}
		return false
	}
	pick := func(cs []cand, ok func(cand) bool) {
		slices.SortFunc(cs, func(a, b cand) int {
			if better(a, b) {
				return -1
			}
			if better(b, a) {
				return 1
			}
			return 0
		})
		for _, c := range cs {
			if len(chosen) == n {
				return
			}
			if ok(c) && !overlaps(c) {
				chosen = append(chosen, c)
			}
		}
	}
	// Pass 1: the best slot of each day.
	var perDay []cand
	usedDay := map[int64]bool{}
	for i, b := range buckets {
		if i > 0 && buckets[i-1].day == b.day {
			if better(b.best, perDay[len(perDay)-1]) {
				perDay[len(perDay)-1] = b.best
			}
			continue
		}
		perDay = append(perDay, b.best)
	}
	dayOf := func(c cand) int64 { return floorDiv(c.t+org.offsetAt(c.t), secondsPerDay) }
	pick(perDay, func(c cand) bool {
		d := dayOf(c)
		if usedDay[d] {
			return false
		}
		usedDay[d] = true
		return true
	})
	// Pass 2: the best slot of each other half-day.
	var halves []cand
	for _, b := range buckets {
		halves = append(halves, b.best)
	}
	pick(halves, func(cand) bool { return true })
	// Pass 3: anything else that does not overlap.
	pick(overall.h, func(cand) bool { return true })
	slices.SortFunc(chosen, func(a, b cand) int { return int(a.t - b.t) })
	out := make([]Slot, len(chosen))
	for i, c := range chosen {
		out[i] = pl.slot(c)
	}
	return out, nil
}
