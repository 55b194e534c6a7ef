package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/video"
)

func TestMeet(t *testing.T) {
	ctx := context.Background()
	g := newFakeGoogle(t, alice, bob)
	app := App(g.config())
	m := app.Connect(video.Connection{Credentials: keyJSON(t, rsaKey(t), g.srv.URL+"/token"), HTTP: g.srv.Client()})
	spec := video.Spec{Topic: "Review", StartTime: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC), Duration: 45, Timezone: "Europe/Paris", Agenda: video.String("Q1"),
		UID: "mtg_1@convene"}
	ref := video.CreateRef{Key: "outbox:7", Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	g.fail(429, "rateLimitExceeded", 1)
	g.fail(403, "rateLimitExceeded", 1)
	g.fail(503, "backendError", 1)
	mt, err := m.CreateOnce(ctx, alice, spec, ref)
	if err != nil {
		t.Fatal(err)
	}
	if mt.Provider != ID || mt.ID != alice+"/"+EventID("outbox:7") || mt.JoinURL != "https://meet.google.com/abc-defg-hij" ||
		mt.UUID != "abc-defg-hij" || mt.PSTNPassword != "123456789" || mt.Duration != 45 || mt.HostEmail != alice ||
		!mt.StartTime.Equal(spec.StartTime) || mt.Timezone != "Europe/Paris" {
		t.Fatalf("meeting %+v", mt)
	}
	for _, want := range []string{"https://meet.google.com/abc-defg-hij", "+33 1 23 45 67 89 PIN: 123456789#", "More phone numbers"} {
		if !strings.Contains(mt.Invitation, want) {
			t.Errorf("invitation lacks %q: %q", want, mt.Invitation)
		}
	}
	q := g.query("calendar.events.insert")
	if q.Get("conferenceDataVersion") != "1" || q.Get("sendUpdates") != "none" {
		t.Fatalf("insert query %v", q)
	}
	e := g.events[alice][0]
	// The event carries the meeting's UID: Convene's invitation and
	// Google's event are one meeting for calendar clients.
	if e.ICalUID != "mtg_1@convene" {
		t.Fatalf("the event's iCalUID is %q, want the meeting's", e.ICalUID)
	}
	if cr := e.ConferenceData.CreateRequest; cr.RequestId != EventID("outbox:7") || cr.ConferenceSolutionKey.Type != "hangoutsMeet" {
		t.Fatalf("createRequest %+v", cr)
	}
	// Again with the same reference: the same meeting, no second event.
	again, err := m.CreateOnce(ctx, alice, spec, ref)
	if err != nil || again.ID != mt.ID || len(g.events[alice]) != 1 {
		t.Fatalf("again: %+v %v (%d events)", again, err, len(g.events[alice]))
	}

	got, err := m.Get(ctx, mt.ID, "")
	if err != nil || got.JoinURL != mt.JoinURL {
		t.Fatalf("get %+v %v", got, err)
	}
	up, err := m.Update(ctx, mt.ID, "", video.Spec{StartTime: spec.StartTime.Add(time.Hour)})
	if err != nil || !up.StartTime.Equal(spec.StartTime.Add(time.Hour)) || up.Duration != 45 || up.JoinURL != mt.JoinURL {
		t.Fatalf("update %+v %v", up, err)
	}
	inv, err := m.Invitation(ctx, mt.ID)
	if err != nil || !strings.Contains(inv.Text, "abc-defg-hij") {
		t.Fatalf("invitation %+v %v", inv, err)
	}
	// The calendar write of the booking updates the same event
	// (VideoIsEvent): attendees added, still one event.
	cal := app.Calendar(video.Connection{Credentials: keyJSON(t, rsaKey(t), g.srv.URL+"/token"), HTTP: g.srv.Client()})
	ev := meetingEvent("outbox:8", false)
	ev.ID, ev.Conference, ev.JoinURL = mt.ID, true, ""
	r, err := cal.PutEvent(ctx, alice, ev)
	if err != nil || r.ID != EventID("outbox:7") || r.Meeting == nil || r.Meeting.JoinURL != mt.JoinURL || len(g.events[alice]) != 1 {
		t.Fatalf("put %+v %v", r, err)
	}
	if err := m.Delete(ctx, mt.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, mt.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := m.Get(ctx, mt.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := m.Get(ctx, "no-host", ""); !errors.Is(err, video.ErrNotFound) {
		t.Fatalf("bad id: %v", err)
	}
	if _, err := m.List(ctx, alice); !errors.Is(err, video.ErrNotSupported) {
		t.Fatal(err)
	}
	if _, err := m.CreateOnce(ctx, alice, video.Spec{Topic: "instant"}, video.CreateRef{Key: "x"}); err == nil {
		t.Fatal("a meeting without a time accepted")
	}
}

// Google creates the conference asynchronously: a pending create is read
// again until it is done, a bounded number of times.
func TestConferencePending(t *testing.T) {
	ctx := context.Background()
	g := newFakeGoogle(t, alice)
	g.pending = 2
	c := g.newClient(t)
	ev := meetingEvent("job-p", false)
	ev.Conference, ev.JoinURL = true, ""
	r, err := c.PutEvent(ctx, alice, ev)
	if err != nil || r.Meeting == nil || r.Meeting.JoinURL == "" {
		t.Fatalf("%+v %v", r, err)
	}
	g.pending = 100
	ev.Ref.Key = "job-q"
	_, err = c.PutEvent(ctx, alice, ev)
	if err == nil || video.IsPermanent(err) {
		t.Fatalf("still pending: %v", err)
	}
	n := 0
	for _, call := range g.apiCalls() {
		if call == "calendar.events.get" {
			n++
		}
	}
	if n != 2+conferencePolls {
		t.Fatalf("%d reads", n)
	}
}

func TestReceive(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		events int
		unauth bool
		bad    bool
	}{
		{"sync", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "sync", "X-Goog-Message-Number", "1"), "", 0, false, false},
		{"exists", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "exists", "X-Goog-Resource-ID", "r1", "X-Goog-Message-Number", "2"), "", 1, false, false},
		{"not_exists", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "not_exists"), "", 1, false, false},
		{"no token", h("X-Goog-Channel-ID", "c1", "X-Goog-Resource-State", "exists"), "", 0, true, false},
		{"no channel", h("X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "exists"), "", 0, false, true},
		{"other state", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "deleted"), "", 0, false, true},
		{"bad number", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "exists", "X-Goog-Message-Number", "x"), "", 0, false, true},
		{"a body", h("X-Goog-Channel-ID", "c1", "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "exists"), `{"deleted":"everything"}`, 0, false, true},
		{"long id", h("X-Goog-Channel-ID", strings.Repeat("c", 300), "X-Goog-Channel-Token", "t1", "X-Goog-Resource-State", "exists"), "", 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Receive(video.WebhookRequest{Header: tc.header, Body: []byte(tc.body)}, now)
			if tc.unauth || tc.bad {
				we, ok := errors.AsType[*video.WebhookError](err)
				if !ok || we.Unauthenticated != tc.unauth {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Events) != tc.events {
				t.Fatalf("events %+v", d.Events)
			}
			if tc.events == 1 {
				e := d.Events[0]
				if e.Kind != video.EventCalendarChanged || e.App != ID || e.Channel != "c1" || e.ChannelToken != "t1" || !e.At.Equal(now) {
					t.Fatalf("event %+v", e)
				}
			}
		})
	}
}

func FuzzReceive(f *testing.F) {
	f.Add("c1", "t1", "exists", "3", "")
	f.Add("c1", "", "sync", "1", "")
	f.Add("", "t", "not_exists", "", "x")
	f.Fuzz(func(t *testing.T, id, token, state, number, body string) {
		h := http.Header{}
		h.Set("X-Goog-Channel-ID", id)
		h.Set("X-Goog-Channel-Token", token)
		h.Set("X-Goog-Resource-State", state)
		h.Set("X-Goog-Message-Number", number)
		d, err := Receive(video.WebhookRequest{Header: h, Body: []byte(body)}, time.Unix(0, 0))
		if err != nil {
			if _, ok := errors.AsType[*video.WebhookError](err); !ok {
				t.Fatalf("not a WebhookError: %v", err)
			}
			return
		}
		for _, e := range d.Events {
			if e.Channel == "" || e.ChannelToken == "" {
				t.Fatalf("an event without its channel: %+v", e)
			}
		}
	})
}

func TestAppInRegistry(t *testing.T) {
	reg, err := video.NewRegistry(App(Config{}))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := reg.Lookup(ID)
	if !ok || a.Name != "Google Workspace" || !a.VideoIsEvent || a.Calendar == nil || a.Auth.Kind != video.AuthServiceAccount ||
		a.Auth.TokenURL != DefaultTokenURL || !slices.Equal(a.Auth.Scopes(), Scopes) || a.Rules.Recurrence != nil || a.Rules.Settings {
		t.Fatalf("%+v", a)
	}
	if msg := a.Rules.Password("x"); msg == "" {
		t.Fatal("a passcode is accepted")
	}
}

// The data-use facts name the discovery document's methods, and the
// scopes delegated are each the narrowest that a method Convene calls
// needs: every method called accepts one of them, and each scope is needed
// by some method called.
func TestDataUseAgainstDiscovery(t *testing.T) {
	b, err := os.ReadFile("testdata/calendar-api.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		RootURL     string `json:"rootUrl"`
		ServicePath string `json:"servicePath"`
		Auth        struct {
			OAuth2 struct {
				Scopes map[string]any `json:"scopes"`
			} `json:"oauth2"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.RootURL+doc.ServicePath != DefaultCalendarURL {
		t.Fatalf("the discovery document's root is %s%s", doc.RootURL, doc.ServicePath)
	}
	for _, s := range Scopes {
		if doc.Auth.OAuth2.Scopes[s] == nil {
			t.Errorf("scope %s is not the API's", s)
		}
	}
	type method struct {
		HTTPMethod string   `json:"httpMethod"`
		Path       string   `json:"path"`
		Scopes     []string `json:"scopes"`
	}
	var all []method
	var walk func(json.RawMessage)
	walk = func(raw json.RawMessage) {
		var r struct {
			Methods   map[string]method          `json:"methods"`
			Resources map[string]json.RawMessage `json:"resources"`
		}
		json.Unmarshal(raw, &r)
		for _, m := range r.Methods {
			all = append(all, m)
		}
		for _, sub := range r.Resources {
			walk(sub)
		}
	}
	walk(b)
	used := map[string]bool{}
	for _, c := range dataUse.Calls {
		if !strings.HasPrefix(c.Path, "/calendar/v3/") {
			continue // the OAuth endpoints: token, consent, revocation
		}
		i := slices.IndexFunc(all, func(m method) bool {
			return m.HTTPMethod == c.Method && "/calendar/v3/"+m.Path == c.Path
		})
		if i < 0 {
			t.Errorf("%s %s is no method of Calendar v3", c.Method, c.Path)
			continue
		}
		ok := false
		for _, s := range Scopes {
			if slices.Contains(all[i].Scopes, s) {
				ok, used[s] = true, true
			}
		}
		if !ok {
			t.Errorf("%s %s takes none of the delegated scopes: it wants one of %v", c.Method, c.Path, all[i].Scopes)
		}
	}
	for _, s := range Scopes {
		if !used[s] {
			t.Errorf("scope %s is delegated but no call needs it", s)
		}
	}
}

// callPaths are the data-use calls of the discovery document's methods:
// TestMain checks that every method the fake was asked for is listed.
var callPaths = map[string]string{
	"calendar.freebusy.query": "POST /calendar/v3/freeBusy", "calendar.events.list": "GET /calendar/v3/calendars/{calendarId}/events",
	"calendar.events.watch": "POST /calendar/v3/calendars/{calendarId}/events/watch", "calendar.channels.stop": "POST /calendar/v3/channels/stop",
	"calendar.events.insert": "POST /calendar/v3/calendars/{calendarId}/events", "calendar.events.get": "GET /calendar/v3/calendars/{calendarId}/events/{eventId}",
	"calendar.events.patch": "PATCH /calendar/v3/calendars/{calendarId}/events/{eventId}", "calendar.events.delete": "DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}",
}

// TestMain runs the tests, then checks that every request the client made
// in them is listed in DataUse.
func TestMain(m *testing.M) {
	code := m.Run()
	var listed []string
	for _, c := range dataUse.Calls {
		listed = append(listed, c.Method+" "+c.Path)
	}
	seenMethods.Range(func(k, _ any) bool {
		if call, ok := callPaths[k.(string)]; !ok || !slices.Contains(listed, call) {
			fmt.Fprintf(os.Stderr, "the client called %s, which DataUse does not list\n", k)
			code = 1
		}
		return true
	})
	os.Exit(code)
}
