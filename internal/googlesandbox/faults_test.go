package googlesandbox

import (
	"net/http"
	"strings"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
)

// TestFaults: 403 rateLimitExceeded, 429 and 503 in Google's shape for
// the chosen route and count; a committed fault has made the change, and
// inserting the same id again is 409, so a retrying client ends with one
// event.
func TestFaults(t *testing.T) {
	sb := newSandbox(t, nil)
	svc := sb.service(sb.key("example.com"), "alice@example.com")
	ev := func(id string) *gcal.Event {
		return &gcal.Event{Id: id, Summary: "f", Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}
	}
	tests := []struct {
		status int
		domain string
		reason string
	}{
		{403, "usageLimits", "rateLimitExceeded"},
		{429, "usageLimits", "rateLimitExceeded"},
		{503, "global", "backendError"},
	}
	for _, tt := range tests {
		sb.control("POST", "/faults", map[string]any{"status": tt.status, "times": 2, "path": "/calendar/v3/calendars/", "method": "POST"}, http.StatusCreated)
		for range 2 {
			_, err := svc.Events.Insert("primary", ev("faulty00"+strings.Repeat("0", 3))).Do()
			code, reason := apiErr(t, err)
			if code != tt.status || reason != tt.reason {
				t.Errorf("fault %d: got %d %s", tt.status, code, reason)
			}
		}
	}
	// Reads were not affected; nothing was created.
	list, err := svc.Events.List("primary").Do()
	if err != nil || len(list.Items) != 0 {
		t.Fatalf("after faults: %v %v", list, err)
	}
	// Committed, then 503: the retry meets 409.
	sb.control("POST", "/faults", map[string]any{"status": 503, "commit": true, "method": "POST"}, http.StatusCreated)
	_, err = svc.Events.Insert("primary", ev("booking00001")).Do()
	if code, _ := apiErr(t, err); code != 503 {
		t.Fatalf("committed fault: %v", err)
	}
	_, err = svc.Events.Insert("primary", ev("booking00001")).Do()
	if code, reason := apiErr(t, err); code != 409 || reason != "duplicate" {
		t.Errorf("retry: %d %s", code, reason)
	}
	list, _ = svc.Events.List("primary").Do()
	if len(list.Items) != 1 {
		t.Errorf("events: %d, want exactly one", len(list.Items))
	}
	// The token endpoint answers faults in its own shape.
	sb.control("POST", "/faults", map[string]any{"status": 503, "path": "/token"}, http.StatusCreated)
	r := postForm(t, sb.ts.URL+"/token", nil)
	if r.Status != 503 || !strings.Contains(string(r.Body), `"error":"internal_failure"`) {
		t.Errorf("token fault: %d %s", r.Status, r.Body)
	}
	var calls struct{ Calls map[string]int }
	sb.control("GET", "/requests", nil, 200).json(t, &calls)
	if calls.Calls["events.insert"] != 8 {
		t.Errorf("calls %v", calls.Calls)
	}
	// Bad faults are refused.
	sb.control("POST", "/faults", map[string]any{"status": 200}, http.StatusBadRequest)
	sb.control("POST", "/faults", map[string]any{"status": 503, "bogus": 1}, http.StatusBadRequest)
}

// TestControlsOff: without Options.Controls the controls are unknown
// paths, the API still answers.
func TestControlsOff(t *testing.T) {
	sb := newSandbox(t, func(o *Options) { o.Controls = false })
	for _, p := range []string{"/_sandbox/domains", "/_sandbox/faults", "/_sandbox/mails"} {
		if r := sb.do("GET", p, "", nil); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	if r := sb.do("POST", "/_sandbox/service-accounts", "", map[string]any{}); r.Status != http.StatusNotFound {
		t.Errorf("minting a key: %d", r.Status)
	}
	if r := sb.do("GET", "/calendar/v3/calendars/primary/events", "", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("API without a token: %d", r.Status)
	}
}
