package zoomsandbox

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// recurrence is the recurrence object of a meeting (zoom-api.md §1.4), as
// stored and as answered.
type recurrence struct {
	Type           int    `json:"type"`
	RepeatInterval int    `json:"repeat_interval,omitempty"`
	WeeklyDays     string `json:"weekly_days,omitempty"`
	MonthlyDay     int    `json:"monthly_day,omitempty"`
	MonthlyWeek    int    `json:"monthly_week,omitempty"`
	MonthlyWeekDay int    `json:"monthly_week_day,omitempty"`
	EndTimes       int    `json:"end_times,omitempty"`
	EndDateTime    string `json:"end_date_time,omitempty"`
}

// recurrenceInput is a recurrence object as a request sends it: pointers
// tell absent fields from zero ones.
type recurrenceInput struct {
	Type           *int    `json:"type"`
	RepeatInterval *int    `json:"repeat_interval"`
	WeeklyDays     *string `json:"weekly_days"`
	MonthlyDay     *int    `json:"monthly_day"`
	MonthlyWeek    *int    `json:"monthly_week"`
	MonthlyWeekDay *int    `json:"monthly_week_day"`
	EndTimes       *int    `json:"end_times"`
	EndDateTime    *string `json:"end_date_time"`
}

const (
	recurDaily   = 1
	recurWeekly  = 2
	recurMonthly = 3
	// maxOccurrences is SPEC23's maximum of end_times.
	maxOccurrences = 365
)

// maxRepeatInterval per recurrence type (SPEC23 repeat_interval: daily up
// to 90 days, weekly up to 12 weeks, monthly up to 3 months).
var maxRepeatInterval = map[int]int{recurDaily: 90, recurWeekly: 12, recurMonthly: 3}

// validate checks a recurrence input and returns the normalized recurrence,
// or the invalid fields (code 300).
func (in *recurrenceInput) validate() (*recurrence, []fieldError) {
	var errs []fieldError
	bad := func(f string) { errs = append(errs, fieldError{Field: "recurrence." + f, Message: msgInvalidField}) }
	if in.Type == nil {
		errs = append(errs, fieldError{Field: "recurrence.type", Message: "Required field."})
		return nil, errs
	}
	r := &recurrence{Type: *in.Type, RepeatInterval: 1}
	max, ok := maxRepeatInterval[r.Type]
	if !ok {
		bad("type")
		return nil, errs
	}
	if in.RepeatInterval != nil {
		r.RepeatInterval = *in.RepeatInterval
		if r.RepeatInterval < 1 || r.RepeatInterval > max {
			bad("repeat_interval")
		}
	}
	switch r.Type {
	case recurWeekly:
		// SPEC23 default "1" (Sunday); the description allows "1,3" lists.
		r.WeeklyDays = "1"
		if in.WeeklyDays != nil {
			days, ok := parseWeeklyDays(*in.WeeklyDays)
			if !ok {
				bad("weekly_days")
			} else {
				r.WeeklyDays = days
			}
		}
	case recurMonthly:
		switch {
		case in.MonthlyWeek != nil || in.MonthlyWeekDay != nil:
			// monthly_week must be paired with monthly_week_day.
			if in.MonthlyWeek == nil || !slices.Contains([]int{-1, 1, 2, 3, 4}, *in.MonthlyWeek) {
				bad("monthly_week")
			}
			if in.MonthlyWeekDay == nil || *in.MonthlyWeekDay < 1 || *in.MonthlyWeekDay > 7 {
				bad("monthly_week_day")
			}
			if in.MonthlyWeek != nil && in.MonthlyWeekDay != nil {
				r.MonthlyWeek, r.MonthlyWeekDay = *in.MonthlyWeek, *in.MonthlyWeekDay
			}
			if in.MonthlyDay != nil {
				bad("monthly_day")
			}
		default:
			r.MonthlyDay = 1
			if in.MonthlyDay != nil {
				r.MonthlyDay = *in.MonthlyDay
				if r.MonthlyDay < 1 || r.MonthlyDay > 31 {
					bad("monthly_day")
				}
			}
		}
	}
	if in.EndTimes != nil && in.EndDateTime != nil {
		// "Cannot be used with end_date_time" (SPEC23).
		errs = append(errs, fieldError{Field: "recurrence.end_times", Message: "end_times and end_date_time cannot be used together."})
		return nil, errs
	}
	switch {
	case in.EndDateTime != nil:
		t, err := time.Parse(time.RFC3339, *in.EndDateTime)
		if err != nil {
			bad("end_date_time")
		} else {
			r.EndDateTime = t.UTC().Format(zoomTime)
		}
	case in.EndTimes != nil:
		r.EndTimes = *in.EndTimes
		if r.EndTimes < 1 || r.EndTimes > maxOccurrences {
			bad("end_times")
		}
	default:
		r.EndTimes = 1 // SPEC23 schema default
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// parseWeeklyDays accepts "1".."7" and comma lists of them, and returns the
// list sorted without duplicates.
func parseWeeklyDays(s string) (string, bool) {
	var days []int
	for part := range strings.SplitSeq(s, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || d < 1 || d > 7 {
			return "", false
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	parts := make([]string, len(days))
	for i, d := range days {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, ","), len(days) > 0
}

// occurrences expands the recurrence from start (the first occurrence's
// wall-clock time in loc) into occurrence start instants, at most
// maxOccurrences. Wall-clock times stay fixed across DST changes, as in
// Zoom's calendar.
func (r *recurrence) occurrences(start time.Time, loc *time.Location) []time.Time {
	start = start.In(loc)
	limit := maxOccurrences
	if r.EndTimes > 0 {
		limit = min(r.EndTimes, maxOccurrences)
	}
	var until time.Time
	if r.EndDateTime != "" {
		u, err := time.Parse(time.RFC3339, r.EndDateTime)
		if err == nil {
			// The meeting recurs until that date, inclusive (in the
			// meeting's zone).
			u = u.In(loc)
			until = time.Date(u.Year(), u.Month(), u.Day(), 23, 59, 59, 0, loc)
		}
	}
	interval := max(r.RepeatInterval, 1)
	y, mo, d := start.Date()
	hh, mm, ss := start.Clock()
	at := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, hh, mm, ss, 0, loc) }

	var out []time.Time
	emit := func(t time.Time) bool {
		if t.Before(start) {
			return true
		}
		if !until.IsZero() && t.After(until) {
			return false
		}
		out = append(out, t)
		return len(out) < limit
	}
	// Each loop is bounded: at most maxOccurrences periods can pass without
	// an emitted occurrence only for monthly rules, which emit every period.
	const maxPeriods = 5 * maxOccurrences
	switch r.Type {
	case recurDaily:
		for k := 0; k < maxPeriods && emit(at(y, mo, d+k*interval)); k++ {
		}
	case recurWeekly:
		days, _ := parseWeeklyDays(r.WeeklyDays)
		var offsets []int // 0 = Sunday … 6 = Saturday
		for p := range strings.SplitSeq(days, ",") {
			n, _ := strconv.Atoi(p)
			offsets = append(offsets, n-1)
		}
		weekStart := d - int(start.Weekday())
	weeks:
		for k := 0; k < maxPeriods; k++ {
			for _, off := range offsets {
				if !emit(at(y, mo, weekStart+k*7*interval+off)) {
					break weeks
				}
			}
		}
	case recurMonthly:
		for k := 0; k < maxPeriods; k++ {
			first := time.Date(y, mo+time.Month(k*interval), 1, 0, 0, 0, 0, loc)
			var day int
			if r.MonthlyWeek != 0 {
				day = nthWeekday(first.Year(), first.Month(), r.MonthlyWeek, time.Weekday(r.MonthlyWeekDay-1), loc)
			} else {
				// A day the month lacks (31 in April) falls on its last day.
				day = min(r.MonthlyDay, daysIn(first.Year(), first.Month(), loc))
			}
			if !emit(at(first.Year(), first.Month(), day)) {
				break
			}
		}
	}
	return out
}

func daysIn(y int, m time.Month, loc *time.Location) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, loc).Day()
}

// nthWeekday is the day of month of the n-th (-1: last) weekday wd.
func nthWeekday(y int, m time.Month, n int, wd time.Weekday, loc *time.Location) int {
	if n == -1 {
		last := daysIn(y, m, loc)
		lw := time.Date(y, m, last, 12, 0, 0, 0, loc).Weekday()
		return last - (int(lw)-int(wd)+7)%7
	}
	fw := time.Date(y, m, 1, 12, 0, 0, 0, loc).Weekday()
	return 1 + (int(wd)-int(fw)+7)%7 + (n-1)*7
}
