package availability

import (
	"cmp"
	"math/bits"
	"slices"
	"sort"
	"time"
)

// Interval is the half-open time interval [Start, End).
type Interval struct {
	Start, End time.Time
}

// Duration returns End - Start.
func (iv Interval) Duration() time.Duration { return iv.End.Sub(iv.Start) }

// Busy is one person's busy time: sorted, non-overlapping, non-touching
// intervals of whole seconds. Build it once with NewBusy (or BusyFromEvents,
// or Union) and share it: it is never modified, so any number of queries may
// read it at once. The nil *Busy is empty.
type Busy struct {
	spans []span
}

// NewBusy sorts and merges raw busy intervals (overlapping or touching ones
// become one). Starts are rounded down and ends up to whole seconds, so that
// nothing busy is lost; empty or inverted intervals (End not after Start, as
// for a zero-length reminder) block nothing and are dropped. It costs O(n)
// for n intervals spanning a few years (a radix sort), O(n log n) at worst,
// and does not keep raw.
func NewBusy(raw []Interval) *Busy {
	spans := make([]span, 0, len(raw))
	for _, iv := range raw {
		s := iv.Start.Unix()
		e := iv.End.Unix()
		if iv.End.Nanosecond() > 0 {
			e++
		}
		if e > s {
			spans = append(spans, span{s, e})
		}
	}
	return &Busy{merge(spans)}
}

// merge sorts spans by start and merges overlapping and touching ones, in
// place.
func merge(spans []span) []span {
	sortSpans(spans)
	out := spans[:0]
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.s <= out[n-1].e {
			out[n-1].e = max(out[n-1].e, sp.e)
			continue
		}
		out = append(out, sp)
	}
	return slices.Clip(out)
}

// radixBits is the digit size of sortSpans's radix sort.
const radixBits = 11

// sortSpans sorts spans by start. Calendar data covers a few months or
// years (fewer than 2^33 seconds), so a least-significant-digit radix sort
// on the offset from the earliest start takes two or three passes of
// linear time; short or very wide inputs use pdqsort.
func sortSpans(spans []span) {
	if len(spans) < 256 {
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.s, b.s) })
		return
	}
	lo, hi := spans[0].s, spans[0].s
	for _, sp := range spans {
		lo, hi = min(lo, sp.s), max(hi, sp.s)
	}
	width := bits.Len64(uint64(hi - lo))
	passes := (width + radixBits - 1) / radixBits
	if passes > 3 || hi-lo < 0 {
		slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.s, b.s) })
		return
	}
	src, dst := spans, make([]span, len(spans))
	var count [1 << radixBits]int
	for p := range passes {
		shift := uint(p * radixBits)
		clear(count[:])
		for _, sp := range src {
			count[(uint64(sp.s-lo)>>shift)&(1<<radixBits-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, sp := range src { // stable, as LSD radix sort needs
			d := (uint64(sp.s-lo) >> shift) & (1<<radixBits - 1)
			dst[count[d]] = sp
			count[d]++
		}
		src, dst = dst, src
	}
	if passes%2 == 1 {
		copy(spans, src)
	}
}

// Union returns the busy time of b and every other, for a person with
// several calendars. It costs O(total intervals).
func (b *Busy) Union(others ...*Busy) *Busy {
	var all []span
	for _, x := range append([]*Busy{b}, others...) {
		if x != nil {
			all = append(all, x.spans...)
		}
	}
	return &Busy{merge(all)}
}

// Len returns the number of merged intervals.
func (b *Busy) Len() int {
	if b == nil {
		return 0
	}
	return len(b.spans)
}

// Intervals returns a copy of the merged intervals, in UTC.
func (b *Busy) Intervals() []Interval {
	if b == nil {
		return nil
	}
	out := make([]Interval, len(b.spans))
	for i, sp := range b.spans {
		out[i] = Interval{time.Unix(sp.s, 0).UTC(), time.Unix(sp.e, 0).UTC()}
	}
	return out
}

// Overlaps reports whether iv shares any instant with the busy time.
// It costs O(log n).
func (b *Busy) Overlaps(iv Interval) bool {
	if b == nil {
		return false
	}
	s, e := iv.Start.Unix(), iv.End.Unix()
	if iv.End.Nanosecond() > 0 {
		e++
	}
	return b.overlaps(s, e)
}

func (b *Busy) overlaps(s, e int64) bool {
	if s >= e {
		return false
	}
	i := b.firstEndingAfter(s)
	return i < len(b.spans) && b.spans[i].s < e
}

// firstEndingAfter returns the index of the first interval that ends after u.
func (b *Busy) firstEndingAfter(u int64) int {
	return sort.Search(len(b.spans), func(i int) bool { return b.spans[i].e > u })
}

// Event is a calendar event as the calendar code sees it, for BusyFromEvents.
type Event struct {
	Start, End time.Time
	// Transparent is iCalendar TRANSP:TRANSPARENT (RFC 5545 §3.8.2.7): the
	// event does not block time.
	Transparent bool
	// Cancelled is STATUS:CANCELLED (RFC 5545 §3.8.1.11).
	Cancelled bool
	// Declined is the person's own PARTSTAT=DECLINED (RFC 5545 §3.2.12).
	Declined bool
}

// BusyFromEvents keeps the events that block time (not transparent, not
// cancelled, not declined; tentative ones do block) and merges them with
// NewBusy.
func BusyFromEvents(events []Event) *Busy {
	raw := make([]Interval, 0, len(events))
	for _, ev := range events {
		if ev.Transparent || ev.Cancelled || ev.Declined {
			continue
		}
		raw = append(raw, Interval{ev.Start, ev.End})
	}
	return NewBusy(raw)
}
