package googlesandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// Bounds of every expansion of a recurring event: rrule-go costs grow with
// the distance from DTSTART, so each expansion stops at its window, at
// maxInstances occurrences and after maxIterations candidates.
const (
	maxInstances  = 2500
	maxIterations = 20000
	// expansionHorizon ends a window left open (singleEvents without
	// timeMax, instances without timeMax).
	expansionHorizon = 366 * 24 * time.Hour
)

// series is a recurring event's occurrences (RFC 5545 §3.8.5: RRULE,
// RDATE, EXDATE) from its start in its time zone.
type series struct {
	set      *rrule.Set
	duration time.Duration
	allDay   bool
	loc      *time.Location
}

// newSeries parses the recurrence of a recurring event; all-day dates and
// local times are read in the start's time zone (default calTZ).
func newSeries(ev *event, calTZ string) (*series, error) {
	loc, err := location(ev.Start.TimeZone, calTZ)
	if err != nil {
		return nil, err
	}
	start, end, err := ev.span(loc.String())
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, l := range ev.Recurrence {
		l = strings.TrimSpace(l)
		name, _, _ := strings.Cut(l, ":")
		name, _, _ = strings.Cut(name, ";")
		switch strings.ToUpper(name) {
		case "RRULE", "EXDATE", "RDATE":
		default:
			return nil, fmt.Errorf("recurrence line %q", l)
		}
		// rrule-go knows no VALUE=DATE parameter: a date is a midnight in
		// the series' zone.
		l = strings.Replace(l, ";VALUE=DATE:", ":", 1)
		lines = append(lines, l)
	}
	set, err := rrule.StrSliceToRRuleSetInLoc(lines, loc)
	if err != nil {
		return nil, err
	}
	set.DTStart(start.In(loc))
	return &series{set: set, duration: end.Sub(start), allDay: ev.allDay(), loc: loc}, nil
}

// between returns the occurrence starts whose span overlaps [from, to),
// at most limit of them, and whether the expansion stopped at a bound.
func (sr *series) between(from, to time.Time, limit int) (starts []time.Time, bounded bool) {
	next := sr.set.Iterator()
	for i := 0; ; i++ {
		if i >= maxIterations {
			return starts, true
		}
		o, ok := next()
		if !ok || !o.Before(to) {
			return starts, false
		}
		if !o.Add(sr.duration).After(from) {
			continue
		}
		if len(starts) >= limit {
			return starts, true
		}
		starts = append(starts, o)
	}
}

// has reports whether start is an occurrence of the series.
func (sr *series) has(start time.Time) bool {
	os, _ := sr.between(start, start.Add(time.Second), 1)
	for _, o := range os {
		if o.Equal(start) {
			return true
		}
	}
	return false
}

// instance is the occurrence of master starting at start, as Google shows
// an unmodified instance.
func (sr *series) instance(master *event, start time.Time) *event {
	inst := master.clone()
	inst.Recurrence = nil
	inst.RecurringEventID = master.ID
	inst.ID = instanceID(master.ID, start, sr.allDay)
	if sr.allDay {
		d := start.In(sr.loc)
		e := d.AddDate(0, 0, int(sr.duration.Hours()/24+0.5))
		inst.Start = &eventTime{Date: d.Format(time.DateOnly)}
		inst.End = &eventTime{Date: e.Format(time.DateOnly)}
		inst.OriginalStartTime = &eventTime{Date: d.Format(time.DateOnly)}
	} else {
		tz := master.Start.TimeZone
		inst.Start = &eventTime{DateTime: start.In(sr.loc).Format(time.RFC3339), TimeZone: tz}
		inst.End = &eventTime{DateTime: start.Add(sr.duration).In(sr.loc).Format(time.RFC3339), TimeZone: master.End.TimeZone}
		inst.OriginalStartTime = &eventTime{DateTime: start.In(sr.loc).Format(time.RFC3339), TimeZone: tz}
	}
	return inst
}

// parseInstanceID splits "series_20260105T090000Z" or "series_20260105".
func parseInstanceID(id string) (seriesID string, start time.Time, allDay bool, ok bool) {
	i := strings.LastIndexByte(id, '_')
	if i <= 0 {
		return "", time.Time{}, false, false
	}
	seriesID, stamp := id[:i], id[i+1:]
	if t, err := time.Parse("20060102T150405Z", stamp); err == nil {
		return seriesID, t, false, true
	}
	if t, err := time.Parse("20060102", stamp); err == nil && len(stamp) == 8 {
		return seriesID, t, true, true
	}
	return "", time.Time{}, false, false
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
