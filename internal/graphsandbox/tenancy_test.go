package graphsandbox

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestTenantsAreSeparate: a token of one tenant reaches none of another
// tenant's users, events, meetings or subscriptions, even by id.
func TestTenantsAreSeparate(t *testing.T) {
	sb := newSandbox(t, func(o *Options) {
		o.DomainsForConsent = func(*http.Request) ([]string, error) { return []string{"fabrikam.test"}, nil }
	})
	// A second tenant through admin consent.
	form := url.Values{"client_id": {DefaultClientID}, "redirect_uri": {"http://127.0.0.1/cb"}, "decision": {"approve"}}
	resp, err := noRedirect().PostForm(sb.ts.URL+"/common/v2.0/adminconsent", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	other := loc.Query().Get("tenant")

	sb.login()
	rc := newReceiver(t)
	e := sb.must(201, "POST", ann+"/events", eventBody("mine", "2026-12-07T09:00:00", "2026-12-07T10:00:00"))
	m := sb.must(201, "POST", ann+"/onlineMeetings", map[string]any{"subject": "mine"})
	sub := sb.must(201, "POST", "/v1.0/subscriptions", map[string]any{"changeType": "created", "notificationUrl": rc.srv.URL,
		"resource": "users/ann@example.com/events", "expirationDateTime": sb.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	annID := sb.must(200, "GET", ann, nil)["id"].(string)

	_, tok := sb.tokenFor(other)
	sb.token = tok["access_token"].(string)
	for _, p := range []string{ann, "/v1.0/users/" + annID, "/v1.0/users/" + annID + "/events/" + e["id"].(string),
		"/v1.0/users/" + annID + "/onlineMeetings/" + m["id"].(string), "/v1.0/subscriptions/" + sub["id"].(string)} {
		if st, body, _ := sb.do("GET", p, nil); st != 404 {
			t.Errorf("other tenant GET %s: %d %v", p, st, body)
		}
	}
	if st, _, _ := sb.do("DELETE", "/v1.0/subscriptions/"+sub["id"].(string), nil); st != 404 {
		t.Errorf("other tenant deleted a subscription: %d", st)
	}
	if n := len(values(sb.must(200, "GET", "/v1.0/subscriptions", nil))); n != 0 {
		t.Errorf("other tenant lists %d subscriptions", n)
	}
	if n := len(values(sb.must(200, "GET", "/v1.0/users", nil))); n != 0 {
		t.Errorf("other tenant lists %d users", n)
	}
}

// TestCancelNeedsOrganizer: an event its owner was invited to (made in
// Outlook with responseStatus accepted) cannot be cancelled, only deleted.
func TestCancelNeedsOrganizer(t *testing.T) {
	sb := newSandbox(t)
	sb.login()
	b := eventBody("Their meeting", "2026-12-07T09:00:00", "2026-12-07T10:00:00")
	b["responseStatus"] = map[string]string{"response": "tentativelyAccepted"}
	b["showAs"] = "tentative"
	e := sb.must(201, "POST", "/_sandbox/users/ann@example.com/events", b)
	got := sb.must(200, "GET", ann+"/events/"+e["id"].(string), nil)
	if got["isOrganizer"] != false || got["responseStatus"].(map[string]any)["response"] != "tentativelyAccepted" {
		t.Fatalf("seeded: %v", got)
	}
	st, m, _ := sb.do("POST", ann+"/events/"+e["id"].(string)+"/cancel", map[string]string{})
	if st != 400 || errCode(m) != "ErrorAccessDenied" {
		t.Fatalf("cancel by an attendee: %d %v", st, m)
	}
	// The control's responseStatus is not accepted through Graph.
	if st, _, _ := sb.do("POST", ann+"/events", b); st != 400 {
		t.Fatalf("responseStatus through Graph: %d", st)
	}
}
