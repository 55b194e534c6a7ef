package googlesandbox

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	gcal "google.golang.org/api/calendar/v3"
)

// TestRules: the checks without a scenario of their own: a read-only
// scope cannot write, a page token belongs to its query, a channel is
// stopped only by the project that opened it, an oversized body is
// refused, a wrong method answers Google's 404.
func TestRules(t *testing.T) {
	// The two deliberately invalid requests below are the only violations.
	var mu sync.Mutex
	var violations []string
	sb := newSandbox(t, func(o *Options) {
		o.PageSize = 2
		o.Violation = func(err error) { mu.Lock(); violations = append(violations, err.Error()); mu.Unlock() }
	})
	key := sb.key("example.com", ScopeCalendarReadonly, ScopeCalendar)
	ro := sb.service(key, "alice@example.com", ScopeCalendarReadonly)
	_, err := ro.Events.Insert("primary", &gcal.Event{Start: &gcal.EventDateTime{DateTime: at(0, 9, 0)}, End: &gcal.EventDateTime{DateTime: at(0, 10, 0)}}).Do()
	if code, reason := apiErr(t, err); code != http.StatusForbidden || reason != "insufficientPermissions" {
		t.Errorf("insert with a read-only scope: %d %s", code, reason)
	}
	for i := range 3 {
		sb.addEvent("alice@example.com", map[string]any{"summary": "e", "start": map[string]any{"dateTime": at(i, 9, 0)}, "end": map[string]any{"dateTime": at(i, 10, 0)}})
	}
	page, err := ro.Events.List("primary").Do()
	if err != nil || page.NextPageToken == "" {
		t.Fatalf("page: %v %v", page, err)
	}
	_, err = ro.Events.List("primary").ShowDeleted(true).PageToken(page.NextPageToken).Do()
	if code, _ := apiErr(t, err); code != http.StatusBadRequest {
		t.Errorf("page token of another query: %d", code)
	}
	if p, err := ro.Events.List("primary").TimeZone("Asia/Kolkata").Do(); err != nil || p.TimeZone != "Asia/Kolkata" {
		t.Errorf("timeZone parameter: %v %v", p, err)
	}
	_, err = ro.Events.List("primary").PageToken("bm9wZQ").Do()
	if code, _ := apiErr(t, err); code != http.StatusBadRequest {
		t.Errorf("forged page token: %d", code)
	}

	rw := sb.service(key, "alice@example.com")
	ch, err := rw.Events.Watch("primary", &gcal.Channel{Id: "c1", Type: "web_hook", Address: "https://receiver.example/h"}).Do()
	if err != nil {
		t.Fatal(err)
	}
	other := sb.service(sb.key("example.com"), "alice@example.com")
	err = other.Channels.Stop(&gcal.Channel{Id: "c1", ResourceId: ch.ResourceId}).Do()
	if code, _ := apiErr(t, err); code != http.StatusNotFound {
		t.Errorf("stop by another project: %d", code)
	}
	if err := rw.Channels.Stop(&gcal.Channel{Id: "c1", ResourceId: ch.ResourceId}).Do(); err != nil {
		t.Errorf("stop by its project: %v", err)
	}

	tok := sb.token(key, "alice@example.com")
	big := `{"summary":"` + strings.Repeat("x", maxBody) + `"}`
	if r := sb.do("POST", "/calendar/v3/calendars/primary/events", tok, big); r.Status != http.StatusBadRequest {
		t.Errorf("oversized body: %d", r.Status)
	}
	if r := sb.do("GET", "/calendar/v3/freeBusy", tok, nil); r.Status != http.StatusNotFound || !strings.Contains(string(r.Body), `"notFound"`) {
		t.Errorf("GET freeBusy: %d %s", r.Status, r.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(violations) != 2 || !strings.Contains(violations[0], "body is not JSON") || !strings.Contains(violations[1], "no method GET") {
		t.Errorf("violations: %q", violations)
	}
}
