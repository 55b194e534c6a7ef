package web

import (
	"strings"
	"testing"

	"github.com/convene/convene/internal/store/storetest"
)

// TestBookingPageAPI: a user reads and changes their own booking page; the
// fields left out keep their values; the core's checks answer 422; every
// answer matches the OpenAPI document.
func TestBookingPageAPI(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.checkAnswers(t)
			a := h.setupTenant("Acme", "acme.test", true)

			h.expect("GET", "/api/v1/users/me/booking-page", "", nil, 401)
			bp := h.expect("GET", "/api/v1/users/me/booking-page", a.member, nil, 200)
			if bp["slug"] != "member" || bp["path"] != "/u/member" || bp["enabled"] != false || bp["days"] != float64(14) || bp["intro"] != "" {
				t.Fatalf("never saved: %v", bp)
			}
			on := h.expect("PATCH", "/api/v1/users/me/booking-page", a.member, map[string]any{
				"enabled": true, "durations": []int{45, 15}, "intro": "  Bring the agenda.\r\nThanks!  "}, 200)
			if on["enabled"] != true || on["slug"] != "member" || on["intro"] != "Bring the agenda.\nThanks!" || on["days"] != float64(14) {
				t.Fatalf("switched on: %v", on)
			}
			if d := on["durations"].([]any); len(d) != 2 || d[0] != float64(15) || d[1] != float64(45) {
				t.Errorf("durations: %v", d)
			}
			// A field left out keeps its value.
			moved := h.expect("PATCH", "/api/v1/users/me/booking-page", a.member, map[string]any{"slug": "Meet-Member", "days": 30}, 200)
			if moved["slug"] != "meet-member" || moved["path"] != "/u/meet-member" || moved["intro"] != "Bring the agenda.\nThanks!" || moved["enabled"] != true {
				t.Fatalf("moved: %v", moved)
			}
			if got := h.expect("GET", "/api/v1/users/me/booking-page", a.member, nil, 200); got["slug"] != "meet-member" || got["days"] != float64(30) {
				t.Fatalf("read back: %v", got)
			}
			// The core's checks; a refusal changes nothing.
			for _, bad := range []map[string]any{
				{"slug": "x"},
				{"days": 61},
				{"durations": []int{3}},
				{"intro": strings.Repeat("line\n", 21)},
				{"intro": "bell\a"},
			} {
				out := h.expect("PATCH", "/api/v1/users/me/booking-page", a.member, bad, 422)
				if errs, _ := out["errors"].([]any); len(errs) == 0 {
					t.Errorf("%v: %v", bad, out)
				}
			}
			// Another user's slug is taken.
			out := h.expect("PATCH", "/api/v1/users/me/booking-page", a.owner, map[string]any{"slug": "meet-member"}, 422)
			if !strings.Contains(out["detail"].(string), "taken") {
				t.Errorf("a taken slug: %v", out)
			}
			if got := h.expect("GET", "/api/v1/users/me/booking-page", a.member, nil, 200); got["slug"] != "meet-member" || got["days"] != float64(30) ||
				got["intro"] != "Bring the agenda.\nThanks!" {
				t.Fatalf("after the refusals: %v", got)
			}
			// Unknown fields are refused, not ignored.
			h.expect("PATCH", "/api/v1/users/me/booking-page", a.member, map[string]any{"title": "x"}, 400)
		})
	}
}
