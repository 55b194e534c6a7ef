package pages

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
)

// enableAnnsPage switches ann's booking page on at /u/ann.
func (o *orgSite) enableAnnsPage() {
	o.t.Helper()
	if _, err := o.acc.SetBookingPage(context.Background(), o.ann, account.BookingPageSettings{Slug: "ann", Enabled: true, Durations: []int{30, 60}, Days: 21}); err != nil {
		o.t.Fatal(err)
	}
}

// TestBookingPageVisitor: a visitor sees ann's free times in the zone
// they choose, asks for one, gets the link by mail, and the link's page
// books it on its button (its GET books nothing); a second click shows
// the same booking; a time taken meanwhile shows the new times.
func TestBookingPageVisitor(t *testing.T) {
	o := newOrgSite(t)
	o.enableAnnsPage()
	v := o.browser()
	page := v.get("/u/ann?tz=America/New_York&d=60")
	starts := radios(page.body, "start")
	if page.status != 200 || len(starts) == 0 || !strings.Contains(page.body, "<option selected>America/New_York</option>") ||
		!strings.Contains(page.body, `name="duration" value="60"`) || !strings.Contains(page.body, `class="hp" aria-hidden="true"`) {
		t.Fatalf("the page: %d\n%s", page.status, page.body)
	}
	if c := v.cookie(tzCookie); c == nil || c.Value != "America/New_York" {
		t.Fatalf("the zone is not kept: %v", c)
	}
	// The first time is 09:00 Paris on a weekday: 03:00 in New York.
	first, _ := time.Parse(time.RFC3339, starts[0])
	paris, _ := time.LoadLocation("Europe/Paris")
	if h := first.In(paris).Hour(); h < 9 || h >= 17 || first.In(paris).Weekday() == time.Saturday || first.In(paris).Weekday() == time.Sunday {
		t.Fatalf("first time %v is outside ann's working hours", first.In(paris))
	}
	sent := v.post("/u/ann", page, url.Values{"start": {starts[2]}, "duration": {"60"}, "visitor_name": {"Vera"}, "email": {"vera@example.org"}, "note": {"Hello"}})
	if sent.status != http.StatusSeeOther || sent.header.Get("Location") != "/u/ann/sent" {
		t.Fatalf("request: %d %s", sent.status, sent.body)
	}
	if p := v.get("/u/ann/sent"); !strings.Contains(p.body, "a link to confirm your meeting with Ann is on its way") {
		t.Fatalf("sent page: %s", p.body)
	}
	link := o.outboxLink("vera@example.org")
	confirm := v.get(link)
	if confirm.status != 200 || !strings.Contains(confirm.body, `id="confirm"`) || confirm.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("confirm page: %d %s", confirm.status, confirm.body)
	}
	if ms, _ := o.bk.List(context.Background(), o.ann, time.Now(), time.Now().AddDate(0, 1, 0)); len(ms) != 0 {
		t.Fatal("opening the link booked")
	}
	done := v.post(link, confirm, nil)
	if done.status != 200 || !strings.Contains(done.body, `id="done"`) {
		t.Fatalf("confirm: %d %s", done.status, done.body)
	}
	ms, _ := o.bk.List(context.Background(), o.ann, time.Now(), time.Now().AddDate(0, 1, 0))
	if len(ms) != 1 || ms[0].StartTime == "" || ms[0].Attendees[0].Email != "vera@example.org" || ms[0].Duration != 60 {
		t.Fatalf("booked: %+v", ms)
	}
	if at, _ := time.Parse(time.RFC3339, ms[0].StartTime); !at.Equal(mustRFC3339(t, starts[2])) {
		t.Fatalf("booked at %s, asked %s", ms[0].StartTime, starts[2])
	}
	if again := v.post(link, confirm, nil); again.status != 200 || !strings.Contains(again.body, `id="done"`) {
		t.Fatalf("second click: %d", again.status)
	}
	if ms, _ := o.bk.List(context.Background(), o.ann, time.Now(), time.Now().AddDate(0, 1, 0)); len(ms) != 1 {
		t.Fatalf("%d meetings after a second click", len(ms))
	}

	// Taken meanwhile: a second visitor asks for a time, ann books it.
	w := o.browser()
	w.from = "192.0.2.2"
	wp := w.get("/u/ann?d=30")
	ws := radios(wp.body, "start")
	target := ws[len(ws)-1]
	if p := w.post("/u/ann", wp, url.Values{"start": {target}, "duration": {"30"}, "visitor_name": {"Walt"}, "email": {"walt@example.org"}}); p.status != http.StatusSeeOther {
		t.Fatalf("walt's request: %d %s", p.status, p.body)
	}
	wlink := o.outboxLink("walt@example.org")
	o.book(o.ann, booking.Request{Subject: "Mine", StartTime: target, Duration: 30, VideoProvider: "none"})
	wc := w.get(wlink)
	taken := w.post(wlink, wc, nil)
	if taken.status != http.StatusConflict || !strings.Contains(taken.body, `id="taken"`) || len(radios(taken.body, "start")) == 0 ||
		!strings.Contains(taken.body, `value="Walt"`) || strings.Contains(taken.body, `value="`+target+`"`) {
		t.Fatalf("taken: %d %s", taken.status, taken.body)
	}
	if n := len(o.mustList(o.ann)); n != 2 {
		t.Fatalf("%d meetings, want 2 (Vera's and ann's own)", n)
	}
	if p := w.get("/u/ann/confirm/not-a-token"); p.status != http.StatusNotFound || !strings.Contains(p.body, "This link does not work") {
		t.Fatalf("a bad link: %d", p.status)
	}
}

func (o *orgSite) mustList(p account.Principal) []booking.View {
	o.t.Helper()
	ms, err := o.bk.List(context.Background(), p, time.Now(), time.Now().AddDate(0, 1, 0))
	if err != nil {
		o.t.Fatal(err)
	}
	return ms
}

func mustRFC3339(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBookingPageAbuse: requests count per client address (5, then 429
// with Retry-After, while another address goes on); a filled honeypot
// answers like a real request and sends nothing; a page switched off is
// not found.
func TestBookingPageAbuse(t *testing.T) {
	o := newOrgSite(t)
	o.enableAnnsPage()
	robot := o.browser()
	page := robot.get("/u/ann")
	starts := radios(page.body, "start")
	// The honeypot: answered as a request, nothing mailed.
	if p := robot.post("/u/ann", page, url.Values{"start": {starts[0]}, "duration": {"30"}, "visitor_name": {"R"}, "email": {"r@example.org"}, honeypot: {"http://spam.example"}}); p.status != http.StatusSeeOther {
		t.Fatalf("honeypot: %d", p.status)
	}
	if n := o.countMails(booking.MailPageRequest); n != 0 {
		t.Fatalf("the honeypot mailed %d", n)
	}
	// Four more from the same address (each a different visitor address,
	// so that the core's own bound does not stop them first).
	for i := 1; i < bookingBurst; i++ {
		p := robot.post("/u/ann", page, url.Values{"start": {starts[i]}, "duration": {"30"}, "visitor_name": {"R"}, "email": {"r" + string(rune('a'+i)) + "@example.org"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("request %d: %d %s", i+1, p.status, p.body)
		}
	}
	p := robot.post("/u/ann", page, url.Values{"start": {starts[6]}, "duration": {"30"}, "visitor_name": {"R"}, "email": {"rz@example.org"}})
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "Too many requests from your address") {
		t.Fatalf("past the limit: %d %q", p.status, p.header.Get("Retry-After"))
	}
	if n := o.countMails(booking.MailPageRequest); n != bookingBurst-1 {
		t.Fatalf("%d mails, want %d", n, bookingBurst-1)
	}
	human := o.browser()
	human.from = "198.51.100.7"
	hp := human.get("/u/ann")
	if p := human.post("/u/ann", hp, url.Values{"start": {starts[7]}, "duration": {"30"}, "visitor_name": {"H"}, "email": {"h@example.org"}}); p.status != http.StatusSeeOther {
		t.Fatalf("another address: %d", p.status)
	}
	// Off: not found.
	if _, err := o.acc.SetBookingPage(context.Background(), o.ann, account.BookingPageSettings{Slug: "ann", Enabled: false}); err != nil {
		t.Fatal(err)
	}
	if p := human.get("/u/ann"); p.status != http.StatusNotFound {
		t.Fatalf("a page switched off: %d", p.status)
	}
}

// TestGuestLinkPage: the page behind a verified guest link shows the
// proposal's times in the guest's zone; a pick books the meeting and the
// link's Answered hook runs; "none works" tells the organizer; a link the
// verifier refuses, or an address not invited, shows that the link does
// not work.
func TestGuestLinkPage(t *testing.T) {
	o := newOrgSite(t)
	mon := nextMonday(0)
	v := o.book(o.ann, booking.Request{Subject: "Offer", Duration: 30, TimeZone: "Europe/Paris", VideoProvider: "none",
		Window:    &booking.Window{From: mon.Format(time.RFC3339), To: mon.AddDate(0, 0, 4).Format(time.RFC3339)},
		Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus"}}})
	answered := 0
	o.guests["tok-gus"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v.ID, Email: "gus@guest.example"},
		Answered: func(context.Context) error { answered++; return nil }}
	o.guests["tok-eve"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v.ID, Email: "eve@guest.example"}}
	o.guests["expired-gus"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v.ID, Email: "gus@guest.example"}}
	g := o.browser()
	page := g.get("/test-guest/tok-gus?tz=Asia/Kolkata")
	opts := radios(page.body, "start")
	if page.status != 200 || len(opts) != booking.Proposals || !strings.Contains(page.body, "Kolkata") || page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("the guest's page: %d\n%s", page.status, page.body)
	}
	for _, bad := range []string{"/test-guest/tok-eve", "/test-guest/nope", "/test-guest/expired-gus"} {
		if p := g.get(bad); p.status != http.StatusNotFound || !strings.Contains(p.body, "This link does not work") {
			t.Errorf("%s: %d", bad, p.status)
		}
	}
	for _, bad := range []string{"/test-guest/tok-eve", "/test-guest/expired-gus"} {
		if p := g.post(bad, page, url.Values{"action": {"pick"}, "start": {opts[0]}}); p.status != http.StatusNotFound {
			t.Errorf("a pick through %s: %d", bad, p.status)
		}
	}
	if p := g.do("POST", "/test-guest/tok-gus", url.Values{"action": {"pick"}, "start": {opts[0]}}); p.status != http.StatusForbidden {
		t.Errorf("a pick without the CSRF token: %d", p.status)
	}
	// From another site: refused, and logged by its route, never by the
	// link's path (its secret).
	g.header.Set("Sec-Fetch-Site", "cross-site")
	if p := g.post("/test-guest/tok-gus", page, url.Values{"action": {"pick"}, "start": {opts[0]}}); p.status != http.StatusForbidden {
		t.Errorf("a pick from another site: %d", p.status)
	}
	g.header.Del("Sec-Fetch-Site")
	if logs := o.logs.String(); !strings.Contains(logs, "cross-origin request refused") || strings.Contains(logs, "tok-gus") {
		t.Errorf("the refusal's log:\n%s", logs)
	}
	done := g.post("/test-guest/tok-gus", page, url.Values{"action": {"pick"}, "start": {opts[1]}})
	if done.status != 200 || !strings.Contains(done.body, `id="booked"`) || answered != 1 {
		t.Fatalf("pick: %d answered %d\n%s", done.status, answered, done.body)
	}
	got, _ := o.bk.Get(context.Background(), o.ann, v.ID)
	if got.Status != store.MeetingBooked || !mustRFC3339(t, got.StartTime).Equal(mustRFC3339(t, opts[1])) || got.Attendees[0].Response != "accepted" {
		t.Fatalf("after the pick: %+v", got)
	}
	if p := g.get("/test-guest/tok-gus"); !strings.Contains(p.body, `id="booked"`) || len(radios(p.body, "start")) != 0 {
		t.Fatalf("the page of a booked meeting: %s", p.body)
	}

	// A link that already answered (Used) shows what became of the
	// answer and takes no other: its form is refused without asking the
	// core.
	v3 := o.book(o.ann, booking.Request{Subject: "Third offer", Duration: 30, TimeZone: "Europe/Paris", VideoProvider: "none",
		Window:    &booking.Window{From: mon.AddDate(0, 0, 14).Format(time.RFC3339), To: mon.AddDate(0, 0, 18).Format(time.RFC3339)},
		Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus"}}})
	o.guests["tok-3"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v3.ID, Email: "gus@guest.example"}}
	p3 := g.get("/test-guest/tok-3")
	o.guests["tok-3"].Used = true
	if p := g.get("/test-guest/tok-3"); p.status != 200 || !strings.Contains(p.body, `id="used"`) || len(radios(p.body, "start")) != 0 || strings.Contains(p.body, `id="none"`) {
		t.Fatalf("a used link's page: %d\n%s", p.status, p.body)
	}
	if p := g.post("/test-guest/tok-3", p3, url.Values{"action": {"pick"}, "start": {radios(p3.body, "start")[0]}}); p.status != http.StatusConflict {
		t.Fatalf("a pick through a used link: %d", p.status)
	}
	if got, _ := o.bk.Get(context.Background(), o.ann, v3.ID); got.Status != store.MeetingProposed {
		t.Fatalf("a used link answered: %s", got.Status)
	}

	// None works, on another proposal.
	v2 := o.book(o.ann, booking.Request{Subject: "Second offer", Duration: 30, TimeZone: "Europe/Paris", VideoProvider: "none",
		Window:    &booking.Window{From: mon.AddDate(0, 0, 7).Format(time.RFC3339), To: mon.AddDate(0, 0, 11).Format(time.RFC3339)},
		Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus"}}})
	o.guests["tok-2"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v2.ID, Email: "gus@guest.example"}}
	p2 := g.get("/test-guest/tok-2")
	none := g.post("/test-guest/tok-2", p2, url.Values{"action": {"none"}, "note": {"Mornings only, please."}})
	if none.status != 200 || !strings.Contains(none.body, `id="declined"`) {
		t.Fatalf("none works: %d %s", none.status, none.body)
	}
	if got, _ := o.bk.Get(context.Background(), o.ann, v2.ID); got.Status != store.MeetingProposed || got.Attendees[0].Response != "declined" {
		t.Fatalf("after none works: %+v", got)
	}
}

// TestHeaviestPagesInFrench: the pages with a time zone select stay
// within the pages' HTML budget (24 KiB, as the Chromium tests measure
// it) in French too, whose words are longer: a booking page with all its
// times, the preferences, a guest's proposal.
func TestHeaviestPagesInFrench(t *testing.T) {
	o := newOrgSite(t)
	o.enableAnnsPage()
	mon := nextMonday(0)
	v := o.book(o.ann, booking.Request{Subject: "Offer", Duration: 30, TimeZone: "Europe/Paris", VideoProvider: "none",
		Window:    &booking.Window{From: mon.Format(time.RFC3339), To: mon.AddDate(0, 0, 4).Format(time.RFC3339)},
		Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus"}}})
	o.guests["tok"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v.ID, Email: "gus@guest.example"}}
	visitor := o.browser()
	visitor.header.Set("Accept-Language", "fr")
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	bob.header.Set("Accept-Language", "fr")
	for _, c := range []struct {
		b    *browser
		path string
	}{{visitor, "/u/ann?tz=Pacific/Chatham"}, {visitor, "/test-guest/tok?tz=America/Argentina/Buenos_Aires"}, {bob, "/preferences"}, {bob, "/meetings/new"}} {
		p := c.b.get(c.path)
		if p.status != 200 || !strings.Contains(p.body, `lang="fr"`) {
			t.Fatalf("%s: %d", c.path, p.status)
		}
		if len(p.body) > 24<<10 {
			t.Errorf("%s weighs %d bytes of HTML in French, over 24 KiB", c.path, len(p.body))
		}
		t.Logf("%s in French: %d bytes of HTML", c.path, len(p.body))
	}
}

// TestOrganizerPagesHeaders: the organizer's and guests' pages carry the
// pages' security headers and no inline script or style, which the
// Content-Security-Policy forbids.
func TestOrganizerPagesHeaders(t *testing.T) {
	o := newOrgSite(t)
	o.enableAnnsPage()
	v := o.book(o.ann, booking.Request{Subject: "H", StartTime: nextMonday(10).Format(time.RFC3339), VideoProvider: "none"})
	o.guests["tok"] = &GuestLink{Guest: booking.Guest{AccountID: o.ann.AccountID, MeetingID: v.ID, Email: "gus@guest.example"}}
	ann := o.signedIn("ann@acme.test", ownerPassword)
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>[^<]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for _, path := range []string{"/meetings", "/meetings?view=week", "/meetings/new", "/meetings/" + v.ID, "/meetings/" + v.ID + "/reschedule",
		"/meetings/" + v.ID + "/cancel", "/preferences", "/preferences/password", "/preferences/booking-page", "/calendars", "/tokens",
		"/u/ann", "/u/ann/sent", "/u/ann/confirm/x", "/test-guest/tok", "/test-guest/none"} {
		p := ann.get(path)
		if p.status >= 500 || !strings.Contains(p.header.Get("Content-Security-Policy"), "script-src 'self'") || p.header.Get("Cache-Control") != "no-store" ||
			p.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d %v", path, p.status, p.header)
		}
		if m := inline.FindString(p.body); m != "" {
			t.Errorf("%s has inline code: %q", path, m)
		}
	}
}

// TestBookingPageIntroShown: the owner's intro shows above the times as
// text, escaped (markup in it is never HTML), with its line breaks kept
// (the element's CSS keeps them); a page without one shows no element.
func TestBookingPageIntroShown(t *testing.T) {
	o := newOrgSite(t)
	o.enableAnnsPage()
	v := o.browser()
	if p := v.get("/u/ann"); p.status != 200 || strings.Contains(p.body, `id="owner-intro"`) || strings.Contains(p.body, "owner-intro") {
		t.Fatalf("a page without an intro shows one: %d", p.status)
	}
	intro := "What for: <script>alert(1)</script>\n\nBring a & b."
	if _, err := o.acc.SetBookingPage(context.Background(), o.ann, account.BookingPageSettings{Slug: "ann", Enabled: true, Intro: intro}); err != nil {
		t.Fatal(err)
	}
	p := v.get("/u/ann")
	want := `<p class="owner-intro" id="owner-intro">What for: &lt;script&gt;alert(1)&lt;/script&gt;` + "\n\n" + `Bring a &amp; b.</p>`
	if p.status != 200 || !strings.Contains(p.body, want) {
		t.Fatalf("the intro is not shown escaped with its line breaks: %d\n%s", p.status, p.body)
	}
	if strings.Contains(p.body, "<script>alert(1)") || strings.Contains(p.body, "a & b") {
		t.Fatal("the intro is shown raw")
	}
	// Above the times.
	if i, j := strings.Index(p.body, `id="owner-intro"`), strings.Index(p.body, `name="start"`); i < 0 || j < 0 || i > j {
		t.Fatalf("the intro is not above the times: %d, %d", i, j)
	}
	css := v.get("/static/organizer.css")
	if !regexp.MustCompile(`\.owner-intro\{[^}]*white-space:pre-line`).MatchString(css.body) {
		t.Fatalf("the intro's line breaks are not kept: %s", css.body)
	}
	// In French too, and not on the page saying the mail is sent.
	v.header.Set("Accept-Language", "fr")
	if p := v.get("/u/ann"); !strings.Contains(p.body, `lang="fr"`) || !strings.Contains(p.body, want) {
		t.Fatalf("the French page has no intro")
	}
}
