package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestMicrosoft365Consent: through the binary and its built-in Graph
// sandbox, an admin installs Microsoft 365: Convene sends them to the
// identity platform's adminconsent endpoint with its client id, the
// Graph .default scope, its callback and a state; the admin accepts the
// application permissions; the callback names the tenant, Convene takes
// a client-credentials token for it and the app is installed for the
// domain. A declined consent installs nothing, and the used state cannot
// install again. Then two people's Outlook calendars (a series, a
// tentative meeting, an out-of-office) leave only their common free half
// hour in the slot search, and an event added in Outlook takes it.
func TestMicrosoft365Consent(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	env = append(env, "CONVENE_GRAPH_SANDBOX_CONTROLS=on")
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "contoso.test")

	c.must("POST", "/api/v1/apps/teams/pre-approve", tn.owner, nil, 200)
	start := func() string {
		out := c.must("POST", "/api/v1/apps/teams/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
		return out["authorize_url"].(string)
	}

	// Declined first.
	b := browsertest.New(t)
	page := b.Get(start())
	if page.Status != 200 || !strings.Contains(page.Body, "Calendars.ReadWrite") || !strings.Contains(page.Body, "OnlineMeetings.ReadWrite.All") {
		t.Fatalf("consent page: %d %s", page.Status, page.Body)
	}
	back := b.Submit(page, map[string]string{"decision": "deny"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "/oauth/teams/callback?") || !strings.Contains(back.Location, "error=access_denied") {
		t.Fatalf("after declining: %d %q", back.Status, back.Location)
	}
	if cb := b.Get(back.Location); cb.Status == 200 && strings.Contains(cb.Body, "Microsoft 365 is installed") {
		t.Fatalf("a declined consent installed the app: %s", cb.Body)
	}

	authorize := start()
	u, err := url.Parse(authorize)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if !strings.HasPrefix(authorize, p.URL+"/graph-sandbox/organizations/v2.0/adminconsent?") || q.Get("scope") != "https://graph.microsoft.com/.default" ||
		q.Get("redirect_uri") != p.URL+"/oauth/teams/callback" || q.Get("client_id") == "" || q.Get("state") == "" {
		t.Fatalf("consent URL %s", authorize)
	}
	page = b.Get(authorize)
	back = b.Submit(page, map[string]string{"decision": "approve"})
	if back.Status != http.StatusFound || !strings.Contains(back.Location, "admin_consent=True") || !strings.Contains(back.Location, "tenant=") {
		t.Fatalf("after consent: %d %q", back.Status, back.Location)
	}
	cb := b.Get(back.Location)
	if cb.Status != 200 || !strings.Contains(cb.Body, "Microsoft 365 is installed") {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	apps := c.must("GET", "/api/v1/apps", tn.owner, nil, 200)
	found := false
	for _, a := range apps["apps"].([]any) {
		a := a.(map[string]any)
		if a["id"] == "teams" {
			found = true
			if a["state"] != "installed" {
				t.Errorf("teams: %v", a)
			}
		}
	}
	if !found {
		t.Errorf("teams is not in the catalog: %v", apps)
	}
	// The state was single use.
	if again := b.Get(back.Location); again.Status == 200 && strings.Contains(again.Body, "is installed") && !strings.Contains(again.Body, "unknown") {
		t.Errorf("the callback worked twice: %d", again.Status)
	}

	// Graph's subscription validation is answered with its token in
	// plain text; a notification without its clientState is refused.
	resp, err := http.Post(p.URL+"/webhooks/teams?validationToken="+url.QueryEscape("Validation: abc"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	vb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(vb) != "Validation: abc" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("validation: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), vb)
	}
	resp, err = http.Post(p.URL+"/webhooks/teams", "application/json", strings.NewReader(`{"value":[{"subscriptionId":"s","changeType":"created"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a notification without clientState: %d", resp.StatusCode)
	}

	// Two people's Outlook calendars: Olive's daily series 09:00-12:00
	// Paris, Max's tentative meeting 12:00-12:30 and out-of-office
	// 13:00-17:00; both work 09:00-17:00 Paris (mailboxSettings in a
	// Windows zone). The only free half hour left is 12:30 Paris.
	graph := p.URL + "/graph-sandbox/_sandbox"
	day := time.Now().UTC().AddDate(0, 0, 14).Truncate(24 * time.Hour)
	for day.Weekday() != time.Tuesday {
		day = day.AddDate(0, 0, 1)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(h, m int) map[string]string {
		return map[string]string{"dateTime": time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, paris).UTC().Format("2006-01-02T15:04:05"), "timeZone": "UTC"}
	}
	hours := map[string]any{"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"}, "startTime": "09:00:00.0000000",
		"endTime": "17:00:00.0000000", "timeZone": map[string]string{"name": "Romance Standard Time"}}
	for _, who := range []string{"owner@contoso.test", "member@contoso.test"} {
		graphControl(t, "POST", graph+"/users", map[string]any{"mail": who, "timeZone": "Romance Standard Time", "workingHours": hours})
	}
	graphControl(t, "POST", graph+"/users/owner@contoso.test/events", map[string]any{"subject": "Planning", "showAs": "busy", "start": at(9, 0), "end": at(12, 0),
		"recurrence": map[string]any{"pattern": map[string]any{"type": "daily", "interval": 1},
			"range": map[string]any{"type": "numbered", "startDate": day.AddDate(0, 0, -2).Format(time.DateOnly), "numberOfOccurrences": 5, "recurrenceTimeZone": "Romance Standard Time"}}})
	graphControl(t, "POST", graph+"/users/member@contoso.test/events", map[string]any{"subject": "Maybe", "showAs": "tentative", "start": at(12, 0), "end": at(12, 30),
		"responseStatus": map[string]any{"response": "tentativelyAccepted"}})
	graphControl(t, "POST", graph+"/users/member@contoso.test/events", map[string]any{"subject": "Away", "showAs": "oof", "start": at(13, 0), "end": at(17, 0)})

	avail := "/api/v1/availability?attendees=owner@contoso.test,member@contoso.test&duration=30&from=" + day.Format(time.RFC3339) +
		"&to=" + day.AddDate(0, 0, 1).Format(time.RFC3339) + "&timezone=Europe/Paris"
	starts := func() string {
		out := c.must("GET", avail, tn.owner, nil, 200)
		var s []string
		for _, sl := range out["slots"].([]any) {
			s = append(s, sl.(map[string]any)["start"].(string))
		}
		return strings.Join(s, " ")
	}
	free := time.Date(day.Year(), day.Month(), day.Day(), 12, 30, 0, 0, paris)
	want := free.Format(time.RFC3339)
	var got string
	eventually(t, 60*time.Second, "slots avoiding the Outlook busy time", func() bool {
		got = starts()
		return got == want || got == free.UTC().Format(time.RFC3339)
	})

	// A change made in Outlook reaches the slots: Olive takes 12:30-13:00
	// too, and no slot is left. (Today through getSchedule: the calendar
	// core's full sync asks calendarView delta for 431 days, more than the
	// sandbox's 366-day bound, so the app calendars are not synced and no
	// subscription is made against the sandbox; see the report of h/m365.)
	graphControl(t, "POST", graph+"/users/owner@contoso.test/events", map[string]any{"subject": "Lunch call", "showAs": "busy", "start": at(12, 30), "end": at(13, 0)})
	eventually(t, 60*time.Second, "the Outlook change in the slots", func() bool {
		got = starts()
		return got == ""
	})
}

// graphControl calls a test control of the Graph sandbox.
func graphControl(t *testing.T, method, u string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, raw)
	}
}
