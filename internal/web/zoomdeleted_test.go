package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// TestZoomDeletionIsConfirmedWithZoom: a correctly signed meeting.deleted
// (a replay, a leaked webhook secret, a mistake) for a meeting, or an
// occurrence, that Zoom still has cancels nothing and sends no mail:
// Convene asks Zoom first. A deletion that really happened in Zoom still
// cancels, the whole meeting or just the occurrence.
func TestZoomDeletionIsConfirmedWithZoom(t *testing.T) {
	h := newHarness(t, "sqlite")
	tn := h.setupTenant("Acme", "acme.test", true)
	h.installZoom(tn)
	ctx := context.Background()
	in, err := h.db.Install(ctx, tn.accountID, "zoom")
	if err != nil || in.ProviderAccountID == "" {
		t.Fatalf("install: %+v %v", in, err)
	}
	// deleted posts a meeting.deleted signed with the app's secret, as Zoom
	// would, for the Zoom meeting videoID and the given occurrences.
	deleted := func(videoID string, occurrences ...string) {
		t.Helper()
		obj := map[string]any{"id": json.Number(videoID), "uuid": "x", "host_id": "h", "topic": "t", "type": 2}
		if len(occurrences) > 0 {
			var occs []map[string]any
			for _, o := range occurrences {
				occs = append(occs, map[string]any{"occurrence_id": o, "start_time": "2030-06-04T09:00:00Z"})
			}
			obj["occurrences"], obj["type"] = occs, 8
		}
		body, _ := json.Marshal(map[string]any{"event": "meeting.deleted", "event_ts": time.Now().UnixMilli(),
			"payload": map[string]any{"account_id": in.ProviderAccountID, "operator": "someone@acme.test", "operation": "single", "object": obj}})
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest("POST", h.srv.URL+"/webhooks/zoom", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-zm-request-timestamp", ts)
		req.Header.Set("x-zm-signature", zoomSignature("sandbox-webhook-secret", ts, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("meeting.deleted: %d", resp.StatusCode)
		}
	}
	unchanged := func(id string, want *store.Meeting) {
		t.Helper()
		// The webhook is applied before its answer, and a cancellation
		// changes the meeting in the transaction that enqueues its mail:
		// an unchanged meeting means no mail is on its way.
		m, err := h.db.Meeting(ctx, tn.accountID, id)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != store.MeetingBooked || m.Sequence != want.Sequence || m.Problem != "" {
			t.Fatalf("after a deletion Zoom does not confirm: status %s, sequence %d (was %d), problem %q", m.Status, m.Sequence, want.Sequence, m.Problem)
		}
	}

	// A single meeting that Zoom still has.
	a := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Still in Zoom", "start_time": "2030-06-03T10:00",
		"timezone": "UTC", "duration": 30, "attendees": []map[string]string{{"email": "guest@partner.example"}}}, 201)
	aID, aVideo := a["id"].(string), a["video"].(map[string]any)["id"].(string)
	h.mailsOf(tn.accountID, aID, 2)
	before, _ := h.db.Meeting(ctx, tn.accountID, aID)
	deleted(aVideo)
	unchanged(aID, before)
	if len(h.sandboxMeetings()) != 1 {
		t.Fatal("the Zoom meeting went away")
	}

	// An occurrence of a series that Zoom still has.
	s := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{
		"subject": "Series", "type": "recurring", "start_time": "2030-06-04T09:00", "timezone": "UTC", "duration": 15,
		"recurrence": map[string]string{"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=4"},
		"attendees":  []map[string]string{{"email": "guest@partner.example"}},
	}, 201)
	sID, sVideo := s["id"].(string), s["video"].(map[string]any)["id"].(string)
	occ := s["recurrence"].(map[string]any)["occurrences"].([]any)
	second := occ[1].(map[string]any)["occurrence_id"].(string)
	h.mailsOf(tn.accountID, sID, 2)
	sBefore, _ := h.db.Meeting(ctx, tn.accountID, sID)
	deleted(sVideo, second)
	unchanged(sID, sBefore)
	occs, _ := h.db.Occurrences(ctx, tn.accountID, sID)
	for _, o := range occs {
		if o.Status == "cancelled" {
			t.Fatalf("occurrence %s cancelled although Zoom has it", o.ID)
		}
	}

	// The mail of both meetings is still the first invitations only, once
	// the really deleted occurrence below has been mailed.
	p, err := h.apps.Provider(ctx, tn.accountID, tn.memberEmail, "zoom")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, sVideo, second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		occs, _ := h.db.Occurrences(ctx, tn.accountID, sID)
		for _, o := range occs {
			if o.ID == second {
				return o.Status == "cancelled"
			}
		}
		return false
	})
	occs, _ = h.db.Occurrences(ctx, tn.accountID, sID)
	for _, o := range occs {
		if (o.Status == "cancelled") != (o.ID == second) {
			t.Errorf("occurrence %s: %s", o.ID, o.Status)
		}
	}
	// Two REQUESTs, the CANCEL of the occurrence to both, and the notice.
	kinds := map[string]int{}
	for _, ml := range h.mailsOf(tn.accountID, sID, 5) {
		kinds[ml.Kind]++
	}
	if kinds["request"] != 2 || kinds["cancel"] != 2 || kinds["notice"] != 1 {
		t.Errorf("mail of the series: %v", kinds)
	}
	if ms, _ := h.db.Mails(ctx, tn.accountID, aID, 0); len(ms) != 2 {
		t.Errorf("the meeting still in Zoom has %d mails, want its 2 invitations", len(ms))
	}

	// Deleted in Zoom for real: cancelled.
	if err := p.Delete(ctx, aVideo, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		m, _ := h.db.Meeting(ctx, tn.accountID, aID)
		return m.Status == store.MeetingCancelled
	})
	h.mailsOf(tn.accountID, aID, 5)
}
