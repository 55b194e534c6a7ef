package availability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrInvalidHours is wrapped by every error about malformed working hours,
// preferred times or date overrides, so that an HTTP handler can answer 422
// with errors.Is.
var ErrInvalidHours = errors.New("invalid working hours")

// Clock is a wall-clock time of day in minutes after local midnight, from 0
// ("00:00") to 1440 ("24:00", allowed only as the end of a range).
type Clock int

// EndOfDay is "24:00", the end of a range that runs to midnight.
const EndOfDay Clock = 24 * 60

// ParseClock parses "HH:MM" (or "H:MM"), 00:00 to 24:00.
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !allDigits(h) || !allDigits(m) {
		return 0, fmt.Errorf("%w: clock %q: want HH:MM", ErrInvalidHours, s)
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%w: clock %q: out of range 00:00-24:00", ErrInvalidHours, s)
	}
	return Clock(hh*60 + mm), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats c as "HH:MM".
func (c Clock) String() string {
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// ClockRange is the half-open range [Start, End) of wall-clock times on one
// local date. End may be EndOfDay; a range never crosses midnight (split a
// night shift into "22:00"-"24:00" and "00:00"-"02:00" of the next day: the
// two touch and are treated as one stretch of working time).
type ClockRange struct {
	Start, End Clock
}

// String formats r as "HH:MM-HH:MM".
func (r ClockRange) String() string { return r.Start.String() + "-" + r.End.String() }

// WorkingHours are the clock ranges of each weekday, indexed by time.Weekday
// (Sunday is 0), in the person's own time zone. Ranges within a day are
// sorted and do not overlap (they may touch). The zero value means the
// default, Monday to Friday 09:00-17:00; a week with no range at all is
// rejected by the parser (use date overrides for days off).
type WorkingHours struct {
	Days [7][]ClockRange
}

// DefaultWorkingHours returns Monday to Friday, 09:00-17:00 (DESIGN §4).
func DefaultWorkingHours() WorkingHours {
	var w WorkingHours
	for d := time.Monday; d <= time.Friday; d++ {
		w.Days[d] = []ClockRange{{9 * 60, 17 * 60}}
	}
	return w
}

// IsZero reports whether w has no range on any day (and so stands for the
// default when it is a person's working hours).
func (w WorkingHours) IsZero() bool {
	for _, d := range w.Days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// dayKeys are the JSON keys of DESIGN §4, indexed by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// jsonOrder is the order in which days are written: Monday first.
var jsonOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// Validate checks that every range is non-empty, ends by 24:00, and that the
// ranges of a day are sorted and do not overlap.
func (w WorkingHours) Validate() error {
	for d, rs := range w.Days {
		if err := validateRanges(rs); err != nil {
			return fmt.Errorf("%s: %w", dayKeys[d], err)
		}
	}
	return nil
}

func validateRanges(rs []ClockRange) error {
	for i, r := range rs {
		if r.Start < 0 || r.Start >= EndOfDay || r.End > EndOfDay {
			return fmt.Errorf("%w: range %d (%s): out of range 00:00-24:00", ErrInvalidHours, i+1, r)
		}
		if r.End <= r.Start {
			return fmt.Errorf("%w: range %d: end %s is not after start %s", ErrInvalidHours, i+1, r.End, r.Start)
		}
		if i > 0 && r.Start < rs[i-1].End {
			return fmt.Errorf("%w: ranges %s and %s overlap or are out of order", ErrInvalidHours, rs[i-1], r)
		}
	}
	return nil
}

// ParseWorkingHours parses the JSON shape of DESIGN §4,
// {"mon": [["09:00","12:00"],["13:00","17:00"]], "tue": …}. Keys are the
// three-letter English day names (any case); a missing day, null or [] is a
// day off; ranges of a day may come in any order and are sorted. Empty input
// or null gives DefaultWorkingHours. Errors name the day and range and wrap
// ErrInvalidHours: bad clocks, an end not after its start, overlapping
// ranges, unknown or repeated days, and a week with no working time.
func ParseWorkingHours(data []byte) (WorkingHours, error) {
	var w WorkingHours
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		return DefaultWorkingHours(), nil
	}
	seen := [7]bool{}
	err := parseObject(data, func(key string, ranges []ClockRange) error {
		day := -1
		for i, k := range dayKeys {
			if strings.EqualFold(key, k) {
				day = i
			}
		}
		if day < 0 {
			return fmt.Errorf("%w: unknown day %q (want mon, tue, wed, thu, fri, sat or sun)", ErrInvalidHours, key)
		}
		if seen[day] {
			return fmt.Errorf("%w: day %q given twice", ErrInvalidHours, key)
		}
		seen[day] = true
		w.Days[day] = ranges
		return nil
	})
	if err != nil {
		return WorkingHours{}, fmt.Errorf("working hours: %w", err)
	}
	if w.IsZero() {
		return WorkingHours{}, fmt.Errorf("working hours: %w: no working time on any day", ErrInvalidHours)
	}
	return w, nil
}

// parseObject reads a JSON object whose values are lists of [start, end]
// clock pairs, and calls fn with each key and its sorted, validated ranges.
func parseObject(data []byte, fn func(key string, ranges []ClockRange) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidHours, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%w: want a JSON object, got %v", ErrInvalidHours, tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidHours, err)
		}
		key, _ := tok.(string)
		var pairs [][]string
		if err := dec.Decode(&pairs); err != nil {
			return fmt.Errorf("%w: %s: want a list of [\"HH:MM\",\"HH:MM\"] pairs: %v", ErrInvalidHours, key, err)
		}
		ranges := make([]ClockRange, 0, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return fmt.Errorf("%w: %s: range %d: want [start, end], got %d values", ErrInvalidHours, key, i+1, len(p))
			}
			start, err := ParseClock(p[0])
			if err != nil {
				return fmt.Errorf("%s: range %d start: %w", key, i+1, err)
			}
			end, err := ParseClock(p[1])
			if err != nil {
				return fmt.Errorf("%s: range %d end: %w", key, i+1, err)
			}
			if start == EndOfDay {
				return fmt.Errorf("%w: %s: range %d: 24:00 is allowed only as an end", ErrInvalidHours, key, i+1)
			}
			if end <= start {
				return fmt.Errorf("%w: %s: range %d: end %s is not after start %s", ErrInvalidHours, key, i+1, end, start)
			}
			ranges = append(ranges, ClockRange{start, end})
		}
		slices.SortFunc(ranges, func(a, b ClockRange) int { return int(a.Start - b.Start) })
		if err := validateRanges(ranges); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if err := fn(key, ranges); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return fmt.Errorf("%w: %v", ErrInvalidHours, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", ErrInvalidHours)
	}
	return nil
}

// MarshalJSON writes w in the shape ParseWorkingHours reads, days with no
// range left out, Monday first.
func (w WorkingHours) MarshalJSON() ([]byte, error) {
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("working hours: %w", err)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	for _, d := range jsonOrder {
		if len(w.Days[d]) == 0 {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(&b, "%q:", dayKeys[d])
		writeRanges(&b, w.Days[d])
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeRanges(b *bytes.Buffer, rs []ClockRange) {
	b.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "[%q,%q]", r.Start.String(), r.End.String())
	}
	b.WriteByte(']')
}

// UnmarshalJSON parses data with ParseWorkingHours; JSON null leaves w as it
// is, as encoding/json expects.
func (w *WorkingHours) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		return nil
	}
	v, err := ParseWorkingHours(data)
	if err != nil {
		return err
	}
	*w = v
	return nil
}

// Date is a calendar date with no time zone: a person's local date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%w: date %q: want YYYY-MM-DD", ErrInvalidHours, s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// dayNumber is the number of days from 1970-01-01 (negative before).
func (d Date) dayNumber() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay)
}

// DateOverride replaces a person's weekly working hours on one local date:
// Ranges are that date's working time, or none for a day off.
type DateOverride struct {
	Date   Date
	Ranges []ClockRange
}

// ParseOverrides parses date overrides as JSON in the same shape as working
// hours, keyed by local date: {"2026-12-24": [["09:00","12:00"]],
// "2026-12-25": []}. The result is sorted by date. Empty input or null gives
// none.
func ParseOverrides(data []byte) ([]DateOverride, error) {
	if len(bytes.TrimSpace(data)) == 0 || string(bytes.TrimSpace(data)) == "null" {
		return nil, nil
	}
	var out []DateOverride
	err := parseObject(data, func(key string, ranges []ClockRange) error {
		d, err := ParseDate(key)
		if err != nil {
			return err
		}
		out = append(out, DateOverride{d, ranges})
		return nil
	})
	if err == nil {
		err = sortOverrides(out)
	}
	if err != nil {
		return nil, fmt.Errorf("date overrides: %w", err)
	}
	return out, nil
}

// sortOverrides sorts os by date and rejects a date given twice.
func sortOverrides(os []DateOverride) error {
	slices.SortStableFunc(os, func(a, b DateOverride) int { return int(a.Date.dayNumber() - b.Date.dayNumber()) })
	for i := 1; i < len(os); i++ {
		if os[i].Date == os[i-1].Date {
			return fmt.Errorf("%w: date %s given twice", ErrInvalidHours, os[i].Date)
		}
	}
	return nil
}

// FormatOverrides writes overrides in the shape ParseOverrides reads.
func FormatOverrides(os []DateOverride) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, o := range os {
		if err := validateRanges(o.Ranges); err != nil {
			return nil, fmt.Errorf("date overrides: %s: %w", o.Date, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:", o.Date.String())
		writeRanges(&b, o.Ranges)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}
