package zoom

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/video"
)

// passcode is what Zoom accepts as a meeting passcode (zoom-api.md §1.3).
var passcode = regexp.MustCompile(`^[A-Za-z0-9@_*-]{1,10}$`)

// checkPassword is the Rules' passcode check.
func checkPassword(pw string) string {
	if !passcode.MatchString(pw) {
		return "Zoom accepts 1 to 10 letters, digits and @ _ * - as a passcode"
	}
	return ""
}

// Zoom's recurrence limits (zoom-api.md §1.4).
const (
	zoomMaxDaily       = 90
	zoomMaxWeekly      = 12
	zoomMaxMonthly     = 3
	zoomMaxOccurrences = 50 // more needs Zoom support
)

// zoomSupports is said with every rule Zoom cannot express.
const zoomSupports = "Zoom supports daily (every 1-90 days), weekly (every 1-12 weeks on chosen weekdays) and monthly " +
	"(every 1-3 months on a day of the month, or on the 1st-4th or last weekday), ending after at most 50 occurrences (COUNT) or on a date (UNTIL)"

// RuleError says why a rule cannot be a Zoom recurrence.
type RuleError struct{ Reason string }

// Error implements error.
func (e *RuleError) Error() string { return e.Reason + "; " + zoomSupports }

// Recurrence maps an RRULE, for a series starting at start (in the
// organizer's zone), onto Zoom's recurrence object. Rules Zoom cannot
// express give a *RuleError that says what Zoom supports.
func Recurrence(r recur.Rule, start time.Time) (*video.Recurrence, error) {
	if err := r.Validate(); err != nil {
		return nil, &RuleError{Reason: err.Error()}
	}
	bad := func(format string, args ...any) (*video.Recurrence, error) {
		return nil, &RuleError{Reason: fmt.Sprintf(format, args...)}
	}
	if len(r.BySecond)+len(r.ByMinute)+len(r.ByHour)+len(r.ByYearDay)+len(r.ByWeekNo)+len(r.ByMonth) > 0 {
		return bad("Zoom cannot repeat by second, minute, hour, day of the year, week number or month")
	}
	interval := r.Interval
	if interval == 0 {
		interval = 1
	}
	z := &video.Recurrence{RepeatInterval: interval}
	switch r.Freq {
	case recur.Daily:
		if len(r.ByDay) > 0 || len(r.ByMonthDay) > 0 || len(r.BySetPos) > 0 {
			// Weekdays only, every day: Zoom's weekly with several days.
			if interval == 1 && len(r.ByMonthDay) == 0 && len(r.BySetPos) == 0 && plainDays(r.ByDay) {
				z.Type = video.Weekly
				z.WeeklyDays = zoomDays(r.ByDay)
				break
			}
			return bad("a daily rule with BYDAY, BYMONTHDAY or BYSETPOS")
		}
		if interval > zoomMaxDaily {
			return bad("INTERVAL=%d is more than Zoom's %d days", interval, zoomMaxDaily)
		}
		z.Type = video.Daily
	case recur.Weekly:
		if len(r.ByMonthDay) > 0 || len(r.BySetPos) > 0 || !plainDays(r.ByDay) {
			return bad("a weekly rule with BYMONTHDAY, BYSETPOS or numbered weekdays")
		}
		if interval > zoomMaxWeekly {
			return bad("INTERVAL=%d is more than Zoom's %d weeks", interval, zoomMaxWeekly)
		}
		if interval > 1 && r.WeekStart != time.Monday && r.WeekStart != time.Sunday {
			return bad("WKST=%s with an interval", r.WeekStart)
		}
		z.Type = video.Weekly
		days := r.ByDay
		if len(days) == 0 {
			days = []recur.WeekdayNum{{Day: start.Weekday()}}
		}
		z.WeeklyDays = zoomDays(days)
	case recur.Monthly:
		if interval > zoomMaxMonthly {
			return bad("INTERVAL=%d is more than Zoom's %d months", interval, zoomMaxMonthly)
		}
		z.Type = video.Monthly
		switch {
		case len(r.ByDay) == 0 && len(r.BySetPos) == 0:
			switch len(r.ByMonthDay) {
			case 0:
				z.MonthlyDay = start.Day()
			case 1:
				if r.ByMonthDay[0] < 1 {
					return bad("BYMONTHDAY=%d counts from the end of the month", r.ByMonthDay[0])
				}
				z.MonthlyDay = r.ByMonthDay[0]
			default:
				return bad("several BYMONTHDAY values")
			}
		case len(r.ByMonthDay) == 0 && len(r.ByDay) == 1:
			n := r.ByDay[0].N
			if len(r.BySetPos) == 1 && n == 0 {
				n = r.BySetPos[0]
			} else if len(r.BySetPos) > 0 {
				return bad("BYSETPOS with a numbered weekday")
			}
			if n != -1 && (n < 1 || n > 4) {
				return bad("the %d. weekday of the month (Zoom: 1st to 4th, or last)", n)
			}
			z.MonthlyWeek, z.MonthlyWeekDay = n, video.ZoomWeekday(r.ByDay[0].Day)
		default:
			return bad("a monthly rule with several weekdays or with both BYDAY and BYMONTHDAY")
		}
	default:
		return bad("FREQ=%s", r.Freq)
	}
	switch {
	case r.Count > 0 && !r.Until.IsZero():
		return bad("both COUNT and UNTIL")
	case r.Count > 0:
		if r.Count > zoomMaxOccurrences {
			return bad("COUNT=%d is more than Zoom's %d occurrences", r.Count, zoomMaxOccurrences)
		}
		z.EndTimes = r.Count
	case !r.Until.IsZero():
		z.EndDateTime = untilInstant(r, start.Location())
	default:
		return bad("the series never ends")
	}
	return z, nil
}

// untilInstant returns UNTIL as an instant: a date or floating UNTIL is read
// in the series' zone (a date means the end of that day).
func untilInstant(r recur.Rule, loc *time.Location) time.Time {
	u := r.Until
	switch r.UntilKind {
	case recur.UntilDate:
		return recur.At(time.Date(u.Year(), u.Month(), u.Day(), 23, 59, 59, 0, time.UTC), loc).UTC()
	case recur.UntilFloating:
		return recur.At(u, loc).UTC()
	}
	return u.UTC()
}

func plainDays(ds []recur.WeekdayNum) bool {
	for _, d := range ds {
		if d.N != 0 {
			return false
		}
	}
	return true
}

func zoomDays(ds []recur.WeekdayNum) []int {
	var out []int
	for _, d := range ds {
		n := video.ZoomWeekday(d.Day)
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

var rfcDays = [7]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// RRule writes Zoom's recurrence object as an RRULE.
func RRule(z *video.Recurrence) (string, error) {
	var parts []string
	interval := z.RepeatInterval
	if interval == 0 {
		interval = 1
	}
	switch z.Type {
	case video.Daily:
		parts = append(parts, "FREQ=DAILY")
	case video.Weekly:
		parts = append(parts, "FREQ=WEEKLY")
	case video.Monthly:
		parts = append(parts, "FREQ=MONTHLY")
	default:
		return "", fmt.Errorf("zoom: recurrence type %d", z.Type)
	}
	if interval > 1 {
		parts = append(parts, fmt.Sprintf("INTERVAL=%d", interval))
	}
	switch z.Type {
	case video.Weekly:
		var days []string
		for _, n := range z.WeeklyDays {
			d, ok := video.Weekday(n)
			if !ok {
				return "", fmt.Errorf("zoom: recurrence: weekly day %d", n)
			}
			days = append(days, rfcDays[d])
		}
		if len(days) > 0 {
			parts = append(parts, "BYDAY="+strings.Join(days, ","))
		}
	case video.Monthly:
		if z.MonthlyWeek != 0 {
			d, ok := video.Weekday(z.MonthlyWeekDay)
			if !ok {
				return "", fmt.Errorf("zoom: recurrence: monthly week day %d", z.MonthlyWeekDay)
			}
			parts = append(parts, fmt.Sprintf("BYDAY=%d%s", z.MonthlyWeek, rfcDays[d]))
		} else if z.MonthlyDay != 0 {
			parts = append(parts, fmt.Sprintf("BYMONTHDAY=%d", z.MonthlyDay))
		}
	}
	switch {
	case z.EndTimes > 0:
		parts = append(parts, fmt.Sprintf("COUNT=%d", z.EndTimes))
	case !z.EndDateTime.IsZero():
		parts = append(parts, "UNTIL="+z.EndDateTime.UTC().Format("20060102T150405Z"))
	}
	return strings.Join(parts, ";"), nil
}
