package msgraph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/convene/convene/internal/graphsandbox"
	"github.com/convene/convene/internal/video"
)

// ccTokens takes client-credentials tokens of a tenant from the
// sandbox's identity platform, as the marketplace does.
type ccTokens struct {
	cc clientcredentials.Config
}

func (c *ccTokens) Token(ctx context.Context) (string, error) {
	t, err := c.cc.Token(ctx)
	if err != nil {
		return "", err
	}
	return t.AccessToken, nil
}

func (c *ccTokens) Refresh(ctx context.Context, _ string) (string, error) { return c.Token(ctx) }

type graphSandbox struct {
	t   *testing.T
	url string
}

func (sb graphSandbox) control(method, path string, body any) map[string]any {
	sb.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, sb.url+"/_sandbox"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		sb.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		sb.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	return m
}

func newGraphSandbox(t *testing.T) (graphSandbox, *Client, *sleeper) {
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	srv, err := graphsandbox.New(graphsandbox.Options{BaseURL: ts.URL, Controls: true, Domains: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h = srv
	a := App(Config{GraphURL: ts.URL + "/v1.0", LoginURL: ts.URL, ClientID: graphsandbox.DefaultClientID, ClientSecret: graphsandbox.DefaultClientSecret})
	tokens := &ccTokens{cc: clientcredentials.Config{ClientID: a.Auth.ClientID, ClientSecret: a.Auth.ClientSecret,
		TokenURL: strings.ReplaceAll(a.Auth.TokenURL, "{tenant}", graphsandbox.DefaultTenantID), Scopes: []string{a.Auth.Scope}}}
	sl := &sleeper{}
	c := &Client{BaseURL: ts.URL + "/v1.0", HTTPClient: ts.Client(), Tokens: tokens, Sleep: sl.sleep}
	return graphSandbox{t: t, url: ts.URL}, c, sl
}

// TestAgainstSandbox: the client's calendars and Teams against the
// built-in Graph sandbox: busy time of a recurring series, a tentative
// event and an out-of-office day through getSchedule; the same through
// calendarView delta and its deltaLink; a subscription validated and
// notified at a receiver running Receive; an event with a Teams meeting
// written exactly once through a 429 and a 503; createOrGet once;
// working hours mapped from Windows zone names.
func TestAgainstSandbox(t *testing.T) {
	sb, c, sl := newGraphSandbox(t)
	ctx := context.Background()
	cal, teams := Calendars{c}, Teams{c}
	sb.control("POST", "/users", map[string]any{"mail": "ann@example.com", "displayName": "Ann Lee", "timeZone": "W. Europe Standard Time"})
	sb.control("POST", "/users", map[string]any{"mail": "bob@example.com", "displayName": "Bob Ray", "timeZone": "Eastern Standard Time"})
	monday := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	at := func(d, h int) map[string]string {
		return map[string]string{"dateTime": monday.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour).Format("2006-01-02T15:04:05"), "timeZone": "UTC"}
	}
	sb.control("POST", "/users/ann@example.com/events", map[string]any{"subject": "Standup", "showAs": "busy", "start": at(0, 9), "end": at(0, 10),
		"recurrence": map[string]any{"pattern": map[string]any{"type": "daily", "interval": 1},
			"range": map[string]any{"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 5}}})
	sb.control("POST", "/users/ann@example.com/events", map[string]any{"subject": "Maybe", "showAs": "tentative", "start": at(1, 13), "end": at(1, 14),
		"responseStatus": map[string]any{"response": "tentativelyAccepted"}})
	sb.control("POST", "/users/bob@example.com/events", map[string]any{"subject": "Away", "showAs": "oof", "isAllDay": true,
		"start": map[string]string{"dateTime": "2027-01-06T00:00:00", "timeZone": "UTC"}, "end": map[string]string{"dateTime": "2027-01-07T00:00:00", "timeZone": "UTC"}})

	fb, err := cal.FreeBusy(ctx, []string{"ann@example.com", "bob@example.com"}, monday, monday.AddDate(0, 0, 7))
	if err != nil {
		t.Fatal(err)
	}
	if ann := fb["ann@example.com"]; ann.Err != nil || len(ann.Busy) != 5 || !ann.Busy[0].Start.Equal(monday.Add(9*time.Hour)) || len(ann.Tentative) != 1 {
		t.Errorf("ann: %+v", ann)
	}
	if bob := fb["bob@example.com"]; bob.Err != nil || len(bob.Busy) != 1 || bob.Busy[0].End.Sub(bob.Busy[0].Start) != 24*time.Hour {
		t.Errorf("bob: %+v", bob)
	}

	cs, err := cal.Changes(ctx, "ann@example.com", "", monday, monday.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	tentative := 0
	for _, o := range cs.Objects {
		if bytes.Contains(o.ICS, []byte("STATUS:TENTATIVE")) {
			tentative++
		}
	}
	if !cs.Full || len(cs.Objects) != 6 || tentative != 1 || cs.Cursor == "" {
		t.Errorf("full sync: %d objects, %d tentative, cursor %q", len(cs.Objects), tentative, cs.Cursor)
	}

	// A subscription, validated and notified at Receive.
	events := make(chan video.Event, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		d, err := Receive(video.WebhookRequest{Header: r.Header, Query: r.URL.Query(), Body: body}, time.Now())
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		if d.ReplyText != "" {
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, d.ReplyText)
			return
		}
		for _, e := range d.Events {
			events <- e
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer hook.Close()
	ch, err := cal.Watch(ctx, "ann@example.com", hook.URL+"/webhooks/teams", "secret-token-1")
	if err != nil {
		t.Fatal(err)
	}
	sb.control("POST", "/users/ann@example.com/events", map[string]any{"subject": "Added in Outlook", "showAs": "busy", "start": at(2, 15), "end": at(2, 16)})
	select {
	case e := <-events:
		if e.Kind != video.EventCalendarChanged || e.Channel != ch.ID || e.ChannelToken != "secret-token-1" {
			t.Errorf("notification %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification of the change made in Outlook")
	}
	cs, err = cal.Changes(ctx, "ann@example.com", cs.Cursor, monday, monday.AddDate(0, 0, 14))
	if err != nil || cs.Full || len(cs.Objects) != 1 || !bytes.Contains(cs.Objects[0].ICS, []byte("Added in Outlook")) {
		t.Errorf("incremental: %+v %v", cs, err)
	}
	if _, err := cal.Renew(ctx, *ch); err != nil {
		t.Errorf("renew: %v", err)
	}
	if err := cal.Unwatch(ctx, *ch); err != nil {
		t.Errorf("unwatch: %v", err)
	}

	// A booked meeting through a 429 and a 503: one event.
	sb.control("POST", "/faults", map[string]any{"status": 429, "retryAfter": 2, "method": "POST", "path": "/v1.0/users/ann@example.com/events"})
	sb.control("POST", "/faults", map[string]any{"status": 503, "retryAfter": 1, "method": "POST", "path": "/v1.0/users/ann@example.com/events"})
	ev := video.CalendarEvent{Ref: video.CreateRef{Key: "booking-1"}, Subject: "Plan", Start: monday.Add(3*24*time.Hour + 10*time.Hour),
		End: monday.Add(3*24*time.Hour + 11*time.Hour), TimeZone: "Europe/Paris", Conference: true, Notify: true,
		Attendees: []video.Attendee{{Email: "guest@example.org", Name: "Guest"}}}
	ref, err := cal.PutEvent(ctx, "ann@example.com", ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(sl.waits) != 2 || sl.waits[0] != 2*time.Second {
		t.Errorf("waits %v", sl.waits)
	}
	if ref.Meeting == nil || !strings.Contains(ref.Meeting.JoinURL, "/l/meetup-join/") {
		t.Errorf("no Teams link: %+v", ref)
	}
	if again, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil || again.ID != ref.ID {
		t.Errorf("a retry made another event: %v %+v", err, again)
	}
	cs, err = cal.Changes(ctx, "ann@example.com", "", monday, monday.AddDate(0, 0, 14))
	if err != nil {
		t.Fatal(err)
	}
	plans := 0
	for _, o := range cs.Objects {
		if bytes.Contains(o.ICS, []byte("SUMMARY:Plan")) {
			plans++
		}
	}
	if plans != 1 {
		t.Errorf("%d events of the booking, want exactly one", plans)
	}
	if err := cal.DeleteEvent(ctx, "ann@example.com", ref.ID, time.Time{}, true); err != nil {
		t.Errorf("delete: %v", err)
	}
	if err := cal.DeleteEvent(ctx, "ann@example.com", ref.ID, time.Time{}, true); err != nil {
		t.Errorf("delete again: %v", err)
	}

	m1, err := teams.CreateOnce(ctx, "bob@example.com", video.Spec{Topic: "Sync", StartTime: monday.Add(14 * time.Hour), Duration: 30}, video.CreateRef{Key: "j1"})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := teams.CreateOnce(ctx, "bob@example.com", video.Spec{Topic: "Sync", StartTime: monday.Add(14 * time.Hour), Duration: 30}, video.CreateRef{Key: "j1"})
	if err != nil || m2.ID != m1.ID || m1.JoinURL == "" {
		t.Errorf("createOrGet: %+v %+v %v", m1, m2, err)
	}
	if got, err := teams.Get(ctx, m1.ID, ""); err != nil || got.JoinURL != m1.JoinURL {
		t.Errorf("get: %v", err)
	}
	if err := teams.Delete(ctx, m1.ID, ""); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := teams.Get(ctx, m1.ID, ""); !errors.Is(err, video.ErrNotFound) {
		t.Errorf("deleted meeting: %v", err)
	}

	wh, err := cal.WorkingHours(ctx, "bob@example.com")
	if err != nil || wh.TimeZone != "America/New_York" || len(wh.Days) == 0 {
		t.Errorf("working hours %+v %v", wh, err)
	}
	if _, err := cal.WorkingHours(ctx, "nobody@elsewhere.example"); !errors.Is(err, video.ErrHostNotFound) {
		t.Errorf("a user of no tenant domain: %v", err)
	}
}

// TestSandboxPutEventMovedOccurrence: a series written with a moved
// occurrence and a cancelled one has the first as an exception in Outlook
// (found by its originalStart through …/instances, now at its new time)
// and not the second; writing it again, as a retried job does, changes
// nothing more; an occurrence Outlook no longer has is left alone.
func TestSandboxPutEventMovedOccurrence(t *testing.T) {
	sb, c, _ := newGraphSandbox(t)
	ctx := context.Background()
	cal := Calendars{c}
	sb.control("POST", "/users", map[string]any{"mail": "ann@example.com", "displayName": "Ann Lee", "timeZone": "W. Europe Standard Time"})
	paris, _ := time.LoadLocation("Europe/Paris")
	ev := video.CalendarEvent{Ref: video.CreateRef{Key: "app-event/m1"}, Subject: "Weekly",
		Start: time.Date(2027, 1, 4, 9, 0, 0, 0, paris), End: time.Date(2027, 1, 4, 10, 0, 0, 0, paris), TimeZone: "Europe/Paris",
		RRule: "FREQ=WEEKLY;BYDAY=MO;COUNT=4", ExDates: []time.Time{time.Date(2027, 1, 25, 9, 0, 0, 0, paris)},
		Moved: []video.MovedOccurrence{{Original: time.Date(2027, 1, 11, 9, 0, 0, 0, paris),
			Start: time.Date(2027, 1, 12, 15, 0, 0, 0, paris), End: time.Date(2027, 1, 12, 16, 0, 0, 0, paris)}}}
	var ref *video.EventRef
	for range 2 {
		var err error
		if ref, err = cal.PutEvent(ctx, "ann@example.com", ev); err != nil {
			t.Fatal(err)
		}
	}
	fb, err := cal.FreeBusy(ctx, []string{"ann@example.com"}, time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, b := range fb["ann@example.com"].Busy {
		starts = append(starts, b.Start.In(paris).Format("01-02 15:04"))
	}
	if got := strings.Join(starts, " "); got != "01-04 09:00 01-12 15:00 01-18 09:00" {
		t.Fatalf("the series in Outlook: %s (event %s)", got, ref.ID)
	}
	// Moved once more: the occurrence is found by its originalStart, not
	// by where it stands now.
	ev.Moved[0].Start, ev.Moved[0].End = time.Date(2027, 1, 13, 11, 0, 0, 0, paris), time.Date(2027, 1, 13, 12, 0, 0, 0, paris)
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil {
		t.Fatal(err)
	}
	fb, err = cal.FreeBusy(ctx, []string{"ann@example.com"}, time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	starts = starts[:0]
	for _, b := range fb["ann@example.com"].Busy {
		starts = append(starts, b.Start.In(paris).Format("01-02 15:04"))
	}
	if got := strings.Join(starts, " "); got != "01-04 09:00 01-13 11:00 01-18 09:00" {
		t.Fatalf("the series after a second move: %s", got)
	}
	ev.Moved[0].Original = time.Date(2027, 3, 1, 9, 0, 0, 0, paris) // past the series' end
	if _, err := cal.PutEvent(ctx, "ann@example.com", ev); err != nil {
		t.Fatalf("an occurrence Outlook does not have: %v", err)
	}
}
