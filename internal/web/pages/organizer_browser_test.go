package pages_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-message"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/browsertest"
	"github.com/convene/convene/internal/chrometest"
	"github.com/convene/convene/internal/store/storetest"
)

// The organizer's and guests' pages in Chromium, on the real server: an
// organizer finds a time and books it with a sandbox Zoom meeting (the
// times found live, by the page's script), reschedules and cancels it; a
// guest picks a time on a proposal's page; a visitor books on a personal
// booking page through the link mailed to them. Every page is checked
// with axe-core (light and dark), weighed and photographed.

const annPassword = "correct horse battery"

// setupInBrowser sets Convene up on its setup page (ann, Europe/Paris)
// and returns an API token made on the dashboard.
func setupInBrowser(t *testing.T, b *chrometest.Browser, cv *chrometest.Convene) string {
	t.Helper()
	b.Navigate(cv.URL + "/setup")
	b.Fill("#f-account", "Acme")
	b.Fill("#f-admin_name", "Ann Admin")
	b.Fill("#f-admin_email", "ann@acme.example")
	b.Fill("#f-password", annPassword)
	b.Fill("#f-password_confirm", annPassword)
	b.Fill("#f-timezone", "Europe/Paris")
	b.Submit("button.primary")
	b.Fill("#f-name", "tests")
	b.Submit("form[action='/tokens'] button")
	token := b.Text("#new-token")
	if !strings.HasPrefix(token, "cvn_") {
		t.Fatalf("no token after setup: %q", token)
	}
	return token
}

// mustAPI calls the API and fails unless it answers want.
func mustAPI(t *testing.T, method, u, token string, body any, want int) map[string]any {
	t.Helper()
	st, out := api(t, method, u, token, body)
	if st != want {
		t.Fatalf("%s %s: %d, want %d: %v", method, u, st, want, out)
	}
	return out
}

// domainAndBob verifies acme.example (a name reserved for documentation:
// verified without DNS on the sandbox) and adds bob.
func domainAndBob(t *testing.T, cv *chrometest.Convene, token string) {
	t.Helper()
	mustAPI(t, "POST", cv.URL+"/api/v1/domains", token, map[string]any{"domain": "acme.example"}, 201)
	mustAPI(t, "POST", cv.URL+"/api/v1/domains/acme.example/verify", token, nil, 200)
	mustAPI(t, "POST", cv.URL+"/api/v1/users", token, map[string]any{"email": "bob@acme.example", "name": "Bob", "timezone": "Europe/Paris"}, 201)
}

// installZoom installs the sandbox's Zoom through the API and its consent
// page, and makes it the account's default.
func installZoom(t *testing.T, cv *chrometest.Convene, token string) {
	t.Helper()
	mustAPI(t, "POST", cv.URL+"/api/v1/apps/zoom/pre-approve", token, nil, 200)
	out := mustAPI(t, "POST", cv.URL+"/api/v1/apps/zoom/install", token, map[string]any{"domains": []string{"acme.example"}}, 200)
	bt := browsertest.New(t)
	consent := bt.Get(out["authorize_url"].(string))
	back := bt.Submit(consent, map[string]string{"decision": "approve"})
	if back.Status != http.StatusFound {
		t.Fatalf("consent: %d %s", back.Status, back.Body)
	}
	if cb := bt.Get(back.Location); cb.Status != 200 || !strings.Contains(cb.Body, "Zoom is installed") {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	mustAPI(t, "PATCH", cv.URL+"/api/v1/account", token, map[string]any{"default_video_provider": "zoom"}, 200)
}

// nextWeekday is the date of the next Monday at least two days away, in
// Paris.
func nextMonday() time.Time {
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Now().In(paris)
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, paris).AddDate(0, 0, 2)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// TestBrowserOrganizer: ann sets up, installs Zoom, and on the new
// meeting form finds a time with bob (the times appear as she types: the
// page's script asks the live route) and books it; the meeting's page has
// every Zoom detail with the start link; she reschedules it, edits its
// subject, then cancels it, and Zoom follows. Her other pages are checked on the way.
func TestBrowserOrganizer(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) { browserOrganizer(t, engine) })
	}
}

// withEngine adds to env the database of engine for the binary: SQLite in
// its data directory (the default), or a fresh PostgreSQL schema.
func withEngine(t *testing.T, engine string, env map[string]string) map[string]string {
	t.Helper()
	if engine == "postgres" {
		env["CONVENE_DATABASE_URL"] = storetest.URL(t, engine)
	}
	return env
}

func browserOrganizer(t *testing.T, engine string) {
	cv := chrometest.Serve(t, withEngine(t, engine, map[string]string{"CONVENE_ZOOM_SANDBOX_CONTROLS": "on"}))
	b := chrometest.Start(t)
	b.TimeZone("Europe/Paris")
	token := setupInBrowser(t, b, cv)
	domainAndBob(t, cv, token)
	installZoom(t, cv, token)

	mon := nextMonday()
	b.Navigate(cv.URL + "/meetings/new")
	check(t, b, "new-meeting", true)
	b.Fill("#f-subject", "Design review")
	b.Fill("#f-from", mon.Format("2006-01-02"))
	b.Fill("#f-to", mon.AddDate(0, 0, 2).Format("2006-01-02"))
	b.Fill("#f-duration", "45")
	b.Type("#f-attendees", "Bob <bob@acme.example>")
	// The script finds the times as the form changes: no submit.
	b.Do("wait for the live times", chromedp.WaitVisible("#slots input[name=slot]"))
	n := chrometest.Eval[int](b, `document.querySelectorAll("#slots input[name=slot]").length`)
	if n < 5 {
		t.Fatalf("%d live times", n)
	}
	second := chrometest.Eval[string](b, `document.querySelectorAll("#slots input[name=slot]")[1].value`)
	chrometest.Eval[bool](b, `document.querySelectorAll("#slots input[name=slot]")[1].checked = true`)
	check(t, b, "new-meeting-times", false)
	b.Viewport(390, 844)
	b.Screenshot("new-meeting-phone")
	b.Viewport(1024, 800)
	b.Submit("#book")
	if !strings.Contains(b.URL(), "/meetings/mtg_") || !strings.Contains(b.Text(".flash"), "The meeting is booked") {
		t.Fatalf("after booking: %s %q", b.URL(), b.Text("main"))
	}
	id := b.URL()[strings.LastIndex(b.URL(), "/")+1:]
	if got := b.Text("#status"); got != "booked" {
		t.Fatalf("status %q", got)
	}
	if !b.Has("#start-url") || !strings.Contains(b.Text("#join-url"), "/zoom-sandbox/j/") || b.Text("#video-id") == "" || !b.Has("#invitation") {
		t.Fatalf("the meeting's page lacks video details: %s", b.Text("main"))
	}
	v := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, token, nil, 200)
	if at, _ := time.Parse(time.RFC3339, v["start_time"].(string)); !at.Equal(mustTime(t, second)) || v["duration"].(float64) != 45 {
		t.Fatalf("booked at %v for %v, chose %s", v["start_time"], v["duration"], second)
	}
	check(t, b, "meeting", true)
	b.Viewport(390, 844)
	b.Screenshot("meeting-phone")
	b.Viewport(1024, 800)

	b.Navigate(cv.URL + "/meetings?from=" + mon.Format("2006-01-02"))
	if !strings.Contains(b.Text("main"), "Design review") {
		t.Fatalf("the list: %s", b.Text("main"))
	}
	check(t, b, "meetings", true)
	b.Navigate(cv.URL + "/meetings?view=week&from=" + mon.Format("2006-01-02"))
	check(t, b, "meetings-week", true)

	// Reschedule to Wednesday 16:00.
	b.Navigate(cv.URL + "/meetings/" + id)
	b.Submit("#reschedule")
	check(t, b, "reschedule", false)
	wed := mon.AddDate(0, 0, 2)
	b.Fill("#f-date", wed.Format("2006-01-02"))
	b.Fill("#f-time", "16:00")
	b.Submit("button.primary")
	if !strings.Contains(b.Text(".flash"), "The meeting is moved") {
		t.Fatalf("after rescheduling: %s %q", b.URL(), b.Text("main"))
	}
	v = mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, token, nil, 200)
	if !strings.HasPrefix(v["start_time"].(string), wed.Format("2006-01-02")+"T16:00") || v["video"].(map[string]any)["start_time"] == nil {
		t.Fatalf("rescheduled: %v", v["start_time"])
	}
	waitZoom(t, cv, func(ms []map[string]any) bool {
		return len(ms) == 1 && ms[0]["start_time"] == wed.Add(16*time.Hour).UTC().Format(time.RFC3339)
	})

	// Edit: a new subject; the attendees as they were.
	b.Submit("#edit")
	check(t, b, "edit", false)
	if got := chrometest.Eval[string](b, `document.querySelector("#f-attendees").value`); !strings.Contains(got, "bob@acme.example") {
		t.Fatalf("the edit form's attendees: %q", got)
	}
	b.Fill("#f-subject", "Design review, second pass")
	b.Submit("button.primary")
	if !strings.Contains(b.Text(".flash"), "The meeting is updated") || b.Text("h1") != "Design review, second pass" {
		t.Fatalf("after editing: %s %q", b.URL(), b.Text("main"))
	}
	v = mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, token, nil, 200)
	if v["subject"] != "Design review, second pass" || len(v["attendees"].([]any)) != 1 {
		t.Fatalf("edited: %v %v", v["subject"], v["attendees"])
	}

	// Cancel.
	b.Submit("#cancel")
	check(t, b, "cancel", false)
	b.Submit("button.primary")
	if got := b.Text("#status"); got != "cancelled" || !strings.Contains(b.Text(".flash"), "The meeting is cancelled") {
		t.Fatalf("after cancelling: %q", got)
	}
	waitZoom(t, cv, func(ms []map[string]any) bool { return len(ms) == 0 })

	// Her other pages.
	for _, pg := range []struct{ path, name string }{
		{"/preferences", "preferences"}, {"/preferences/password", "password"}, {"/preferences/booking-page", "booking-settings"},
		{"/calendars", "calendars"}, {"/tokens", "tokens"},
	} {
		b.Navigate(cv.URL + pg.path)
		check(t, b, pg.name, pg.name != "password")
	}
	b.Viewport(390, 844)
	b.Navigate(cv.URL + "/preferences")
	b.Screenshot("preferences-phone")
	b.Viewport(1024, 800)
	// French, chosen in the preferences: stored with the user.
	b.Fill("#f-language", "fr")
	b.Submit("form[action='/preferences'] button.primary")
	if b.Text("h1") != "Préférences" {
		t.Fatalf("after choosing French: %q", b.Text("h1"))
	}
	if me := mustAPI(t, "GET", cv.URL+"/api/v1/users/me", token, nil, 200); me["language"] != "fr" {
		t.Fatalf("the language is not stored: %v", me["language"])
	}
	b.Navigate(cv.URL + "/meetings/new")
	check(t, b, "new-meeting-fr", false)
}

// waitZoom polls the sandbox's list of meetings until cond holds (the
// change reaches Zoom from a job).
func waitZoom(t *testing.T, cv *chrometest.Convene, cond func([]map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []map[string]any
	for time.Now().Before(deadline) {
		_, out := api(t, "GET", cv.URL+"/zoom-sandbox/_sandbox/meetings", "", nil)
		last = nil
		for _, m := range out["meetings"].([]any) {
			last = append(last, m.(map[string]any))
		}
		if cond(last) {
			return
		}
		time.Sleep(50 * time.Millisecond) // polling Zoom for the job's change
	}
	t.Fatalf("Zoom's meetings: %v", last)
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBrowserGuestProposal: guests answer the e-mail assistant's mail on
// the proposal page. Ann asks the assistant by mail (SMTP, proven by the
// trusted MTA's Authentication-Results) for 30 minutes with Gus next
// week; the link of Gus's second time, read from the assistant's mail in
// the outbox, opens the page in New York's zone (the browser's), that
// time first with its button; Gus confirms it and the meeting is booked
// there, once. Nina, a guest of a proposal made through the API (which the
// assistant mails too), opens her link to every time in Tokyo and says
// none works with a note asking for the week after next: new times for
// then are mailed to her, and her old links are void. Every page is
// checked with axe-core, light and dark.
func TestBrowserGuestProposal(t *testing.T) {
	smtpAddr := chrometest.FreeAddr(t)
	cv := chrometest.Serve(t, map[string]string{"CONVENE_SMTP_ADDR": smtpAddr, "CONVENE_TRUSTED_MTA": "mx.acme.example",
		"CONVENE_TRUSTED_MTA_IPS": "127.0.0.1"})
	g := newGuestWorld(t, cv)
	g.mailAssistant(smtpAddr, "Partnership", "Gus Guest <gus@guest.example>", "Hi Gus, could we meet for 30 minutes next week?")
	gusMail := g.waitMail("assistant.options", "gus@guest.example", 1)[0]
	links, _ := g.links(gusMail)
	if len(links) < 3 || len(links) > 5 {
		t.Fatalf("%d links in Gus's mail", len(links))
	}
	id := gusMail["meeting_id"].(string)
	option := func(v map[string]any, k int) time.Time {
		return mustTime(t, v["options"].([]any)[k].(map[string]any)["start_time"].(string))
	}
	prop := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200)

	b := chrometest.Start(t)
	b.TimeZone("America/New_York")
	b.Navigate(links[1])
	// The script switches the page to the browser's zone once.
	b.WaitFor("the browser's zone", `location.search.includes("tz=America") && document.readyState === "complete" && document.querySelector("#confirm") !== null`)
	if got := b.Value("#tz"); got != "America/New_York" {
		t.Fatalf("the zone select shows %q", got)
	}
	if when := b.Text("#when"); !strings.Contains(when, "New York time") {
		t.Fatalf("the link's time is not in New York's zone: %q", when)
	}
	if got := b.Value("form.pick input[name=start]"); !mustTime(t, got).Equal(option(prop, 1)) {
		t.Fatalf("the time offered first is %s, the link's is %s", got, option(prop, 1))
	}
	if n := chrometest.Eval[int](b, `document.querySelectorAll("input[name=start][type=radio]").length`); n != len(links)-1 {
		t.Fatalf("%d other times, want %d", n, len(links)-1)
	}
	if v := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200); v["status"] != "proposed" {
		t.Fatalf("opening the link answered: %v", v["status"])
	}
	check(t, b, "guest-proposal", true)
	b.Viewport(390, 844)
	b.Screenshot("guest-proposal-phone")
	b.Viewport(1024, 800)
	b.Submit("#confirm")
	if !b.Has("#booked") || !strings.Contains(b.Text("h1"), "it is booked") || !strings.Contains(b.Text("#booked"), "New York time") {
		t.Fatalf("after confirming: %q", b.Text("main"))
	}
	check(t, b, "guest-answered", true)
	v := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+id, g.token, nil, 200)
	if v["status"] != "booked" || !mustTime(t, v["start_time"].(string)).Equal(option(prop, 1)) {
		t.Fatalf("the meeting: %v %v, confirmed %s", v["status"], v["start_time"], option(prop, 1))
	}
	// The link worked once: opened again, it shows the booking and
	// answers nothing.
	b.Navigate(links[1])
	if !b.Has("#booked") || b.Has("#confirm") || b.Has("#none") {
		t.Fatalf("the used link: %q", b.Text("main"))
	}
	b.Navigate(cv.URL + "/choose/no-such-link")
	check(t, b, "guest-invalid", false)

	// Nina, invited through the API next week, says none works.
	mon := thisMonday().AddDate(0, 0, 7)
	nina := mustAPI(t, "POST", cv.URL+"/api/v1/meetings", g.token, map[string]any{"subject": "Roadmap", "duration": 30, "timezone": "Europe/Paris",
		"window":    map[string]string{"from": mon.Format("2006-01-02") + "T09:00", "to": mon.AddDate(0, 0, 4).Format("2006-01-02") + "T17:00"},
		"attendees": []map[string]string{{"email": "nina@guest.example", "name": "Nina"}}, "video_provider": "none"}, 201)
	if nina["status"] != "proposed" {
		t.Fatalf("proposal: %v", nina)
	}
	ninaMail := g.waitMail("assistant.options", "nina@guest.example", 1)[0]
	ninaLinks, all := g.links(ninaMail)
	n := chrometest.Start(t)
	n.TimeZone("Asia/Tokyo")
	n.Navigate(all)
	n.WaitFor("the browser's zone", `location.search.includes("tz=Asia") && document.readyState === "complete" && document.querySelector("#none") !== null`)
	if n.Has("#confirm") || !strings.Contains(chrometest.Eval[string](n, `document.querySelector("input[name=start]").parentElement.textContent`), "Tokyo time") {
		t.Fatalf("the page of every time: %q", n.Text("main"))
	}
	check(t, n, "guest-proposal-all", false)
	n.Fill("#f-note", "Mornings only, the week after next please.")
	n.Submit("#none")
	if !n.Has("#new-times") {
		t.Fatalf("after none works: %q", n.Text("main"))
	}
	check(t, n, "guest-none-works", false)
	news := g.waitMail("assistant.new_options", "nina@guest.example", 1)
	newLinks, _ := g.links(news[0])
	if len(newLinks) == 0 {
		t.Fatal("no new times mailed")
	}
	after := mustAPI(t, "GET", cv.URL+"/api/v1/meetings/"+nina["id"].(string), g.token, nil, 200)
	for k := range after["options"].([]any) {
		if option(after, k).Before(thisMonday().AddDate(0, 0, 14)) {
			t.Errorf("new time %s is not in the week after next", option(after, k))
		}
	}
	n.Navigate(ninaLinks[0])
	if !strings.Contains(n.Text("h1"), "These times were replaced") {
		t.Fatalf("an old link after new times: %q", n.Text("main"))
	}
	n.Navigate(newLinks[0])
	if !n.Has("#confirm") {
		t.Fatalf("a new link: %q", n.Text("main"))
	}
}

// TestBrowserBookingPage: ann switches her booking page on with an intro;
// a visitor in Tokyo sees the intro (as text, on its lines) and her times
// in Tokyo's zone, asks for one, and books it from the link mailed to
// them (read from the outbox).
func TestBrowserBookingPage(t *testing.T) {
	cv := chrometest.Serve(t, nil)
	b := chrometest.Start(t)
	b.TimeZone("Europe/Paris")
	token := setupInBrowser(t, b, cv)
	b.Navigate(cv.URL + "/preferences/booking-page")
	b.Fill("#f-slug", "ann")
	b.Fill("#f-durations", "30, 60")
	b.Fill("#f-intro", "A first talk about <b>your project</b>.\nBring a & b.")
	b.Click("#f-enabled", "#f-enabled:checked")
	b.Submit("form[action='/preferences/booking-page'] button.primary")
	if !strings.Contains(b.Text("#page-url"), "/u/ann") {
		t.Fatalf("the page is not on: %q", b.Text("main"))
	}
	check(t, b, "booking-settings-on", false)

	v := chrometest.Start(t)
	v.TimeZone("Asia/Tokyo")
	v.Navigate(cv.URL + "/u/ann")
	v.WaitFor("the browser's zone", `location.search.includes("tz=Asia") && document.readyState === "complete" && document.querySelector("#request") !== null`)
	if got := v.Value("#tz"); got != "Asia/Tokyo" {
		t.Fatalf("the zone select shows %q", got)
	}
	if got := chrometest.Eval[string](v, `(function(){var e=document.querySelector("#owner-intro"), r=e.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && e.querySelector("b") === null ? e.innerText : "hidden or markup"})()`); got != "A first talk about <b>your project</b>.\nBring a & b." {
		t.Fatalf("the intro shows %q", got)
	}
	check(t, v, "booking-page", true)
	v.Viewport(390, 844)
	v.Screenshot("booking-page-phone")
	v.Viewport(1024, 800)
	start := chrometest.Eval[string](v, `(function(){var r=document.querySelectorAll("input[name=start]")[3]; r.checked=true; return r.value})()`)
	v.Fill("#f-visitor_name", "Vera Visitor")
	v.Fill("#f-email", "vera@example.org")
	v.Submit("#request")
	if !v.Has("#sent") {
		t.Fatalf("after the request: %s %q", v.URL(), v.Text("main"))
	}
	check(t, v, "booking-sent", false)

	link := confirmationLink(t, cv, token, "vera@example.org")
	v.Navigate(link)
	check(t, v, "booking-confirm", true)
	if ms := mustAPI(t, "GET", cv.URL+"/api/v1/meetings", token, nil, 200)["meetings"].([]any); len(ms) != 0 {
		t.Fatalf("opening the link booked: %v", ms)
	}
	v.Submit("#confirm")
	if !v.Has("#done") {
		t.Fatalf("after confirming: %q", v.Text("main"))
	}
	check(t, v, "booking-done", false)
	ms := mustAPI(t, "GET", cv.URL+"/api/v1/meetings", token, nil, 200)["meetings"].([]any)
	if len(ms) != 1 || !mustTime(t, ms[0].(map[string]any)["start_time"].(string)).Equal(mustTime(t, start)) {
		t.Fatalf("meetings: %v", ms)
	}
}

// confirmationLink reads the link of the booking page's mail to email
// from the outbox.
func confirmationLink(t *testing.T, cv *chrometest.Convene, token, email string) string {
	t.Helper()
	box := mustAPI(t, "GET", cv.URL+"/api/v1/outbox", token, nil, 200)
	for _, x := range box["mail"].([]any) {
		m := x.(map[string]any)
		if m["kind"] != booking.MailPageRequest || m["to"].([]any)[0] != email {
			continue
		}
		req, _ := http.NewRequest("GET", cv.URL+"/api/v1/outbox/"+url.PathEscape(m["id"].(string))+"/raw", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		e, err := message.Read(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := io.ReadAll(e.Body)
		if l := regexp.MustCompile(regexp.QuoteMeta(cv.URL) + `/u/ann/confirm/\S+`).FindString(string(text)); l != "" {
			return l
		}
		t.Fatalf("no link in %s", text)
	}
	t.Fatalf("no mail to %s in %v", email, box)
	return ""
}
