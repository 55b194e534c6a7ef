package graphsandbox

import (
	"fmt"
	"testing"
)

// BenchmarkGetSchedule: getSchedule of 20 mailboxes over 7 days, each with
// a daily series running since 2000 (no end), a weekly series and 20
// single events, at 30-minute intervals.
func BenchmarkGetSchedule(b *testing.B) {
	sb := newSandbox(b)
	sb.login()
	var schedules []string
	for i := range 20 {
		u := fmt.Sprintf("u%d@example.com", i)
		schedules = append(schedules, u)
		d := eventBody("daily", "2000-01-03T09:00:00", "2000-01-03T09:15:00")
		d["recurrence"] = map[string]any{"pattern": map[string]any{"type": "daily"}, "range": map[string]any{"type": "noEnd", "startDate": "2000-01-03"}}
		sb.must(201, "POST", "/v1.0/users/"+u+"/events", d)
		w := eventBody("weekly", "2026-01-05T14:00:00", "2026-01-05T15:00:00")
		w["recurrence"] = map[string]any{"pattern": map[string]any{"type": "weekly", "daysOfWeek": []string{"monday", "thursday"}}, "range": map[string]any{"type": "noEnd", "startDate": "2026-01-05"}}
		sb.must(201, "POST", "/v1.0/users/"+u+"/events", w)
		for j := range 20 {
			sb.must(201, "POST", "/v1.0/users/"+u+"/events", eventBody("one", fmt.Sprintf("2026-12-%02dT11:00:00", 1+j), fmt.Sprintf("2026-12-%02dT12:00:00", 1+j)))
		}
	}
	body := map[string]any{"schedules": schedules,
		"startTime": map[string]string{"dateTime": "2026-12-07T00:00:00", "timeZone": "UTC"},
		"endTime":   map[string]string{"dateTime": "2026-12-14T00:00:00", "timeZone": "UTC"}, "availabilityViewInterval": 30}
	b.ResetTimer()
	for range b.N {
		sb.must(200, "POST", ann+"/calendar/getSchedule", body)
	}
}
