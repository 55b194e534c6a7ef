package recur

import (
	"math"
	"time"
)

// wallResolver turns wall clock (civil) times of one location into instants
// the way RFC 5545 §3.3.5 asks for DATE-TIME values with a TZID:
//
//   - a wall time that does not exist (in the gap of a forward transition)
//     "is interpreted using the UTC offset before the gap in local times",
//     so it lands the length of the gap later on the clock (02:30 in
//     Paris on the last Sunday of March is 03:30 CEST);
//   - a wall time that occurs twice (a backward transition) "refers to the
//     first occurrence".
//
// time.Date documents neither choice ("correct in one of the two zones
// involved in the transition, but it does not guarantee which"), hence this
// type. It caches the range of wall times that map without ambiguity into
// the current zone period, so that converting the instances of a rule costs
// one comparison each.
type wallResolver struct {
	loc      *time.Location
	fixed    bool
	fixedOff int64
	lo, hi   int64 // walls in [lo, hi) are w - cacheOff
	cacheOff int64
}

func newWallResolver(loc *time.Location) *wallResolver {
	if loc == nil {
		loc = time.UTC
	}
	r := &wallResolver{loc: loc, lo: 1, hi: 0}
	if loc == time.UTC {
		r.fixed = true
		return r
	}
	t := time.Unix(0, 0).In(loc)
	if s, e := t.ZoneBounds(); s.IsZero() && e.IsZero() {
		_, off := t.Zone()
		r.fixed, r.fixedOff = true, int64(off)
	}
	return r
}

func (r *wallResolver) offset(u int64) int64 {
	_, off := time.Unix(u, 0).In(r.loc).Zone()
	return int64(off)
}

// instant returns the instant (Unix seconds) of wall time w, and whether w
// fell in a gap and was moved forward.
func (r *wallResolver) instant(w int64) (u int64, shifted bool) {
	if r.fixed {
		return w - r.fixedOff, false
	}
	if w >= r.lo && w < r.hi {
		return w - r.cacheOff, false
	}
	o1 := r.offset(w)
	i := w - o1
	if o2 := r.offset(i); o2 != o1 {
		i2 := w - o2
		if r.offset(i2) != o2 {
			// RFC 5545 §3.3.5: in the gap, use the offset before it
			// (the smaller of the two around a forward transition).
			return w - min(o1, o2), true
		}
		o1, i = o2, i2
	}
	s, e := time.Unix(i, 0).In(r.loc).ZoneBounds()
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !s.IsZero() {
		su := s.Unix()
		po := r.offset(su - 1)
		if w < su+po {
			// RFC 5545 §3.3.5: the wall time also existed before the
			// transition; take that first occurrence.
			return w - po, false
		}
		lo = max(su+o1, su+po)
	}
	if !e.IsZero() {
		eu := e.Unix()
		hi = min(eu+o1, eu+r.offset(eu))
	}
	r.lo, r.hi, r.cacheOff = lo, hi, o1
	return i, false
}

// At returns the instant of a wall clock reading in loc, following RFC 5545
// §3.3.5 for readings that fall in a gap (moved forward by the length of
// the gap) or occur twice (the first occurrence). Only the date and clock
// fields of wall are used; its location is ignored.
func At(wall time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	u, _ := newWallResolver(loc).instant(civilOf(wall))
	return time.Unix(u, int64(wall.Nanosecond())).In(loc)
}
