package availability

import (
	"math"
	"slices"
	"time"
)

const (
	secondsPerDay = 24 * 60 * 60
	// zoneMargin bounds the UTC offset of any zone in the tz database
	// (historical local mean times reach about ±15:57): every instant whose
	// local date is D lies within zoneMargin of D's midnight read as UTC.
	zoneMargin = 16 * 60 * 60
	never      = math.MaxInt64
)

// span is a half-open interval [s, e) of Unix seconds.
type span struct{ s, e int64 }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// zoneCache answers "which UTC offset applies at instant u" for one
// location, remembering the zone period (the stretch between two
// transitions) of its last answer so that lookups inside it cost a compare.
type zoneCache struct {
	loc              *time.Location
	start, end       int64 // period [start, end); math.MinInt64/MaxInt64 when unbounded
	off              int64 // offset in the period, seconds east of UTC
	prevOff, nextOff int64 // offsets of the neighbouring periods (= off when unbounded)
	valid            bool
}

func newZoneCache(loc *time.Location) zoneCache { return zoneCache{loc: loc} }

// period loads the zone period containing u, without its neighbours.
func (z *zoneCache) period(u int64) (start, end, off int64) {
	t := time.Unix(u, 0).In(z.loc)
	_, o := t.Zone()
	s, e := t.ZoneBounds()
	start, end = math.MinInt64, math.MaxInt64
	if !s.IsZero() {
		start = s.Unix()
	}
	if !e.IsZero() {
		end = e.Unix()
	}
	return start, end, int64(o)
}

// at makes the cache hold the period containing u.
func (z *zoneCache) at(u int64) {
	if z.valid && u >= z.start && u < z.end {
		return
	}
	z.start, z.end, z.off = z.period(u)
	z.prevOff, z.nextOff = z.off, z.off
	if z.start != math.MinInt64 {
		_, _, z.prevOff = z.period(z.start - 1)
	}
	if z.end != math.MaxInt64 {
		_, _, z.nextOff = z.period(z.end)
	}
	z.valid = true
}

// offsetAt returns the UTC offset at instant u.
func (z *zoneCache) offsetAt(u int64) int64 {
	z.at(u)
	return z.off
}

// dayWindows appends to dst the instants covered by the clock ranges on
// local date day: exactly those instants at which the local wall clock shows
// that date and a time inside a range. The result is sorted, with touching
// pieces merged. Most days lie inside one zone period and cost a few
// additions; days near a transition walk the periods around them.
func (z *zoneCache) dayWindows(dst []span, day int64, ranges []ClockRange) []span {
	if len(ranges) == 0 {
		return dst
	}
	midnight := day * secondsPerDay // local midnight read as UTC
	z.at(midnight - z.offGuess())
	if u := midnight - z.off; u < z.start || u >= z.end {
		z.at(u)
	}
	u0, u1 := midnight-z.off, midnight+secondsPerDay-z.off
	// Fast path: the whole local date lies in the cached period, and neither
	// neighbouring period also shows this date (a fall-back close to
	// midnight would).
	if u0 >= z.start && u1 <= z.end &&
		(z.start == math.MinInt64 || z.prevOff <= z.off || u0-z.start >= z.prevOff-z.off) &&
		(z.end == math.MaxInt64 || z.nextOff >= z.off || z.end-u1 >= z.off-z.nextOff) {
		n := len(dst)
		for _, r := range ranges {
			s, e := u0+int64(r.Start)*60, u0+int64(r.End)*60
			if k := len(dst); k > n && dst[k-1].e == s {
				dst[k-1].e = e
			} else {
				dst = append(dst, span{s, e})
			}
		}
		return dst
	}
	// Slow path: every period that may show this date, piece by piece.
	n := len(dst)
	lo, hi := midnight-zoneMargin, midnight+secondsPerDay+zoneMargin
	for u := lo; u < hi; {
		ps, pe, off := z.period(u)
		for _, r := range ranges {
			s := max(midnight+int64(r.Start)*60-off, ps)
			e := min(midnight+int64(r.End)*60-off, pe)
			if s < e {
				dst = append(dst, span{s, e})
			}
		}
		if pe == math.MaxInt64 {
			break
		}
		u = pe
	}
	day0 := dst[n:]
	slices.SortFunc(day0, func(a, b span) int {
		if a.s < b.s {
			return -1
		}
		if a.s > b.s {
			return 1
		}
		return 0
	})
	out := dst[:n]
	for _, w := range day0 {
		if k := len(out); k > n && w.s <= out[k-1].e {
			out[k-1].e = max(out[k-1].e, w.e)
		} else {
			out = append(out, w)
		}
	}
	z.at(u1) // leave the cache near the end of the day for the next one
	return out
}

// offGuess is the offset to try first when converting a local time: the
// cached one, or 0 before the first lookup.
func (z *zoneCache) offGuess() int64 {
	if z.valid {
		return z.off
	}
	return 0
}

// aligner finds grid instants: those whose wall clock in the organizer's
// zone is a whole multiple of the granularity after local midnight.
type aligner struct {
	z    zoneCache
	grid int64 // seconds; divides a day
}

// up returns the first grid instant at or after x.
func (a *aligner) up(x int64) int64 {
	if a.grid <= 1 {
		return x
	}
	for {
		a.z.at(x)
		r := (x + a.z.off) % a.grid
		if r < 0 {
			r += a.grid
		}
		s := x
		if r != 0 {
			s += a.grid - r
		}
		if s < a.z.end {
			return s
		}
		x = a.z.end
	}
}
