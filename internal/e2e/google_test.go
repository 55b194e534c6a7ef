package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestGoogleWorkspace: through the binary and its built-in Google
// sandbox, an admin installs Google Workspace with the sandbox's
// service-account key (delegated by the sandbox for every domain); two
// people's Google calendars (a daily series with a moved occurrence, a
// declined invitation, an all-day event) shape the slot search; a meeting
// booked with Google Meet through Google's 403 rateLimitExceeded, 429 and
// a 503 whose request took effect is one event in the organizer's Google
// calendar, with a Meet link, and Google mails nobody (Convene sends the
// invitations); an event added in Google reaches the slots.
func TestGoogleWorkspace(t *testing.T) {
	dns := dnstest.Start(t)
	dataDir, env := serveEnv(t, "sqlite", dns)
	env = append(env, "CONVENE_GOOGLE_SANDBOX_CONTROLS=on")
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "example.test")
	sb := p.URL + "/google-sandbox/_sandbox"
	owner, member := "owner@example.test", tn.memberEmail

	// Install with the key.
	raw, err := os.ReadFile(filepath.Join(dataDir, "google-sandbox-key.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key map[string]any
	if err := json.Unmarshal(raw, &key); err != nil {
		t.Fatal(err)
	}
	c.must("POST", "/api/v1/apps/google_meet/pre-approve", tn.owner, nil, 200)
	out := c.must("POST", "/api/v1/apps/google_meet/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "service_account_key": key}, 200)
	if out["app"].(map[string]any)["state"] != "installed" {
		t.Fatalf("install: %v", out)
	}
	for _, u := range []string{owner, member} {
		googleControl(t, "POST", sb+"/users", map[string]any{"email": u, "time_zone": "Europe/Paris"}, nil)
	}
	// The calendar core syncs both calendars and opens a push channel on
	// each; the changes below are made in Google after that, as they
	// would be. (A change made between the core's full sync and its
	// watch would wait for the periodic sync: h/plumb's order.)
	eventually(t, 30*time.Second, "the push channels", func() bool {
		var chs struct {
			Channels []map[string]any `json:"channels"`
		}
		googleControl(t, "GET", sb+"/channels", nil, &chs)
		return len(chs.Channels) >= 2
	})

	// The day: a Tuesday two weeks ahead. Olive's daily series
	// 09:00-12:00 Paris, with the day's occurrence moved in Google to
	// 14:00-16:00. Max declined 12:00-13:00 and is busy 16:00-17:00; Max's
	// all-day event fills the next day.
	day := time.Now().UTC().AddDate(0, 0, 14).Truncate(24 * time.Hour)
	for day.Weekday() != time.Tuesday {
		day = day.AddDate(0, 0, 1)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(d time.Time, h, m int) map[string]any {
		return map[string]any{"dateTime": time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, paris).Format(time.RFC3339), "timeZone": "Europe/Paris"}
	}
	first := day.AddDate(0, 0, -2)
	var series map[string]any
	googleControl(t, "POST", sb+"/calendars/"+owner+"/events", map[string]any{"summary": "Planning", "start": at(first, 9, 0), "end": at(first, 12, 0),
		"recurrence": []string{"RRULE:FREQ=DAILY;COUNT=5"}}, &series)
	moved := time.Date(day.Year(), day.Month(), day.Day(), 9, 0, 0, 0, paris).UTC().Format("20060102T150405Z")
	googleControl(t, "PATCH", sb+"/calendars/"+owner+"/events/"+series["id"].(string)+"_"+moved, map[string]any{"start": at(day, 14, 0), "end": at(day, 16, 0)}, nil)
	googleControl(t, "POST", sb+"/calendars/"+member+"/events", map[string]any{"summary": "Declined", "start": at(day, 12, 0), "end": at(day, 13, 0),
		"attendees": []map[string]any{{"email": "carol@partner.test", "organizer": true, "responseStatus": "accepted"}, {"email": member, "responseStatus": "declined"}}}, nil)
	googleControl(t, "POST", sb+"/calendars/"+member+"/events", map[string]any{"summary": "Busy", "start": at(day, 16, 0), "end": at(day, 17, 0)}, nil)
	next := day.AddDate(0, 0, 1)
	googleControl(t, "POST", sb+"/calendars/"+member+"/events", map[string]any{"summary": "Offsite",
		"start": map[string]any{"date": next.Format(time.DateOnly)}, "end": map[string]any{"date": next.AddDate(0, 0, 1).Format(time.DateOnly)}}, nil)

	slots := func(from time.Time) []time.Time {
		avail := "/api/v1/availability?attendees=" + owner + "," + member + "&duration=30&from=" + from.Format(time.RFC3339) +
			"&to=" + from.AddDate(0, 0, 1).Format(time.RFC3339) + "&timezone=Europe/Paris&limit=50"
		out := c.must("GET", avail, tn.owner, nil, 200)
		var s []time.Time
		for _, sl := range out["slots"].([]any) {
			st, _ := time.Parse(time.RFC3339, sl.(map[string]any)["start"].(string))
			s = append(s, st)
		}
		return s
	}
	paris9 := func(d time.Time, h, m int) time.Time {
		return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, paris)
	}
	has := func(s []time.Time, t time.Time) bool {
		for _, x := range s {
			if x.Equal(t) {
				return true
			}
		}
		return false
	}
	inside := func(s []time.Time, from, to time.Time) bool {
		for _, x := range s {
			if !x.Before(from) && x.Before(to) {
				return true
			}
		}
		return false
	}
	var got, nextDay []time.Time
	defer func() {
		if t.Failed() {
			var calls map[string]any
			googleControl(t, "GET", sb+"/requests", nil, &calls)
			t.Logf("slots %v, the next day %v; Google's calls %v", got, nextDay, calls)
		}
	}()
	// The moved occurrence frees 09:00-12:00 on the day and fills
	// 14:00-16:00; the declined invitation blocks nothing; the all-day
	// event fills the next day. Each change reaches Convene by its own
	// push and sync: the answer is awaited whole, since any one part of
	// it may come first.
	eventually(t, 60*time.Second, "slots shaped by the Google calendars", func() bool {
		got, nextDay = slots(day), slots(next)
		return has(got, paris9(day, 10, 0)) && has(got, paris9(day, 12, 0)) && has(got, paris9(day, 12, 30)) &&
			!inside(got, paris9(day, 14, 0), paris9(day, 17, 0)) && len(nextDay) == 0
	})

	// Book with Google Meet through Google's faults on the insert: 403
	// rateLimitExceeded, 429, and a 503 after the event was made.
	for _, f := range []map[string]any{
		{"status": 403, "method": "POST", "path": "/calendar/v3/calendars/"},
		{"status": 429, "method": "POST", "path": "/calendar/v3/calendars/"},
		{"status": 503, "method": "POST", "path": "/calendar/v3/calendars/", "commit": true},
	} {
		googleControl(t, "POST", sb+"/faults", f, nil)
	}
	m := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Review", "start_time": paris9(day, 10, 0).Format("2006-01-02T15:04"),
		"timezone": "Europe/Paris", "duration": 30, "video_provider": "google_meet",
		"attendees": []map[string]string{{"email": owner}, {"email": "guest@partner.test"}}}, 201)
	id := m["id"].(string)
	var join string
	eventually(t, 60*time.Second, "the Meet link", func() bool {
		got := c.must("GET", "/api/v1/meetings/"+id, tn.member, nil, 200)
		if v, ok := got["video"].(map[string]any); ok {
			join, _ = v["join_url"].(string)
		}
		return join != ""
	})
	if !strings.Contains(join, "/google-sandbox/meet/") {
		t.Errorf("join URL %q", join)
	}
	var evs struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	googleControl(t, "GET", sb+"/calendars/"+member+"/events", nil, &evs)
	n := 0
	for _, r := range evs.Events {
		if r.Event["summary"] == "Review" && r.Event["status"] != "cancelled" {
			n++
			if r.Event["hangoutLink"] != join {
				t.Errorf("the event's Meet link %v, the meeting's %q", r.Event["hangoutLink"], join)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d events of the meeting in the organizer's Google calendar, want 1", n)
	}
	var mails struct {
		Mails []map[string]any `json:"mails"`
	}
	googleControl(t, "GET", sb+"/mails", nil, &mails)
	if len(mails.Mails) != 0 {
		t.Errorf("Google mailed %v: guests would get two invitations", mails.Mails)
	}

	// A change made in Google reaches Convene: Olive takes 12:00-13:00.
	googleControl(t, "POST", sb+"/calendars/"+owner+"/events", map[string]any{"summary": "Lunch call", "start": at(day, 12, 0), "end": at(day, 13, 0)}, nil)
	eventually(t, 60*time.Second, "the Google change in the slots", func() bool {
		got = slots(day)
		return !has(got, paris9(day, 12, 0)) && !has(got, paris9(day, 12, 30))
	})
	// Google pushed to Convene's webhook: the channel's "sync" message
	// and the changes, all accepted.
	var pushes struct {
		Pushes []struct {
			ResourceState string `json:"resource_state"`
			Address       string `json:"address"`
			Status        int    `json:"status"`
		} `json:"pushes"`
	}
	states := map[string]int{}
	eventually(t, 30*time.Second, "Google's pushes at the webhook", func() bool {
		googleControl(t, "GET", sb+"/pushes", nil, &pushes)
		states = map[string]int{}
		for _, ps := range pushes.Pushes {
			if ps.Address != p.URL+"/webhooks/google_meet" || ps.Status/100 != 2 {
				t.Fatalf("a push %+v", ps)
			}
			states[ps.ResourceState]++
		}
		return states["sync"] >= 2 && states["exists"] >= 1
	})
	t.Logf("pushes accepted: %v", states)
}

// googleControl calls a test control of the Google sandbox and decodes
// its answer into out.
func googleControl(t *testing.T, method, u string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
	}
}
