package msgraph

import (
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/video"
)

var graphDays = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

var graphIndex = map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

// recurrenceOf maps an RFC 5545 rule of a series starting at start (in
// zone, an IANA name) onto Graph's patternedRecurrence. Graph's patterns
// are Outlook's: daily, weekly on days, monthly on a day or on the nth
// weekday, yearly likewise, ended by a date, a count or never. Other
// rules (BYHOUR, BYSETPOS lists, several ordinal days, hourly...) have no
// Outlook form and are refused with what Outlook supports.
func recurrenceOf(rrule string, start time.Time, zone string) (*patternedRecurrence, error) {
	r, err := recur.ParseRule(rrule)
	if err != nil {
		return nil, &video.ValidationError{Field: "recurrence", Message: err.Error()}
	}
	refuse := func(why string) (*patternedRecurrence, error) {
		return nil, &video.ValidationError{Field: "recurrence", Message: "Outlook cannot repeat a meeting so (" + why +
			"); it repeats daily, weekly on chosen days, monthly or yearly on a day or on the first to fourth or last weekday, until a date, a number of times or forever"}
	}
	if len(r.BySecond)+len(r.ByMinute)+len(r.ByHour)+len(r.ByYearDay)+len(r.ByWeekNo) > 0 {
		return refuse("BYSECOND, BYMINUTE, BYHOUR, BYYEARDAY or BYWEEKNO")
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, &video.ValidationError{Field: "time_zone", Message: err.Error()}
	}
	start = start.In(loc)
	p := recurrencePattern{Interval: max(1, r.Interval)}
	days := func() ([]string, error) {
		var out []string
		for _, d := range r.ByDay {
			if d.N != 0 {
				return nil, fmt.Errorf("an ordinal weekday")
			}
			out = append(out, graphDays[d.Day])
		}
		return out, nil
	}
	// relative: BYDAY=2TU, or BYDAY=TU;BYSETPOS=2 (one day, one position).
	relative := func() bool {
		if len(r.ByDay) != 1 || len(r.ByMonthDay) > 0 {
			return false
		}
		n := r.ByDay[0].N
		if n == 0 && len(r.BySetPos) == 1 {
			n = r.BySetPos[0]
		} else if len(r.BySetPos) > 0 {
			return false
		}
		idx, ok := graphIndex[n]
		if !ok {
			return false
		}
		p.DaysOfWeek, p.Index = []string{graphDays[r.ByDay[0].Day]}, idx
		return true
	}
	switch r.Freq {
	case recur.Daily:
		if len(r.ByDay)+len(r.ByMonthDay)+len(r.ByMonth)+len(r.BySetPos) > 0 {
			return refuse("a daily rule with BY parts")
		}
		p.Type = "daily"
	case recur.Weekly:
		if len(r.ByMonthDay)+len(r.ByMonth)+len(r.BySetPos) > 0 {
			return refuse("a weekly rule with BYMONTHDAY, BYMONTH or BYSETPOS")
		}
		d, err := days()
		if err != nil {
			return refuse(err.Error())
		}
		if len(d) == 0 {
			d = []string{graphDays[start.Weekday()]}
		}
		p.Type, p.DaysOfWeek, p.FirstDayOfWeek = "weekly", d, graphDays[r.WeekStart]
	case recur.Monthly:
		switch {
		case len(r.ByMonth) > 0:
			return refuse("a monthly rule with BYMONTH")
		case len(r.ByDay) == 0 && len(r.BySetPos) == 0 && len(r.ByMonthDay) <= 1:
			p.Type, p.DayOfMonth = "absoluteMonthly", start.Day()
			if len(r.ByMonthDay) == 1 {
				if r.ByMonthDay[0] < 1 {
					return refuse("a day counted from the month's end")
				}
				p.DayOfMonth = r.ByMonthDay[0]
			}
		case relative():
			p.Type = "relativeMonthly"
		default:
			return refuse("this monthly rule")
		}
	case recur.Yearly:
		if len(r.ByMonth) > 1 {
			return refuse("several months")
		}
		p.Month = int(start.Month())
		if len(r.ByMonth) == 1 {
			p.Month = r.ByMonth[0]
		}
		switch {
		case len(r.ByDay) == 0 && len(r.BySetPos) == 0 && len(r.ByMonthDay) <= 1:
			p.Type, p.DayOfMonth = "absoluteYearly", start.Day()
			if len(r.ByMonthDay) == 1 {
				if r.ByMonthDay[0] < 1 {
					return refuse("a day counted from the month's end")
				}
				p.DayOfMonth = r.ByMonthDay[0]
			}
		case relative():
			p.Type = "relativeYearly"
		default:
			return refuse("this yearly rule")
		}
	default:
		return refuse("FREQ=" + strings.ToUpper(r.Freq.String()))
	}
	rg := recurrenceRange{Type: "noEnd", StartDate: start.Format(time.DateOnly)}
	if w, ok := WindowsZone(zone); ok {
		rg.RecurrenceTimeZone = w
	} else {
		rg.RecurrenceTimeZone = zone
	}
	switch {
	case r.Count > 0:
		rg.Type, rg.NumberOfOccurrences = "numbered", r.Count
	case !r.Until.IsZero():
		until := r.Until
		if r.UntilKind == recur.UntilUTC {
			until = until.In(loc)
		}
		rg.Type, rg.EndDate = "endDate", until.Format(time.DateOnly)
	}
	return &patternedRecurrence{Pattern: p, Range: rg}, nil
}
