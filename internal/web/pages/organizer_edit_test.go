package pages

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
)

// textareaOf returns the text of the textarea named name on a page.
func textareaOf(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<textarea[^>]* name="` + name + `"[^>]*>(.*?)</textarea>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no textarea %s in\n%s", name, body)
	}
	return html.UnescapeString(m[1])
}

// waitMail waits for the meeting's mail of kind (request, cancel) to
// email: the core's jobs write them after the change.
func (o *orgSite) waitMail(meetingID, kind, email string) store.Mail {
	o.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, err := o.db.Mails(context.Background(), o.ann.AccountID, "", 1000)
		if err != nil {
			o.t.Fatal(err)
		}
		for _, m := range ms {
			if m.MeetingID == meetingID && m.Kind == kind && slices.Contains(m.Recipients, email) {
				return m
			}
		}
		if time.Now().After(deadline) {
			o.t.Fatalf("no %s mail to %s about %s", kind, email, meetingID)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailsTo lists the kinds of the meeting's mails to email.
func (o *orgSite) mailsTo(meetingID, email string) []string {
	o.t.Helper()
	ms, err := o.db.Mails(context.Background(), o.ann.AccountID, "", 1000)
	if err != nil {
		o.t.Fatal(err)
	}
	var kinds []string
	for _, m := range ms {
		if m.MeetingID == meetingID && slices.Contains(m.Recipients, email) {
			kinds = append(kinds, m.Kind)
		}
	}
	return kinds
}

// TestEditMeeting: the organizer's edit page is prefilled; saving sends
// the core only what changed: the new subject and attendees are stored,
// the attendee added gets an invitation (REQUEST) and the one removed a
// cancellation (CANCEL), and the page says so. A form without the CSRF
// token, an attendee's and another account's tries change nothing; an
// admin may edit; a bad address comes back in the form as typed.
func TestEditMeeting(t *testing.T) {
	o := newOrgSite(t)
	ctx := context.Background()
	v := o.book(o.ann, booking.Request{Subject: "Plan", Description: "Line one\nLine two", StartTime: nextMonday(10).Format(time.RFC3339),
		VideoProvider: "none", Attendees: []booking.AttendeeInput{{Email: "bob@acme.test"}, {Email: "gus@guest.example", Name: `Gus "G", Jr`}}})
	ann := o.signedIn("ann@acme.test", ownerPassword)
	unchanged := func(when string) {
		t.Helper()
		got, err := o.bk.Get(ctx, o.ann, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != v.Subject || got.Sequence != v.Sequence || len(got.Attendees) != 2 {
			t.Fatalf("the meeting after %s: %q seq %d, %d attendees", when, got.Subject, got.Sequence, len(got.Attendees))
		}
	}

	page := ann.get("/meetings/" + v.ID)
	if !strings.Contains(page.body, `href="/meetings/`+v.ID+`/edit" id="edit"`) {
		t.Fatalf("the meeting's page has no Edit link:\n%s", page.body)
	}
	form := ann.get("/meetings/" + v.ID + "/edit")
	if form.status != 200 || !strings.Contains(form.body, `id="f-subject" name="subject" type="text" value="Plan"`) ||
		textareaOf(t, form.body, "description") != "Line one\nLine two" || strings.Contains(form.body, `name="scope"`) {
		t.Fatalf("the edit form: %d\n%s", form.status, form.body)
	}
	// The attendees field reads back as the meeting's attendees.
	if got := parseAttendees(textareaOf(t, form.body, "attendees")); !sameAttendees(got, v.Attendees) {
		t.Fatalf("the attendees field reads as %+v, the meeting has %+v", got, v.Attendees)
	}

	changed := url.Values{"subject": {"Plan v2"}, "description": {"Line one\r\nLine two"}, "attendees": {"bob@acme.test\r\nDee <dee@guest.example>\r\n"}}
	// Without the CSRF token: refused, nothing changed.
	if p := ann.do("POST", "/meetings/"+v.ID+"/edit", changed); p.status != http.StatusForbidden {
		t.Fatalf("an edit without the CSRF token: %d", p.status)
	}
	unchanged("a form without the token")
	// An attendee who is not the organizer: refused by the core.
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	if p := bob.post("/meetings/"+v.ID+"/edit", bob.get("/meetings/"+v.ID), changed); p.status != http.StatusForbidden {
		t.Fatalf("the attendee edits: %d\n%s", p.status, p.body)
	}
	if p := bob.get("/meetings/" + v.ID); strings.Contains(p.body, `id="edit"`) {
		t.Error("the attendee is offered to edit")
	}
	// Another account's user: not found.
	eve := o.signedIn("eve@other.test", orgMemberPassword)
	if p := eve.get("/meetings/" + v.ID + "/edit"); p.status != http.StatusNotFound || strings.Contains(p.body, "Plan") {
		t.Fatalf("eve GET edit: %d", p.status)
	}
	if p := eve.post("/meetings/"+v.ID+"/edit", eve.get("/meetings"), changed); p.status != http.StatusNotFound {
		t.Fatalf("eve edits: %d", p.status)
	}
	unchanged("the attendee's and eve's tries")

	// A bad address: 422, the field marked, the form as typed.
	bad := ann.post("/meetings/"+v.ID+"/edit", form, url.Values{"subject": {"Typed subject"}, "description": {"x"}, "attendees": {"bob@acme.test\nnot an address"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="f-attendees-error"`) ||
		!strings.Contains(bad.body, `aria-describedby="f-attendees-hint f-attendees-error"`) || !strings.Contains(bad.body, `value="Typed subject"`) ||
		textareaOf(t, bad.body, "attendees") != "bob@acme.test\nnot an address" {
		t.Fatalf("a bad address: %d\n%s", bad.status, bad.body)
	}
	unchanged("a bad address")
	// An empty subject: the core's field error under the subject.
	if p := ann.post("/meetings/"+v.ID+"/edit", form, url.Values{"subject": {"  "}, "attendees": {"bob@acme.test"}}); p.status != http.StatusUnprocessableEntity ||
		!strings.Contains(p.body, `id="f-subject-error"`) {
		t.Fatalf("an empty subject: %d\n%s", p.status, p.body)
	}
	unchanged("an empty subject")

	// Nothing changed: nothing sent to the core, said so.
	same := ann.post("/meetings/"+v.ID+"/edit", form, url.Values{"subject": {"Plan"}, "description": {"Line one\r\nLine two"},
		"attendees": {textareaOf(t, form.body, "attendees")}})
	if same.status != http.StatusSeeOther || !strings.Contains(ann.get("/meetings/"+v.ID).body, "Nothing changed") {
		t.Fatalf("an unchanged form: %d %s", same.status, same.body)
	}
	unchanged("an unchanged form")

	// The change: gus removed, dee added, the subject new.
	done := ann.post("/meetings/"+v.ID+"/edit", form, changed)
	if done.status != http.StatusSeeOther || done.header.Get("Location") != "/meetings/"+v.ID {
		t.Fatalf("edit: %d %q\n%s", done.status, done.header.Get("Location"), done.body)
	}
	after := ann.get("/meetings/" + v.ID)
	if !strings.Contains(after.body, "The meeting is updated: every attendee gets the updated invitation") || !strings.Contains(after.body, "<h1>Plan v2</h1>") {
		t.Fatalf("the meeting's page after the edit:\n%s", after.body)
	}
	got, _ := o.bk.Get(ctx, o.ann, v.ID)
	if got.Subject != "Plan v2" || got.Description != "Line one\nLine two" || len(got.Attendees) != 2 ||
		got.Attendees[0].Email != "bob@acme.test" || got.Attendees[1].Email != "dee@guest.example" || got.Attendees[1].Name != "Dee" || got.Sequence != v.Sequence+1 {
		t.Fatalf("the meeting after the edit: %+v", got)
	}
	if m := o.waitMail(v.ID, "request", "dee@guest.example"); !strings.Contains(string(m.Raw), "method=REQUEST") || !strings.Contains(m.Subject, "Plan v2") {
		t.Fatalf("dee's invitation: %q\n%s", m.Subject, m.Raw)
	}
	if m := o.waitMail(v.ID, "cancel", "gus@guest.example"); !strings.Contains(string(m.Raw), "method=CANCEL") {
		t.Fatalf("gus's cancellation:\n%s", m.Raw)
	}
	o.waitMail(v.ID, "request", "bob@acme.test")
	if k := o.mailsTo(v.ID, "bob@acme.test"); slices.Contains(k, "cancel") {
		t.Fatalf("bob, kept, got %v", k)
	}
	if k := o.mailsTo(v.ID, "dee@guest.example"); slices.Contains(k, "cancel") {
		t.Fatalf("dee, added, got %v", k)
	}

	// An admin of the account may edit.
	carl := o.signedIn("carl@acme.test", orgMemberPassword)
	cf := carl.get("/meetings/" + v.ID + "/edit")
	if p := carl.post("/meetings/"+v.ID+"/edit", cf, url.Values{"subject": {"Plan v3"}, "description": {"Line one\nLine two"},
		"attendees": {textareaOf(t, cf.body, "attendees")}}); p.status != http.StatusSeeOther {
		t.Fatalf("the admin edits: %d\n%s", p.status, p.body)
	}
	if got, _ := o.bk.Get(ctx, o.ann, v.ID); got.Subject != "Plan v3" || len(got.Attendees) != 2 {
		t.Fatalf("after the admin's edit: %+v", got)
	}

	// A cancelled meeting offers no edit.
	if _, err := o.bk.Cancel(ctx, o.ann, v.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	if p := ann.get("/meetings/" + v.ID); strings.Contains(p.body, `id="edit"`) {
		t.Fatal("a cancelled meeting offers to edit")
	}
}

// TestEditSeries: a series' edit page offers the whole series, and from
// an occurrence this one and the following ones (not this one alone: the
// core keeps these fields the series'); "following" splits the series; a
// forged "this" is the core's error under the scope.
func TestEditSeries(t *testing.T) {
	o := newOrgSite(t)
	ctx := context.Background()
	mon := nextMonday(9)
	v := o.book(o.ann, booking.Request{Subject: "Weekly", StartTime: mon.Format(time.RFC3339), Duration: 30, VideoProvider: "none",
		Type: "recurring", Recurrence: &booking.RecurrenceInput{RRule: "FREQ=WEEKLY;COUNT=4;BYDAY=MO"},
		Attendees: []booking.AttendeeInput{{Email: "bob@acme.test"}}})
	ann := o.signedIn("ann@acme.test", ownerPassword)
	if p := ann.get("/meetings/" + v.ID + "/edit"); p.status != 200 || !slices.Equal(radios(p.body, "scope"), []string{"all"}) {
		t.Fatalf("the series' edit form: %d %v\n%s", p.status, radios(p.body, "scope"), p.body)
	}
	third := mon.AddDate(0, 0, 14).UTC().Format(time.RFC3339)
	if p := ann.get("/meetings/" + v.ID); !strings.Contains(p.body, "/edit?occurrence="+url.QueryEscape(url.QueryEscape(third))) &&
		!strings.Contains(p.body, "/edit?occurrence="+url.QueryEscape(third)) {
		t.Fatalf("the series' page has no edit link per occurrence:\n%s", p.body)
	}
	form := ann.get("/meetings/" + v.ID + "/edit?occurrence=" + url.QueryEscape(third))
	if form.status != 200 || !slices.Equal(radios(form.body, "scope"), []string{"following", "all"}) ||
		!strings.Contains(form.body, `value="following" checked`) {
		t.Fatalf("the edit form from an occurrence: %d %v\n%s", form.status, radios(form.body, "scope"), form.body)
	}
	forged := ann.post("/meetings/"+v.ID+"/edit", form, url.Values{"occurrence": {third}, "scope": {"this"}, "subject": {"Only that one"}, "attendees": {"bob@acme.test"}})
	if forged.status != http.StatusUnprocessableEntity || !strings.Contains(forged.body, `id="f-scope-error"`) || !strings.Contains(forged.body, `value="Only that one"`) {
		t.Fatalf("scope this: %d\n%s", forged.status, forged.body)
	}
	done := ann.post("/meetings/"+v.ID+"/edit", form, url.Values{"occurrence": {third}, "scope": {"following"}, "subject": {"Weekly, later"}, "attendees": {"bob@acme.test"}})
	next := strings.TrimPrefix(done.header.Get("Location"), "/meetings/")
	if done.status != http.StatusSeeOther || next == v.ID || !strings.HasPrefix(next, "mtg_") {
		t.Fatalf("edit following: %d %q\n%s", done.status, done.header.Get("Location"), done.body)
	}
	if p := ann.get("/meetings/" + next); !strings.Contains(p.body, "The series is split here") {
		t.Fatalf("the new series' page:\n%s", p.body)
	}
	old, _ := o.bk.Get(ctx, o.ann, v.ID)
	nv, _ := o.bk.Get(ctx, o.ann, next)
	if old.Subject != "Weekly" || old.Recurrence.RRule != "FREQ=WEEKLY;COUNT=2;BYDAY=MO" || nv.Subject != "Weekly, later" || nv.Recurrence.RRule != "FREQ=WEEKLY;COUNT=2;BYDAY=MO" {
		t.Fatalf("after editing the following ones: %q %s / %q %s", old.Subject, old.Recurrence.RRule, nv.Subject, nv.Recurrence.RRule)
	}
}

// TestEditFrench: the edit page and its link in French.
func TestEditFrench(t *testing.T) {
	o := newOrgSite(t)
	v := o.book(o.bob, booking.Request{Subject: "Point", StartTime: nextMonday(11).Format(time.RFC3339), VideoProvider: "none"})
	bob := o.signedIn("bob@acme.test", orgMemberPassword)
	bob.header.Set("Accept-Language", "fr")
	if p := bob.get("/meetings/" + v.ID); !strings.Contains(p.body, `id="edit">Modifier</a>`) {
		t.Fatalf("the French meeting page:\n%s", p.body)
	}
	p := bob.get("/meetings/" + v.ID + "/edit")
	for _, want := range []string{`lang="fr"`, "<h1>Modifier la réunion</h1>", "Ceux que vous ajoutez reçoivent une invitation", "Enregistrer et prévenir les participants", ">Sujet</label>"} {
		if !strings.Contains(p.body, want) {
			t.Fatalf("the French edit page lacks %q:\n%s", want, p.body)
		}
	}
	done := bob.post("/meetings/"+v.ID+"/edit", p, url.Values{"subject": {"Point modifié"}})
	if done.status != http.StatusSeeOther || !strings.Contains(bob.get("/meetings/"+v.ID).body, "La réunion est modifiée") {
		t.Fatalf("the French flash: %d", done.status)
	}
}

// TestFormatAttendees: the attendees field of the edit form reads back
// as the attendees it was written from.
func TestFormatAttendees(t *testing.T) {
	in := []booking.AttendeeView{{Email: "a@example.com"}, {Email: "b@example.com", Name: "Lee, Carl"}, {Email: "c@example.com", Name: `Ann "Q" \ Lee`},
		{Email: "d@example.com", Name: "Zoé Ünal"}, {Email: "e@example.com", Name: "x; <y@example.com>"}}
	if got := parseAttendees(formatAttendees(in)); !sameAttendees(got, in) {
		t.Fatalf("%+v", got)
	}
}
