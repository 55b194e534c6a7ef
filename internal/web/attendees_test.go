package web

import (
	"slices"
	"strings"
	"testing"

	"github.com/convene/convene/internal/store/storetest"
)

// TestChangeAttendeesAPI: PATCH with attendees replaces them, inside the
// change's transaction (storetest's nesting check fails a read beside
// it): the one removed gets a CANCEL, the one added and the one kept the
// updated REQUEST, and a user of the account added is known as one.
func TestChangeAttendeesAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			tn := h.setupTenant("Acme", "acme.test", true)
			bea := h.expect("POST", "/api/v1/users", tn.owner, map[string]any{"email": "bea@acme.test", "name": "Béa"}, 201)["token"].(string)
			m := h.expect("POST", "/api/v1/meetings", tn.member, map[string]any{
				"subject": "Plan", "start_time": "2030-03-05T14:00", "timezone": "Europe/Paris", "duration": 30,
				"attendees": []map[string]string{{"email": "xavier@partner.example"}, {"email": "yan@partner.example"}},
			}, 201)
			id := m["id"].(string)
			h.mailsOf(tn.accountID, id, 3) // the organizer and both attendees

			r := h.expect("PATCH", "/api/v1/meetings/"+id, tn.member, map[string]any{
				"attendees": []map[string]string{{"email": "yan@partner.example"}, {"email": "bea@acme.test"}},
			}, 200)
			var got []string
			for _, a := range r["attendees"].([]any) {
				got = append(got, a.(map[string]any)["email"].(string))
			}
			if strings.Join(got, " ") != "yan@partner.example bea@acme.test" || r["sequence"] != float64(1) {
				t.Fatalf("changed: %v", r)
			}
			methods := map[string]string{}
			for _, ml := range h.mailsOf(tn.accountID, id, 7)[3:] { // the CANCEL and three REQUESTs
				c := calendarOf(t, ml.Raw)
				for _, to := range ml.Recipients {
					methods[to] = c.mimeMethod
				}
			}
			want := map[string]string{"xavier@partner.example": "CANCEL", "yan@partner.example": "REQUEST", "bea@acme.test": "REQUEST", "member@acme.test": "REQUEST"}
			for to, method := range want {
				if methods[to] != method {
					t.Errorf("%s got %q, want %s (all: %v)", to, methods[to], method, methods)
				}
			}
			// Béa, a user of the account, now sees the meeting as hers.
			list := h.expect("GET", "/api/v1/meetings?from=2030-03-01T00:00:00Z&to=2030-03-31T00:00:00Z", bea, nil, 200)["meetings"].([]any)
			if !slices.ContainsFunc(list, func(v any) bool { return v.(map[string]any)["id"] == id }) {
				t.Errorf("Béa's meetings: %v", list)
			}
		})
	}
}
