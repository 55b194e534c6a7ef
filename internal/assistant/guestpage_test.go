package assistant

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// guestOf is the booking.Guest a link of the thread names for addr.
func (e *env) guestOf(addr string) booking.Guest {
	th, _ := e.thread()
	return booking.Guest{AccountID: e.acct, MeetingID: th.MeetingID, Email: addr}
}

// TestGuestPagePick: the page behind a link shows the round's times and
// the link's own first; a pick there, of the link's time or another one,
// is the guest's answer (booked at once with one guest), recorded as the
// link's step; the link then answers no more, the other links of the
// round are closed, and an answer for another guest, or with a link
// signed for another address, is refused as not found.
func TestGuestPagePick(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		mail := e.mailsTo("bob@partner.example", "assistant.options")[0]
		toks, all := links(t, mail), allLink(t, mail)
		th, d := e.thread()
		if len(toks) != len(d.Options) || all == toks[0] {
			t.Fatalf("%d option links for %d options; all %q", len(toks), len(d.Options), all)
		}
		bob := e.guestOf("bob@partner.example")

		// Reading the page changes nothing, however often.
		v, err := e.a.Describe(ctx, toks[1])
		if err != nil || v.State != LinkConfirm || v.Option != 1 || !v.Selected.Equal(d.Options[1].Start) || v.Email != "bob@partner.example" ||
			v.MeetingID != th.MeetingID || v.Lang != "fr" {
			t.Fatalf("describe: %+v %v", v, err)
		}
		if v, _ := e.a.Describe(ctx, all); v.State != LinkConfirm || v.Option != -1 || !v.Selected.IsZero() {
			t.Fatalf("the link to every option: %+v", v)
		}
		for range 3 {
			p, err := e.a.GuestAnswers(toks[1]).GuestProposal(ctx, bob)
			if err != nil || p.Status != store.MeetingProposed || len(p.Options) != len(d.Options) || p.Subject != "Point projet" ||
				p.Organizer.Name != "Max Member" || p.Outcome != "" {
				t.Fatalf("proposal: %+v %v", p, err)
			}
		}
		if th2, _ := e.thread(); th2.Version != th.Version || e.meeting().Status != store.MeetingProposed {
			t.Fatal("reading the page changed the thread")
		}

		// Another guest's address on a genuine link, and a link signed
		// for another address: not found, nothing recorded.
		mallory := booking.Guest{AccountID: e.acct, MeetingID: th.MeetingID, Email: "mallory@evil.example"}
		if _, err := e.a.GuestAnswers(toks[1]).GuestChoose(ctx, mallory, d.Options[1].Start); failure.KindOf(err) != failure.NotFound {
			t.Errorf("another guest on Bob's link: %v", err)
		}
		forged, _ := signLink(e.a.LinkKey, linkClaims{Expires: start.Add(48 * time.Hour), Round: d.Round, Option: 1, AccountID: e.acct,
			ThreadID: th.ID, MeetingID: th.MeetingID, Guest: "mallory@evil.example"}, nil)
		if _, err := e.a.GuestAnswers(forged).GuestChoose(ctx, mallory, d.Options[1].Start); failure.KindOf(err) != failure.NotFound {
			t.Errorf("a link for another address: %v", err)
		}
		// A time that is not offered.
		if _, err := e.a.GuestAnswers(toks[1]).GuestChoose(ctx, bob, d.Options[1].Start.Add(time.Minute)); failure.KindOf(err) != failure.Invalid {
			t.Errorf("a time not offered: %v", err)
		}
		if th2, _ := e.thread(); th2.Version != th.Version || e.meeting().Status != store.MeetingProposed {
			t.Fatal("a refused answer changed the thread")
		}

		// Bob opened option 2's link and picks option 3 on its page.
		p, err := e.a.GuestAnswers(toks[1]).GuestChoose(ctx, bob, d.Options[2].Start)
		if err != nil || p.Outcome != booking.GuestBooked || len(p.Options) != 0 {
			t.Fatalf("pick: %+v %v", p, err)
		}
		e.waitFor("booked", func() bool { return e.meeting().Status == store.MeetingBooked })
		if !e.meeting().Start.Equal(d.Options[2].Start) {
			t.Fatalf("booked at %s, want option 3", e.meeting().Start)
		}
		id := func(tok string) string { _, id, _ := parseLink(e.a.LinkKey, tok, start); return id }
		if st := e.step(linkUsedStep + id(toks[1])); st.Status != store.StepDone || !strings.Contains(st.Detail, "option 3") {
			t.Errorf("the link's step: %+v", st)
		}
		// Used once: the same link again, or the round's others.
		if v, _ := e.a.Describe(ctx, toks[1]); v.Problem != ProblemUsed {
			t.Errorf("used link: %+v", v)
		}
		if _, err := e.a.GuestAnswers(toks[1]).GuestChoose(ctx, bob, d.Options[2].Start); failure.KindOf(err) != failure.Conflict {
			t.Errorf("a second answer with the link: %v", err)
		}
		if _, err := e.a.GuestAnswers(all).GuestDecline(ctx, bob, ""); failure.KindOf(err) != failure.Conflict {
			t.Errorf("none works after the booking: %v", err)
		}
		if v, _ := e.a.Describe(ctx, toks[0]); v.Problem != ProblemClosed || v.MeetingStatus != store.MeetingBooked || v.When == "" {
			t.Errorf("another option's link after the booking: %+v", v)
		}
		if p, err := e.a.GuestAnswers(toks[0]).GuestProposal(ctx, bob); err != nil || p.Status != store.MeetingBooked || len(p.Options) != 0 {
			t.Errorf("the page of a booked meeting: %+v %v", p, err)
		}
		e.waitMail("max@acme.test", "assistant.booked", 1)
		e.waitIdle()
		if n := e.rows("meetings"); n != 1 {
			t.Errorf("%d meetings", n)
		}
		if n := len(e.mailsTo("bob@partner.example", "assistant.guest_thanks")); n != 0 {
			t.Errorf("the page thanks; the mail must not: %d", n)
		}
	})
}

// TestGuestPageSeveralGuests: picks on the page count like picks in
// words: booked at the first option every guest accepts.
func TestGuestPageSeveralGuests(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bobMail, carolMail := e.twoGuests()
		_, d := e.thread()
		p, err := e.a.GuestAnswers(allLink(t, bobMail)).GuestChoose(ctx, e.guestOf("bob@partner.example"), d.Options[1].Start)
		if err != nil || p.Outcome != booking.GuestAccepted || p.Status != store.MeetingProposed {
			t.Fatalf("Bob's pick: %+v %v", p, err)
		}
		if th, _ := e.thread(); th.State != stateProposed {
			t.Fatalf("booked before Carol answered: %s", th.State)
		}
		// Bob's link answered: it accepts nothing more, and says none
		// works no more either.
		if _, err := e.a.GuestAnswers(allLink(t, bobMail)).GuestChoose(ctx, e.guestOf("bob@partner.example"), d.Options[2].Start); failure.KindOf(err) != failure.Conflict {
			t.Errorf("Bob's link again: %v", err)
		}
		if _, err := e.a.GuestAnswers(allLink(t, bobMail)).GuestDecline(ctx, e.guestOf("bob@partner.example"), ""); failure.KindOf(err) != failure.Conflict {
			t.Errorf("Bob's link again, none works: %v", err)
		}
		if _, d2 := e.thread(); len(d2.Guests[0].Accepted) != 1 || d2.Round != d.Round {
			t.Fatalf("a used link answered: %+v, round %d", d2.Guests[0], d2.Round)
		}
		p, err = e.a.GuestAnswers(links(t, carolMail)[1]).GuestChoose(ctx, e.guestOf("carol@other.example"), d.Options[1].Start)
		if err != nil || p.Outcome != booking.GuestBooked {
			t.Fatalf("Carol's pick: %+v %v", p, err)
		}
		if th, _ := e.thread(); th.State != stateBooked || !e.meeting().Start.Equal(d.Options[1].Start) {
			t.Fatalf("after both: %s at %s", th.State, e.meeting().Start)
		}
	})
}

// TestGuestPageNoneWorks: "none of these works" on the page, with a note
// asking for next week, is the reply saying so: the same new options (in
// next week) go to the guest, the old links are void; without a free
// time, the organizer is asked.
func TestGuestPageNoneWorks(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			// By mail.
			e := newEnv(t, engine)
			e.request("Point projet", "Un point de 30 minutes cette semaine ?")
			if err := e.answer("bob@partner.example", e.mailsTo("bob@partner.example", "assistant.options")[0], "Aucun ne convient, la semaine prochaine ?"); err != nil {
				t.Fatal(err)
			}
			_, byMail := e.thread()

			// On the page, with the same clock.
			e = newEnv(t, engine)
			ctx := context.Background()
			e.request("Point projet", "Un point de 30 minutes cette semaine ?")
			toks := links(t, e.mailsTo("bob@partner.example", "assistant.options")[0])
			_, d1 := e.thread()
			e.clock.Advance(time.Minute)
			bob := e.guestOf("bob@partner.example")
			if _, err := e.a.GuestAnswers(toks[0]).GuestDecline(ctx, bob, strings.Repeat("x", maxGuestNote+1)); failure.KindOf(err) != failure.Invalid {
				t.Fatalf("a note too long: %v", err)
			}
			p, err := e.a.GuestAnswers(toks[0]).GuestDecline(ctx, bob, "la semaine prochaine ?")
			if err != nil || p.Outcome != booking.GuestNewTimes {
				t.Fatalf("none works: %+v %v", p, err)
			}
			th, d := e.thread()
			if th.State != stateProposed || d.Round != d1.Round+1 || e.meeting().Status != store.MeetingProposed {
				t.Fatalf("after none works: %s round %d", th.State, d.Round)
			}
			news := e.mailsTo("bob@partner.example", "assistant.new_options")
			if len(news) != 1 || len(links(t, news[0])) != len(d.Options) {
				t.Fatalf("new options mailed: %d", len(news))
			}
			if v, _ := e.a.Describe(ctx, toks[1]); v.Problem != ProblemReplaced {
				t.Errorf("an old link after new times: %+v", v)
			}
			if v, _ := e.a.Describe(ctx, links(t, news[0])[0]); v.State != LinkConfirm {
				t.Errorf("a new link: %+v", v)
			}
			// Next week (from Monday 10 March 2031), and the very
			// options the reply in words got.
			for _, o := range d.Options {
				if o.Start.Before(time.Date(2031, 3, 9, 23, 0, 0, 0, time.UTC)) {
					t.Errorf("an option before next week: %s", o.Start)
				}
			}
			if len(byMail.Options) == 0 || len(byMail.Options) != len(d.Options) || byMail.Round != d.Round {
				t.Fatalf("by mail %v, by the page %v", byMail.Options, d.Options)
			}
			for i := range d.Options {
				if !byMail.Options[i].Start.Equal(d.Options[i].Start) {
					t.Errorf("option %d: %s by mail, %s by the page", i+1, byMail.Options[i].Start, d.Options[i].Start)
				}
			}
		})
	}
}

// TestGuestPageTaken: a time taken meanwhile, picked on the page, is
// never double-booked: new times go out and the page says so.
func TestGuestPageTaken(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		_, d := e.thread()
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		// The organizer books option 1's time for something else.
		o := d.Options[0]
		if _, err := e.booking.Create(ctx, principalOf(e.org), booking.Request{Subject: "Mine", StartTime: o.Start.Format(time.RFC3339),
			Duration: 30, VideoProvider: "none"}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		p, err := e.a.GuestAnswers(links(t, g)[0]).GuestChoose(ctx, e.guestOf("bob@partner.example"), o.Start)
		if err != nil || p.Outcome != booking.GuestTaken {
			t.Fatalf("a taken time: %+v %v", p, err)
		}
		if _, d2 := e.thread(); d2.Round != d.Round+1 || e.meeting().Status != store.MeetingProposed {
			t.Fatalf("round %d, meeting %s", d2.Round, e.meeting().Status)
		}
		if n := len(e.mailsTo("bob@partner.example", "assistant.new_options")); n != 1 {
			t.Errorf("%d new options mails", n)
		}
	})
}

// TestAdoptAPIProposal: a proposal made through the API (booking's
// Create with a window and a guest) is the assistant's to mail: the guest
// gets the options with their links (no "Re:": no thread before), a pick
// on the page books it, and the organizer gets the confirmation. A
// proposal chosen through the API meanwhile closes the links and ends the
// reminders.
func TestAdoptAPIProposal(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.booking.OnProposal = e.a.Adopt
		create := func(subject string) *booking.View {
			v, err := e.booking.Create(ctx, principalOf(e.org), booking.Request{Subject: subject, Duration: 30, TimeZone: "Europe/Paris",
				Window:    &booking.Window{From: "2031-03-10T08:00", To: "2031-03-14T18:00"},
				Attendees: []booking.AttendeeInput{{Email: "gus@guest.example", Name: "Gus Guest"}, {Email: "claire@acme.test"}}})
			if err != nil || v.Status != store.MeetingProposed {
				t.Fatalf("proposal: %+v %v", v, err)
			}
			return v
		}
		v := create("Partnership")
		opts := e.mailsTo("gus@guest.example", "assistant.options")
		if len(opts) != 1 || opts[0].Subject != "Partnership" || opts[0].MeetingID != v.ID || len(links(t, opts[0])) != len(v.Options) {
			t.Fatalf("the guest's options: %+v", opts)
		}
		if txt := text(t, opts[0]); !strings.Contains(txt, "Hello Gus") || header(t, opts[0], "In-Reply-To") != "" {
			t.Errorf("the options mail:\n%s", txt)
		}
		if n := len(e.mailsTo("claire@acme.test", "")) + len(e.mailsTo("max@acme.test", "")); n != 0 {
			t.Errorf("%d mails to the organizer or the colleague", n)
		}
		th, d := e.thread()
		if th.MeetingID != v.ID || th.State != stateProposed || len(d.Guests) != 1 || d.Guests[0].TimeZone != "Europe/Paris" {
			t.Fatalf("thread %+v %+v", th, d)
		}
		if st := e.step("proposal:" + v.ID); st.Status != store.StepDone {
			t.Errorf("step %+v", st)
		}
		gus := booking.Guest{AccountID: e.acct, MeetingID: v.ID, Email: "gus@guest.example"}
		p, err := e.a.GuestAnswers(links(t, opts[0])[1]).GuestChoose(ctx, gus, d.Options[1].Start)
		if err != nil || p.Outcome != booking.GuestBooked {
			t.Fatalf("pick: %+v %v", p, err)
		}
		e.waitMail("max@acme.test", "assistant.booked", 1)

		// Chosen through the API meanwhile: the links close; the sweep
		// stops the reminders.
		v2 := create("Second")
		opts2 := e.mailsTo("gus@guest.example", "assistant.options")
		if len(opts2) != 2 {
			t.Fatalf("%d options mails", len(opts2))
		}
		if _, err := e.booking.Choose(ctx, principalOf(e.org), v2.ID, v2.Options[0].StartTime); err != nil {
			t.Fatal(err)
		}
		second := opts2[1]
		if second.MeetingID != v2.ID {
			second = opts2[0] // the clock stood still: same time, either order
		}
		tok := links(t, second)[0]
		if v, _ := e.a.Describe(ctx, tok); v.Problem != ProblemClosed || v.MeetingStatus == store.MeetingProposed {
			t.Errorf("a link of a proposal chosen through the API: %+v", v)
		}
		gus.MeetingID = v2.ID
		if _, err := e.a.GuestAnswers(tok).GuestChoose(ctx, gus, mustParse(t, v2.Options[1].StartTime)); failure.KindOf(err) != failure.Conflict {
			t.Errorf("a pick after the API's choice: %v", err)
		}
		e.clock.Advance(25 * time.Hour)
		if err := e.a.Remind(ctx); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mailsTo("gus@guest.example", "assistant.reminder")); n != 0 {
			t.Errorf("%d reminders about a booked meeting", n)
		}
		th2, err := e.db.ThreadOfMeeting(ctx, e.acct, v2.ID)
		if err != nil || th2.State != stateBooked || !th2.Due.IsZero() {
			t.Errorf("the thread after the sweep: %+v %v", th2, err)
		}

		// Without a verified domain there is no assistant address to
		// answer: the proposal is not mailed.
		if err := e.db.DeleteDomain(ctx, e.acct, "acme.test", time.Now()); err != nil {
			t.Fatal(err)
		}
		v3 := create("Third")
		if _, err := e.db.ThreadOfMeeting(ctx, e.acct, v3.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a thread for a proposal with no assistant address: %v", err)
		}
		if n := len(e.mailsTo("gus@guest.example", "assistant.options")); n != 2 {
			t.Errorf("%d options mails, want 2", n)
		}
	})
}

func mustParse(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
