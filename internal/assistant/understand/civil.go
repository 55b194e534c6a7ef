package understand

import "time"

// day is a civil (calendar) date as a count of days since 1970-01-01. The
// conventions resolve everything on the local calendar first (R1) and only
// then turn wall-clock times into instants, so dates stay free of zones.
type day int32

func mkday(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return mkday(y, m, d)
}

func (d day) date() (int, time.Month, int) {
	return time.Unix(int64(d)*86400, 0).UTC().Date()
}

// weekday is 0 for Monday ... 6 for Sunday (ISO 8601 weeks, R4).
func (d day) weekday() int {
	w := (int(d) + 3) % 7 // 1970-01-01 was a Thursday
	if w < 0 {
		w += 7
	}
	return w
}

// monday returns the Monday of d's week.
func (d day) monday() day { return d - day(d.weekday()) }

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// validDate reports whether y-m-d exists (no 30 February, no 31 April: R14).
func validDate(y int, m time.Month, d int) bool {
	return m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m)
}

// addMonths adds calendar months, clamping to the end of the month: 31
// January + 1 month = 28 February (R6).
func (d day) addMonths(n int) day {
	y, m, dd := d.date()
	t := int(m) - 1 + n
	y += t / 12
	t %= 12
	if t < 0 {
		t += 12
		y--
	}
	nm := time.Month(t + 1)
	if lim := daysIn(y, nm); dd > lim {
		dd = lim
	}
	return mkday(y, nm, dd)
}

// nthWeekday returns the n-th (1..5, or -1 for the last) weekday wd of a
// month, and false when the month has no such day.
func nthWeekday(y int, m time.Month, wd, n int) (day, bool) {
	if n < 0 {
		last := mkday(y, m, daysIn(y, m))
		return last - day((last.weekday()-wd+7)%7), true
	}
	first := mkday(y, m, 1)
	d := first + day((wd-first.weekday()+7)%7) + day(7*(n-1))
	if _, mm, _ := d.date(); mm != m {
		return 0, false
	}
	return d, true
}

// easter returns Easter Sunday of year y in the Gregorian calendar
// (the anonymous Gregorian computus, as dateutil.easter's default method).
func easter(y int) day {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	dd := (h+l-7*m+114)%31 + 1
	return mkday(y, time.Month(month), dd)
}

// wallFold says how a wall-clock time mapped to an instant (R11).
type wallFold uint8

const (
	wallExact   wallFold = iota
	wallGap              // did not exist: moved forward by the gap
	wallOverlap          // happened twice: the first occurrence
)

// at returns the instant of wall-clock time sec (seconds after midnight,
// may exceed a day) on day d in loc.
//
// RFC 5545 §3.3.5 (and PEP 495's fold=0): a wall time in a gap "is
// interpreted using the UTC offset before the gap", so it lands the length of
// the gap later (New York 02:30 on 8 March 2026 is 03:30 EDT); a wall time
// that happens twice refers to its first occurrence. time.Date leaves the
// choice unspecified, hence this function. It assumes at most one offset
// change within a day of the wall time, which holds for every zone in the
// tz database.
func at(d day, sec int, loc *time.Location) (time.Time, wallFold) {
	w := int64(d)*86400 + int64(sec) // the wall time read as if it were UTC
	before := offsetAt(w-86400, loc)
	after := offsetAt(w+86400, loc)
	if before == after {
		u := w - before
		if offsetAt(u, loc) == before {
			return time.Unix(u, 0).In(loc), wallExact
		}
	}
	ub, ua := w-before, w-after
	okb, oka := offsetAt(ub, loc) == before, offsetAt(ua, loc) == after
	switch {
	case okb && oka:
		return time.Unix(min(ub, ua), 0).In(loc), wallOverlap
	case okb:
		return time.Unix(ub, 0).In(loc), wallExact
	case oka:
		return time.Unix(ua, 0).In(loc), wallExact
	}
	// In the gap: read with the offset in force before it.
	return time.Unix(ub, 0).In(loc), wallGap
}

// altAt returns the other reading of a wall time in a gap or an overlap: the
// fold=1 reading of PEP 495 (the offset after the change).
func altAt(d day, sec int, loc *time.Location) time.Time {
	w := int64(d)*86400 + int64(sec)
	after := offsetAt(w+86400, loc)
	return time.Unix(w-after, 0).In(loc)
}

func offsetAt(u int64, loc *time.Location) int64 {
	_, off := time.Unix(u, 0).In(loc).Zone()
	return int64(off)
}

// clockOf returns the wall-clock seconds after midnight of t in its zone.
func clockOf(t time.Time) int {
	h, m, s := t.Clock()
	return h*3600 + m*60 + s
}
