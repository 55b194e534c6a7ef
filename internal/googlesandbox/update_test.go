package googlesandbox

import (
	"net/http"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
)

// TestUpdateAndRules: update replaces the event (absent fields go), the
// sequence rises when the time changes and not otherwise; events without
// an end, with an empty range, a bad enum or a recurrence without time
// zone are refused in Google's shape.
func TestUpdateAndRules(t *testing.T) {
	sb := newSandbox(t, nil)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	ev, err := svc.Events.Insert("primary", &gcal.Event{Summary: "s", Description: "d", Location: "l",
		Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	up, err := svc.Events.Update("primary", ev.Id, &gcal.Event{Summary: "s2",
		Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if up.Description != "" || up.Location != "" || up.Summary != "s2" || up.Sequence != 0 || up.Id != ev.Id || up.Created != ev.Created || up.Etag == ev.Etag {
		t.Errorf("update: %+v", up)
	}
	moved, err := svc.Events.Patch("primary", ev.Id, &gcal.Event{Start: &gcal.EventDateTime{DateTime: at(0, 11, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 12, 0)}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if moved.Sequence != 1 || moved.Summary != "s2" {
		t.Errorf("moved: sequence %d summary %q", moved.Sequence, moved.Summary)
	}
	tests := []struct {
		name   string
		ev     *gcal.Event
		reason string
	}{
		{"no end", &gcal.Event{Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}}, "required"},
		{"empty range", &gcal.Event{Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 9, 0)}}, "timeRangeEmpty"},
		{"date and dateTime", &gcal.Event{Start: &gcal.EventDateTime{Date: "2030-01-07"}, End: &gcal.EventDateTime{DateTime: at(0, 9, 0)}}, "badRequest"},
		{"bad transparency", &gcal.Event{Transparency: "see-through", Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}, "invalid"},
		{"recurrence without time zone", &gcal.Event{Recurrence: []string{"RRULE:FREQ=DAILY"}, Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}, "badRequest"},
		{"bad rule", &gcal.Event{Recurrence: []string{"RRULE:FREQ=SOMETIMES"}, Start: &gcal.EventDateTime{DateTime: at(0, 9, 0), TimeZone: "UTC"}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0), TimeZone: "UTC"}}, "invalid"},
		{"attendee without address", &gcal.Event{Attendees: []*gcal.EventAttendee{{DisplayName: "x"}}, Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}, "required"},
	}
	for _, tt := range tests {
		_, err := svc.Events.Insert("primary", tt.ev).Do()
		if code, reason := apiErr(t, err); code != http.StatusBadRequest || reason != tt.reason {
			t.Errorf("%s: %d %s, want 400 %s", tt.name, code, reason, tt.reason)
		}
	}
	// Patching one instance makes an exception that instances shows.
	series, err := svc.Events.Insert("primary", &gcal.Event{Summary: "daily", Recurrence: []string{"RRULE:FREQ=DAILY;COUNT=3"},
		Start: &gcal.EventDateTime{DateTime: at(0, 9, 0), TimeZone: "Asia/Kolkata"}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0), TimeZone: "Asia/Kolkata"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	inst, err := svc.Events.Instances("primary", series.Id).Do()
	if err != nil || len(inst.Items) != 3 {
		t.Fatalf("instances %v %v", inst, err)
	}
	if _, err := svc.Events.Patch("primary", inst.Items[1].Id, &gcal.Event{Summary: "the second"}).Do(); err != nil {
		t.Fatal(err)
	}
	inst, _ = svc.Events.Instances("primary", series.Id).Do()
	if inst.Items[1].Summary != "the second" || inst.Items[1].RecurringEventId != series.Id || inst.Items[0].Summary != "daily" {
		t.Errorf("after patching an instance: %q %q", inst.Items[0].Summary, inst.Items[1].Summary)
	}
}
