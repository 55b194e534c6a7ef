package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/config"
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
// install again. Graph's subscription validation is answered, and a
// notification without its clientState is refused.
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
}

// TestMicrosoft365Calendars: through the binary and its built-in Graph
// sandbox, after the admin consented: two people's Outlook calendars (a
// daily series, a tentative meeting, an out-of-office) leave only their
// common free half hour in the slot search; a meeting booked on Teams
// through Graph's 429 and 503 on the event create is exactly one event in
// the organizer's Outlook calendar, without attendees (Convene sends the
// invitations, the account's default), with the Teams join link the API's
// meeting shows; an event added in Outlook reaches the slots through the
// subscription's notification. In the other invitation mode, Outlook
// invites: the event has the attendees, and Convene mails them nothing.
func TestMicrosoft365Calendars(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	// The app's secret is the test's, so that it can take Graph tokens
	// too (with the public default, Convene derives one of its own).
	env = append(env, "CONVENE_GRAPH_SANDBOX_CONTROLS=on", "CONVENE_MICROSOFT_CLIENT_SECRET="+graphTestSecret)
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "contoso.test")
	owner, member := "owner@contoso.test", tn.memberEmail
	sb := p.URL + "/graph-sandbox/_sandbox"

	// Olive's daily series 09:00-12:00 Paris, Max's tentative meeting
	// 12:00-12:30 and out-of-office 13:00-17:00; both work 09:00-17:00
	// Paris (mailboxSettings in a Windows zone). The only free half hour
	// left is 12:30 Paris.
	day := time.Now().UTC().AddDate(0, 0, 14).Truncate(24 * time.Hour)
	for day.Weekday() != time.Tuesday {
		day = day.AddDate(0, 0, 1)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	next := day.AddDate(0, 0, 1)
	parisOn := func(d time.Time, h, m int) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, paris)
	}
	parisAt := func(h, m int) time.Time { return parisOn(day, h, m) }
	on := func(d time.Time, h, m int) map[string]string {
		return map[string]string{"dateTime": parisOn(d, h, m).UTC().Format("2006-01-02T15:04:05"), "timeZone": "UTC"}
	}
	at := func(h, m int) map[string]string { return on(day, h, m) }
	// The mailboxes and their events are there before Convene's install:
	// the admin consented, the tenant exists, and the browser has not yet
	// come back to Convene.
	tenantID := installTeams(t, c, p.URL, tn, func() {
		hours := map[string]any{"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"}, "startTime": "09:00:00.0000000",
			"endTime": "17:00:00.0000000", "timeZone": map[string]string{"name": "Romance Standard Time"}}
		for _, who := range []string{owner, member} {
			graphControl(t, "POST", sb+"/users", map[string]any{"mail": who, "timeZone": "Romance Standard Time", "workingHours": hours})
		}
		graphControl(t, "POST", sb+"/users/"+owner+"/events", map[string]any{"subject": "Planning", "showAs": "busy", "start": at(9, 0), "end": at(12, 0),
			"recurrence": map[string]any{"pattern": map[string]any{"type": "daily", "interval": 1},
				"range": map[string]any{"type": "numbered", "startDate": day.AddDate(0, 0, -2).Format(time.DateOnly), "numberOfOccurrences": 5, "recurrenceTimeZone": "Romance Standard Time"}}})
		graphControl(t, "POST", sb+"/users/"+member+"/events", map[string]any{"subject": "Maybe", "showAs": "tentative", "start": at(12, 0), "end": at(12, 30),
			"responseStatus": map[string]any{"response": "tentativelyAccepted"}})
		graphControl(t, "POST", sb+"/users/"+member+"/events", map[string]any{"subject": "Away", "showAs": "oof", "start": at(13, 0), "end": at(17, 0)})
	})
	g := graphAPI{t: t, base: p.URL + "/graph-sandbox", tenant: tenantID}
	// The calendar core syncs both calendars and subscribes to each.
	eventually(t, 30*time.Second, "the subscriptions", func() bool {
		var subs struct {
			Value []map[string]any `json:"value"`
		}
		g.get("/v1.0/subscriptions", &subs)
		return len(subs.Value) == 2
	})
	defer func() {
		if t.Failed() {
			var n map[string]any
			googleControl(t, "GET", sb+"/notifications", nil, &n)
			t.Logf("the sandbox's notifications: %v", n)
		}
	}()

	slotsOn := func(d time.Time) []time.Time {
		avail := "/api/v1/availability?attendees=" + owner + "," + member + "&duration=30&from=" + d.Format(time.RFC3339) +
			"&to=" + d.AddDate(0, 0, 1).Format(time.RFC3339) + "&timezone=Europe/Paris&limit=50"
		out := c.must("GET", avail, tn.owner, nil, 200)
		var s []time.Time
		for _, sl := range out["slots"].([]any) {
			st, _ := time.Parse(time.RFC3339, sl.(map[string]any)["start"].(string))
			s = append(s, st)
		}
		return s
	}
	has := func(s []time.Time, t time.Time) bool { return slices.ContainsFunc(s, t.Equal) }
	var got []time.Time
	defer func() {
		if t.Failed() {
			t.Logf("the last slots: %v", got)
		}
	}()
	eventually(t, 60*time.Second, "slots avoiding the Outlook busy time", func() bool {
		got = slotsOn(day)
		return len(got) == 1 && got[0].Equal(parisAt(12, 30))
	})
	// The next day, only Olive's series: free from 12:00 to 17:00.
	if got = slotsOn(next); !has(got, parisOn(next, 12, 0)) || has(got, parisOn(next, 11, 30)) || !has(got, parisOn(next, 16, 30)) {
		t.Errorf("the next day's slots %v", got)
	}

	// Book 12:30 on Teams, organized by Max, through a 429 and a 503 on
	// the event create.
	create := "/v1.0/users/" + member + "/events"
	for _, f := range []map[string]any{
		{"status": 429, "retryAfter": 1, "method": "POST", "path": create},
		{"status": 503, "retryAfter": 1, "method": "POST", "path": create},
	} {
		graphControl(t, "POST", sb+"/faults", f)
	}
	before := graphCalls(p.Stderr())
	m := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Review", "start_time": parisAt(12, 30).Format("2006-01-02T15:04"),
		"timezone": "Europe/Paris", "duration": 30, "video_provider": "teams",
		"attendees": []map[string]string{{"email": owner}, {"email": "guest@partner.test"}}}, 201)
	id := m["id"].(string)
	var join string
	eventually(t, 60*time.Second, "the Teams link", func() bool {
		got := c.must("GET", "/api/v1/meetings/"+id, tn.member, nil, 200)
		if v, ok := got["video"].(map[string]any); ok {
			join, _ = v["join_url"].(string)
		}
		return join != ""
	})
	if !strings.Contains(join, "/graph-sandbox/l/meetup-join/") {
		t.Errorf("join URL %q", join)
	}
	// Exactly one event, once the faults are spent.
	var reviews []map[string]any
	eventually(t, 60*time.Second, "the event in Outlook", func() bool {
		var faults struct {
			Faults []any `json:"faults"`
		}
		googleControl(t, "GET", sb+"/faults", nil, &faults)
		reviews = nil
		for _, e := range g.events(member) {
			if e["subject"] == "Review" {
				reviews = append(reviews, e)
			}
		}
		return len(faults.Faults) == 0 && len(reviews) > 0
	})
	if len(reviews) != 1 {
		t.Fatalf("%d events of the meeting in the organizer's Outlook calendar, want 1: %v", len(reviews), reviews)
	}
	ev := reviews[0]
	// The Teams meeting the video job made is the event's link, in its
	// location and body: one meeting, the one the invitations carry.
	loc, _ := ev["location"].(map[string]any)
	body, _ := ev["body"].(map[string]any)
	if loc["displayName"] != join || !strings.Contains(fmt.Sprint(body["content"]), join) || ev["isOnlineMeeting"] == true {
		t.Errorf("the event's link: location %v, body %v, isOnlineMeeting %v; the meeting's join URL %q", loc, body, ev["isOnlineMeeting"], join)
	}
	// Convene sends the invitations (the account's default): the event
	// has no attendees, or Exchange would invite them a second time.
	if a, _ := ev["attendees"].([]any); len(a) != 0 {
		t.Errorf("the event has attendees %v: Outlook would invite them too", a)
	}
	if n := mailsTo(t, c, tn.owner, id, "guest@partner.test"); n != 1 {
		t.Errorf("Convene sent the guest %d invitations, want 1", n)
	}
	t.Logf("Graph calls of the booking (the test's own listing of the events left out): %v", graphCalls(p.Stderr()).since(before))

	// The booked meeting took the day's last half hour.
	if got = slotsOn(day); len(got) != 0 {
		t.Errorf("slots after the booking: %v", got)
	}

	// A change made in Outlook reaches Convene through the
	// subscription's notification: Olive takes 12:00-13:00 the next day.
	notes := len(graphNotifications(t, sb))
	graphControl(t, "POST", sb+"/users/"+owner+"/events", map[string]any{"subject": "Lunch call", "showAs": "busy", "start": on(next, 12, 0), "end": on(next, 13, 0)})
	eventually(t, 60*time.Second, "the Outlook change in the slots", func() bool {
		got = slotsOn(next)
		return !has(got, parisOn(next, 12, 0)) && !has(got, parisOn(next, 12, 30)) && has(got, parisOn(next, 13, 0))
	})
	// It came by Graph's notification to Convene's webhook, accepted.
	var delivered bool
	for _, n := range graphNotifications(t, sb)[notes:] {
		if n.Kind == "created" && n.URL == p.URL+"/webhooks/teams" && n.Status/100 == 2 && strings.Contains(n.Body, "clientState") {
			delivered = true
		}
	}
	if !delivered {
		t.Errorf("no accepted notification of the change: %+v", graphNotifications(t, sb)[notes:])
	}

	// The other invitation mode: Outlook invites. The event is written
	// with its attendees, and Convene mails them nothing.
	c.must("PATCH", "/api/v1/account", tn.owner, map[string]any{"invitations": "provider"}, 200)
	m = c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Sync", "start_time": parisOn(next, 14, 0).Format("2006-01-02T15:04"),
		"timezone": "Europe/Paris", "duration": 30, "video_provider": "teams",
		"attendees": []map[string]string{{"email": owner}, {"email": "guest@partner.test"}}}, 201)
	id = m["id"].(string)
	var syncs []map[string]any
	eventually(t, 60*time.Second, "the event Outlook invites to", func() bool {
		syncs = nil
		for _, e := range g.events(member) {
			if e["subject"] == "Sync" {
				syncs = append(syncs, e)
			}
		}
		return len(syncs) > 0
	})
	var invited []string
	if len(syncs) == 1 {
		for _, a := range syncs[0]["attendees"].([]any) {
			invited = append(invited, a.(map[string]any)["emailAddress"].(map[string]any)["address"].(string))
		}
	}
	slices.Sort(invited)
	if len(syncs) != 1 || !slices.Equal(invited, []string{"guest@partner.test", owner}) {
		t.Errorf("the events of the meeting in provider mode: %d, attendees %v", len(syncs), invited)
	}
	if n := mailsTo(t, c, tn.owner, id, "guest@partner.test"); n != 0 {
		t.Errorf("Convene mailed the guest %d times in provider mode: Outlook invites them too: %v", n, outbox(t, c, tn.owner, id))
	}
}

// mailsTo counts the mails of a meeting in Convene's outbox to addr.
func mailsTo(t *testing.T, c client, admin, meetingID, addr string) int {
	t.Helper()
	n := 0
	for _, m := range outbox(t, c, admin, meetingID) {
		for _, to := range m["to"].([]any) {
			if to == addr {
				n++
			}
		}
	}
	return n
}

// installTeams installs Microsoft 365 for the tenant's domain as an
// admin's browser does at the Graph sandbox, and returns the consenting
// tenant's id.
// before runs after the admin's consent and before the callback, when the
// tenant exists at the sandbox.
func installTeams(t *testing.T, c client, base string, tn tenant, before func()) string {
	t.Helper()
	c.must("POST", "/api/v1/apps/teams/pre-approve", tn.owner, nil, 200)
	out := c.must("POST", "/api/v1/apps/teams/install", tn.owner, map[string]any{"domains": []string{tn.domain}}, 200)
	b := browsertest.New(t)
	page := b.Get(out["authorize_url"].(string))
	back := b.Submit(page, map[string]string{"decision": "approve"})
	u, err := url.Parse(back.Location)
	if back.Status != http.StatusFound || err != nil || u.Query().Get("tenant") == "" {
		t.Fatalf("after consent: %d %q", back.Status, back.Location)
	}
	before()
	cb := b.Get(back.Location)
	if cb.Status != 200 || !strings.Contains(cb.Body, "Microsoft 365 is installed") {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	return u.Query().Get("tenant")
}

// graphTestSecret is the Microsoft app's client secret in the tests.
const graphTestSecret = "e2e-graph-client-secret"

// graphAPI calls the sandbox's Graph API as the app, with a
// client-credentials token of the tenant: what the test cannot see
// through a control (subscriptions, a mailbox's events) it reads as
// Convene would.
type graphAPI struct {
	t            *testing.T
	base, tenant string
	token        string
}

func (g *graphAPI) get(path string, out any) {
	g.t.Helper()
	if g.token == "" {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {config.SandboxMicrosoftClientID},
			"client_secret": {graphTestSecret}, "scope": {"https://graph.microsoft.com/.default"}}
		resp, err := http.PostForm(g.base+"/"+g.tenant+"/oauth2/v2.0/token", form)
		if err != nil {
			g.t.Fatal(err)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		err = json.NewDecoder(resp.Body).Decode(&tok)
		resp.Body.Close()
		if err != nil || tok.AccessToken == "" {
			g.t.Fatalf("token: %d %v", resp.StatusCode, err)
		}
		g.token = tok.AccessToken
	}
	req, _ := http.NewRequest("GET", g.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Prefer", "odata.maxpagesize=100")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		g.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		g.t.Fatalf("GET %s: %v", path, err)
	}
}

// events lists the events of user's calendar (every page).
func (g *graphAPI) events(user string) []map[string]any {
	var all []map[string]any
	path := "/v1.0/users/" + user + "/events"
	for path != "" {
		var page struct {
			Value []map[string]any `json:"value"`
			Next  string           `json:"@odata.nextLink"`
		}
		g.get(path, &page)
		all = append(all, page.Value...)
		path = strings.TrimPrefix(page.Next, g.base)
	}
	return all
}

// graphCallLine is the log line of a request the Graph sandbox served.
var graphCallLine = regexp.MustCompile(`msg="graphsandbox request" component=graph-sandbox method=(\S+) path=(\S+) status=(\d+)`)

// graphCallLog is the requests the Graph sandbox logged, in order.
type graphCallLog []string

// graphCalls reads the sandbox's requests from Convene's log; a user's
// address or id in a path is replaced by {user}.
func graphCalls(log string) graphCallLog {
	var out graphCallLog
	for _, m := range graphCallLine.FindAllStringSubmatch(log, -1) {
		parts := strings.Split(m[2], "/")
		for i := range parts {
			if i > 0 && parts[i-1] == "users" || i > 0 && (parts[i-1] == "events" || parts[i-1] == "subscriptions" || parts[i-1] == "onlineMeetings" && parts[i] != "createOrGet") && parts[i] != "" {
				parts[i] = "{id}"
			}
		}
		if len(parts) > 1 && parts[1] != "v1.0" {
			parts[1] = "{tenant}"
		}
		out = append(out, m[1]+" "+strings.Join(parts, "/")+" "+m[3])
	}
	return out
}

// since counts the calls after the first n of before.
func (l graphCallLog) since(before graphCallLog) map[string]int {
	out := map[string]int{}
	for _, c := range l[len(before):] {
		if strings.HasPrefix(c, "GET /v1.0/users/{id}/events ") {
			continue // the test's own (Convene reads events by id)
		}
		out[c]++
	}
	return out
}

// graphNotification is a notification the Graph sandbox sent.
type graphNotification struct {
	Kind   string `json:"kind"`
	URL    string `json:"url"`
	Body   string `json:"body"`
	Status int    `json:"status"`
	Done   bool   `json:"done"`
}

// graphNotifications lists the notifications the Graph sandbox sent, in
// order.
func graphNotifications(t *testing.T, sb string) []graphNotification {
	var out struct {
		Notifications []graphNotification `json:"notifications"`
	}
	googleControl(t, "GET", sb+"/notifications", nil, &out)
	return out.Notifications
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
