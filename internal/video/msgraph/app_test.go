package msgraph

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/video"
)

func testApp() video.App {
	return App(Config{GraphURL: "https://graph.example/v1.0", LoginURL: "https://login.example", ClientID: "cid", ClientSecret: "secret",
		RedirectURL: "https://convene.example/oauth/teams/callback"})
}

// TestAppEntry: the entry passes the registry's rules, is an admin-consent
// app with the Graph .default scope and exactly the four application
// permissions, takes no settings and keeps no series.
func TestAppEntry(t *testing.T) {
	a := testApp()
	if _, err := video.NewRegistry(a); err != nil {
		t.Fatal(err)
	}
	if a.ID != "teams" || a.Name != "Microsoft 365" || a.Auth.Kind != video.AuthAdminConsent || a.Auth.Scope != "https://graph.microsoft.com/.default" {
		t.Errorf("%+v", a.Auth)
	}
	if a.Auth.AuthURL != "https://login.example/organizations/v2.0/adminconsent" || a.Auth.TokenURL != "https://login.example/{tenant}/oauth2/v2.0/token" {
		t.Errorf("endpoints %s %s", a.Auth.AuthURL, a.Auth.TokenURL)
	}
	want := []string{"Calendars.ReadWrite", "MailboxSettings.Read", "OnlineMeetings.ReadWrite.All", "User.Read.All"}
	got := slices.Sorted(slices.Values(a.Auth.ScopeSets[0]))
	if len(a.Auth.ScopeSets) != 1 || !slices.Equal(got, want) {
		t.Errorf("permissions %v, want %v", a.Auth.ScopeSets, want)
	}
	if a.Rules.Settings || a.Rules.Recurrence != nil || a.Reconcile || a.VideoIsEvent {
		t.Errorf("rules %+v reconcile %v", a.Rules, a.Reconcile)
	}
	if a.Calendar == nil || a.Connect == nil || a.Webhook == nil || !a.Webhook.ReplyText {
		t.Error("calendar, provider or webhook missing")
	}
	if _, ok := a.Connect(video.Connection{}).(Teams); !ok {
		t.Error("Connect is not Teams")
	}
}

// TestDataUseInGraphContract: every Graph request the app says it makes
// is a path and method of Graph v1.0 as Microsoft's own Graph SDK
// (@microsoft/msgraph-sdk-users, -subscriptions and -core, generated from
// Graph's OpenAPI description) has it; and every request the client
// makes is in the data-use list (the paths of this package's sources).
func TestDataUseInGraphContract(t *testing.T) {
	dir := filepath.Join("testdata", "graphsdk", "node_modules", "@microsoft")
	if _, err := os.Stat(filepath.Join(dir, "msgraph-sdk-users", "package.json")); err != nil {
		testenv.Missing(t, "Microsoft's Graph SDK (npm ci in "+filepath.Join("internal", "video", "msgraph", "testdata", "graphsdk")+")")
	}
	templ := regexp.MustCompile(`UriTemplate = "\{\+baseurl\}([^"{?]*(?:\{[^?}]+\}[^"{?]*)*)`)
	method := regexp.MustCompile(`(?m)^    (get|post|patch|delete|put): \{`)
	param := regexp.MustCompile(`\{[^}]*\}`)
	contract := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src := string(b)
		if strings.Contains(src, `"{+baseurl}/$batch"`) {
			contract["POST /$batch"] = true
		}
		m := templ.FindStringSubmatch(src)
		if m == nil {
			return nil
		}
		// OData functions are named with their parentheses: delta().
		path := strings.ReplaceAll(param.ReplaceAllString(m[1], "{}"), "()", "")
		for _, mm := range method.FindAllStringSubmatch(src, -1) {
			contract[strings.ToUpper(mm[1])+" "+path] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(contract) < 100 {
		t.Fatalf("only %d requests read from the SDK", len(contract))
	}
	for _, c := range dataUse.Calls {
		if !strings.HasPrefix(c.Path, "/v1.0/") {
			continue // the identity platform's endpoints
		}
		key := c.Method + " " + param.ReplaceAllString(strings.TrimPrefix(c.Path, "/v1.0"), "{}")
		if !contract[key] {
			t.Errorf("%s %s is not a request of Graph v1.0", c.Method, c.Path)
		}
	}
	// A made-up call is caught.
	if contract["POST /users/{}/calendar/getFreeTime"] {
		t.Error("the contract check accepts anything")
	}
}

// TestDataUseNamesEveryRequest: each request the client sends (a fake
// Graph records them while the other tests' flows run) is in the data-use
// list.
func TestDataUseNamesEveryRequest(t *testing.T) {
	var seen []string
	c, _ := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		return 200, `{"id":"x","value":[],"@odata.deltaLink":"d","responses":[],"expirationDateTime":"2026-12-10T00:00:00Z",
			"onlineMeeting":{"joinUrl":"https://teams.example/j"},"joinWebUrl":"https://teams.example/j"}`
	})
	srv := c.BaseURL
	c.HTTPClient.Transport = recordingTransport{next: c.HTTPClient.Transport, seen: &seen}
	ctx := context.Background()
	cal, teams := Calendars{c}, Teams{c}
	cal.FreeBusy(ctx, []string{"a@x"}, day, day.Add(time.Hour))
	cal.FreeBusy(ctx, []string{"a@x"}, day, day.Add(100*24*time.Hour))
	cal.Changes(ctx, "a@x", "", day, day.Add(time.Hour))
	cal.WorkingHours(ctx, "a@x")
	ch, _ := cal.Watch(ctx, "a@x", "https://c/webhooks/teams", "t")
	cal.Renew(ctx, *ch)
	cal.Unwatch(ctx, *ch)
	cal.PutEvent(ctx, "a@x", video.CalendarEvent{Ref: video.CreateRef{Key: "k"}, Start: day, End: day.Add(time.Hour), Conference: true, ExDates: []time.Time{day}})
	cal.PutEvent(ctx, "a@x", video.CalendarEvent{ID: "e", Start: day, End: day.Add(time.Hour)})
	cal.DeleteEvent(ctx, "a@x", "e", time.Time{}, false)
	m, _ := teams.CreateOnce(ctx, "a@x", video.Spec{Topic: "t"}, video.CreateRef{Key: "k"})
	teams.Get(ctx, m.ID, "")
	teams.Update(ctx, m.ID, "", video.Spec{Topic: "u"})
	teams.Delete(ctx, m.ID, "")
	c.lookupUser(ctx, "a@x")
	declared := map[string]bool{}
	param := regexp.MustCompile(`\{[^}]*\}`)
	for _, call := range dataUse.Calls {
		declared[call.Method+" "+param.ReplaceAllString(call.Path, "{}")] = true
	}
	base, _ := url.Parse(srv)
	for _, s := range seen {
		method, p, _ := strings.Cut(s, " ")
		p = strings.TrimPrefix(p, strings.TrimSuffix(base.Path, "/v1.0"))
		// Ids in paths: a@x, e, x, d, occurrence ids.
		segs := strings.Split(p, "/")
		for i, seg := range segs {
			if i > 0 && (seg == "a@x" || seg == "e" || seg == "x" || seg == "d") {
				segs[i] = "{}"
			}
		}
		key := method + " " + strings.Join(segs, "/")
		if !declared[key] {
			t.Errorf("the client sent %s, which the data-use list does not name", key)
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d requests recorded", len(seen))
	}
}

type recordingTransport struct {
	next http.RoundTripper
	seen *[]string
}

func (rt recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	*rt.seen = append(*rt.seen, r.Method+" "+r.URL.Path)
	next := rt.next
	if next == nil {
		next = http.DefaultTransport
	}
	return next.RoundTrip(r)
}

// TestAsUser: an address Graph does not know as a principal name is
// looked up by mail once, and its id used from then on.
func TestAsUser(t *testing.T) {
	lookups := 0
	c, seen := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		switch {
		case r.URL.Path == "/v1.0/users":
			lookups++
			if f := r.URL.Query().Get("$filter"); f != "mail eq 'O''Neil@example.com' or userPrincipalName eq 'O''Neil@example.com'" {
				t.Errorf("filter %q", f)
			}
			return 200, `{"value":[{"id":"0b1d-id","mail":"o'neil@example.com"}]}`
		case strings.HasPrefix(strings.ToLower(r.URL.Path), "/v1.0/users/o'neil@example.com/"):
			return 404, `{"error":{"code":"ErrorInvalidUser","message":"The requested user 'o'neil@example.com' is invalid."}}`
		}
		return 200, `{"timeZone":"UTC"}`
	})
	cal := Calendars{c}
	for range 2 {
		if _, err := cal.WorkingHours(context.Background(), "O'Neil@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	if lookups != 1 || (*seen)[len(*seen)-1].path != "/users/0b1d-id/mailboxSettings" {
		t.Errorf("lookups %d, requests %+v", lookups, *seen)
	}
	c2, _ := recorder(t, func(r *http.Request, body map[string]any) (int, string) {
		if r.URL.Path == "/v1.0/users" {
			return 200, `{"value":[]}`
		}
		return 404, `{"error":{"code":"ErrorInvalidUser","message":"invalid"}}`
	})
	if _, err := (Calendars{c2}).WorkingHours(context.Background(), "ghost@example.com"); !errors.Is(err, video.ErrHostNotFound) {
		t.Errorf("unknown user: %v", err)
	}
}

// TestReceive: the validation token is echoed in text; notifications
// become one calendar_changed event per subscription with its
// clientState; one without clientState is unauthenticated; malformed
// bodies are refused.
func TestReceive(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	d, err := Receive(video.WebhookRequest{Query: url.Values{"validationToken": {"Validation: Token <x>"}}}, now)
	if err != nil || d.ReplyText != "Validation: Token <x>" || len(d.Events) != 0 {
		t.Errorf("validation: %+v %v", d, err)
	}
	body := `{"value":[
	 {"subscriptionId":"s1","clientState":"tok1","changeType":"created","resource":"Users/u1/Events/e1","tenantId":"t1","subscriptionExpirationDateTime":"2026-12-10T00:00:00Z","resourceData":{"id":"e1"}},
	 {"subscriptionId":"s1","clientState":"tok1","changeType":"updated","resource":"Users/u1/Events/e2","tenantId":"t1"},
	 {"subscriptionId":"s2","clientState":"tok2","lifecycleEvent":"reauthorizationRequired","tenantId":"t1"}]}`
	d, err = Receive(video.WebhookRequest{Body: []byte(body)}, now)
	if err != nil || len(d.Events) != 2 {
		t.Fatalf("%+v %v", d, err)
	}
	e := d.Events[0]
	if e.Kind != video.EventCalendarChanged || e.App != "teams" || e.Channel != "s1" || e.ChannelToken != "tok1" || e.Account != "t1" || e.Name != "created" {
		t.Errorf("%+v", e)
	}
	if e := d.Events[1]; e.Channel != "s2" || e.ChannelToken != "tok2" || e.Name != "lifecycle:reauthorizationRequired" {
		t.Errorf("%+v", e)
	}
	for _, tc := range []struct {
		body   string
		query  url.Values
		unauth bool
	}{
		{`{"value":[{"subscriptionId":"s1","changeType":"created"}]}`, nil, true},
		{`{"value":[{"clientState":"x"}]}`, nil, false},
		{`{"value":[]}`, nil, false},
		{`not json`, nil, false},
		{``, url.Values{"validationToken": {""}}, false},
		{``, url.Values{"validationToken": {strings.Repeat("x", 1025)}}, false},
	} {
		_, err := Receive(video.WebhookRequest{Body: []byte(tc.body), Query: tc.query}, now)
		we, ok := errors.AsType[*video.WebhookError](err)
		if !ok || we.Unauthenticated != tc.unauth {
			t.Errorf("%q %v: %v", tc.body, tc.query, err)
		}
	}
}
