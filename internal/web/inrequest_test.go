package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/calendar"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestBookingAnswerIsTheStoredMeeting: the answer to a booking is built
// from what the request holds, without reading the meeting again; it must
// be what GET answers, field for field, with and without video, and its
// invitations and calendar event must be stored when it comes (no job
// left to run them).
func TestBookingAnswerIsTheStoredMeeting(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			for i, provider := range []string{"zoom", "none"} {
				status, raw, _ := h.doRaw("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Answered " + provider,
					"start_time": time.Date(2030, 6, 3+i, 10, 0, 0, 0, time.UTC).Format(time.RFC3339), "timezone": "Europe/Paris",
					"duration": 30, "video_provider": provider, "description": "Agenda",
					"attendees": []map[string]string{{"email": "Guest@Partner.example", "name": "Guest"}, {"email": "owner@acme.test"}}})
				if status != 201 {
					t.Fatalf("%s: %d %s", provider, status, raw)
				}
				var posted map[string]any
				json.Unmarshal(raw, &posted)
				id := posted["id"].(string)
				_, got, _ := h.doRaw("GET", "/api/v1/meetings/"+id, tn.member, nil)
				var read map[string]any
				json.Unmarshal(got, &read)
				a, _ := json.Marshal(posted)
				b, _ := json.Marshal(read)
				if string(a) != string(b) {
					t.Errorf("%s: the answer differs from GET:\n%s\n%s", provider, a, b)
				}
				if provider == "zoom" && (posted["video"] == nil || posted["video"].(map[string]any)["start_url"] == "") {
					t.Errorf("zoom: no video or start URL for the organizer: %v", posted["video"])
				}
				// Stored with the answer: the organizer's and each
				// attendee's invitation, and the calendars of the users.
				mails, err := h.db.Mails(context.Background(), tn.accountID, id, 0)
				if err != nil || len(mails) != 3 {
					t.Errorf("%s: %d mails stored with the answer, want 3 (%v)", provider, len(mails), err)
				}
				for _, user := range []string{tn.memberID, tn.ownerID} {
					if _, err := h.db.CalendarObjectByUID(context.Background(), tn.accountID, calendar.BuiltinID(user), id+"@convene"); err != nil {
						t.Errorf("%s: calendar of %s: %v", provider, user, err)
					}
				}
			}
			h.waitJobsIdle()
		})
	}
}

// TestMeetingOfTheOrganizerAlone: a meeting without attendees is booked
// like any other: the organizer's mail and calendar event are stored with
// the answer (an invitation names at least one attendee, so the organizer
// is that one), and its cancellation reaches both.
func TestMeetingOfTheOrganizerAlone(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			ctx := context.Background()
			for i, provider := range []string{"zoom", "none"} {
				m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Alone " + provider, "timezone": "UTC",
					"start_time": time.Date(2030, 6, 3+i, 10, 0, 0, 0, time.UTC).Format(time.RFC3339), "duration": 30, "video_provider": provider}, 201)
				id := m["id"].(string)
				mails, err := h.db.Mails(ctx, tn.accountID, id, 0)
				if err != nil || len(mails) != 1 || mails[0].Recipients[0] != tn.memberEmail {
					t.Fatalf("%s: mails stored with the answer: %v %v, want the organizer's", provider, mails, err)
				}
				obj, err := h.db.CalendarObjectByUID(ctx, tn.accountID, calendar.BuiltinID(tn.memberID), id+"@convene")
				if err != nil {
					t.Fatalf("%s: organizer's calendar: %v", provider, err)
				}
				if !strings.Contains(string(obj.Data), "ATTENDEE;") || !strings.Contains(string(obj.Data), "PARTSTAT=ACCEPTED") {
					t.Errorf("%s: the organizer is not the event's one attendee:\n%s", provider, obj.Data)
				}
				h.expect("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
				h.waitJobsIdle()
				mails, _ = h.db.Mails(ctx, tn.accountID, id, 0)
				kinds := map[string]int{}
				for _, ml := range mails {
					kinds[ml.Kind]++
				}
				if kinds["request"] != 1 || kinds["cancel"] != 1 {
					t.Errorf("%s: mails after the cancellation: %v, want one request and one cancel", provider, kinds)
				}
				if _, err := h.db.CalendarObjectByUID(ctx, tn.accountID, calendar.BuiltinID(tn.memberID), id+"@convene"); err == nil {
					t.Errorf("%s: the cancelled meeting is still in the organizer's calendar", provider)
				}
			}
		})
	}
}

// TestLateCreateRequestRecorded: the claimed attempt's create request is
// recorded with the booking for a send within postLead; one that leaves
// later is recorded before it leaves, like any other: the record never
// says a request was sent earlier than it was.
func TestLateCreateRequestRecorded(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	// The booking's clock runs late: its record is stale by the time the
	// request leaves.
	h.booking.Now = func() time.Time { return time.Now().Add(-time.Minute) }
	before := time.Now().Truncate(time.Millisecond)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Late", "start_time": "2030-06-03T10:00",
		"timezone": "UTC", "duration": 30}, 201)
	row, err := h.db.Meeting(context.Background(), tn.accountID, m["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if row.VideoPosted.Before(before) {
		t.Errorf("the create request was sent after %v, recorded as sent by %v", before, row.VideoPosted)
	}
	// One request left: the booking's record moved, not a second one
	// added (which would schedule a sweep for duplicates that cannot be).
	if row.VideoPosts != 1 {
		t.Errorf("%d create requests recorded, want 1", row.VideoPosts)
	}
	var sweeps int
	if err := h.db.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'video.sweep'`).Scan(&sweeps); err != nil || sweeps != 0 {
		t.Errorf("%d sweeps scheduled (%v), want none", sweeps, err)
	}
}

// TestUnsentCreateRequestWithdrawn: a claimed attempt that sends no create
// request (its host is paused on Zoom's daily limit) withdraws the one
// recorded with the booking: the job's next attempt need not wait for a
// request that never left.
func TestUnsentCreateRequestWithdrawn(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.booking.Wait = 300 * time.Millisecond
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"status": 429, "daily_limit": true, "retry_after": "auto", "times": 1,
		"method": "POST", "path": "/v2/users"}, nil)
	var rows []*store.Meeting
	for i := range 2 {
		m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Paused", "timezone": "UTC", "duration": 30,
			"start_time": time.Date(2030, 6, 3+i, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)}, 202)
		row, err := h.db.Meeting(context.Background(), tn.accountID, m["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, row)
	}
	// The first was sent and refused by Zoom, the second never sent: no
	// create of either may still complete.
	for i, row := range rows {
		if row.VideoPosts != 0 {
			t.Errorf("booking %d: %d create requests still counted", i+1, row.VideoPosts)
		}
	}
	if n := len(h.sandboxMeetings()); n != 0 {
		t.Errorf("Zoom has %d meetings", n)
	}
}

// TestOutboxRetention: a sent mail's body is purged from the outbox after
// the retention period; the outbox still lists it, with when it was
// purged, and its raw form is refused with the reason. A held mail keeps
// its body whatever its age.
func TestOutboxRetention(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.booking.OutboxRetention = 24 * time.Hour
	tn := h.setupTenant("Acme", "acme.test", true)
	m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Kept a while", "start_time": "2030-06-03T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "none", "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	ctx := context.Background()
	mails, err := h.db.Mails(ctx, tn.accountID, m["id"].(string), 0)
	if err != nil || len(mails) != 2 {
		t.Fatalf("mails: %d %v", len(mails), err)
	}
	sent, held := mails[0], mails[1]
	sent.Status, sent.Sent, sent.Attempts = store.MailSent, time.Now().Add(-25*time.Hour), 1
	if err := h.db.UpdateMail(ctx, &sent); err != nil {
		t.Fatal(err)
	}
	if n, err := h.booking.PurgeOutbox(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d %v, want the sent mail", n, err)
	}
	list := h.expect("GET", "/api/v1/outbox", tn.owner, nil, 200)["mail"].([]any)
	purged := map[string]bool{}
	for _, v := range list {
		mv := v.(map[string]any)
		purged[mv["id"].(string)] = mv["purged_at"] != nil
	}
	if !purged[sent.ID] || purged[held.ID] {
		t.Errorf("purged in the outbox view: %v", purged)
	}
	status, body, _ := h.doRaw("GET", "/api/v1/outbox/"+sent.ID+"/raw", tn.owner, nil)
	if status != 404 || !strings.Contains(string(body), "CONVENE_OUTBOX_RETENTION") {
		t.Errorf("raw of a purged mail: %d %s", status, body)
	}
	if status, body, _ := h.doRaw("GET", "/api/v1/outbox/"+held.ID+"/raw", tn.owner, nil); status != 200 || !strings.Contains(string(body), "Kept a while") {
		t.Errorf("raw of a held mail: %d %.80s", status, body)
	}
}

// TestCancelledWhileZoomCreates: a booking cancelled while the request's
// attempt waits for Zoom stays cancelled when Zoom answers: the attempt
// stores nothing over the cancellation, sends no invitation, and the
// meeting Zoom made is deleted.
func TestCancelledWhileZoomCreates(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.booking.Wait = 200 * time.Millisecond
			tn := h.setupTenant("Acme", "acme.test", true)
			h.installZoom(tn)
			h.sandboxCall("POST", "/_sandbox/faults", map[string]any{"delay_ms": 1500, "times": 1, "method": "POST", "path": "/v2/users"}, nil)
			const topic = "Cancelled while made"
			m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": topic, "start_time": "2030-06-03T10:00",
				"timezone": "UTC", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 202)
			id := m["id"].(string)
			h.expect("DELETE", "/api/v1/meetings/"+id, tn.member, nil, 200)
			// Zoom makes the meeting, then the attempt finds it cancelled.
			waitFor(t, func() bool {
				var f struct{ Held, Released int }
				h.sandboxCall("GET", "/_sandbox/faults", nil, &f)
				return f.Held == 0 && f.Released == 1
			})
			h.waitJobsIdle()
			if ids := h.zoomMeetingsTitled(topic); len(ids) != 0 {
				t.Errorf("Zoom still has %v", ids)
			}
			got := h.expect("GET", "/api/v1/meetings/"+id, tn.member, nil, 200)
			if got["status"] != "cancelled" {
				t.Errorf("status %v, want cancelled", got["status"])
			}
			mails, _ := h.db.Mails(context.Background(), tn.accountID, id, 0)
			for _, ml := range mails {
				if ml.Kind == "request" {
					t.Errorf("an invitation went out for a cancelled booking: %s to %v", ml.Subject, ml.Recipients)
				}
			}
		})
	}
}
