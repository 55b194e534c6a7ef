package pages

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
)

// TestOrganizerPagesNeedSignIn: every organizer page sends a visitor
// without a session to the sign-in page, and every form refuses a POST
// without the session's CSRF token.
func TestOrganizerPagesNeedSignIn(t *testing.T) {
	o := newOrgSite(t)
	anon := o.browser()
	n := 0
	for _, rt := range o.pages.organizerRoutes() {
		path := strings.NewReplacer("{id}", "mtg_x").Replace(rt.path)
		if rt.method == "GET" {
			p := anon.get(path)
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin?next=") {
				t.Errorf("GET %s without a session: %d %q", path, p.status, p.header.Get("Location"))
			}
		} else {
			if p := anon.post(path, anon.get("/signin"), url.Values{}); p.status != http.StatusUnauthorized && p.status != http.StatusForbidden {
				t.Errorf("POST %s without a session: %d", path, p.status)
			}
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d routes checked", n)
	}
	// Signed in, a form without the token is refused, and changes nothing.
	ann := o.signedIn("ann@acme.test", ownerPassword)
	v := o.book(o.ann, booking.Request{Subject: "Keep", StartTime: nextMonday(10).Format(time.RFC3339), VideoProvider: "none"})
	if p := ann.do("POST", "/meetings/"+v.ID+"/cancel", url.Values{"scope": {"all"}}); p.status != http.StatusForbidden {
		t.Fatalf("a cancel without the CSRF token: %d", p.status)
	}
	if got, _ := o.bk.Get(context.Background(), o.ann, v.ID); got.Status != store.MeetingBooked {
		t.Fatalf("the meeting after a refused form: %s", got.Status)
	}
}

// TestMeetingScoping: a user sees only meetings they organize or attend;
// another account's meeting is not found; an attendee cannot change a
// meeting (403, nothing changed); the start link is on the organizer's
// page only, not on an attendee's nor an admin's.
func TestMeetingScoping(t *testing.T) {
	o := newOrgSite(t)
	o.installZoom()
	start := nextMonday(10)
	v := o.book(o.ann, booking.Request{Subject: "Quarterly plan", StartTime: start.Format(time.RFC3339), Duration: 30,
		Attendees: []booking.AttendeeInput{{Email: "bob@acme.test"}, {Email: "gus@guest.example", Name: "Gus"}}})
	if v.Video == nil || v.Video.StartURL == "" {
		t.Fatalf("the Zoom meeting: %+v", v.Video)
	}
	startURL := v.Video.StartURL
	ann := o.signedIn("ann@acme.test", ownerPassword)
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	carl := o.signedIn("carl@acme.test", orgMemberPassword)
	eve := o.signedIn("eve@other.test", orgMemberPassword)

	page := ann.get("/meetings/" + v.ID)
	if page.status != 200 || !strings.Contains(page.body, html.EscapeString(startURL)) || !strings.Contains(page.body, html.EscapeString(v.Video.JoinURL)) ||
		!strings.Contains(page.body, `id="reschedule"`) || !strings.Contains(page.body, v.Video.ID) || !strings.Contains(page.body, "mute_upon_entry") {
		t.Fatalf("the organizer's page lacks the start link, join link, number, settings or actions: %d\n%s", page.status, page.body)
	}
	for _, who := range []struct {
		name string
		b    *browser
	}{{"attendee", bob}, {"admin", carl}} {
		p := who.b.get("/meetings/" + v.ID)
		if p.status != 200 || strings.Contains(p.body, "start-url") || strings.Contains(p.body, html.EscapeString(startURL)) ||
			!strings.Contains(p.body, html.EscapeString(v.Video.JoinURL)) {
			t.Errorf("the %s's page: %d, start link shown: %v", who.name, p.status, strings.Contains(p.body, "start-url"))
		}
	}
	if p := bob.get("/meetings/" + v.ID); strings.Contains(p.body, `id="cancel"`) {
		t.Error("the attendee is offered to cancel")
	}
	// The attendee's forged cancel and reschedule: refused, nothing changed.
	form := bob.get("/meetings/" + v.ID)
	if p := bob.post("/meetings/"+v.ID+"/cancel", form, url.Values{"scope": {"all"}}); p.status != http.StatusForbidden {
		t.Errorf("the attendee cancels: %d", p.status)
	}
	if p := bob.post("/meetings/"+v.ID+"/reschedule", form, url.Values{"date": {start.AddDate(0, 0, 1).Format("2006-01-02")}, "time": {"11:00"}, "duration": {"30"}}); p.status != http.StatusForbidden {
		t.Errorf("the attendee reschedules: %d", p.status)
	}
	if got, _ := o.bk.Get(context.Background(), o.ann, v.ID); got.Status != store.MeetingBooked || got.StartTime != v.StartTime || got.Sequence != v.Sequence {
		t.Fatalf("the meeting after the attendee's tries: %s %s seq %d", got.Status, got.StartTime, got.Sequence)
	}
	// A member of the account who is not invited: not found, not listed.
	dan, _, err := o.acc.CreateUser(context.Background(), o.ann, account.NewUser{Email: "dan@acme.test", Name: "Dan", TimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.acc.ChangePassword(context.Background(), account.PrincipalOf(dan), "", orgMemberPassword); err != nil {
		t.Fatal(err)
	}
	danB := o.signedIn("dan@acme.test", orgMemberPassword)
	if p := danB.get("/meetings/" + v.ID); p.status != http.StatusNotFound || strings.Contains(p.body, "Quarterly plan") {
		t.Errorf("an uninvited member sees the meeting: %d", p.status)
	}
	if p := danB.get("/meetings?view=week&from=" + start.Format("2006-01-02")); strings.Contains(p.body, "Quarterly plan") {
		t.Error("an uninvited member's week lists the meeting")
	}
	// Another account: not found, and not listed.
	for _, path := range []string{"/meetings/" + v.ID, "/meetings/" + v.ID + "/reschedule", "/meetings/" + v.ID + "/cancel"} {
		if p := eve.get(path); p.status != http.StatusNotFound || strings.Contains(p.body, "Quarterly plan") {
			t.Errorf("eve GET %s: %d", path, p.status)
		}
	}
	if p := eve.post("/meetings/"+v.ID+"/cancel", eve.get("/meetings"), url.Values{"scope": {"all"}}); p.status != http.StatusNotFound {
		t.Errorf("eve cancels: %d", p.status)
	}
	week := "/meetings?view=week&from=" + start.Format("2006-01-02")
	if p := eve.get(week); p.status != 200 || strings.Contains(p.body, "Quarterly plan") {
		t.Errorf("eve's week lists ann's meeting: %d", p.status)
	}
	for _, b := range []*browser{ann, bob} {
		if p := b.get(week); p.status != 200 || !strings.Contains(p.body, "Quarterly plan") {
			t.Errorf("the week of an organizer or attendee lacks the meeting: %d", p.status)
		}
	}
	if p := ann.get("/meetings?from=" + start.Format("2006-01-02")); !strings.Contains(p.body, "Quarterly plan") || !strings.Contains(p.body, "10:00 AM") {
		t.Errorf("the list lacks the meeting at 10:00 AM (Paris): %s", p.body)
	}
}

func TestParseAttendees(t *testing.T) {
	got := parseAttendees("Ann Lee <ann@example.com>, bob@example.com\r\n\"Lee, Carl\" <carl@example.com>\nnot an address; dan@example.com\n\n")
	want := []booking.AttendeeInput{{Email: "ann@example.com", Name: "Ann Lee"}, {Email: "bob@example.com"}, {Email: "carl@example.com", Name: "Lee, Carl"},
		{Email: "not an address"}, {Email: "dan@example.com"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(parseAttendees(strings.Repeat("a@example.com\n", 1000))); n != booking.MaxAttendees+1 {
		t.Errorf("%d attendees kept from 1000", n)
	}
}

// radios returns the values of the radio inputs named name on a page.
func radios(body, name string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<input type="radio" name="`+name+`" value="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestNewMeetingFindAndBook: without JavaScript, "Find times" shows the
// free times as radios and "Book" books the one chosen; the live route
// answers the same fragment to the script, with the CSRF header only.
func TestNewMeetingFindAndBook(t *testing.T) {
	o := newOrgSite(t)
	ann := o.signedIn("ann@acme.test", ownerPassword)
	form := ann.get("/meetings/new")
	if form.status != 200 || !strings.Contains(form.body, `data-slots="/meetings/slots"`) {
		t.Fatalf("the form: %d", form.status)
	}
	mon := nextMonday(0)
	// Bob is busy Monday 09:00-12:00 (Paris).
	o.book(o.bob, booking.Request{Subject: "Bob's morning", StartTime: mon.Add(9 * time.Hour).Format(time.RFC3339), Duration: 180, VideoProvider: "none"})
	values := url.Values{"subject": {"Design review"}, "mode": {"find"}, "from": {mon.Format("2006-01-02")}, "to": {mon.Format("2006-01-02")},
		"duration": {"60"}, "zone": {"Europe/Paris"}, "attendees": {"Bob <bob@acme.test>"}, "provider": {"none"}, "action": {"find"}}
	found := ann.post("/meetings/new", form, values)
	slots := radios(found.body, "slot")
	if found.status != 200 || len(slots) == 0 {
		t.Fatalf("find: %d\n%s", found.status, found.body)
	}
	first, _ := time.Parse(time.RFC3339, slots[0])
	if !first.Equal(mon.Add(12 * time.Hour)) {
		t.Fatalf("first free time %v, want Monday 12:00 Paris (after Bob's morning)", first)
	}
	// The live route: the same times, with the CSRF header only.
	token := csrfOf(t, form)
	values.Del(csrfField) // the post above added it to the values
	st, live := ann.postJSON("/meetings/slots", token, values)
	if st != 200 || len(radios(live["html"], "slot")) != len(slots) {
		t.Fatalf("live slots: %d %v", st, live)
	}
	if st, _ := ann.postJSON("/meetings/slots", "", values); st != http.StatusForbidden {
		t.Fatalf("live slots without the token: %d", st)
	}
	values.Set("action", "book")
	values.Set("slot", slots[1])
	done := ann.post("/meetings/new", form, values)
	if done.status != http.StatusSeeOther || !strings.HasPrefix(done.header.Get("Location"), "/meetings/mtg_") {
		t.Fatalf("book: %d %s", done.status, done.body)
	}
	id := strings.TrimPrefix(done.header.Get("Location"), "/meetings/")
	v, err := o.bk.Get(context.Background(), o.ann, id)
	if err != nil {
		t.Fatal(err)
	}
	at, _ := time.Parse(time.RFC3339, v.StartTime)
	if chosen, _ := time.Parse(time.RFC3339, slots[1]); v.Subject != "Design review" || !at.Equal(chosen) || !chosen.After(first) || v.Duration != 60 || len(v.Attendees) != 1 || v.Attendees[0].Email != "bob@acme.test" {
		t.Fatalf("booked: %+v", v)
	}
	page := ann.get("/meetings/" + id)
	if !strings.Contains(page.body, "The meeting is booked") || !strings.Contains(page.body, "Design review") {
		t.Fatalf("the meeting's page: %s", page.body)
	}
	// Errors come back in the form.
	bad := ann.post("/meetings/new", form, url.Values{"subject": {""}, "mode": {"fixed"}, "date": {mon.Format("2006-01-02")}, "time": {"10:00"},
		"duration": {"30"}, "zone": {"Mars/Olympus"}, "attendees": {"not an address"}, "action": {"book"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="f-zone-error"`) {
		t.Fatalf("a bad form: %d\n%s", bad.status, bad.body)
	}
	bad = ann.post("/meetings/new", form, url.Values{"subject": {""}, "mode": {"fixed"}, "date": {mon.Format("2006-01-02")}, "time": {"10:00"},
		"duration": {"30"}, "zone": {"Europe/Paris"}, "attendees": {"not an address"}, "action": {"book"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="f-subject-error"`) || !strings.Contains(bad.body, `id="f-attendees-error"`) {
		t.Fatalf("a form without subject and a bad address: %d\n%s", bad.status, bad.body)
	}
}

// TestNewMeetingProposal: with a guest outside the account, find a time
// shows what a proposal offers, and booking makes the proposal, whose
// page lists the options.
func TestNewMeetingProposal(t *testing.T) {
	o := newOrgSite(t)
	ann := o.signedIn("ann@acme.test", ownerPassword)
	form := ann.get("/meetings/new")
	mon := nextMonday(0)
	values := url.Values{"subject": {"Offer"}, "mode": {"find"}, "from": {mon.Format("2006-01-02")}, "to": {mon.AddDate(0, 0, 4).Format("2006-01-02")},
		"duration": {"30"}, "zone": {"Europe/Paris"}, "attendees": {"gus@guest.example"}, "provider": {"none"}, "action": {"find"}}
	found := ann.post("/meetings/new", form, values)
	if !strings.Contains(found.body, "gus@guest.example cannot be checked by Convene") || len(radios(found.body, "slot")) != 0 {
		t.Fatalf("find with a guest: %s", found.body)
	}
	values.Set("action", "book")
	done := ann.post("/meetings/new", form, values)
	if done.status != http.StatusSeeOther {
		t.Fatalf("propose: %d %s", done.status, done.body)
	}
	page := ann.get(done.header.Get("Location"))
	if !strings.Contains(page.body, "The times are proposed to the guests") || strings.Count(page.body, "<li>") < booking.Proposals ||
		!strings.Contains(page.body, `id="options"`) {
		t.Fatalf("the proposal's page: %s", page.body)
	}
}

// TestRescheduleAndCancelSeries: a weekly series made with the form's
// preset; one occurrence moved, the following ones cancelled, then all.
func TestRescheduleAndCancelSeries(t *testing.T) {
	o := newOrgSite(t)
	ann := o.signedIn("ann@acme.test", ownerPassword)
	form := ann.get("/meetings/new")
	mon := nextMonday(0)
	done := ann.post("/meetings/new", form, url.Values{"subject": {"Weekly"}, "mode": {"fixed"}, "date": {mon.Format("2006-01-02")}, "time": {"09:30"},
		"duration": {"30"}, "zone": {"Europe/Paris"}, "recurrence": {"weekly"}, "count": {"4"}, "provider": {"none"}, "action": {"book"}})
	if done.status != http.StatusSeeOther {
		t.Fatalf("series: %d %s", done.status, done.body)
	}
	id := strings.TrimPrefix(done.header.Get("Location"), "/meetings/")
	v, _ := o.bk.Get(context.Background(), o.ann, id)
	if v.Recurrence == nil || v.Recurrence.RRule != "FREQ=WEEKLY;COUNT=4;BYDAY=MO" {
		t.Fatalf("rule: %+v", v.Recurrence)
	}
	// Move the second occurrence (its start as the key) to Tuesday 11:00.
	second := mon.AddDate(0, 0, 7).Add(9*time.Hour + 30*time.Minute).UTC().Format(time.RFC3339)
	page := ann.get("/meetings/" + id + "/reschedule?occurrence=" + url.QueryEscape(second))
	if page.status != 200 {
		t.Fatalf("reschedule form: %d %s", page.status, page.body)
	}
	// Occurrences are recorded on the first change: the page of the
	// series lists them, each with its own links.
	moved := ann.post("/meetings/"+id+"/reschedule", page, url.Values{"occurrence": {second}, "scope": {"this"},
		"date": {mon.AddDate(0, 0, 8).Format("2006-01-02")}, "time": {"11:00"}, "duration": {"30"}})
	if moved.status != http.StatusSeeOther {
		t.Fatalf("move one: %d %s", moved.status, moved.body)
	}
	v, _ = o.bk.Get(context.Background(), o.ann, id)
	if len(v.Recurrence.Occurrences) != 4 || !strings.HasPrefix(v.Recurrence.Occurrences[1].StartTime, mon.AddDate(0, 0, 8).Format("2006-01-02")+"T11:00") {
		t.Fatalf("occurrences after the move: %+v", v.Recurrence.Occurrences)
	}
	third := v.Recurrence.Occurrences[2].OccurrenceID
	series := ann.get("/meetings/" + id)
	if !strings.Contains(series.body, `id="occurrences"`) || !strings.Contains(series.body, "occurrence="+url.QueryEscape(third)) {
		t.Fatalf("the series' page: %s", series.body)
	}
	cancel := ann.get("/meetings/" + id + "/cancel?occurrence=" + url.QueryEscape(third))
	if p := ann.post("/meetings/"+id+"/cancel", cancel, url.Values{"occurrence": {third}, "scope": {"following"}}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel following: %d %s", p.status, p.body)
	}
	v, _ = o.bk.Get(context.Background(), o.ann, id)
	if v.Recurrence.RRule != "FREQ=WEEKLY;COUNT=2;BYDAY=MO" || v.Status != store.MeetingBooked {
		t.Fatalf("after cancelling the following ones: %s %s", v.Status, v.Recurrence.RRule)
	}
	if p := ann.post("/meetings/"+id+"/cancel", cancel, url.Values{"scope": {"all"}}); p.status != http.StatusSeeOther {
		t.Fatalf("cancel all: %d %s", p.status, p.body)
	}
	if v, _ = o.bk.Get(context.Background(), o.ann, id); v.Status != store.MeetingCancelled {
		t.Fatalf("after cancelling all: %s", v.Status)
	}
	if p := ann.get("/meetings/" + id); strings.Contains(p.body, `id="cancel"`) || !strings.Contains(p.body, "cancelled") {
		t.Fatalf("a cancelled meeting's page offers changes")
	}
	// A single meeting: reschedule with a time in the spring-forward gap
	// is refused with the core's words.
	single := o.book(o.ann, booking.Request{Subject: "One", StartTime: mon.Add(14 * time.Hour).Format(time.RFC3339), VideoProvider: "none"})
	f := ann.get("/meetings/" + single.ID + "/reschedule")
	if p := ann.post("/meetings/"+single.ID+"/reschedule", f, url.Values{"date": {"2027-03-28"}, "time": {"02:30"}, "duration": {"30"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `id="f-date-error"`) {
		t.Fatalf("a time in the gap: %d %s", p.status, p.body)
	}
}
