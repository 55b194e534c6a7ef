package video

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RecurrenceType is how a recurring meeting repeats (zoom-api.md §1.4).
type RecurrenceType int

// Recurrence types.
const (
	Daily   RecurrenceType = 1
	Weekly  RecurrenceType = 2
	Monthly RecurrenceType = 3
)

// Recurrence mirrors Zoom's recurrence object (zoom-api.md §1.4). Days of
// the week are numbered as Zoom numbers them: 1 = Sunday … 7 = Saturday
// (see ZoomWeekday). Zero fields are not set.
type Recurrence struct {
	Type RecurrenceType `json:"type"`

	// RepeatInterval is the number of days (at most 90), weeks (12) or
	// months (3) between occurrences.
	RepeatInterval int `json:"repeat_interval,omitempty"`

	// WeeklyDays are the days of a weekly recurrence, 1 = Sunday … 7 =
	// Saturday; Zoom's JSON form is a comma-separated string ("1,3").
	WeeklyDays []int `json:"weekly_days,omitempty"`

	MonthlyDay     int `json:"monthly_day,omitempty"`      // 1-31
	MonthlyWeek    int `json:"monthly_week,omitempty"`     // -1 last, 1-4; with MonthlyWeekDay
	MonthlyWeekDay int `json:"monthly_week_day,omitempty"` // 1 = Sunday … 7 = Saturday

	// EndTimes is the number of occurrences (Zoom: at most 365, more than
	// 50 needs Zoom support); exclusive with EndDateTime.
	EndTimes int `json:"end_times,omitempty"`

	// EndDateTime is the last date, in UTC; exclusive with EndTimes.
	EndDateTime time.Time `json:"end_date_time,omitzero"`
}

// ZoomWeekday returns Zoom's number for d: 1 for Sunday … 7 for Saturday.
func ZoomWeekday(d time.Weekday) int { return int(d) + 1 }

// Weekday returns the time.Weekday of Zoom's day number n (1 = Sunday), and
// false when n is out of range.
func Weekday(n int) (time.Weekday, bool) {
	if n < 1 || n > 7 {
		return 0, false
	}
	return time.Weekday(n - 1), true
}

// recurrenceJSON is Recurrence as Zoom writes it.
type recurrenceJSON struct {
	Type           RecurrenceType  `json:"type"`
	RepeatInterval int             `json:"repeat_interval,omitempty"`
	WeeklyDays     json.RawMessage `json:"weekly_days,omitempty"`
	MonthlyDay     int             `json:"monthly_day,omitempty"`
	MonthlyWeek    int             `json:"monthly_week,omitempty"`
	MonthlyWeekDay int             `json:"monthly_week_day,omitempty"`
	EndTimes       int             `json:"end_times,omitempty"`
	EndDateTime    string          `json:"end_date_time,omitempty"`
}

// MarshalJSON writes r as Zoom expects it: weekly_days as a comma-separated
// string and end_date_time as UTC with Z.
func (r Recurrence) MarshalJSON() ([]byte, error) {
	j := recurrenceJSON{
		Type:           r.Type,
		RepeatInterval: r.RepeatInterval,
		MonthlyDay:     r.MonthlyDay,
		MonthlyWeek:    r.MonthlyWeek,
		MonthlyWeekDay: r.MonthlyWeekDay,
		EndTimes:       r.EndTimes,
	}
	if len(r.WeeklyDays) > 0 {
		days := make([]string, len(r.WeeklyDays))
		for i, d := range r.WeeklyDays {
			days[i] = strconv.Itoa(d)
		}
		b, err := json.Marshal(strings.Join(days, ","))
		if err != nil {
			return nil, err
		}
		j.WeeklyDays = b
	}
	if !r.EndDateTime.IsZero() {
		j.EndDateTime = FormatTime(r.EndDateTime)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads Zoom's recurrence object. It accepts weekly_days as a
// string ("1,3", as documented), a number or an array of numbers.
func (r *Recurrence) UnmarshalJSON(b []byte) error {
	var j recurrenceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	days, err := parseWeeklyDays(j.WeeklyDays)
	if err != nil {
		return fmt.Errorf("recurrence weekly_days: %w", err)
	}
	var end time.Time
	if j.EndDateTime != "" {
		end, err = ParseTime(j.EndDateTime, nil)
		if err != nil {
			return fmt.Errorf("recurrence end_date_time: %w", err)
		}
	}
	*r = Recurrence{
		Type:           j.Type,
		RepeatInterval: j.RepeatInterval,
		WeeklyDays:     days,
		MonthlyDay:     j.MonthlyDay,
		MonthlyWeek:    j.MonthlyWeek,
		MonthlyWeekDay: j.MonthlyWeekDay,
		EndTimes:       j.EndTimes,
		EndDateTime:    end,
	}
	return nil
}

func parseWeeklyDays(raw json.RawMessage) ([]int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		var days []int
		for f := range strings.SplitSeq(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return nil, fmt.Errorf("day %q: %w", f, err)
			}
			days = append(days, n)
		}
		return days, nil
	case '[':
		var days []int
		if err := json.Unmarshal(raw, &days); err != nil {
			return nil, err
		}
		if len(days) == 0 {
			return nil, nil
		}
		return days, nil
	default:
		var n int
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, err
		}
		return []int{n}, nil
	}
}

// FormatTime writes t the way Zoom wants times: UTC, whole seconds, with Z
// (zoom-api.md §1.3; LESSONS "Wrong start time").
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05Z")
}

// ParseTime reads a time as Zoom writes it: RFC 3339 (normally UTC with Z),
// or without an offset, in which case it is wall time in loc (UTC when loc
// is nil). The result is in UTC and in whole seconds, Zoom's precision.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if loc == nil {
			loc = time.UTC
		}
		for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04"} {
			if t, err = time.ParseInLocation(layout, s, loc); err == nil {
				break
			}
		}
		if err != nil {
			return time.Time{}, fmt.Errorf("time %q is not RFC 3339", s)
		}
	}
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 1 || y > 9999 {
		return time.Time{}, fmt.Errorf("time %q is out of range", s)
	}
	return t, nil
}
