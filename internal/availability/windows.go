package availability

// win is a stretch of working time [s, e) with the span [ds, de) of the
// working day it belongs to (the first start and last end of its local
// date, widened when windows of two dates touch across midnight).
type win struct{ s, e, ds, de int64 }

// hoursGen produces a person's working windows in time order, one local
// date at a time, merging windows that touch (also across midnight).
type hoursGen struct {
	z       zoneCache
	week    *[7][]ClockRange
	over    []DateOverride // sorted by date
	overDay []int64        // day numbers of over
	oi      int
	day     int64 // next local date to generate
	stop    int64 // no window starting at or after this instant is needed
	done    bool
	pending []win // sorted; may still merge with windows of later dates
	ready   []win // final
	ri      int
	scratch []span
}

func (g *hoursGen) init(z zoneCache, week *[7][]ClockRange, over []DateOverride, overDay []int64, from, stop int64) {
	g.z = z
	g.week = week
	g.over, g.overDay, g.oi = over, overDay, 0
	// A window of local date D lies within zoneMargin of D's midnight read
	// as UTC, so dates before this one cannot reach from.
	g.day = floorDiv(from-zoneMargin, secondsPerDay) - 1
	g.stop = stop
	g.done = false
	g.pending, g.ready, g.ri = g.pending[:0], g.ready[:0], 0
}

// rangesFor returns the clock ranges of local date day.
func (g *hoursGen) rangesFor(day int64) []ClockRange {
	for g.oi < len(g.overDay) && g.overDay[g.oi] < day {
		g.oi++
	}
	if g.oi < len(g.overDay) && g.overDay[g.oi] == day {
		return g.over[g.oi].Ranges
	}
	// 1970-01-01 was a Thursday.
	wd := (day + 4) % 7
	if wd < 0 {
		wd += 7
	}
	return g.week[wd]
}

// next returns the next working window, or false when none starts before
// the stop instant.
func (g *hoursGen) next() (win, bool) {
	for g.ri >= len(g.ready) {
		if g.done {
			return win{}, false
		}
		g.ready, g.ri = g.ready[:0], 0
		g.scratch = g.z.dayWindows(g.scratch[:0], g.day, g.rangesFor(g.day))
		if n := len(g.scratch); n > 0 {
			ds, de := g.scratch[0].s, g.scratch[n-1].e
			for _, sp := range g.scratch {
				g.insert(win{sp.s, sp.e, ds, de})
			}
		}
		g.day++
		// Every window of a later date starts at or after bound.
		bound := g.day*secondsPerDay - zoneMargin
		if bound >= g.stop {
			g.done = true
			bound = never
		}
		k := 0
		for k < len(g.pending) && g.pending[k].e < bound {
			k++
		}
		for _, w := range g.pending[:k] {
			if w.s < g.stop {
				g.ready = append(g.ready, w)
			}
		}
		g.pending = append(g.pending[:0], g.pending[k:]...)
	}
	w := g.ready[g.ri]
	g.ri++
	return w, true
}

// insert adds w to the sorted pending windows, merging it with any window
// it touches. Windows of different dates never overlap, and normally w goes
// last.
func (g *hoursGen) insert(w win) {
	p := g.pending
	i := len(p)
	for i > 0 && p[i-1].s > w.s {
		i--
	}
	if i > 0 && p[i-1].e >= w.s {
		i--
		p[i].e = max(p[i].e, w.e)
		p[i].ds, p[i].de = min(p[i].ds, w.ds), max(p[i].de, w.de)
	} else {
		p = append(p, win{})
		copy(p[i+1:], p[i:])
		p[i] = w
	}
	for i+1 < len(p) && p[i+1].s <= p[i].e {
		p[i].e = max(p[i].e, p[i+1].e)
		p[i].ds, p[i].de = min(p[i].ds, p[i+1].ds), max(p[i].de, p[i+1].de)
		p = append(p[:i+1], p[i+2:]...)
	}
	g.pending = p
}

// cursor walks one attendee's free time (working windows minus busy time
// widened by the buffers) forward in time, one maximal free piece at a time.
type cursor struct {
	gen    hoursGen
	busy   []span
	bi     int
	bb, ba int64 // buffer before and after the meeting, seconds
	to     int64
	w      win
	haveW  bool
	pos    int64 // everything before pos is done with
	a, b   int64 // current free piece [a, b)
	ds, de int64 // working day of the current piece
	have   bool
}

func (c *cursor) init(from, to int64) {
	c.to = to
	c.pos = from
	c.haveW = false
	c.have = false
	// Busy [s, e) rules out meeting starts in (s - D - after, e + before),
	// that is free pieces lose [s - after, e + before).
	c.bi = (&Busy{c.busy}).firstEndingAfter(from - c.bb)
	c.have = c.nextPiece()
}

// nextPiece moves to the next free piece; false when there is none before
// the end of the window.
func (c *cursor) nextPiece() bool {
	for {
		if c.pos >= c.to {
			return false
		}
		if !c.haveW || c.pos >= c.w.e {
			w, ok := c.gen.next()
			if !ok || w.s >= c.to {
				return false
			}
			c.w, c.haveW = w, true
			c.pos = max(c.pos, w.s)
			continue
		}
		for c.bi < len(c.busy) && c.busy[c.bi].e+c.bb <= c.pos {
			c.bi++
		}
		if c.bi < len(c.busy) && c.busy[c.bi].s-c.ba <= c.pos {
			c.pos = c.busy[c.bi].e + c.bb
			c.bi++
			continue
		}
		end := min(c.w.e, c.to)
		if c.bi < len(c.busy) {
			end = min(end, c.busy[c.bi].s-c.ba)
		}
		c.a, c.b, c.ds, c.de = c.pos, end, c.w.ds, c.w.de
		c.pos = end
		return true
	}
}

// fit returns the first grid instant s >= t such that [s, s+d) lies in this
// person's free time, or never. t must not decrease between calls.
func (c *cursor) fit(t, d int64, al *aligner) int64 {
	for c.have {
		if x := max(c.a, t); x+d <= c.b {
			if s := al.up(x); s+d <= c.b {
				return s
			}
		}
		if c.pos < t {
			c.skipTo(t)
		}
		c.have = c.nextPiece()
	}
	return never
}

// skipTo moves the sweep forward to t, which another attendee's cursor
// proposed: busy intervals are skipped by galloping search, in O(log k) for
// k of them, instead of one free piece at a time.
func (c *cursor) skipTo(t int64) {
	c.pos = t
	lo, hi, step := c.bi, c.bi, 1
	for hi < len(c.busy) && c.busy[hi].e+c.bb <= t {
		lo = hi + 1
		hi += step
		step *= 2
	}
	hi = min(hi, len(c.busy))
	for lo < hi { // first index in [lo, hi) ending after t
		m := int(uint(lo+hi) >> 1)
		if c.busy[m].e+c.bb <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	c.bi = lo
}

// winQueue measures how much of an interval lies in a stream of windows
// (the organizer's preferred times), for intervals given in time order.
type winQueue struct {
	gen  hoursGen
	buf  []win // buf[head:] are the windows not yet behind
	head int
	end  bool
}

// overlap returns the length of [s, e) inside the windows; s must not
// decrease between calls.
func (q *winQueue) overlap(s, e int64) int64 {
	for {
		if q.head == len(q.buf) && !q.fill() {
			return 0
		}
		if q.buf[q.head].e > s {
			break
		}
		q.head++
	}
	var total int64
	for i := q.head; ; i++ {
		if i == len(q.buf) && !q.fill() {
			break
		}
		w := q.buf[i]
		if w.s >= e {
			break
		}
		total += min(e, w.e) - max(s, w.s)
	}
	return total
}

// fill reads one more window, reusing the buffer once all of it is behind.
func (q *winQueue) fill() bool {
	if q.end {
		return false
	}
	w, ok := q.gen.next()
	if !ok {
		q.end = true
		return false
	}
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	q.buf = append(q.buf, w)
	return true
}
