package booking

import (
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/failure"
)

// wallLayouts are the forms of a start time without an offset: wall time in
// the request's time zone (DESIGN.md §4).
var wallLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseStart reads a start time: RFC 3339 with an offset is an instant; a
// date-time without one is wall time in loc. A wall time that does not
// exist (the spring-forward gap) or exists twice (fall-back) is refused with
// a failure that says which, and offers the instants it could mean.
func ParseStart(field, s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range wallLayouts {
		wall, err := time.ParseInLocation(layout, s, time.UTC)
		if err != nil {
			continue
		}
		return ResolveWall(field, wall, loc)
	}
	return time.Time{}, failure.Field(field, "%q is not a date-time: use 2026-03-05T14:00 (wall time in timezone) or RFC 3339 with an offset", s)
}

// ResolveWall turns a wall clock time (its fields, read in UTC) into the one
// instant it names in loc, or fails for a gap or a repeated hour.
func ResolveWall(field string, wall time.Time, loc *time.Location) (time.Time, error) {
	cands := wallInstants(wall, loc)
	label := wall.Format("2006-01-02 15:04")
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		before, after := gapReadings(wall, loc)
		return time.Time{}, (&failure.Error{
			Kind:   failure.Invalid,
			Detail: fmt.Sprintf("%s: %s does not exist in %s: the clocks jump forward then; choose %s or %s", field, label, loc, before.Format(time.RFC3339), after.Format(time.RFC3339)),
			Fields: []failure.FieldError{{Field: field, Message: fmt.Sprintf("%s does not exist in %s (daylight saving time starts)", label, loc)}},
		}).With("reason", "nonexistent_local_time").With("instants", []string{before.Format(time.RFC3339), after.Format(time.RFC3339)})
	default:
		return time.Time{}, (&failure.Error{
			Kind:   failure.Invalid,
			Detail: fmt.Sprintf("%s: %s happens twice in %s: the clocks go back then; choose %s (first) or %s (second)", field, label, loc, cands[0].Format(time.RFC3339), cands[1].Format(time.RFC3339)),
			Fields: []failure.FieldError{{Field: field, Message: fmt.Sprintf("%s is ambiguous in %s (daylight saving time ends)", label, loc)}},
		}).With("reason", "ambiguous_local_time").With("instants", []string{cands[0].Format(time.RFC3339), cands[1].Format(time.RFC3339)})
	}
}

// wallInstants returns the instants, in order, whose wall clock in loc
// reads wall: none in a gap, two in a repeated hour, else one. Every
// offset in force within two days around the time is tried, so half-hour
// shifts (Australia/Lord_Howe) are found too.
func wallInstants(wall time.Time, loc *time.Location) []time.Time {
	naive := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
	offsets := map[int]bool{}
	for _, d := range []time.Duration{-48 * time.Hour, -24 * time.Hour, 0, 24 * time.Hour, 48 * time.Hour} {
		_, off := naive.Add(d).In(loc).Zone()
		offsets[off] = true
	}
	var out []time.Time
	for off := range offsets {
		t := naive.Add(-time.Duration(off) * time.Second).In(loc)
		if t.Year() == wall.Year() && t.Month() == wall.Month() && t.Day() == wall.Day() &&
			t.Hour() == wall.Hour() && t.Minute() == wall.Minute() && t.Second() == wall.Second() {
			out = append(out, t)
		}
	}
	if len(out) == 2 && out[1].Before(out[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}

// gapReadings returns what a wall time in a gap would mean read with the
// offset before the gap (RFC 5545 §3.3.5: the usual reading, later by the
// gap's length) and with the offset after it.
func gapReadings(wall time.Time, loc *time.Location) (before, after time.Time) {
	naive := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
	_, offBefore := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, offAfter := naive.Add(24 * time.Hour).In(loc).Zone()
	before = naive.Add(-time.Duration(offBefore) * time.Second).In(loc)
	after = naive.Add(-time.Duration(offAfter) * time.Second).In(loc)
	if after.Before(before) {
		before, after = after, before
	}
	return before, after
}
