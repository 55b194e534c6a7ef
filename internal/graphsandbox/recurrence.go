package graphsandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// recurrence is Graph's patternedRecurrence.
type recurrence struct {
	Pattern struct {
		Type           string   `json:"type"`
		Interval       int      `json:"interval"`
		Month          int      `json:"month"`
		DayOfMonth     int      `json:"dayOfMonth"`
		DaysOfWeek     []string `json:"daysOfWeek"`
		FirstDayOfWeek string   `json:"firstDayOfWeek"`
		Index          string   `json:"index"`
	} `json:"pattern"`
	Range struct {
		Type                string `json:"type"`
		StartDate           string `json:"startDate"`
		EndDate             string `json:"endDate"`
		RecurrenceTimeZone  string `json:"recurrenceTimeZone"`
		NumberOfOccurrences int    `json:"numberOfOccurrences"`
	} `json:"range"`
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

var weekIndex = map[string]int{"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}

// parseRecurrence decodes and checks a patternedRecurrence; null removes
// it (nil, nil).
func parseRecurrence(raw json.RawMessage, start time.Time, startTZ string) (*recurrence, *graphError) {
	if string(raw) == "null" {
		return nil, nil
	}
	var rc recurrence
	if err := json.Unmarshal(raw, &rc); err != nil {
		return nil, errGraph(400, "RequestBodyRead", "Cannot read recurrence: "+err.Error())
	}
	p, rg := &rc.Pattern, &rc.Range
	if p.Interval == 0 {
		p.Interval = 1
	}
	if p.Interval < 1 || p.Interval > 99 {
		return nil, errInvalidRequest("recurrence.pattern.interval must be between 1 and 99.")
	}
	if p.FirstDayOfWeek == "" {
		p.FirstDayOfWeek = "sunday"
	}
	if p.Index == "" {
		p.Index = "first" // what Graph shows for every pattern type
	}
	if _, ok := weekdays[p.FirstDayOfWeek]; !ok {
		return nil, errBadRequest("Requested value was not found (firstDayOfWeek).")
	}
	if len(p.DaysOfWeek) > 7 {
		return nil, errInvalidRequest("Too many daysOfWeek.")
	}
	for _, d := range p.DaysOfWeek {
		if _, ok := weekdays[d]; !ok {
			return nil, errBadRequest(fmt.Sprintf("Requested value '%s' was not found (daysOfWeek).", trunc(d, 20)))
		}
	}
	needDays := func() *graphError {
		if len(p.DaysOfWeek) == 0 {
			return errInvalidRequest("recurrence.pattern.daysOfWeek is required for a " + p.Type + " pattern.")
		}
		return nil
	}
	needIndex := func() *graphError {
		if p.Index == "" {
			p.Index = "first"
		}
		if _, ok := weekIndex[p.Index]; !ok {
			return errBadRequest("Requested value was not found (index).")
		}
		return needDays()
	}
	var gerr *graphError
	switch p.Type {
	case "daily":
	case "weekly":
		gerr = needDays()
	case "absoluteMonthly":
		if p.DayOfMonth < 1 || p.DayOfMonth > 31 {
			gerr = errInvalidRequest("recurrence.pattern.dayOfMonth must be between 1 and 31.")
		}
	case "relativeMonthly":
		gerr = needIndex()
	case "absoluteYearly":
		if p.DayOfMonth < 1 || p.DayOfMonth > 31 || p.Month < 1 || p.Month > 12 {
			gerr = errInvalidRequest("recurrence.pattern.dayOfMonth and month are required for an absoluteYearly pattern.")
		}
	case "relativeYearly":
		if p.Month < 1 || p.Month > 12 {
			gerr = errInvalidRequest("recurrence.pattern.month is required for a relativeYearly pattern.")
		} else {
			gerr = needIndex()
		}
	default:
		gerr = errBadRequest(fmt.Sprintf("Requested value '%s' was not found (recurrence.pattern.type).", trunc(p.Type, 40)))
	}
	if gerr != nil {
		return nil, gerr
	}
	if rg.RecurrenceTimeZone == "" {
		rg.RecurrenceTimeZone = startTZ
	}
	loc, ok := loadZone(rg.RecurrenceTimeZone)
	if !ok {
		return nil, errGraph(400, "TimeZoneNotSupportedException", "A valid TimeZone value must be specified (recurrenceTimeZone).")
	}
	if rg.StartDate == "" {
		rg.StartDate = start.In(loc).Format("2006-01-02")
	}
	if _, err := time.Parse("2006-01-02", rg.StartDate); err != nil {
		return nil, errBadRequest("Cannot convert the literal to 'Edm.Date' (range.startDate).")
	}
	switch rg.Type {
	case "endDate":
		e, err := time.Parse("2006-01-02", rg.EndDate)
		if err != nil {
			return nil, errBadRequest("Cannot convert the literal to 'Edm.Date' (range.endDate).")
		}
		if e.Format("2006-01-02") < rg.StartDate {
			return nil, errInvalidRequest("The recurrence end date must be on or after its start date.")
		}
	case "numbered":
		if rg.NumberOfOccurrences < 1 || rg.NumberOfOccurrences > 999 {
			return nil, errInvalidRequest("recurrence.range.numberOfOccurrences must be between 1 and 999.")
		}
	case "noEnd":
	default:
		return nil, errBadRequest(fmt.Sprintf("Requested value '%s' was not found (recurrence.range.type).", trunc(rg.Type, 40)))
	}
	return &rc, nil
}

// maxSteps bounds the candidate dates one expansion looks at (a daily
// series over 270 years).
const maxSteps = 100_000

// dates calls yield with the occurrence dates of the series in order, as
// dates in the recurrence's zone, until yield returns false, the range
// ends, or maxSteps candidates were seen.
func (rc *recurrence) dates(yield func(time.Time) bool) { rc.datesFrom(time.Time{}, yield) }

// datesFrom is dates, skipping ahead to about skipTo (a date; zero: from
// the start) when the range is not numbered: a daily or weekly series
// that began long ago is not walked from its first day.
func (rc *recurrence) datesFrom(skipTo time.Time, yield func(time.Time) bool) {
	p, rg := &rc.Pattern, &rc.Range
	first, _ := time.Parse("2006-01-02", rg.StartDate)
	start := first
	if rg.Type != "numbered" && skipTo.After(first) {
		days := int(skipTo.Sub(first).Hours() / 24)
		switch p.Type {
		case "daily":
			start = first.AddDate(0, 0, days-days%p.Interval)
		case "weekly":
			weeks := days / 7
			start = first.AddDate(0, 0, 7*(weeks-weeks%p.Interval))
		}
	}
	var last time.Time
	if rg.Type == "endDate" {
		last, _ = time.Parse("2006-01-02", rg.EndDate)
	}
	count, steps := 0, 0
	emit := func(d time.Time) bool {
		steps++
		if steps > maxSteps || d.Before(first) {
			return steps <= maxSteps
		}
		if rg.Type == "endDate" && d.After(last) {
			return false
		}
		if rg.Type == "numbered" && count >= rg.NumberOfOccurrences {
			return false
		}
		count++
		return yield(d)
	}
	days := make([]time.Weekday, 0, len(p.DaysOfWeek))
	for _, d := range p.DaysOfWeek {
		days = append(days, weekdays[d])
	}
	switch p.Type {
	case "daily":
		for d := start; ; d = d.AddDate(0, 0, p.Interval) {
			if !emit(d) {
				return
			}
		}
	case "weekly":
		fdw := weekdays[p.FirstDayOfWeek]
		week := start.AddDate(0, 0, -((int(start.Weekday()) - int(fdw) + 7) % 7))
		for ; ; week = week.AddDate(0, 0, 7*p.Interval) {
			for i := range 7 {
				d := week.AddDate(0, 0, i)
				if slices.Contains(days, d.Weekday()) && !emit(d) {
					return
				}
			}
		}
	case "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly":
		months := p.Interval
		m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
		if p.Type == "absoluteYearly" || p.Type == "relativeYearly" {
			months = 12 * p.Interval
			m = time.Date(first.Year(), time.Month(p.Month), 1, 0, 0, 0, 0, time.UTC)
			if m.Before(time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)) {
				m = m.AddDate(1, 0, 0)
			}
		}
		for ; ; m = m.AddDate(0, months, 0) {
			var d time.Time
			if p.Type == "absoluteMonthly" || p.Type == "absoluteYearly" {
				d = time.Date(m.Year(), m.Month(), p.DayOfMonth, 0, 0, 0, 0, time.UTC)
				if d.Month() != m.Month() {
					// Outlook moves the 31st to the month's last day.
					d = time.Date(m.Year(), m.Month()+1, 0, 0, 0, 0, 0, time.UTC)
				}
			} else {
				d = relativeDay(m, days, weekIndex[p.Index])
			}
			if !emit(d) {
				return
			}
		}
	}
}

// relativeDay is the index-th (-1: last) day of month m whose weekday is
// one of days.
func relativeDay(m time.Time, days []time.Weekday, index int) time.Time {
	var match []time.Time
	for d := m; d.Month() == m.Month(); d = d.AddDate(0, 0, 1) {
		if slices.Contains(days, d.Weekday()) {
			match = append(match, d)
		}
	}
	if index == -1 || index > len(match) {
		return match[len(match)-1]
	}
	return match[index-1]
}

// instance is one appearance of an event in a window: a single event, an
// occurrence or an exception of a series.
type instance struct {
	ev   *event
	f    *fields
	date string // original date of an occurrence; "" for a single event
	kind string // singleInstance, occurrence, exception
}

// instances returns e's instances overlapping [from, to), at most max
// (more is reported by ok=false).
func (e *event) instances(from, to time.Time, max int) (out []instance, ok bool) {
	overlaps := func(f *fields) bool {
		if f.End.Equal(f.Start) {
			return !f.Start.Before(from) && f.Start.Before(to)
		}
		return f.Start.Before(to) && f.End.After(from)
	}
	if e.Recurrence == nil {
		if overlaps(&e.fields) {
			return []instance{{ev: e, f: &e.fields, kind: "singleInstance"}}, true
		}
		return nil, true
	}
	loc, _ := loadZone(e.Recurrence.Range.RecurrenceTimeZone)
	ls := e.Start.In(loc)
	dur := e.End.Sub(e.Start)
	ok = true
	// Occurrences that end before the window need not be made: skip to a
	// day before it, less the event's length.
	lf := from.In(loc).Add(-dur - 48*time.Hour)
	skipTo := time.Date(lf.Year(), lf.Month(), lf.Day(), 0, 0, 0, 0, time.UTC)
	e.Recurrence.datesFrom(skipTo, func(d time.Time) bool {
		st := time.Date(d.Year(), d.Month(), d.Day(), ls.Hour(), ls.Minute(), ls.Second(), 0, loc)
		if !st.Before(to) {
			return false
		}
		key := d.Format("2006-01-02")
		if e.Cancelled[key] || e.Exceptions[key] != nil {
			return true
		}
		f := e.fields
		f.Start, f.End = st, st.Add(dur)
		if overlaps(&f) {
			if len(out) >= max {
				ok = false
				return false
			}
			out = append(out, instance{ev: e, f: &f, date: key, kind: "occurrence"})
		}
		return true
	})
	for key, x := range e.Exceptions {
		if !e.Cancelled[key] && overlaps(&x.fields) {
			out = append(out, instance{ev: e, f: &x.fields, date: key, kind: "exception"})
		}
	}
	slices.SortFunc(out, func(a, b instance) int { return a.f.Start.Compare(b.f.Start) })
	return out, ok
}

// occurrence finds the occurrence of e on its original date; ok is false
// when the series has none that day.
func (e *event) occurrence(date string) (instance, bool) {
	if e.Recurrence == nil || e.Cancelled[date] {
		return instance{}, false
	}
	if x := e.Exceptions[date]; x != nil {
		return instance{ev: e, f: &x.fields, date: date, kind: "exception"}, true
	}
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		return instance{}, false
	}
	loc, _ := loadZone(e.Recurrence.Range.RecurrenceTimeZone)
	var found bool
	e.Recurrence.dates(func(c time.Time) bool {
		if c.Equal(d) {
			found = true
		}
		return c.Before(d)
	})
	if !found {
		return instance{}, false
	}
	ls := e.Start.In(loc)
	f := e.fields
	f.Start = time.Date(d.Year(), d.Month(), d.Day(), ls.Hour(), ls.Minute(), ls.Second(), 0, loc)
	f.End = f.Start.Add(e.End.Sub(e.Start))
	return instance{ev: e, f: &f, date: date, kind: "occurrence"}, true
}
