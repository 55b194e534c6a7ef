package recur

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"
)

// ErrCapped is wrapped by the error an expansion returns when it stopped at
// its instance or iteration cap; the instances found until then are still
// returned.
var ErrCapped = errors.New("recur: expansion capped")

// Iterator yields the instances of a rule in order, as instants in the
// location of DTSTART. Create it with Rule.Iterator.
type Iterator struct {
	e        *engine
	res      *wallResolver
	loc      *time.Location
	utcUntil int64
	hasUntil bool
	from     int64 // no instant before this is yielded
	pending  []int64
	ready    []int64
	readyPos int
	last     int64
	hasLast  bool
}

// Iterator returns an iterator over the instances of r starting at dtstart.
// The location of dtstart is the zone the rule is expanded in (the caller
// passes the floating location for floating and all-day events); its
// wall clock reading is the DTSTART of the rule, to the second.
//
// As in python-dateutil, only instances that match the rule are yielded:
// dtstart itself is not when it does not match (RFC 5545 §3.8.5.3 leaves
// that "undefined"; ExpandCalendar adds DTSTART as RFC 5545 says it should).
// At most maxIterations units of work are spent (0: one million): periods,
// candidate days, and the candidate times of periods that have several;
// past that the iteration stops and Err reports ErrCapped.
func (r Rule) Iterator(dtstart time.Time, maxIterations int) *Iterator {
	loc := dtstart.Location()
	it := &Iterator{
		e:    newEngine(&r, civilOf(dtstart), maxIterations),
		res:  newWallResolver(loc),
		loc:  loc,
		from: -1 << 62,
	}
	if !r.Until.IsZero() && r.UntilKind == UntilUTC {
		it.hasUntil = true
		it.utcUntil = r.Until.Unix()
		// Stop the civil expansion once past UNTIL in any offset.
		it.e.end = min(it.e.end, it.utcUntil+maxOffset)
	}
	return it
}

// maxOffset bounds the distance between a wall clock and UTC, gap shifts
// included.
const maxOffset = 26 * 3600

// Seek makes the iterator skip every instance before t. For rules without
// COUNT it jumps straight to the period that contains t, so its cost does
// not depend on how far t is from DTSTART.
func (it *Iterator) Seek(t time.Time) {
	u := t.Unix()
	if t.Nanosecond() > 0 {
		u++
	}
	if u <= it.from {
		return
	}
	it.from = u
	// A wall time that maps to u or later reads at least u plus the
	// smallest offset of the zone around u (also in a gap, which moves a
	// wall time forward by the offset before it).
	it.e.seek(u + minOffsetNear(it.loc, u))
}

// minOffsetNear returns the smallest UTC offset of loc between maxOffset
// before and after u. Farther instants do not matter: their wall times
// differ from u by more than any offset.
func minOffsetNear(loc *time.Location, u int64) int64 {
	t := time.Unix(u-maxOffset, 0).In(loc)
	_, lo := t.Zone()
	for range 16 { // a zone changes its offset a few times a day at most
		_, next := t.ZoneBounds()
		if next.IsZero() || next.Unix() > u+maxOffset {
			break
		}
		t = next
		_, off := t.Zone()
		lo = min(lo, off)
	}
	return int64(lo)
}

// Next returns the next instance, or false at the end.
func (it *Iterator) Next() (time.Time, bool) {
	u, ok := it.nextUnix()
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(u, 0).In(it.loc), true
}

// UseBudget makes the iterator charge its work to b (see Budget): once b
// is spent or its context done, the iteration stops and Err returns b's
// error. Call Settle when done with the iterator to charge the last steps.
func (it *Iterator) UseBudget(b *Budget) {
	if b != nil {
		it.e.useBudget(b)
	}
}

// Settle charges the work not yet charged to the iterator's budget (work
// is charged every few thousand steps).
func (it *Iterator) Settle() { it.e.settle() }

// Err returns an error wrapping ErrCapped when the iteration stopped at its
// iteration cap rather than at the end of the rule, or the budget's error
// (wrapping ErrBudget or the context's error) when its budget stopped it.
func (it *Iterator) Err() error {
	if it.e.stopErr != nil {
		return it.e.stopErr
	}
	if it.e.capped {
		return fmt.Errorf("%w: gave up after %d iterations", ErrCapped, it.e.maxIter)
	}
	return nil
}

// All returns the remaining instances as a Go iterator.
func (it *Iterator) All() iter.Seq[time.Time] {
	return func(yield func(time.Time) bool) {
		for {
			t, ok := it.Next()
			if !ok || !yield(t) {
				return
			}
		}
	}
}

// nextUnix returns the next instance in Unix seconds. Civil instances come
// in order; their instants do too, except that a wall time in a
// spring-forward gap is moved forward past later wall times (02:30 becomes
// 03:30, after 03:00). Those wait in pending until an instant that was not
// moved passes them. Duplicates (02:00 moved onto 03:00) are dropped: RFC
// 5545 §3.8.5.3, "Duplicate instances are ignored".
func (it *Iterator) nextUnix() (int64, bool) {
	for {
		if it.readyPos < len(it.ready) {
			u := it.ready[it.readyPos]
			it.readyPos++
			if it.readyPos == len(it.ready) {
				it.ready, it.readyPos = it.ready[:0], 0
			}
			if it.hasLast && u <= it.last || u < it.from {
				continue
			}
			it.last, it.hasLast = u, true
			return u, true
		}
		c, ok := it.e.next()
		if !ok {
			if len(it.pending) == 0 {
				return 0, false
			}
			it.ready = append(it.ready, it.pending...)
			it.pending = it.pending[:0]
			continue
		}
		u, shifted := it.res.instant(c)
		if it.hasUntil && u > it.utcUntil {
			continue
		}
		if shifted {
			i, found := slices.BinarySearch(it.pending, u)
			if !found {
				it.pending = slices.Insert(it.pending, i, u)
			}
			continue
		}
		if len(it.pending) > 0 {
			n := 0
			for n < len(it.pending) && it.pending[n] <= u {
				n++
			}
			it.ready = append(it.ready, it.pending[:n]...)
			it.pending = slices.Delete(it.pending, 0, n)
		}
		it.ready = append(it.ready, u)
	}
}

// Between returns the instances of r from dtstart that fall in [from, to),
// at most limit of them (0: no limit but the iteration cap). When limit
// stops it, or the iteration cap does, it returns what it found and an error
// wrapping ErrCapped.
func (r Rule) Between(dtstart, from, to time.Time, limit int) ([]time.Time, error) {
	it := r.Iterator(dtstart, 0)
	it.Seek(from)
	var out []time.Time
	end := to.Unix()
	if to.Nanosecond() > 0 {
		end++
	}
	for {
		u, ok := it.nextUnix()
		if !ok || u >= end {
			break
		}
		if limit > 0 && len(out) == limit {
			return out, fmt.Errorf("%w: more than %d instances", ErrCapped, limit)
		}
		out = append(out, time.Unix(u, 0).In(it.loc))
	}
	return out, it.Err()
}
