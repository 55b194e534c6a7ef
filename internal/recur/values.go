package recur

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Value is a DATE or DATE-TIME property value (DTSTART, DTEND, RDATE,
// EXDATE, RECURRENCE-ID...) resolved to a time.
type Value struct {
	// Time is the instant, in the location of the value: time.UTC for a
	// UTC date-time, the zone of its TZID, or the floating location for a
	// floating date-time or a date (at 00:00 that day).
	Time time.Time
	// Date reports a DATE value (an all-day event).
	Date bool
	// Floating reports a date-time with neither TZID nor "Z"; dates are
	// floating too.
	Floating bool
	// End is the end of a PERIOD value of an RDATE, zero otherwise.
	End time.Time
}

// civil returns the wall clock reading of v, the form rules are expanded in.
func (v Value) civil() int64 { return civilOf(v.Time) }

// Value parses the single DATE or DATE-TIME value of property p (RFC 5545
// §3.3.4, §3.3.5). Floating values and dates are read as wall time in
// floating (time.UTC when nil), with the RFC 5545 §3.3.5 rules for wall
// times that fall in a gap or occur twice.
func (z *Zones) Value(p *ical.Prop, floating *time.Location) (Value, error) {
	vs, err := z.Values(p, floating)
	if err != nil {
		return Value{}, err
	}
	if len(vs) != 1 {
		return Value{}, fmt.Errorf("recur: %s: want one value, got %d", p.Name, len(vs))
	}
	return vs[0], nil
}

// Values parses the comma-separated DATE, DATE-TIME or PERIOD values of a
// property (RDATE and EXDATE may hold several, RFC 5545 §3.8.5.1 and
// §3.8.5.2).
func (z *Zones) Values(p *ical.Prop, floating *time.Location) ([]Value, error) {
	if floating == nil {
		floating = time.UTC
	}
	var loc *time.Location
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		l, err := z.Location(tzid)
		if err != nil {
			return nil, fmt.Errorf("recur: %s: %w", p.Name, err)
		}
		loc = l
	}
	valueType := strings.ToUpper(p.Params.Get(ical.ParamValue))
	var out []Value
	for raw := range strings.SplitSeq(p.Value, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if valueType == "PERIOD" || strings.Contains(raw, "/") {
			v, err := parsePeriod(raw, loc, floating)
			if err != nil {
				return nil, fmt.Errorf("recur: %s: %w", p.Name, err)
			}
			out = append(out, v)
			continue
		}
		v, err := parseDateTime(raw, loc, floating)
		if err != nil {
			return nil, fmt.Errorf("recur: %s: %w", p.Name, err)
		}
		if valueType == "DATE" && !v.Date {
			return nil, fmt.Errorf("recur: %s: VALUE=DATE but %q is not a date", p.Name, raw)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("recur: %s: no value", p.Name)
	}
	return out, nil
}

// parseDateTime parses one DATE ("19970714"), UTC DATE-TIME
// ("19970714T173000Z") or local DATE-TIME ("19970714T133000", in loc, or
// floating when loc is nil).
func parseDateTime(s string, loc, floating *time.Location) (Value, error) {
	switch {
	case len(s) == 8:
		t, err := time.Parse("20060102", s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a date (YYYYMMDD)", s)
		}
		return Value{Time: At(t, floating), Date: true, Floating: true}, nil
	case len(s) == 16 && (s[15] == 'Z' || s[15] == 'z'):
		t, err := time.Parse("20060102T150405", s[:15])
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a UTC date-time (YYYYMMDDTHHMMSSZ)", s)
		}
		return Value{Time: t}, nil
	case len(s) == 15:
		t, err := time.Parse("20060102T150405", s)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a date-time (YYYYMMDDTHHMMSS)", s)
		}
		if loc == nil {
			return Value{Time: At(t, floating), Floating: true}, nil
		}
		return Value{Time: At(t, loc)}, nil
	}
	return Value{}, fmt.Errorf("%q is not a date or date-time", s)
}

// parsePeriod parses an RFC 5545 §3.3.9 PERIOD: start/end or start/duration.
func parsePeriod(s string, loc, floating *time.Location) (Value, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Value{}, fmt.Errorf("%q is not a period (start/end or start/duration)", s)
	}
	v, err := parseDateTime(a, loc, floating)
	if err != nil {
		return Value{}, err
	}
	if v.Date {
		return Value{}, fmt.Errorf("period %q must start with a date-time", s)
	}
	if strings.HasPrefix(b, "P") || strings.HasPrefix(b, "+P") || strings.HasPrefix(b, "-P") {
		d, err := ParseDuration(b)
		if err != nil {
			return Value{}, err
		}
		v.End = d.AddTo(v.Time)
	} else {
		e, err := parseDateTime(b, loc, floating)
		if err != nil {
			return Value{}, err
		}
		v.End = e.Time
	}
	if v.End.Before(v.Time) {
		return Value{}, fmt.Errorf("period %q ends before it starts", s)
	}
	return v, nil
}

// Duration is an RFC 5545 §3.3.6 duration, which has a nominal part (days
// and weeks, counted on the wall clock) and an exact part.
type Duration struct {
	Days  int           // nominal days (a week is 7)
	Exact time.Duration // hours, minutes and seconds
}

// ParseDuration parses an RFC 5545 §3.3.6 duration such as "P1D", "PT1H30M",
// "-P2W" or "P1DT12H".
func ParseDuration(s string) (Duration, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) < 2 || (s[0] != 'P' && s[0] != 'p') {
		return Duration{}, fmt.Errorf("%q is not a duration (PnW, PnDTnHnMnS)", orig)
	}
	s = strings.ToUpper(s[1:])
	var d Duration
	inTime := false
	seen := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return Duration{}, fmt.Errorf("%q: T given twice", orig)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return Duration{}, fmt.Errorf("%q is not a duration", orig)
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		seen = true
		switch {
		case unit == 'W' && !inTime:
			d.Days += 7 * n
		case unit == 'D' && !inTime:
			d.Days += n
		case unit == 'H' && inTime:
			d.Exact += time.Duration(n) * time.Hour
		case unit == 'M' && inTime:
			d.Exact += time.Duration(n) * time.Minute
		case unit == 'S' && inTime:
			d.Exact += time.Duration(n) * time.Second
		default:
			return Duration{}, fmt.Errorf("%q: unexpected %q", orig, unit)
		}
	}
	if !seen {
		return Duration{}, fmt.Errorf("%q is an empty duration", orig)
	}
	if neg {
		d.Days, d.Exact = -d.Days, -d.Exact
	}
	return d, nil
}

// AddTo returns t plus d: the days are added on the wall clock of t's
// location (RFC 5545 §3.3.6: "P1D" lasts 23 or 25 hours across a DST
// change), then the exact part, in that order as RFC 5545 says.
func (d Duration) AddTo(t time.Time) time.Time {
	if d.Days != 0 {
		w := civilOf(t) + int64(d.Days)*secondsPerDay
		u, _ := newWallResolver(t.Location()).instant(w)
		t = time.Unix(u, int64(t.Nanosecond())).In(t.Location())
	}
	return t.Add(d.Exact)
}

// parseUTCOffset parses an RFC 5545 §3.3.14 UTC offset ("+0100", "-0530",
// "+013045") into seconds east of UTC.
func parseUTCOffset(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 || s[0] != '+' && s[0] != '-' {
		return 0, fmt.Errorf("%q is not a UTC offset (+HHMM)", s)
	}
	n := 0
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a UTC offset (+HHMM)", s)
		}
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	sec := 0
	if len(s) == 7 {
		sec, _ = strconv.Atoi(s[5:7])
	}
	if h > 23 || m > 59 || sec > 59 {
		return 0, fmt.Errorf("%q is not a UTC offset (+HHMM)", s)
	}
	n = h*3600 + m*60 + sec
	if s[0] == '-' {
		n = -n
	}
	return n, nil
}
