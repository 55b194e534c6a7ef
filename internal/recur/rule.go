package recur

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Frequency is the FREQ rule part of a recurrence rule: the unit of the
// periods the rule repeats in. Finer frequencies have smaller values.
type Frequency int

// The frequencies of RFC 5545 §3.3.10, finest first.
const (
	Secondly Frequency = iota + 1
	Minutely
	Hourly
	Daily
	Weekly
	Monthly
	Yearly
)

var freqNames = [...]string{"", "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}

// String returns the RFC 5545 name of the frequency ("DAILY").
func (f Frequency) String() string {
	if f < Secondly || f > Yearly {
		return "Frequency(" + strconv.Itoa(int(f)) + ")"
	}
	return freqNames[f]
}

// WeekdayNum is one value of the BYDAY rule part: a weekday, with an optional
// ordinal N (1 is the first such weekday of the month or year, -1 the last; 0
// means every such weekday).
type WeekdayNum struct {
	N   int
	Day time.Weekday
}

var weekdayCodes = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// String returns the RFC 5545 form of the value ("-1SU", "MO").
func (w WeekdayNum) String() string {
	if w.N == 0 {
		return weekdayCodes[w.Day]
	}
	return strconv.Itoa(w.N) + weekdayCodes[w.Day]
}

// UntilKind says which value type the UNTIL rule part was written with, and
// so how Rule.Until is compared with the instances.
type UntilKind int

const (
	// UntilUTC is a UTC date-time ("19971224T000000Z"), compared with the
	// instants of the instances. RFC 5545 requires it whenever DTSTART has
	// a time zone.
	UntilUTC UntilKind = iota
	// UntilFloating is a date-time without zone ("19971224T000000"),
	// compared with the wall clock time of the instances.
	UntilFloating
	// UntilDate is a date ("19971224"): instances on that date or earlier
	// (in their own wall clock time) are included.
	UntilDate
)

// Rule is a parsed RFC 5545 recurrence rule (the value of an RRULE). Its
// fields are the rule parts, readable by code that maps a rule onto other
// recurrence models (Zoom's recurrence object); a nil slice means the part
// is absent.
//
// ParseRule accepts every rule RFC 5545 allows, and also the combinations
// it forbids but that calendars in the wild contain (BYWEEKNO with
// FREQ=MONTHLY, an ordinal BYDAY with FREQ=WEEKLY, COUNT with UNTIL...),
// giving them python-dateutil's meaning: a BYxxx part that cannot expand the
// period limits it. Validate reports those combinations.
type Rule struct {
	Freq Frequency
	// Interval is the number of periods between two periods that produce
	// instances; 0 is read as 1.
	Interval int
	// Count is the number of instances; 0 means no COUNT.
	Count int
	// Until bounds the rule inclusively when it is not zero. For UntilUTC
	// it is an instant (in time.UTC); for UntilFloating and UntilDate its
	// fields (read in time.UTC) are a wall clock time or a date.
	Until     time.Time
	UntilKind UntilKind

	BySecond   []int
	ByMinute   []int
	ByHour     []int
	ByDay      []WeekdayNum
	ByMonthDay []int
	ByYearDay  []int
	ByWeekNo   []int
	ByMonth    []int
	BySetPos   []int
	// WeekStart is the WKST rule part; Monday unless set.
	WeekStart time.Weekday
}

// ParseError is the error of ParseRule: it names the rule part that is wrong.
type ParseError struct {
	Rule   string // the whole value given to ParseRule
	Part   string // the offending rule part ("BYMONTHDAY=0"), empty for the whole rule
	Reason string
}

func (e *ParseError) Error() string {
	if e.Part == "" {
		return "recur: rule " + strconv.Quote(e.Rule) + ": " + e.Reason
	}
	return "recur: rule part " + e.Part + ": " + e.Reason
}

// ParseRule parses the value of an RRULE property (RFC 5545 §3.3.10), with or
// without its "RRULE:" prefix. Names are case-insensitive. The error is a
// *ParseError naming the part that is wrong.
func ParseRule(s string) (Rule, error) {
	var r Rule
	src := s
	s = strings.TrimSpace(s)
	if len(s) >= 6 && strings.EqualFold(s[:6], "RRULE:") {
		s = s[6:]
	}
	fail := func(part, format string, args ...any) (Rule, error) {
		return Rule{}, &ParseError{Rule: src, Part: part, Reason: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return fail("", "empty rule")
	}
	r.WeekStart = time.Monday
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ";") {
		if part == "" {
			// A trailing or doubled ";" is a common harmless slip.
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return fail(part, "expected NAME=VALUE")
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		// RFC 5545 §3.3.10: each rule part MUST NOT occur more than once.
		if seen[name] {
			return fail(part, "%s given twice", name)
		}
		seen[name] = true
		if value == "" {
			return fail(part, "empty value")
		}
		var err error
		switch name {
		case "FREQ":
			r.Freq = parseFreq(value)
			if r.Freq == 0 {
				return fail(part, "unknown frequency %q (want SECONDLY, MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY)", value)
			}
		case "INTERVAL":
			r.Interval, err = parseInt(value, 1, 1<<31-1)
		case "COUNT":
			r.Count, err = parseInt(value, 1, 1<<31-1)
		case "UNTIL":
			r.Until, r.UntilKind, err = parseUntil(value)
		case "BYSECOND":
			r.BySecond, err = parseIntList(value, 0, 60, false)
		case "BYMINUTE":
			r.ByMinute, err = parseIntList(value, 0, 59, false)
		case "BYHOUR":
			r.ByHour, err = parseIntList(value, 0, 23, false)
		case "BYDAY":
			r.ByDay, err = parseByDay(value)
		case "BYMONTHDAY":
			r.ByMonthDay, err = parseIntList(value, 1, 31, true)
		case "BYYEARDAY":
			r.ByYearDay, err = parseIntList(value, 1, 366, true)
		case "BYWEEKNO":
			r.ByWeekNo, err = parseIntList(value, 1, 53, true)
		case "BYMONTH":
			r.ByMonth, err = parseIntList(value, 1, 12, false)
		case "BYSETPOS":
			r.BySetPos, err = parseIntList(value, 1, 366, true)
		case "WKST":
			d, ok := parseWeekday(strings.ToUpper(value))
			if !ok {
				return fail(part, "unknown weekday %q (want SU, MO, TU, WE, TH, FR or SA)", value)
			}
			r.WeekStart = d
		case "RSCALE":
			// RFC 7529: only the Gregorian scale is supported.
			if !strings.EqualFold(value, "GREGORIAN") {
				return fail(part, "calendar scale %q is not supported (only GREGORIAN)", value)
			}
		case "SKIP":
			// RFC 7529: SKIP=OMIT is the RFC 5545 behaviour.
			if !strings.EqualFold(value, "OMIT") {
				return fail(part, "SKIP=%s is not supported (only OMIT)", value)
			}
		default:
			return fail(part, "unknown rule part %q", name)
		}
		if err != nil {
			return fail(part, "%v", err)
		}
	}
	if r.Freq == 0 {
		return fail("", "FREQ is required")
	}
	if r.Interval == 0 {
		r.Interval = 1
	}
	return r, nil
}

func parseFreq(v string) Frequency {
	for f := Secondly; f <= Yearly; f++ {
		if strings.EqualFold(v, freqNames[f]) {
			return f
		}
	}
	return 0
}

func parseWeekday(v string) (time.Weekday, bool) {
	for i, c := range weekdayCodes {
		if v == c {
			return time.Weekday(i), true
		}
	}
	return 0, false
}

// parseInt parses a decimal integer with an optional sign within [lo, hi].
func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return n, nil
}

// parseIntList parses a comma-separated list of integers in [lo, hi], or in
// [-hi, -lo] too when negative values are allowed.
func parseIntList(v string, lo, hi int, negative bool) ([]int, error) {
	var out []int
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		n, err := strconv.Atoi(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", item)
		}
		if n >= lo && n <= hi || negative && n <= -lo && n >= -hi {
			out = append(out, n)
			continue
		}
		if negative {
			return nil, fmt.Errorf("%d is out of range %d..%d or %d..%d", n, -hi, -lo, lo, hi)
		}
		return nil, fmt.Errorf("%d is out of range %d..%d", n, lo, hi)
	}
	return out, nil
}

func parseByDay(v string) ([]WeekdayNum, error) {
	var out []WeekdayNum
	for item := range strings.SplitSeq(v, ",") {
		item = strings.ToUpper(strings.TrimSpace(item))
		if len(item) < 2 {
			return nil, fmt.Errorf("%q is not a weekday", item)
		}
		d, ok := parseWeekday(item[len(item)-2:])
		if !ok {
			return nil, fmt.Errorf("%q does not end with a weekday (SU, MO, TU, WE, TH, FR, SA)", item)
		}
		w := WeekdayNum{Day: d}
		if num := item[:len(item)-2]; num != "" {
			n, err := strconv.Atoi(num)
			// RFC 5545 §3.3.10: ordwk = 1*2DIGIT ;1 to 53
			if err != nil || n == 0 || n > 53 || n < -53 {
				return nil, fmt.Errorf("%q: the ordinal must be 1..53 or -53..-1", item)
			}
			w.N = n
		}
		out = append(out, w)
	}
	return out, nil
}

func parseUntil(v string) (time.Time, UntilKind, error) {
	switch {
	case len(v) == 8:
		t, err := time.Parse("20060102", v)
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("%q is not a date (YYYYMMDD)", v)
		}
		return t, UntilDate, nil
	case len(v) == 15:
		t, err := time.Parse("20060102T150405", v)
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("%q is not a date-time (YYYYMMDDTHHMMSS)", v)
		}
		return t, UntilFloating, nil
	case len(v) == 16 && (v[15] == 'Z' || v[15] == 'z'):
		t, err := time.Parse("20060102T150405", v[:15])
		if err != nil {
			return time.Time{}, 0, fmt.Errorf("%q is not a UTC date-time (YYYYMMDDTHHMMSSZ)", v)
		}
		return t, UntilUTC, nil
	}
	return time.Time{}, 0, fmt.Errorf("%q is not a date or date-time", v)
}

// String returns the rule in RFC 5545 form, parts in a fixed order (FREQ,
// UNTIL or COUNT, INTERVAL, the BYxxx parts from BYSECOND to BYSETPOS, WKST);
// ParseRule(r.String()) gives r back.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString("FREQ=")
	b.WriteString(r.Freq.String())
	if !r.Until.IsZero() {
		b.WriteString(";UNTIL=")
		switch r.UntilKind {
		case UntilDate:
			b.WriteString(r.Until.Format("20060102"))
		case UntilFloating:
			b.WriteString(r.Until.Format("20060102T150405"))
		default:
			b.WriteString(r.Until.UTC().Format("20060102T150405Z"))
		}
	}
	if r.Count > 0 {
		b.WriteString(";COUNT=")
		b.WriteString(strconv.Itoa(r.Count))
	}
	if r.Interval > 1 {
		b.WriteString(";INTERVAL=")
		b.WriteString(strconv.Itoa(r.Interval))
	}
	ints := func(name string, l []int) {
		if l == nil {
			return
		}
		b.WriteString(";" + name + "=")
		for i, n := range l {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(n))
		}
	}
	ints("BYSECOND", r.BySecond)
	ints("BYMINUTE", r.ByMinute)
	ints("BYHOUR", r.ByHour)
	if r.ByDay != nil {
		b.WriteString(";BYDAY=")
		for i, w := range r.ByDay {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(w.String())
		}
	}
	ints("BYMONTHDAY", r.ByMonthDay)
	ints("BYYEARDAY", r.ByYearDay)
	ints("BYWEEKNO", r.ByWeekNo)
	ints("BYMONTH", r.ByMonth)
	ints("BYSETPOS", r.BySetPos)
	if r.WeekStart != time.Monday {
		b.WriteString(";WKST=")
		b.WriteString(weekdayCodes[r.WeekStart])
	}
	return b.String()
}

// Validate reports what RFC 5545 §3.3.10 forbids in r although ParseRule
// accepts it: code that writes rules (invitations, Zoom) should call it.
// Errors are joined, one per problem.
func (r Rule) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("recur: "+format, args...))
	}
	if r.Freq < Secondly || r.Freq > Yearly {
		bad("FREQ %v is not a frequency", r.Freq)
	}
	if r.Interval < 0 {
		bad("INTERVAL=%d is not positive", r.Interval)
	}
	if r.Count < 0 {
		bad("COUNT=%d is not positive", r.Count)
	}
	if r.Count > 0 && !r.Until.IsZero() {
		bad("COUNT and UNTIL MUST NOT occur in the same rule")
	}
	if r.ByWeekNo != nil && r.Freq != Yearly {
		bad("BYWEEKNO MUST NOT be used when FREQ is not YEARLY")
	}
	if r.ByYearDay != nil && (r.Freq == Daily || r.Freq == Weekly || r.Freq == Monthly) {
		bad("BYYEARDAY MUST NOT be used when FREQ is DAILY, WEEKLY or MONTHLY")
	}
	if r.ByMonthDay != nil && r.Freq == Weekly {
		bad("BYMONTHDAY MUST NOT be used when FREQ is WEEKLY")
	}
	for _, w := range r.ByDay {
		if w.N == 0 {
			continue
		}
		if r.Freq != Monthly && r.Freq != Yearly {
			bad("BYDAY=%v: an ordinal MUST NOT be used when FREQ is not MONTHLY or YEARLY", w)
		} else if r.Freq == Yearly && r.ByWeekNo != nil {
			bad("BYDAY=%v: an ordinal MUST NOT be used with YEARLY and BYWEEKNO", w)
		}
		break
	}
	if r.BySetPos != nil && r.BySecond == nil && r.ByMinute == nil && r.ByHour == nil && r.ByDay == nil &&
		r.ByMonthDay == nil && r.ByYearDay == nil && r.ByWeekNo == nil && r.ByMonth == nil {
		bad("BYSETPOS MUST only be used with another BYxxx rule part")
	}
	check := func(name string, l []int, lo, hi int, negative bool) {
		for _, n := range l {
			if !(n >= lo && n <= hi || negative && n <= -lo && n >= -hi) {
				bad("%s value %d is out of range", name, n)
			}
		}
	}
	check("BYSECOND", r.BySecond, 0, 60, false)
	check("BYMINUTE", r.ByMinute, 0, 59, false)
	check("BYHOUR", r.ByHour, 0, 23, false)
	check("BYMONTHDAY", r.ByMonthDay, 1, 31, true)
	check("BYYEARDAY", r.ByYearDay, 1, 366, true)
	check("BYWEEKNO", r.ByWeekNo, 1, 53, true)
	check("BYMONTH", r.ByMonth, 1, 12, false)
	check("BYSETPOS", r.BySetPos, 1, 366, true)
	for _, w := range r.ByDay {
		if w.N > 53 || w.N < -53 || w.Day < time.Sunday || w.Day > time.Saturday {
			bad("BYDAY value %v is out of range", w)
		}
	}
	return errors.Join(errs...)
}

// Equal reports whether r and o are the same rule part by part (the order of
// the values in a list matters; nil and empty lists are equal).
func (r Rule) Equal(o Rule) bool {
	iv := func(n int) int { return max(n, 1) }
	return r.Freq == o.Freq && iv(r.Interval) == iv(o.Interval) && r.Count == o.Count &&
		r.Until.Equal(o.Until) && (r.Until.IsZero() || r.UntilKind == o.UntilKind) &&
		slices.Equal(r.BySecond, o.BySecond) && slices.Equal(r.ByMinute, o.ByMinute) &&
		slices.Equal(r.ByHour, o.ByHour) && slices.Equal(r.ByDay, o.ByDay) &&
		slices.Equal(r.ByMonthDay, o.ByMonthDay) && slices.Equal(r.ByYearDay, o.ByYearDay) &&
		slices.Equal(r.ByWeekNo, o.ByWeekNo) && slices.Equal(r.ByMonth, o.ByMonth) &&
		slices.Equal(r.BySetPos, o.BySetPos) && r.WeekStart == o.WeekStart
}
