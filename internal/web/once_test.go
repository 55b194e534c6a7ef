package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/video"
)

// zoomMeetingsTitled returns the ids of the sandbox's meetings with topic.
func (h *harness) zoomMeetingsTitled(topic string) []string {
	var ids []string
	for _, zm := range h.sandboxMeetings() {
		if zm["topic"] == topic {
			ids = append(ids, fmt.Sprint(int64(zm["id"].(float64))))
		}
	}
	return ids
}

// TestLateDuplicateSwept: Zoom takes longer than Convene's window to
// perform a create (it holds it 2.5 s; a request times out after 300 ms and
// is given 1 s more), so the retry's create and the late one both make a
// meeting. The booking keeps the meeting it stored, the one the
// invitations name, and the sweep deletes the other once no create can
// complete any more: within the window and the margin of the last create.
func TestLateDuplicateSwept(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.setZoomRequestTimeout(300 * time.Millisecond)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"delay_ms": 2500, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
			const topic = "Slower than the window"
			m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": topic, "start_time": "2030-06-03T10:00",
				"timezone": "UTC", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
			id, stored := m["id"].(string), m["video"].(map[string]any)
			row, err := h.db.Meeting(context.Background(), tn.accountID, id)
			if err != nil {
				t.Fatal(err)
			}
			if row.VideoPosts != 2 {
				t.Fatalf("%d creates sent, want 2 (the held one and the retry's)", row.VideoPosts)
			}

			// Zoom performs the held create: a duplicate exists.
			waitFor(t, func() bool {
				var f struct{ Held, Released int }
				h.sandboxCall("GET", "/_sandbox/faults", nil, &f)
				return f.Held == 0 && f.Released == 1
			})
			if ids := h.zoomMeetingsTitled(topic); len(ids) != 2 {
				t.Fatalf("Zoom has %v, want the stored meeting and a late duplicate", ids)
			}

			// Swept within the bound: the last create's window plus the
			// margin (and time for the job to run).
			p, err := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
			if err != nil {
				t.Fatal(err)
			}
			bound := row.VideoPosted.Add(p.(video.Duplicates).CreateWindow() + 5*time.Second + 5*time.Second)
			for ids := h.zoomMeetingsTitled(topic); len(ids) != 1; ids = h.zoomMeetingsTitled(topic) {
				if time.Now().After(bound) {
					t.Fatalf("Zoom still has %v at %v, after the bound", ids, bound)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if ids := h.zoomMeetingsTitled(topic); ids[0] != stored["id"] {
				t.Errorf("Zoom kept %s, Convene stored %v", ids[0], stored["id"])
			}
			for _, ml := range h.mailsOf(tn.accountID, id, 2) {
				if c := calendarOf(t, ml.Raw); !strings.Contains(strings.ReplaceAll(c.ics, "\r\n ", ""), stored["join_url"].(string)) {
					t.Errorf("an invitation does not name the stored meeting %v:\n%s", stored["join_url"], c.ics)
				}
			}
			if got := h.expect("GET", "/api/v1/meetings/"+id, tn.member, nil, 200); got["status"] != "booked" || got["video"].(map[string]any)["id"] != stored["id"] {
				t.Errorf("meeting after the sweep: %v", got)
			}
		})
	}
}

// TestReconcilerRunsAgain: the periodic reconciliation runs each time it
// is queued, not once a day (a finished job used to make the next enqueue
// a no-op), and deletes a duplicate of a booked meeting each time.
func TestReconcilerRunsAgain(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Reconciled", "start_time": "2030-06-04T10:00",
		"timezone": "UTC", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	stored := m["video"].(map[string]any)["id"]
	row, _ := h.db.Meeting(context.Background(), tn.accountID, m["id"].(string))
	p, err := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		dup, err := p.Create(context.Background(), tn.memberEmail, video.Spec{Topic: row.Subject, StartTime: row.Start, Duration: row.Duration, Timezone: row.TimeZone})
		if err != nil {
			t.Fatal(err)
		}
		// Queued again and again, as the periodic job does: a no-op only
		// while the previous reconciliation waits or runs.
		deadline := time.Now().Add(10 * time.Second)
		for ids := h.zoomMeetingsTitled("Reconciled"); len(ids) != 1; ids = h.zoomMeetingsTitled("Reconciled") {
			if time.Now().After(deadline) {
				t.Fatalf("reconciliation %d: Zoom still has %v (duplicate %s)", i+1, ids, dup.ID)
			}
			if err := h.booking.ReconcileAll(context.Background()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if ids := h.zoomMeetingsTitled("Reconciled"); ids[0] != stored {
			t.Fatalf("reconciliation %d kept %s, not the stored %v", i+1, ids[0], stored)
		}
	}
}

// TestLateMeetingOfFailedBookingSwept: the retry after a lost create is
// refused for good (the organizer has no Zoom user any more), so the
// booking fails and frees its time; Zoom then performs the held create.
// Nobody will use that meeting: the sweep deletes it.
func TestLateMeetingOfFailedBookingSwept(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.setZoomRequestTimeout(300 * time.Millisecond)
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"delay_ms": 2500, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 404, "code": 1001, "message": "User does not exist: member@acme.test.",
		"times": 1, "method": "POST", "path": "/v2/users"}, nil)
	const topic = "Failed while Zoom was slow"
	st, m := h.do("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": topic, "start_time": "2030-06-05T10:00",
		"timezone": "UTC", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}})
	if st != 409 {
		t.Fatalf("booking: %d %v", st, m)
	}
	waitFor(t, func() bool {
		var f struct{ Held, Released int }
		h.sandboxCall("GET", "/_sandbox/faults", nil, &f)
		return f.Held == 0 && f.Released == 1
	})
	if ids := h.zoomMeetingsTitled(topic); len(ids) != 1 {
		t.Fatalf("Zoom has %v, want the late meeting", ids)
	}
	deadline := time.Now().Add(20 * time.Second)
	for ids := h.zoomMeetingsTitled(topic); len(ids) != 0; ids = h.zoomMeetingsTitled(topic) {
		if time.Now().After(deadline) {
			t.Fatalf("the failed booking's late Zoom meeting %v is still there", ids)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSweepSparesAPendingRival: a cancelled booking's look-alike in Zoom
// is not deleted as its orphan while a new booking just like it (same
// organizer, subject and time, free again) is still waiting for its own
// Zoom meeting: that meeting may be the new booking's, not yet stored.
func TestSweepSparesAPendingRival(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	body := map[string]any{"subject": "Same again", "start_time": "2030-06-06T10:00", "timezone": "UTC", "duration": 30,
		"attendees": []map[string]string{{"email": "guest@partner.example"}}}
	a := h.expect("POST", "/api/v1/meetings", tn.member, body, 201)
	h.expect("DELETE", "/api/v1/meetings/"+a["id"].(string), tn.member, nil, 200)
	waitFor(t, func() bool { return len(h.zoomMeetingsTitled("Same again")) == 0 })

	// Booked again; Zoom fails every create, so it stays "booking".
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 503, "times": 100000, "method": "POST", "path": "/v2/users"}, nil)
	b := h.expect("POST", "/api/v1/meetings", tn.member, body, 202)
	// A meeting like theirs appears in Zoom (the new booking's create,
	// say, answered too late).
	row, _ := h.db.Meeting(context.Background(), tn.accountID, b["id"].(string))
	p, err := h.apps.Provider(context.Background(), tn.accountID, tn.memberEmail, "zoom")
	if err != nil {
		t.Fatal(err)
	}
	h.sandboxCall("DELETE", "/_sandbox/faults", nil, nil)
	late, err := p.Create(context.Background(), tn.memberEmail, video.Spec{Topic: row.Subject, StartTime: row.Start, Duration: row.Duration, Timezone: row.TimeZone})
	if err != nil {
		t.Fatal(err)
	}
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 503, "times": 100000, "method": "POST", "path": "/v2/users"}, nil)
	drift, err := h.booking.Reconcile(context.Background(), tn.accountID)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift.Deleted) != 0 || len(h.zoomMeetingsTitled("Same again")) != 1 {
		t.Fatalf("the pending booking's look-alike %s was deleted as the cancelled one's orphan: %+v", late.ID, drift)
	}
	if st := h.expect("GET", "/api/v1/meetings/"+b["id"].(string), tn.member, nil, 200)["status"]; st != "booking" {
		t.Fatalf("the new booking is %v, not waiting", st)
	}
}

// TestLateSweepSparesAPendingRival: the sweep of a failed booking's late
// Zoom meeting waits while a new booking just like it is still being made
// (that booking may yet adopt or store the meeting), instead of deleting
// it under the new booking's feet.
func TestLateSweepSparesAPendingRival(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.setZoomRequestTimeout(300 * time.Millisecond)
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	body := map[string]any{"subject": "Tried twice", "start_time": "2030-06-07T10:00", "timezone": "UTC", "duration": 30,
		"attendees": []map[string]string{{"email": "guest@partner.example"}}}
	// The first booking's create is held past its window; the retry is
	// refused for good: it fails, and a sweep is due.
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"delay_ms": 2500, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 404, "code": 1001, "message": "User does not exist: member@acme.test.",
		"times": 1, "method": "POST", "path": "/v2/users"}, nil)
	h.expect("POST", "/api/v1/meetings", tn.member, body, 409)
	// Booked again at once; Zoom fails its every call: it stays "booking".
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 503, "times": 100000, "path": "/v2/users"}, nil)
	h.expect("POST", "/api/v1/meetings", tn.member, body, 202)
	waitFor(t, func() bool {
		var f struct{ Held, Released int }
		h.sandboxCall("GET", "/_sandbox/faults", nil, &f)
		return f.Held == 0 && f.Released == 1
	})
	// The sweep came, saw the new booking pending, and put itself off.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		err := h.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'video.sweep' AND state = 'scheduled'
			AND julianday(scheduled_at) - julianday('now') > 30.0 / 86400`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep did not put itself off")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ids := h.zoomMeetingsTitled("Tried twice"); len(ids) != 1 {
		t.Fatalf("Zoom has %v: the late meeting was swept while a booking like it was pending", ids)
	}
}
