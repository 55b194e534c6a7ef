package web

import (
	"strings"
	"testing"
)

// TestSeriesThisAndFollowing moves a series from its third occurrence on:
// the original ends before it (Zoom's recurrence too), a new series with a
// new UID and its own Zoom meeting continues at the new time, and both are
// sent to the invitees.
func TestSeriesThisAndFollowing(t *testing.T) {
	h := newHarness(t, "sqlite")
	ics := newICSChecker(t)
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{
		"subject": "Weekly", "type": "recurring", "start_time": "2030-03-04T10:00", "timezone": "Europe/Paris", "duration": 30,
		"recurrence": map[string]string{"rrule": "FREQ=WEEKLY;COUNT=5"},
		"attendees":  []map[string]string{{"email": "guest@partner.example"}},
	}, 201)
	id := m["id"].(string)
	h.mailsOf(tn.accountID, id, 2) // the first invitations went out
	occ := m["recurrence"].(map[string]any)["occurrences"].([]any)
	third := occ[2].(map[string]any)["occurrence_id"].(string)
	n := h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{"scope": "following", "occurrence": third, "start_time": "2030-03-18T15:00"}, 200)
	if n["id"] == id || n["start_time"] != "2030-03-18T15:00:00+01:00" || !strings.Contains(n["recurrence"].(map[string]any)["rrule"].(string), "COUNT=3") {
		t.Fatalf("continuing series: %v", n)
	}
	orig := h.expect("GET", "/api/v1/meetings/"+id, tn.member, nil, 200)
	if !strings.Contains(orig["recurrence"].(map[string]any)["rrule"].(string), "COUNT=2") {
		t.Fatalf("original series: %v", orig["recurrence"])
	}
	if n["uid"] == orig["uid"] {
		t.Error("the continuing series has the original's UID")
	}
	// Zoom: the original has two occurrences left, the new one three.
	waitFor(t, func() bool {
		zm := h.sandboxMeetings()
		if len(zm) != 2 {
			return false
		}
		counts := map[int]bool{}
		for _, z := range zm {
			live := 0
			for _, o := range z["occurrences"].([]any) {
				if o.(map[string]any)["status"] != "deleted" {
					live++
				}
			}
			counts[live] = true
		}
		return counts[2] && counts[3]
	})
	for _, ml := range h.mailsOf(tn.accountID, id, 4)[2:] {
		c := calendarOf(t, ml.Raw)
		if icsProp(c.ics, "SEQUENCE") != "1" || !strings.Contains(icsProp(c.ics, "RRULE"), "COUNT=2") {
			t.Errorf("original's update: %s", c.ics)
		}
		ics.add(c.ics)
	}
	for _, ml := range h.mailsOf(tn.accountID, n["id"].(string), 2) {
		c := calendarOf(t, ml.Raw)
		if icsProp(c.ics, "SEQUENCE") != "0" || !strings.Contains(icsProp(c.ics, "RRULE"), "COUNT=3") {
			t.Errorf("new series: %s", c.ics)
		}
		ics.add(c.ics)
	}
}
