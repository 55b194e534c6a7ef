package recur

import (
	"slices"
	"time"
)

// engine expands one rule in civil time. It walks the rule's periods (years,
// months, weeks, days, hours, minutes or seconds, INTERVAL apart), builds the
// set of candidates of each period from the BYxxx parts, applies BYSETPOS to
// that set, and yields the candidates in order.
//
// The model is RFC 5545 §3.3.10 as python-dateutil reads it: a BYxxx part
// that RFC 5545's table marks "Expand" for the frequency adds candidates
// within the period, any other BYxxx part only limits them, including the
// combinations RFC 5545 forbids (BYWEEKNO with MONTHLY...). Where dateutil
// departs from RFC 5545 (the first week of a WEEKLY rule with BYSETPOS) the
// engine follows RFC 5545.
//
// It is written by hand, not taken from teambition/rrule-go, because that
// port of dateutil gets the spring-forward gap and HOURLY rules across DST
// wrong, cannot start anywhere but at DTSTART, and allocates a time.Time per
// candidate (see rrulego_test.go).
type engine struct {
	freq     Frequency
	interval int64
	step     int64 // seconds between periods for HOURLY, MINUTELY, SECONDLY
	start    int64 // DTSTART in civil seconds
	count    int   // COUNT; 0 for none
	end      int64 // no instance after this civil second (UNTIL, year 9999)
	maxIter  int

	// Day filters. A day is a candidate when it passes all of them.
	dayFilter  bool
	byMonth    uint16 // bit m for month m
	mdFilter   bool
	mdPos      uint32 // bit d for BYMONTHDAY=d
	mdNeg      uint32 // bit d for BYMONTHDAY=-d
	byYearDay  []int
	wnFilter   bool
	wnPos      uint64
	wnNeg      uint64
	wdFilter   bool
	wdays      uint8 // bit w for a plain weekday w
	nwdays     []WeekdayNum
	nwInMonth  bool // ordinals count within the month (else within the year)
	wkst       time.Weekday
	simpleDays bool // the only day filters are BYMONTH and BYMONTHDAY

	// Time of day. For DAILY and coarser, tods are the seconds of the day
	// (BYHOUR × BYMINUTE × BYSECOND); for HOURLY the seconds within the
	// hour, for MINUTELY within the minute, for SECONDLY just 0. The masks
	// limit the period itself for the fine frequencies (0: no limit).
	tods       []int64
	hourMask   uint32
	minuteMask uint64
	secondMask uint64
	setPos     []int

	base int64 // the anchor of period 0 (a year, a month index, a day or a second)

	// Iteration state.
	k       int64 // next period
	out     []int64
	outPos  int
	emitted int
	iter    int
	checkAt int // iter at which tick looks at maxIter and the budget
	spent   int // iter already charged to the budget
	budget  *Budget
	stopErr error // why the budget stopped the iteration
	done    bool
	capped  bool
	days    []int64
	setBuf  []int64
	ycYear  int
	yc      yearInfo
}

// yearInfo is what the day filters need to know about a year.
type yearInfo struct {
	jan1      int64 // day number of January 1
	length    int64
	w1        int64 // day number where week 1 starts (WKST-based, may be in the previous year)
	w1Next    int64 // where week 1 of the next year starts
	prevWeeks int64 // number of weeks of the previous year
	nextWeeks int64 // number of weeks of the next year
}

// defaultMaxIterations bounds the periods and candidate days an expansion
// may look at: about 20 ms of work.
const defaultMaxIterations = 1_000_000

// newEngine prepares the expansion of r from the civil DTSTART start.
func newEngine(r *Rule, start int64, maxIter int) *engine {
	e := &engine{
		freq:     r.Freq,
		interval: int64(max(r.Interval, 1)),
		start:    start,
		count:    r.Count,
		end:      civilMax,
		maxIter:  maxIter,
		wkst:     r.WeekStart,
		ycYear:   -1 << 31,
	}
	if e.maxIter <= 0 {
		e.maxIter = defaultMaxIterations
	}
	e.checkAt = e.maxIter + 1
	if e.freq < Secondly || e.freq > Yearly {
		e.done = true
		return e
	}
	switch r.UntilKind {
	case UntilFloating:
		if !r.Until.IsZero() {
			e.end = min(e.end, civilOf(r.Until.UTC()))
		}
	case UntilDate:
		// RFC 5545 §3.3.10: UNTIL bounds the rule inclusively; a DATE
		// includes the whole of that day.
		if !r.Until.IsZero() {
			e.end = min(e.end, civilOf(r.Until.UTC())/secondsPerDay*secondsPerDay+secondsPerDay-1)
		}
	}
	if start < civilMin || start > civilMax {
		e.done = true
		return e
	}
	d0 := floorDiv(start, secondsPerDay)
	y0, m0, md0 := civilFromDays(d0)
	sod := start - d0*secondsPerDay
	h0, mi0, s0 := int(sod/3600), int(sod/60%60), int(sod%60)

	// RFC 5545 §3.3.10: "Information, not contained in the rule, necessary
	// to determine the various recurrence instance start time and dates are
	// derived from the Start Time ("DTSTART") component attribute."
	byMonth, byMonthDay, byDay := r.ByMonth, r.ByMonthDay, r.ByDay
	if r.ByWeekNo == nil && r.ByYearDay == nil && r.ByMonthDay == nil && r.ByDay == nil {
		switch e.freq {
		case Yearly:
			if byMonth == nil {
				byMonth = []int{m0}
			}
			byMonthDay = []int{md0}
		case Monthly:
			byMonthDay = []int{md0}
		case Weekly:
			byDay = []WeekdayNum{{Day: weekdayOf(d0)}}
		}
	}
	for _, m := range byMonth {
		e.byMonth |= 1 << m
	}
	for _, d := range byMonthDay {
		e.mdFilter = true
		if d > 0 {
			e.mdPos |= 1 << d
		} else {
			e.mdNeg |= 1 << -d
		}
	}
	e.byYearDay = r.ByYearDay
	for _, w := range r.ByWeekNo {
		e.wnFilter = true
		if w > 0 {
			e.wnPos |= 1 << w
		} else {
			e.wnNeg |= 1 << -w
		}
	}
	for _, w := range byDay {
		e.wdFilter = true
		// RFC 5545 §3.3.10: an ordinal is only meaningful with MONTHLY or
		// YEARLY; elsewhere (forbidden) it is read as the plain weekday.
		if w.N != 0 && (e.freq == Monthly || e.freq == Yearly) {
			e.nwdays = append(e.nwdays, w)
		} else {
			e.wdays |= 1 << w.Day
		}
	}
	// RFC 5545 §3.3.10 notes 1 and 2: with MONTHLY, or with YEARLY and
	// BYMONTH, an ordinal BYDAY counts within the month.
	e.nwInMonth = e.freq == Monthly || e.freq == Yearly && byMonth != nil
	e.dayFilter = e.byMonth != 0 || e.mdFilter || e.byYearDay != nil || e.wnFilter || e.wdFilter
	e.simpleDays = e.byYearDay == nil && !e.wnFilter && !e.wdFilter

	// Times of day: expanded parts default to DTSTART's (RFC 5545 §3.3.10).
	hours, minutes, seconds := r.ByHour, r.ByMinute, dropLeapSecond(r.BySecond)
	if r.BySecond != nil && len(seconds) == 0 {
		// Only BYSECOND=60: Go's clock, like POSIX time, has no leap
		// seconds, so the rule has no instance.
		e.done = true
		return e
	}
	if hours == nil && e.freq >= Daily {
		hours = []int{h0}
	}
	if minutes == nil && e.freq >= Hourly {
		minutes = []int{mi0}
	}
	if seconds == nil && e.freq >= Minutely {
		seconds = []int{s0}
	}
	switch {
	case e.freq >= Daily:
		for _, h := range hours {
			for _, m := range minutes {
				for _, s := range seconds {
					e.tods = append(e.tods, int64(h*3600+m*60+s))
				}
			}
		}
	case e.freq == Hourly:
		e.hourMask = mask32(hours)
		for _, m := range minutes {
			for _, s := range seconds {
				e.tods = append(e.tods, int64(m*60+s))
			}
		}
	case e.freq == Minutely:
		e.hourMask, e.minuteMask = mask32(hours), mask64(minutes)
		for _, s := range seconds {
			e.tods = append(e.tods, int64(s))
		}
	default:
		e.hourMask, e.minuteMask, e.secondMask = mask32(hours), mask64(minutes), mask64(seconds)
		e.tods = []int64{0}
	}
	slices.Sort(e.tods)
	e.tods = slices.Compact(e.tods)
	e.setPos = r.BySetPos

	switch e.freq {
	case Yearly:
		e.base = int64(y0)
	case Monthly:
		e.base = int64(y0)*12 + int64(m0-1)
	case Weekly:
		e.base = d0 - int64((weekdayOf(d0)-e.wkst+7)%7)
	case Daily:
		e.base = d0
	case Hourly:
		e.step = 3600 * e.interval
		e.base = floorDiv(start, 3600) * 3600
	case Minutely:
		e.step = 60 * e.interval
		e.base = floorDiv(start, 60) * 60
	case Secondly:
		e.step = e.interval
		e.base = start
	}
	if e.freq <= Hourly && !e.timeReachable() {
		e.done = true
	}
	return e
}

func dropLeapSecond(l []int) []int {
	if !slices.Contains(l, 60) {
		return l
	}
	out := make([]int, 0, len(l))
	for _, s := range l {
		if s != 60 {
			out = append(out, s)
		}
	}
	return out
}

func mask32(l []int) uint32 {
	var m uint32
	for _, v := range l {
		m |= 1 << v
	}
	return m
}

func mask64(l []int) uint64 {
	var m uint64
	for _, v := range l {
		m |= 1 << v
	}
	return m
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// timeReachable reports whether a fine-frequency rule can ever land on a
// time of day its BYHOUR, BYMINUTE and BYSECOND limits allow: the periods
// visit the seconds of the day base+j·gcd(step, 86400) (mod 86400) and no
// others. Without this check "FREQ=HOURLY;INTERVAL=6;BYHOUR=9" with DTSTART at
// 08:00 would spin until the iteration cap.
func (e *engine) timeReachable() bool {
	if e.hourMask == 0 && e.minuteMask == 0 && e.secondMask == 0 {
		return true
	}
	g := gcd(e.step, secondsPerDay)
	sod0 := e.base - floorDiv(e.base, secondsPerDay)*secondsPerDay
	for sod := sod0 % g; sod < secondsPerDay; sod += g {
		if e.timeOK(sod) {
			return true
		}
	}
	return false
}

func (e *engine) timeOK(sod int64) bool {
	if e.hourMask != 0 && e.hourMask&(1<<(sod/3600)) == 0 {
		return false
	}
	if e.minuteMask != 0 && e.minuteMask&(1<<(sod/60%60)) == 0 {
		return false
	}
	if e.secondMask != 0 && e.secondMask&(1<<(sod%60)) == 0 {
		return false
	}
	return true
}

// year returns the cached facts about year y.
func (e *engine) year(y int) *yearInfo {
	if e.ycYear == y {
		return &e.yc
	}
	e.ycYear = y
	jan1 := daysFromCivil(y, 1, 1)
	next := daysFromCivil(y+1, 1, 1)
	prevW1 := e.week1(daysFromCivil(y-1, 1, 1))
	w1 := e.week1(jan1)
	w1n := e.week1(next)
	w1nn := e.week1(daysFromCivil(y+2, 1, 1))
	e.yc = yearInfo{
		jan1: jan1, length: next - jan1, w1: w1, w1Next: w1n,
		prevWeeks: (w1 - prevW1) / 7, nextWeeks: (w1nn - w1n) / 7,
	}
	return &e.yc
}

// week1 returns the day where week 1 of the year starting at jan1 begins.
// RFC 5545 §3.3.10: "Week number one of the calendar year is the first week
// that contains at least four (4) days in that calendar year", weeks
// starting on WKST.
func (e *engine) week1(jan1 int64) int64 {
	delta := int64((e.wkst - weekdayOf(jan1) + 7) % 7) // days until the first WKST
	if delta >= 4 {
		return jan1 + delta - 7
	}
	return jan1 + delta
}

// dayOK reports whether day d passes the day filters.
func (e *engine) dayOK(d int64) bool {
	if !e.dayFilter {
		return true
	}
	y, m, md := civilFromDays(d)
	if e.byMonth != 0 && e.byMonth&(1<<m) == 0 {
		return false
	}
	if e.mdFilter {
		mlen := daysInMonth(y, m)
		if e.mdPos&(1<<md) == 0 && e.mdNeg&(1<<(mlen-md+1)) == 0 {
			return false
		}
	}
	if e.simpleDays {
		return true
	}
	var yi *yearInfo
	if e.byYearDay != nil {
		yi = e.year(y)
		doy := int(d-yi.jan1) + 1
		neg := doy - int(yi.length) - 1
		ok := false
		for _, n := range e.byYearDay {
			if n == doy || n == neg {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if e.wnFilter {
		if yi == nil {
			yi = e.year(y)
		}
		var wk, neg int64
		switch {
		case d < yi.w1:
			// The last week of the previous year.
			wk, neg = yi.prevWeeks, -1
		case d >= yi.w1Next:
			// Week 1 of the next year.
			wk, neg = 1, -yi.nextWeeks
		default:
			wk = (d-yi.w1)/7 + 1
			neg = wk - (yi.w1Next-yi.w1)/7 - 1
		}
		if e.wnPos&(1<<wk) == 0 && e.wnNeg&(1<<-neg) == 0 {
			return false
		}
	}
	if e.wdFilter {
		wd := weekdayOf(d)
		if e.wdays&(1<<wd) != 0 {
			return true
		}
		if len(e.nwdays) == 0 {
			return false
		}
		var rs, re int64 // the range the ordinals count in
		if e.nwInMonth {
			rs = d - int64(md) + 1
			re = rs + int64(daysInMonth(y, m))
		} else {
			if yi == nil {
				yi = e.year(y)
			}
			rs, re = yi.jan1, yi.jan1+yi.length
		}
		for _, w := range e.nwdays {
			if w.Day != wd {
				continue
			}
			if w.N > 0 && int((d-rs)/7)+1 == w.N || w.N < 0 && -int((re-1-d)/7)-1 == w.N {
				return true
			}
		}
		return false
	}
	return true
}

// seek moves the iteration forward to the period containing civil time c,
// skipping the periods before it arithmetically: the cost of reaching a
// window does not grow with its distance from DTSTART. A rule with COUNT
// must count its instances from DTSTART: seek skips it only when every
// period yields the same number of instances (see perPeriod), and
// otherwise leaves it to walk there, within its iteration cap and budget.
func (e *engine) seek(c int64) {
	if e.done || c <= e.start {
		return
	}
	var first, each int64
	if e.count > 0 {
		var ok bool
		if first, each, ok = e.perPeriod(); !ok {
			return
		}
	}
	c = min(c, civilMax)
	var k int64
	switch e.freq {
	case Yearly:
		y, _, _ := civilFromDays(floorDiv(c, secondsPerDay))
		k = floorDiv(int64(y)-e.base, e.interval)
	case Monthly:
		y, m, _ := civilFromDays(floorDiv(c, secondsPerDay))
		k = floorDiv(int64(y)*12+int64(m-1)-e.base, e.interval)
	case Weekly:
		k = floorDiv(floorDiv(c, secondsPerDay)-e.base, 7*e.interval)
	case Daily:
		k = floorDiv(floorDiv(c, secondsPerDay)-e.base, e.interval)
	default:
		k = floorDiv(c-e.base, e.step)
	}
	if k > e.k {
		if e.count > 0 {
			// Periods 0 to k-1 yield first + (k-1)·each instances.
			n := first
			if k > 1 {
				if each > 0 && k-1 > (int64(e.count)-n)/each {
					n = int64(e.count) // saturate: COUNT is used up
				} else {
					n += (k - 1) * each
				}
			}
			if n >= int64(e.count) {
				e.done = true
				e.out = e.out[:0]
				e.outPos = 0
				return
			}
			e.emitted = int(n)
		}
		e.k = k
		e.out = e.out[:0]
		e.outPos = 0
	}
}

// perPeriod reports whether every period of the rule after the first
// yields the same number of instances, each, and how many the first one
// yields from DTSTART on, first: so that seek can count the instances of a
// COUNT rule it skips. It holds for rules without BYSETPOS whose only day
// filter is a plain BYDAY on WEEKLY and that have no BYHOUR, BYMINUTE or
// BYSECOND limit on a finer frequency: SECONDLY, MINUTELY, HOURLY and
// DAILY rules as people write them, and WEEKLY ones with BYDAY.
func (e *engine) perPeriod() (first, each int64, ok bool) {
	if e.setPos != nil || e.hourMask != 0 || e.minuteMask != 0 || e.secondMask != 0 {
		return 0, 0, false
	}
	nt := int64(len(e.tods))
	switch e.freq {
	case Secondly, Minutely, Hourly:
		if e.dayFilter {
			return 0, 0, false
		}
		for _, t := range e.tods {
			if e.base+t >= e.start {
				first++
			}
		}
		return first, nt, true
	case Daily:
		if e.dayFilter {
			return 0, 0, false
		}
		for _, t := range e.tods {
			if e.base*secondsPerDay+t >= e.start {
				first++
			}
		}
		return first, nt, true
	case Weekly:
		if e.byMonth != 0 || e.mdFilter || e.byYearDay != nil || e.wnFilter || len(e.nwdays) > 0 {
			return 0, 0, false
		}
		days := int64(0)
		for d := e.base; d < e.base+7; d++ {
			if e.wdFilter && e.wdays&(1<<weekdayOf(d)) == 0 {
				continue
			}
			days++
			for _, t := range e.tods {
				if d*secondsPerDay+t >= e.start {
					first++
				}
			}
		}
		return first, days * nt, true
	}
	return 0, 0, false
}

// next returns the next instance in civil seconds.
func (e *engine) next() (int64, bool) {
	for e.outPos >= len(e.out) {
		if e.done {
			return 0, false
		}
		e.out = e.out[:0]
		e.outPos = 0
		if e.freq >= Daily {
			e.fillCoarse()
		} else {
			e.fillFine()
		}
	}
	c := e.out[e.outPos]
	e.outPos++
	return c, true
}

// tick counts n units of work and stops the iteration at the cap, or when
// the budget runs out (looked at every budgetStride units).
func (e *engine) tick(n int) bool {
	e.iter += n
	if e.iter < e.checkAt {
		return true
	}
	return e.check()
}

func (e *engine) check() bool {
	if e.iter > e.maxIter {
		e.capped = true
		e.done = true
		return false
	}
	if e.budget != nil {
		err := e.budget.spendSteps(e.iter - e.spent)
		e.spent = e.iter
		if err != nil {
			e.stopErr = err
			e.done = true
			return false
		}
	}
	e.setCheck()
	return true
}

// setCheck sets the next iteration count at which tick calls check.
func (e *engine) setCheck() {
	e.checkAt = e.maxIter + 1
	if e.budget != nil {
		e.checkAt = min(e.checkAt, e.iter+budgetStride)
	}
}

// useBudget makes the engine charge its work to b.
func (e *engine) useBudget(b *Budget) {
	e.budget = b
	e.setCheck()
	if err := b.Err(); err != nil {
		e.stopErr = err
		e.done = true
	}
}

// settle charges the work not yet charged to the budget.
func (e *engine) settle() {
	if e.budget != nil && e.iter > e.spent {
		e.budget.spendSteps(e.iter - e.spent)
		e.spent = e.iter
	}
}

// fillCoarse produces the instances of the next YEARLY, MONTHLY, WEEKLY or
// DAILY period that has any.
func (e *engine) fillCoarse() {
	for len(e.out) == 0 && !e.done {
		if !e.tick(1) {
			return
		}
		days := e.days[:0]
		var first int64 // first day of the period
		switch e.freq {
		case Yearly:
			y := e.base + e.k*e.interval
			if y > 9999 {
				e.done = true
				return
			}
			first = daysFromCivil(int(y), 1, 1)
			if first*secondsPerDay > e.end {
				e.done = true
				return
			}
			if e.simpleDays {
				for m := 1; m <= 12; m++ {
					if e.byMonth == 0 || e.byMonth&(1<<m) != 0 {
						days = e.monthDays(days, int(y), m)
					}
				}
			} else if e.byYearDay != nil || e.wnFilter {
				days = e.yearCandidates(days, int(y))
			} else {
				n := int64(daysInYear(int(y)))
				if !e.tick(int(n)) {
					return
				}
				for d := first; d < first+n; d++ {
					if e.dayOK(d) {
						days = append(days, d)
					}
				}
			}
		case Monthly:
			mi := e.base + e.k*e.interval
			y, m := int(floorDiv(mi, 12)), int(mi-floorDiv(mi, 12)*12)+1
			if y > 9999 {
				e.done = true
				return
			}
			first = daysFromCivil(y, m, 1)
			if first*secondsPerDay > e.end {
				e.done = true
				return
			}
			if e.byMonth != 0 && e.byMonth&(1<<m) == 0 {
				break
			}
			if e.simpleDays {
				days = e.monthDays(days, y, m)
			} else {
				n := int64(daysInMonth(y, m))
				if !e.tick(int(n)) {
					return
				}
				for d := first; d < first+n; d++ {
					if e.dayOK(d) {
						days = append(days, d)
					}
				}
			}
		case Weekly:
			first = e.base + e.k*7*e.interval
			if first*secondsPerDay > e.end || first*secondsPerDay > civilMax {
				e.done = true
				return
			}
			for d := first; d < first+7; d++ {
				if e.dayOK(d) {
					days = append(days, d)
				}
			}
		case Daily:
			first = e.base + e.k*e.interval
			if first*secondsPerDay > e.end || first*secondsPerDay > civilMax {
				e.done = true
				return
			}
			if e.dayOK(first) {
				days = append(days, first)
			} else if e.byMonth != 0 {
				// Skip the rest of a month BYMONTH rules out.
				y, m, _ := civilFromDays(first)
				if e.byMonth&(1<<m) == 0 {
					nm := daysFromCivil(y, m+1, 1)
					if m == 12 {
						nm = daysFromCivil(y+1, 1, 1)
					}
					e.k = max(e.k, ceilDiv(nm-e.base, e.interval)-1)
				}
			}
		}
		e.k++
		e.days = days
		e.emit(days, secondsPerDay)
	}
}

// yearCandidates appends the days of year y that pass the day filters when
// BYYEARDAY or BYWEEKNO is set: only the days those parts name are looked
// at, not the whole year.
func (e *engine) yearCandidates(days []int64, y int) []int64 {
	yi := e.year(y)
	start := len(days)
	add := func(d int64) {
		if d >= yi.jan1 && d < yi.jan1+yi.length && e.dayOK(d) {
			days = append(days, d)
		}
	}
	if e.byYearDay != nil {
		for _, n := range e.byYearDay {
			if n > 0 {
				add(yi.jan1 + int64(n) - 1)
			} else {
				add(yi.jan1 + yi.length + int64(n))
			}
		}
	} else {
		// Every week of the year, its neighbours' last and first weeks
		// included, whose number BYWEEKNO names.
		weeks := (yi.w1Next - yi.w1) / 7
		for w := int64(-1); w <= weeks; w++ {
			ws := yi.w1 + w*7
			if ws+7 <= yi.jan1 || ws >= yi.jan1+yi.length {
				continue
			}
			wk, neg := w+1, w-weeks
			switch {
			case w < 0:
				wk, neg = yi.prevWeeks, -1
			case w == weeks:
				wk, neg = 1, -yi.nextWeeks
			}
			if e.wnPos&(1<<wk) == 0 && e.wnNeg&(1<<-neg) == 0 {
				continue
			}
			for d := ws; d < ws+7; d++ {
				add(d)
			}
		}
	}
	e.tick(len(days) - start + 1)
	out := days[start:]
	slices.Sort(out)
	return days[:start+len(slices.Compact(out))]
}

// monthDays appends the days of month m of year y that BYMONTHDAY selects
// (or, without BYMONTHDAY, all of them), in order.
func (e *engine) monthDays(days []int64, y, m int) []int64 {
	first := daysFromCivil(y, m, 1)
	n := daysInMonth(y, m)
	if !e.mdFilter {
		for d := 0; d < n; d++ {
			days = append(days, first+int64(d))
		}
		return days
	}
	for md := 1; md <= n; md++ {
		if e.mdPos&(1<<md) != 0 || e.mdNeg&(1<<(n-md+1)) != 0 {
			days = append(days, first+int64(md-1))
		}
	}
	return days
}

// emit turns the candidates of one period (bases, each combined with every
// time in tods) into instances: BYSETPOS, then DTSTART, UNTIL and COUNT.
func (e *engine) emit(bases []int64, unit int64) {
	if len(bases) == 0 {
		return
	}
	nt := int64(len(e.tods))
	if e.setPos == nil {
		if nt > 1 && !e.tick(len(bases)*int(nt)) {
			// Each time of day of each day is an instance, or a
			// candidate walked over before the window.
			return
		}
		for _, b := range bases {
			for _, t := range e.tods {
				if !e.push(b*unit + t) {
					return
				}
			}
		}
		return
	}
	// RFC 5545 §3.3.10: BYSETPOS applies last, to the ordered set of
	// candidates of the period.
	n := int64(len(bases)) * nt
	set := e.setBuf[:0]
	for _, p := range e.setPos {
		idx := int64(p) - 1
		if p < 0 {
			idx = n + int64(p)
		}
		if idx < 0 || idx >= n {
			continue
		}
		set = append(set, bases[idx/nt]*unit+e.tods[idx%nt])
	}
	slices.Sort(set)
	set = slices.Compact(set)
	e.setBuf = set
	for _, c := range set {
		if !e.push(c) {
			return
		}
	}
}

// push adds one candidate; it reports false when the iteration is over.
func (e *engine) push(c int64) bool {
	if c < e.start {
		return true
	}
	if c > e.end {
		e.done = true
		return false
	}
	e.out = append(e.out, c)
	e.emitted++
	if e.count > 0 && e.emitted >= e.count {
		e.done = true
		return false
	}
	return true
}

// fillFine produces the instances of the next HOURLY, MINUTELY or SECONDLY
// period that has any, jumping over days, hours and minutes the limits rule
// out.
func (e *engine) fillFine() {
	var one [1]int64
	for len(e.out) == 0 && !e.done {
		if !e.tick(1) {
			return
		}
		p := e.base + e.k*e.step
		if p > e.end || p > civilMax {
			e.done = true
			return
		}
		d := floorDiv(p, secondsPerDay)
		if e.dayFilter && !e.dayOK(d) {
			next := (d + 1) * secondsPerDay
			if e.byMonth != 0 {
				if y, m, _ := civilFromDays(d); e.byMonth&(1<<m) == 0 {
					if m == 12 {
						next = daysFromCivil(y+1, 1, 1) * secondsPerDay
					} else {
						next = daysFromCivil(y, m+1, 1) * secondsPerDay
					}
				}
			}
			e.k = max(e.k+1, ceilDiv(next-e.base, e.step))
			continue
		}
		sod := p - d*secondsPerDay
		if e.hourMask != 0 && e.hourMask&(1<<(sod/3600)) == 0 {
			e.k = max(e.k+1, ceilDiv(d*secondsPerDay+(sod/3600+1)*3600-e.base, e.step))
			continue
		}
		if e.freq <= Minutely && e.minuteMask != 0 && e.minuteMask&(1<<(sod/60%60)) == 0 {
			e.k = max(e.k+1, ceilDiv(d*secondsPerDay+(sod/60+1)*60-e.base, e.step))
			continue
		}
		if e.freq == Secondly && e.secondMask != 0 && e.secondMask&(1<<(sod%60)) == 0 {
			e.k++
			continue
		}
		e.k++
		one[0] = p
		e.emit(one[:], 1)
	}
}
