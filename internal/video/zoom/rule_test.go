package zoom

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/recur"
	"github.com/convene/convene/internal/video"
)

func TestZoomRecurrenceBothWays(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 3, 3, 14, 0, 0, 0, paris) // a Tuesday
	cases := []struct {
		rrule string
		zoom  video.Recurrence
		back  string // RRULE from Zoom's object; "" = same as rrule
	}{
		{"FREQ=DAILY;COUNT=10", video.Recurrence{Type: video.Daily, RepeatInterval: 1, EndTimes: 10}, ""},
		{"FREQ=DAILY;INTERVAL=90;COUNT=3", video.Recurrence{Type: video.Daily, RepeatInterval: 90, EndTimes: 3}, ""},
		{"FREQ=WEEKLY;BYDAY=TU,TH;COUNT=8", video.Recurrence{Type: video.Weekly, RepeatInterval: 1, WeeklyDays: []int{3, 5}, EndTimes: 8}, ""},
		{"FREQ=WEEKLY;COUNT=4", video.Recurrence{Type: video.Weekly, RepeatInterval: 1, WeeklyDays: []int{3}, EndTimes: 4}, "FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20260630T000000Z", video.Recurrence{Type: video.Weekly, RepeatInterval: 2, WeeklyDays: []int{3},
			EndDateTime: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)}, ""},
		{"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=20", video.Recurrence{Type: video.Weekly, RepeatInterval: 1, WeeklyDays: []int{2, 3, 4, 5, 6}, EndTimes: 20},
			"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=20"},
		{"FREQ=MONTHLY;BYMONTHDAY=3;COUNT=6", video.Recurrence{Type: video.Monthly, RepeatInterval: 1, MonthlyDay: 3, EndTimes: 6}, ""},
		{"FREQ=MONTHLY;COUNT=6", video.Recurrence{Type: video.Monthly, RepeatInterval: 1, MonthlyDay: 3, EndTimes: 6}, "FREQ=MONTHLY;BYMONTHDAY=3;COUNT=6"},
		{"FREQ=MONTHLY;INTERVAL=3;BYDAY=1TU;COUNT=4", video.Recurrence{Type: video.Monthly, RepeatInterval: 3, MonthlyWeek: 1, MonthlyWeekDay: 3, EndTimes: 4}, ""},
		{"FREQ=MONTHLY;BYDAY=-1FR;COUNT=4", video.Recurrence{Type: video.Monthly, RepeatInterval: 1, MonthlyWeek: -1, MonthlyWeekDay: 6, EndTimes: 4}, ""},
		{"FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2;COUNT=4", video.Recurrence{Type: video.Monthly, RepeatInterval: 1, MonthlyWeek: 2, MonthlyWeekDay: 3, EndTimes: 4},
			"FREQ=MONTHLY;BYDAY=2TU;COUNT=4"},
		// A date UNTIL is the end of that day in the series' zone.
		{"FREQ=DAILY;UNTIL=20260310", video.Recurrence{Type: video.Daily, RepeatInterval: 1, EndDateTime: time.Date(2026, 3, 10, 22, 59, 59, 0, time.UTC)},
			"FREQ=DAILY;UNTIL=20260310T225959Z"},
	}
	for _, c := range cases {
		r, err := recur.ParseRule(c.rrule)
		if err != nil {
			t.Fatalf("%s: %v", c.rrule, err)
		}
		z, err := Recurrence(r, start)
		if err != nil {
			t.Errorf("%s: %v", c.rrule, err)
			continue
		}
		if !sameRecurrence(*z, c.zoom) {
			t.Errorf("%s → %+v, want %+v", c.rrule, *z, c.zoom)
		}
		back, err := RRule(z)
		want := c.back
		if want == "" {
			want = c.rrule
		}
		if err != nil || back != want {
			t.Errorf("%+v → %q, %v; want %q", *z, back, err, want)
		}
	}
}

func sameRecurrence(a, b video.Recurrence) bool {
	return a.Type == b.Type && a.RepeatInterval == b.RepeatInterval && slices.Equal(a.WeeklyDays, b.WeeklyDays) &&
		a.MonthlyDay == b.MonthlyDay && a.MonthlyWeek == b.MonthlyWeek && a.MonthlyWeekDay == b.MonthlyWeekDay &&
		a.EndTimes == b.EndTimes && a.EndDateTime.Equal(b.EndDateTime)
}

func TestZoomRecurrenceRefused(t *testing.T) {
	start := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC)
	for rule, why := range map[string]string{
		"FREQ=YEARLY;COUNT=3":                         "FREQ=YEARLY",
		"FREQ=DAILY":                                  "never ends",
		"FREQ=DAILY;INTERVAL=91;COUNT=2":              "90 days",
		"FREQ=WEEKLY;INTERVAL=13;COUNT=2":             "12 weeks",
		"FREQ=MONTHLY;INTERVAL=4;COUNT=2":             "3 months",
		"FREQ=DAILY;COUNT=51":                         "50 occurrences",
		"FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=3":          "end of the month",
		"FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=3":        "several BYMONTHDAY",
		"FREQ=MONTHLY;BYDAY=5TU;COUNT=3":              "5. weekday",
		"FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1;COUNT=3": "several weekdays",
		"FREQ=WEEKLY;BYHOUR=9,15;COUNT=3":             "hour",
		"FREQ=HOURLY;COUNT=3":                         "FREQ=HOURLY",
	} {
		r, err := recur.ParseRule(rule)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		_, err = Recurrence(r, start)
		var re *RuleError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), why) || !strings.Contains(err.Error(), "Zoom supports") {
			t.Errorf("%s: %v; want a RuleError about %q saying what Zoom supports", rule, err, why)
		}
	}
}
