package pages

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestPreferences: the preferences page shows the user's settings; saving
// changes them through the core (the working hours grid, buffers, notice,
// length, provider, zone); bad hours are refused with the grid kept; the
// language chosen is stored with the user and used by the pages on any
// browser.
func TestPreferences(t *testing.T) {
	o := newOrgSite(t)
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	page := bob.get("/preferences")
	if page.status != 200 || !strings.Contains(page.body, `name="mon_from1" value="09:00"`) || !strings.Contains(page.body, `<option selected>Europe/Paris</option>`) {
		t.Fatalf("preferences: %d\n%s", page.status, page.body)
	}
	values := url.Values{"timezone": {"America/New_York"}, "default_duration": {"45"}, "buffer_before": {"10"}, "buffer_after": {"5"},
		"min_notice": {"120"}, "provider": {"jitsi"}, "language": {"fr"},
		"mon_from1": {"08:00"}, "mon_to1": {"12:00"}, "mon_from2": {"13:00"}, "mon_to2": {"17:30"}, "sat_from1": {"10:00"}, "sat_to1": {"12:00"}}
	bad := url.Values{}
	for k, v := range values {
		bad[k] = v
	}
	bad.Set("mon_to2", "12:30") // overlaps nothing, ends before it starts
	if p := bob.post("/preferences", page, bad); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `value="12:30"`) ||
		!strings.Contains(p.body, "Each range needs a start before its end") {
		t.Fatalf("bad hours: %d\n%s", p.status, p.body)
	}
	if p := bob.post("/preferences", page, values); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	u, err := o.db.User(context.Background(), o.bob.AccountID, o.bob.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if u.TimeZone != "America/New_York" || u.DefaultDuration != 45 || u.BufferBefore != 10 || u.BufferAfter != 5 || u.MinNotice != 120 ||
		u.VideoProvider != "jitsi" || u.Language != "fr" || string(u.WorkingHours) != `{"mon":[["08:00","12:00"],["13:00","17:30"]],"sat":[["10:00","12:00"]]}` {
		t.Fatalf("saved: %+v %s", u, u.WorkingHours)
	}
	// The language is the user's: another browser shows French.
	other := o.signedIn("bob@acme.test", orgMemberPassword)
	if p := other.get("/preferences"); !strings.Contains(p.body, `<html lang="fr">`) || !strings.Contains(p.body, "Préférences") {
		t.Fatalf("another browser of bob's: not French")
	}
	// Another user's settings are not bob's to change: the form changes
	// only the signed-in user.
	a, _ := o.db.User(context.Background(), o.ann.AccountID, o.ann.UserID)
	if a.TimeZone != "Europe/Paris" {
		t.Fatalf("ann's zone changed: %s", a.TimeZone)
	}
}

// TestPasswordAndBookingPageSettings: the password changes only with the
// current one; the booking page is off until switched on, and its slug
// is checked and unique.
func TestPasswordAndBookingPageSettings(t *testing.T) {
	o := newOrgSite(t)
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	f := bob.get("/preferences/password")
	if p := bob.post("/preferences/password", f, url.Values{"current_password": {"wrong one"}, "password": {"a new long password"}, "password_confirm": {"a new long password"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `id="f-current_password-error"`) {
		t.Fatalf("a wrong current password: %d", p.status)
	}
	if p := bob.post("/preferences/password", f, url.Values{"current_password": {orgMemberPassword}, "password": {"a new long password"}, "password_confirm": {"a new long password"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", p.status, p.body)
	}
	o.browser().signIn("bob@acme.test", "a new long password")

	if p := o.browser().get("/u/bob"); p.status != http.StatusNotFound {
		t.Fatalf("a page never switched on: %d", p.status)
	}
	f = bob.get("/preferences/booking-page")
	if !strings.Contains(f.body, `name="slug" type="text" value="bob"`) || !strings.Contains(f.body, "Your page is off.") {
		t.Fatalf("booking page settings: %s", f.body)
	}
	if p := bob.post("/preferences/booking-page", f, url.Values{"slug": {"b"}, "enabled": {"on"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="f-slug-error"`) {
		t.Fatalf("a short slug: %d", p.status)
	}
	ann := o.signedIn("ann@acme.test", ownerPassword)
	af := ann.get("/preferences/booking-page")
	if p := ann.post("/preferences/booking-page", af, url.Values{"slug": {"meet-us"}, "enabled": {"on"}, "durations": {"30, 60"}, "days": {"14"}}); p.status != http.StatusSeeOther {
		t.Fatalf("ann's page: %d %s", p.status, p.body)
	}
	if p := bob.post("/preferences/booking-page", f, url.Values{"slug": {"meet-us"}, "enabled": {"on"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "is taken") {
		t.Fatalf("a taken slug: %d %s", p.status, p.body)
	}
	if p := o.browser().get("/u/meet-us"); p.status != 200 || !strings.Contains(p.body, "Meet Ann") {
		t.Fatalf("ann's page: %d", p.status)
	}
}

// TestBookingPageIntroSettings: the booking page settings have a labelled
// text box for the intro with its limits (English and French); it is
// saved trimmed and shown back; one too long is refused with the field
// marked and the text kept, and the saved intro stays.
func TestBookingPageIntroSettings(t *testing.T) {
	o := newOrgSite(t)
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	f := bob.get("/preferences/booking-page")
	for _, want := range []string{`<label for="f-intro">Text for your visitors</label>`, `id="f-intro-hint">Shown above your times`, "1,000 characters and 20 lines",
		`<textarea id="f-intro" name="intro" rows="5" aria-describedby="f-intro-hint"></textarea>`} {
		if !strings.Contains(f.body, want) {
			t.Fatalf("the settings lack %q:\n%s", want, f.body)
		}
	}
	if p := bob.post("/preferences/booking-page", f, url.Values{"slug": {"bob"}, "enabled": {"on"}, "intro": {"  Talk about <b>the plan</b> & more.\r\nBring notes.\r\n"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", p.status, p.body)
	}
	bp, err := o.acc.BookingPage(context.Background(), o.bob)
	if err != nil || bp.Intro != "Talk about <b>the plan</b> & more.\nBring notes." {
		t.Fatalf("saved: %q %v", bp.Intro, err)
	}
	f = bob.get("/preferences/booking-page")
	if !strings.Contains(f.body, ">Talk about &lt;b&gt;the plan&lt;/b&gt; &amp; more.\nBring notes.</textarea>") {
		t.Fatalf("not shown back:\n%s", f.body)
	}
	long := strings.Repeat("line\n", 21)
	p := bob.post("/preferences/booking-page", f, url.Values{"slug": {"bob"}, "enabled": {"on"}, "intro": {long}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `<p class="error" id="f-intro-error">use at most 20 lines</p>`) ||
		!strings.Contains(p.body, `aria-describedby="f-intro-hint f-intro-error" aria-invalid="true">`+long+`</textarea>`) {
		t.Fatalf("21 lines: %d\n%s", p.status, p.body)
	}
	if bp, err := o.acc.BookingPage(context.Background(), o.bob); err != nil || bp.Intro != "Talk about <b>the plan</b> & more.\nBring notes." {
		t.Fatalf("after a refused intro: %q %v", bp.Intro, err)
	}

	bob.header.Set("Accept-Language", "fr")
	f = bob.get("/preferences/booking-page")
	if !strings.Contains(f.body, `lang="fr"`) || !strings.Contains(f.body, `<label for="f-intro">Texte pour vos visiteurs</label>`) || !strings.Contains(f.body, "1 000 caractères et 20 lignes") {
		t.Fatalf("French settings:\n%s", f.body)
	}
	p = bob.post("/preferences/booking-page", f, url.Values{"slug": {"bob"}, "intro": {"a\x00b"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, `id="f-intro-error">Saisissez un texte brut de 1 000 caractères et 20 lignes au plus, sans caractères de contrôle.</p>`) {
		t.Fatalf("French, a control character: %d\n%s", p.status, p.body)
	}
}

// TestCalendarsAndTokens: an ICS feed is connected, listed with its URL
// redacted, synced and removed; a failing one says why; the subscription
// help names the user's CalDAV URL; tokens are made (shown once), listed,
// and revoked, and another user's token cannot be revoked.
func TestCalendarsAndTokens(t *testing.T) {
	o := newOrgSite(t)
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone.ics" {
			http.Error(w, "gone", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		fmt.Fprint(w, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20270104T100000Z\r\nDTEND:20270104T110000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	}))
	defer feed.Close()
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	page := bob.get("/calendars")
	if page.status != 200 || !strings.Contains(page.body, o.srv.URL+"/dav/") || !strings.Contains(page.body, o.srv.URL+"/.well-known/caldav") ||
		!strings.Contains(page.body, "/dav/bob@acme.test/calendars/default/") {
		t.Fatalf("calendars: %d\n%s", page.status, page.body)
	}
	secret := "/private-0123456789abcdefABCDEF/basic.ics"
	if p := bob.post("/calendars", page, url.Values{"kind": {"ics"}, "url": {feed.URL + secret}, "cal_name": {"Work"}}); p.status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", p.status, p.body)
	}
	list := bob.get("/calendars")
	if !strings.Contains(list.body, "Work") || strings.Contains(list.body, "private-0123456789") || !strings.Contains(list.body, "up to date") ||
		!strings.Contains(list.body, "1 events") {
		t.Fatalf("the list: %s", list.body)
	}
	if p := bob.post("/calendars", list, url.Values{"kind": {"ics"}, "url": {feed.URL + "/gone.ics"}}); p.status == http.StatusSeeOther {
		// The core keeps a source that failed its first sync, with its
		// problem; either way the page says so.
		if l := bob.get("/calendars"); !strings.Contains(l.body, "cannot be read") {
			t.Fatalf("a failing feed: %s", l.body)
		}
	} else if !strings.Contains(p.body, "404") {
		t.Fatalf("a failing feed: %d %s", p.status, p.body)
	}
	cals, err := o.cals.Calendars(context.Background(), o.bob, "bob@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	var work string
	for _, c := range cals {
		if c.Name == "Work" {
			work = c.ID
		}
	}
	if p := bob.post("/calendars/"+work+"/sync", list, nil); p.status != http.StatusSeeOther {
		t.Fatalf("sync: %d", p.status)
	}
	// Eve cannot remove bob's calendar.
	eve := o.signedIn("eve@other.test", orgMemberPassword)
	if p := eve.post("/calendars/"+work+"/remove", eve.get("/calendars"), nil); p.status != http.StatusNotFound {
		t.Fatalf("eve removes bob's calendar: %d", p.status)
	}
	if p := bob.post("/calendars/"+work+"/remove", list, nil); p.status != http.StatusSeeOther {
		t.Fatalf("remove: %d %s", p.status, p.body)
	}
	if l := bob.get("/calendars"); strings.Contains(l.body, ">Work ") {
		t.Fatalf("removed calendar still listed")
	}

	tp := bob.get("/tokens")
	made := bob.post("/tokens/new", tp, url.Values{"name": {"thunderbird"}})
	if made.status != http.StatusCreated || !strings.Contains(made.body, `id="new-token">cvn_`) || !strings.Contains(made.body, "thunderbird") {
		t.Fatalf("new token: %d %s", made.status, made.body)
	}
	if again := bob.get("/tokens"); strings.Contains(again.body, "new-token") {
		t.Fatal("the secret is shown twice")
	}
	toks, _ := o.acc.Tokens(context.Background(), o.bob)
	var id string
	for _, tk := range toks {
		if tk.Name == "thunderbird" {
			id = tk.ID
		}
	}
	if p := eve.post("/tokens/"+id+"/revoke", eve.get("/tokens"), nil); p.status != http.StatusNotFound {
		t.Fatalf("eve revokes bob's token: %d", p.status)
	}
	if p := bob.post("/tokens/"+id+"/revoke", tp, nil); p.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.status)
	}
	if l := bob.get("/tokens"); strings.Contains(l.body, "thunderbird") {
		t.Fatal("a revoked token is listed")
	}
}
