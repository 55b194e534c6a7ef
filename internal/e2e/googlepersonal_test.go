package e2e

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/config"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// TestGooglePersonalAccounts: through the binary and its built-in Google
// sandbox, an admin installs Google in personal-account mode; a member
// connects her personal gmail.com account by driving the sandbox's
// consent form over HTTP (PKCE, state, id_token checked by Convene); an
// event in her Google calendar shapes the slot search; the owner, who
// connected nothing, cannot book Meet (422, nothing written); her Meet
// booking is one event in her personal calendar with the Meet link, and
// each attendee gets exactly one invitation (Convene's; Google mails
// nobody); Google's grant revoked at the sandbox makes her grant need
// re-authorization and her busy; disconnecting revokes at the sandbox.
func TestGooglePersonalAccounts(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	env = append(env, "CONVENE_GOOGLE_SANDBOX_CONTROLS=on")
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "example.test")
	sb := p.URL + "/google-sandbox/_sandbox"
	owner, member := "owner@example.test", tn.memberEmail
	const gmail = "max.perso@gmail.com"

	c.must("POST", "/api/v1/apps/google_meet/pre-approve", tn.owner, nil, 200)
	out := c.must("POST", "/api/v1/apps/google_meet/install", tn.owner, map[string]any{"domains": []string{tn.domain}, "mode": "personal"}, 200)
	if a := out["app"].(map[string]any); a["state"] != "installed" || a["mode"] != "personal" || a["connected_users"] != 0.0 {
		t.Fatalf("install: %v", out)
	}
	googleControl(t, "POST", sb+"/accounts", map[string]any{"email": gmail, "name": "Max Perso"}, nil)

	// Max connects his personal account: Convene's consent URL, the
	// sandbox's form, back to Convene's callback.
	conn := c.must("POST", "/api/v1/users/me/apps/google_meet/connect", tn.member, nil, 200)
	authURL := conn["authorize_url"].(string)
	if u, _ := url.Parse(authURL); !strings.HasPrefix(authURL, p.URL+"/google-sandbox/o/oauth2/v2/auth?") ||
		u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("access_type") != "offline" {
		t.Fatalf("authorize URL %s", authURL)
	}
	callback := googleConsent(t, authURL, gmail)
	if !strings.HasPrefix(callback, p.URL+"/oauth/google_meet/callback?") {
		t.Fatalf("the sandbox sent the browser to %s", callback)
	}
	var cb struct {
		Connection map[string]any `json:"connection"`
	}
	getJSON(t, callback, &cb)
	if cb.Connection["state"] != "connected" || cb.Connection["email"] != gmail {
		t.Fatalf("callback: %+v", cb)
	}
	// The state is single use.
	if st := getStatus(t, callback); st != http.StatusUnprocessableEntity {
		t.Errorf("the callback again: %d, want 422", st)
	}
	mine := c.must("GET", "/api/v1/users/me/apps", tn.member, nil, 200)
	if l := mine["connections"].([]any); len(l) != 1 || l[0].(map[string]any)["email"] != gmail {
		t.Fatalf("connections %v", mine)
	}
	view := c.must("GET", "/api/v1/apps", tn.owner, nil, 200)
	for _, a := range view["apps"].([]any) {
		if a := a.(map[string]any); a["id"] == "google_meet" && a["connected_users"] != 1.0 {
			t.Errorf("admin view %v", a)
		}
	}

	// An event in Max's Google calendar shapes the slots.
	day := time.Now().UTC().AddDate(0, 0, 14).Truncate(24 * time.Hour)
	for day.Weekday() != time.Wednesday {
		day = day.AddDate(0, 0, 1)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(h, m int) time.Time { return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, paris) }
	gtime := func(h, m int) map[string]any {
		return map[string]any{"dateTime": at(h, m).Format(time.RFC3339), "timeZone": "Europe/Paris"}
	}
	eventually(t, 30*time.Second, "the push channel of Max's calendar", func() bool {
		var chs struct {
			Channels []map[string]any `json:"channels"`
		}
		googleControl(t, "GET", sb+"/channels", nil, &chs)
		return len(chs.Channels) >= 1
	})
	googleControl(t, "POST", sb+"/calendars/"+gmail+"/events", map[string]any{"summary": "Dentist", "start": gtime(14, 0), "end": gtime(15, 0)}, nil)
	slots := func() []time.Time {
		q := "/api/v1/availability?attendees=" + member + "&duration=30&from=" + at(0, 0).UTC().Format(time.RFC3339) +
			"&to=" + at(0, 0).AddDate(0, 0, 1).UTC().Format(time.RFC3339) + "&timezone=Europe/Paris&limit=50"
		out := c.must("GET", q, tn.member, nil, 200)
		var s []time.Time
		for _, sl := range out["slots"].([]any) {
			st, _ := time.Parse(time.RFC3339, sl.(map[string]any)["start"].(string))
			s = append(s, st)
		}
		return s
	}
	has := func(s []time.Time, x time.Time) bool {
		for _, v := range s {
			if v.Equal(x) {
				return true
			}
		}
		return false
	}
	var got []time.Time
	defer func() {
		if t.Failed() {
			var calls map[string]any
			googleControl(t, "GET", sb+"/requests", nil, &calls)
			t.Logf("slots %v; Google's calls %v", got, calls)
		}
	}()
	eventually(t, 60*time.Second, "slots shaped by Max's Google calendar", func() bool {
		got = slots()
		return has(got, at(10, 0)) && !has(got, at(14, 0)) && !has(got, at(14, 30))
	})

	// Olive connected no Google account: Meet is refused before anything
	// is written.
	book := map[string]any{"subject": "Review", "start_time": at(10, 0).Format("2006-01-02T15:04"), "timezone": "Europe/Paris", "duration": 30,
		"video_provider": "google_meet", "attendees": []map[string]string{{"email": member}, {"email": "guest@partner.test"}}}
	before := c.must("GET", "/api/v1/meetings?from="+at(0, 0).UTC().Format(time.RFC3339)+"&to="+at(0, 0).AddDate(0, 0, 2).UTC().Format(time.RFC3339), tn.owner, nil, 200)
	refused := c.must("POST", "/api/v1/meetings", tn.owner, book, 422)
	if d, _ := refused["detail"].(string); !strings.Contains(d, "connect it") {
		t.Errorf("refusal %v", refused)
	}
	after := c.must("GET", "/api/v1/meetings?from="+at(0, 0).UTC().Format(time.RFC3339)+"&to="+at(0, 0).AddDate(0, 0, 2).UTC().Format(time.RFC3339), tn.owner, nil, 200)
	if len(after["meetings"].([]any)) != len(before["meetings"].([]any)) {
		t.Errorf("a refused booking wrote a meeting: %v", after)
	}

	// Max books Meet: one event in his personal calendar with the link.
	book["attendees"] = []map[string]string{{"email": owner}, {"email": "guest@partner.test"}}
	var callsBefore, callsAfter struct {
		Calls map[string]int `json:"calls"`
	}
	googleControl(t, "GET", sb+"/requests", nil, &callsBefore)
	m := c.must("POST", "/api/v1/meetings", tn.member, book, 201)
	id := m["id"].(string)
	var join string
	eventually(t, 60*time.Second, "the Meet link", func() bool {
		got := c.must("GET", "/api/v1/meetings/"+id, tn.member, nil, 200)
		if v, ok := got["video"].(map[string]any); ok {
			join, _ = v["join_url"].(string)
		}
		return join != ""
	})
	var evs struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	googleControl(t, "GET", sb+"/calendars/"+gmail+"/events", nil, &evs)
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
		t.Fatalf("%d events of the meeting in Max's Google calendar, want 1", n)
	}
	var mails struct {
		Mails []map[string]any `json:"mails"`
	}
	googleControl(t, "GET", sb+"/mails", nil, &mails)
	if len(mails.Mails) != 0 {
		t.Errorf("Google mailed %v: attendees would get two invitations", mails.Mails)
	}
	eventually(t, 30*time.Second, "one invitation per attendee", func() bool {
		return mailsTo(t, c, tn.owner, id, owner) == 1 && mailsTo(t, c, tn.owner, id, "guest@partner.test") == 1
	})
	// The booking's calendar write gives the event its attendees.
	eventually(t, 30*time.Second, "the attendees in Max's Google event", func() bool {
		googleControl(t, "GET", sb+"/calendars/"+gmail+"/events", nil, &evs)
		for _, r := range evs.Events {
			if a, _ := r.Event["attendees"].([]any); r.Event["summary"] == "Review" && len(a) >= 2 {
				return true
			}
		}
		return false
	})
	googleControl(t, "GET", sb+"/requests", nil, &callsAfter)
	delta := map[string]int{}
	for k, v := range callsAfter.Calls {
		if d := v - callsBefore.Calls[k]; d != 0 {
			delta[k] = d
		}
	}
	t.Logf("Google calls of the booking (with the syncs its events caused): %v", delta)

	// Max removes Convene's access in his Google account: the next use of
	// his token fails to renew; his grant needs him and he is busy.
	googleControl(t, "DELETE", sb+"/grants?"+url.Values{"email": {gmail}, "client_id": {config.SandboxGoogleClientID}}.Encode(), nil, nil)
	googleControl(t, "POST", sb+"/calendars/"+gmail+"/events", map[string]any{"summary": "Call", "start": gtime(16, 0), "end": gtime(17, 0)}, nil)
	eventually(t, 60*time.Second, "the grant needing re-authorization", func() bool {
		mine := c.must("GET", "/api/v1/users/me/apps", tn.member, nil, 200)
		return mine["connections"].([]any)[0].(map[string]any)["state"] == "needs_reauthorization"
	})
	// Max is told, once, by a notice in Convene's outbox.
	eventually(t, 30*time.Second, "the notice to Max", func() bool {
		n := 0
		for _, m := range c.must("GET", "/api/v1/outbox", tn.owner, nil, 200)["mail"].([]any) {
			m := m.(map[string]any)
			if to := m["to"].([]any); m["kind"] == "notice" && len(to) == 1 && to[0] == member {
				n++
			}
		}
		return n == 1
	})
	q := "/api/v1/availability?attendees=" + member + "&duration=30&from=" + at(0, 0).UTC().Format(time.RFC3339) +
		"&to=" + at(0, 0).AddDate(0, 0, 1).UTC().Format(time.RFC3339) + "&timezone=Europe/Paris&limit=50"
	eventually(t, 60*time.Second, "Max busy with a problem naming Google", func() bool {
		av := c.must("GET", q, tn.member, nil, 200)
		probs, _ := av["problems"].([]any)
		return len(av["slots"].([]any)) == 0 && len(probs) == 1 && strings.Contains(probs[0].(map[string]any)["problem"].(string), "Google")
	})

	// He reconnects, then disconnects: revoked at the sandbox.
	conn = c.must("POST", "/api/v1/users/me/apps/google_meet/connect", tn.member, nil, 200)
	getJSON(t, googleConsent(t, conn["authorize_url"].(string), gmail), &cb)
	if cb.Connection["state"] != "connected" {
		t.Fatalf("reconnect: %+v", cb)
	}
	res := c.must("DELETE", "/api/v1/users/me/apps/google_meet/connection", tn.member, nil, 200)
	if res["revoked"] != true {
		t.Errorf("disconnect %v", res)
	}
	var grants struct {
		Grants []map[string]any `json:"grants"`
	}
	googleControl(t, "GET", sb+"/grants?"+url.Values{"email": {gmail}}.Encode(), nil, &grants)
	for _, g := range grants.Grants {
		if g["revoked"] != true {
			t.Errorf("grant at the sandbox after disconnecting: %v", g)
		}
	}
	if l := c.must("GET", "/api/v1/users/me/apps", tn.member, nil, 200)["connections"].([]any); l[0].(map[string]any)["state"] != "not_connected" {
		t.Errorf("after disconnecting: %v", l)
	}
}

var (
	consentHidden = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	consentBox    = regexp.MustCompile(`<input type="checkbox" name="granted" value="([^"]+)" checked>`)
	consentAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	noFollow      = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
)

// googleConsent signs in as email on the sandbox's consent page of authURL,
// keeps every scope checked, allows, and returns where the sandbox sends
// the browser.
func googleConsent(t *testing.T, authURL, email string) string {
	t.Helper()
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	action := consentAction.FindStringSubmatch(page)
	if resp.StatusCode != 200 || action == nil {
		t.Fatalf("consent page: %d %s", resp.StatusCode, page)
	}
	form := url.Values{"email": {email}, "decision": {"allow"}}
	for _, m := range consentHidden.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for _, m := range consentBox.FindAllStringSubmatch(page, -1) {
		form.Add("granted", html.UnescapeString(m[1]))
	}
	resp, err = noFollow.PostForm(html.UnescapeString(action[1]), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("consent: %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// getJSON fetches u asking for JSON and decodes it.
func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

func getStatus(t *testing.T, u string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
