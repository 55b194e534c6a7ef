package recur

import "time"

// Civil (wall clock) time is handled as a count of seconds since
// 1970-01-01T00:00:00 of the proleptic Gregorian calendar, with no time zone:
// the value a wall clock shows, as if every day had 86,400 seconds. Rules are
// expanded in civil time (RFC 5545 §3.3.10 describes them in terms of the
// calendar) and converted to instants by a wallResolver at the end. The
// arithmetic below is Howard Hinnant's days_from_civil; it is written here
// because time.Date allocates nothing but costs ten times more, and the
// expansion calls it for every candidate day.

const secondsPerDay = 86400

var (
	// civilMin and civilMax bound the years a rule may reach (RFC 5545
	// writes years with four digits).
	civilMin = daysFromCivil(1, 1, 1) * secondsPerDay
	civilMax = daysFromCivil(10000, 1, 1)*secondsPerDay - 1
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// daysFromCivil returns the day number (days since 1970-01-01) of y-m-d.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekdayOf returns the weekday of day number z (1970-01-01 was a Thursday).
func weekdayOf(z int64) time.Weekday {
	return time.Weekday(((z+4)%7 + 7) % 7)
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

var monthDays = [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func daysInMonth(y, m int) int {
	if m == 2 && isLeap(y) {
		return 29
	}
	return monthDays[m]
}

// civilOf returns the civil seconds of the wall clock reading of t in its
// own location.
func civilOf(t time.Time) int64 {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return daysFromCivil(y, int(mo), d)*secondsPerDay + int64(h*3600+mi*60+s)
}

// civilTime returns the wall clock time c as a time.Time in time.UTC.
func civilTime(c int64) time.Time {
	return time.Unix(c, 0).UTC()
}
