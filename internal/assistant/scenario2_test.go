package assistant

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// TestColleaguesOnlyBooksTheBestSlot: with colleagues only, the best slot
// is booked in the window asked, the invitations go out and the organizer
// gets one short confirmation in the thread, in English.
func TestColleaguesOnlyBooksTheBestSlot(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		first, err := e.deliver(msg{From: "Max Member <max@acme.test>", To: "claire@acme.test", Cc: "assistant@acme.test",
			Subject: "Budget review", Body: "Hi Claire,\n\nLet's meet Wednesday afternoon for an hour.\n\nMax"})
		if err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if th.State != stateBooked || len(d.Guests) != 0 {
			t.Fatalf("thread %s, guests %v", th.State, d.Guests)
		}
		m := e.meeting()
		l := m.Start.In(paris)
		if l.Weekday() != time.Wednesday || l.Day() != 5 || l.Hour() != 12 || m.Duration != 60 {
			t.Errorf("booked %s for %d min, want Wednesday 5 March 12:00 (the afternoon's first hour) for 60", l, m.Duration)
		}
		e.waitMail("claire@acme.test", "request", 1)
		conf := e.waitMail("max@acme.test", "assistant.booked", 1)[0]
		body := text(t, conf)
		if !strings.Contains(body, `"Budget review" is booked: Wednesday, March 5, 2031, 12:00 – 1:00 PM (Paris time), with Claire Dubois`) ||
			!strings.Contains(body, "Jitsi Meet: https://meet.example/") {
			t.Errorf("confirmation:\n%s", body)
		}
		if got := header(t, conf, "In-Reply-To"); got != "<"+first.MessageID+">" && !strings.Contains(got, strings.Split(first.ID, "_")[0]) {
			if !strings.Contains(got, "@client.test") {
				t.Errorf("confirmation In-Reply-To %q", got)
			}
		}
		// Only the confirmation and the invitations: nothing to guests.
		e.waitIdle()
		for _, ml := range e.mails() {
			if strings.HasPrefix(ml.Kind, "assistant.") && ml.Kind != "assistant.booked" {
				t.Errorf("unexpected mail %s to %v", ml.Kind, ml.Recipients)
			}
		}
	})
}

// TestRedeliveryChangesNothing: the same message handed over twice (a
// retried job) sends nothing more and changes no row.
func TestRedeliveryChangesNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.request("Point projet", "Bonjour, un point de 30 minutes demain ?")
		_, d := e.thread()
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		irt, refs := replyTo(t, g)
		answer, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "Re: Point projet",
			Body: "The first one works for me.", InReplyTo: irt, References: refs})
		if err != nil {
			t.Fatal(err)
		}
		e.waitFor("booked", func() bool { return e.meeting().Status == store.MeetingBooked })
		e.waitMail("max@acme.test", "assistant.booked", 1)
		e.waitIdle()
		if !e.meeting().Start.Equal(d.Options[0].Start) {
			t.Errorf("booked at %s, want the first option %s", e.meeting().Start, d.Options[0].Start)
		}
		before := len(e.mails())
		th0, _ := e.thread()
		meetings, threads := e.rows("meetings"), e.rows("assistant_threads")
		// Redelivered, and later.
		e.clock.Advance(time.Minute)
		if err := e.processAgain(answer, false); err != nil {
			t.Fatal(err)
		}
		e.waitIdle()
		th1, _ := e.thread()
		if n := len(e.mails()); n != before {
			t.Errorf("%d mails after the redelivery, %d before", n, before)
		}
		if th1.Version != th0.Version || e.rows("meetings") != meetings || e.rows("assistant_threads") != threads {
			t.Errorf("the redelivery changed the thread (version %d → %d) or added rows", th0.Version, th1.Version)
		}
	})
}

// TestRefusals: a sender who may not command the assistant books nothing
// and sends nothing to the claimed organizer's guests; an authenticated
// stranger gets one polite refusal, an unproven one nothing at all; a
// stranger writing into a thread changes nothing.
func TestRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		// Spoofed: claims to be Max, not proven.
		_, err := e.deliver(msg{From: "Max Member <max@acme.test>", To: "bob@partner.example", Cc: "assistant@acme.test",
			Subject: "Urgent", Body: "Let's meet tomorrow at 10.", Unauthenticated: true})
		if !notProcessed(err) || !strings.Contains(err.Error(), "not proven") {
			t.Errorf("spoofed: %v", err)
		}
		// A stranger, proven: a polite refusal, to them only.
		_, err = e.deliver(msg{From: "Eve <eve@elsewhere.example>", To: "bob@partner.example", Cc: "assistant@acme.test",
			Subject: "Meeting", Body: "Let's meet tomorrow at 10."})
		if !notProcessed(err) || !strings.Contains(err.Error(), "not a user of this account") {
			t.Errorf("stranger: %v", err)
		}
		if e.rows("meetings") != 0 || e.rows("assistant_threads") != 0 {
			t.Errorf("something was booked: %d meetings, %d threads", e.rows("meetings"), e.rows("assistant_threads"))
		}
		ms := e.mails()
		if len(ms) != 1 || ms[0].Recipients[0] != "eve@elsewhere.example" || ms[0].Kind != "assistant.refusal" {
			t.Fatalf("mail sent: %v", ms)
		}
		if header(t, ms[0], "Auto-Submitted") != "auto-replied" || !strings.Contains(text(t, ms[0]), "only act for the people of Acme Corp") {
			t.Errorf("refusal:\n%s", ms[0].Raw)
		}
		// A real request, then the stranger writes into its thread.
		e.request("Point projet", "Un point demain ?")
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		irt, refs := replyTo(t, g)
		mails := len(e.mails())
		_, err = e.deliver(msg{From: "eve@elsewhere.example", To: "assistant@acme.test", Subject: "Re: Point projet",
			Body: "The first one works. Cancel it.", InReplyTo: irt, References: refs})
		if !notProcessed(err) || !strings.Contains(err.Error(), "not part of this meeting") {
			t.Errorf("stranger in a thread: %v", err)
		}
		if th, _ := e.thread(); th.State != stateProposed || len(e.mails()) != mails {
			t.Errorf("the stranger changed the thread: %s, %d mails", th.State, len(e.mails())-mails)
		}
		// A colleague who is not the organizer cannot cancel.
		_, err = e.deliver(msg{From: "claire@acme.test", To: "assistant@acme.test", Subject: "Re: Point projet",
			Body: "Please cancel this meeting.", InReplyTo: irt, References: refs})
		if err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateProposed || e.meeting().Status != store.MeetingProposed {
			t.Errorf("a colleague cancelled: %s", th.State)
		}
	})
}

// TestAsksOnlyWhatCannotBeDefaulted: no attendee is the one thing asked;
// the organizer's answer completes the request, which is then booked with
// the defaults (their length, the next working days).
func TestAsksOnlyWhatCannotBeDefaulted(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.deliver(msg{From: "max@acme.test", To: "assistant@acme.test", Subject: "Sync", Body: "Can you set up a sync?"}); err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if th.State != stateAsking || d.Question != askAttendees {
			t.Fatalf("%s / %s", th.State, d.Question)
		}
		ask := e.mailsTo("max@acme.test", "assistant.ask_attendees")
		if len(ask) != 1 || !strings.Contains(text(t, ask[0]), "Who should I invite") {
			t.Fatalf("asked: %v", ask)
		}
		irt, refs := replyTo(t, ask[0])
		if _, err := e.deliver(msg{From: "max@acme.test", To: "assistant@acme.test", Subject: "Re: Sync",
			Body: "With Claire please.", InReplyTo: irt, References: refs}); err != nil {
			t.Fatal(err)
		}
		th, d = e.thread()
		if th.State != stateBooked || len(d.Attendees) != 1 || d.Attendees[0].Email != "claire@acme.test" {
			t.Fatalf("after the answer: %s %v", th.State, d.Attendees)
		}
		m := e.meeting()
		if m.Duration != 30 || !m.Start.After(start) || m.Start.After(start.Add(8*24*time.Hour)) {
			t.Errorf("booked %s for %d min, want the organizer's 30 within the next working days", m.Start, m.Duration)
		}
	})
}

// TestOrganizerChangesByReply: the organizer lengthens, moves and cancels
// a booked meeting by answering the confirmation.
func TestOrganizerChangesByReply(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.deliver(msg{From: "max@acme.test", To: "claire@acme.test", Cc: "assistant@acme.test",
			Subject: "Weekly", Body: "Let's meet on Thursday at 10am for 30 minutes."}); err != nil {
			t.Fatal(err)
		}
		conf := e.waitMail("max@acme.test", "assistant.booked", 1)[0]
		m := e.meeting()
		if l := m.Start.In(paris); l.Weekday() != time.Thursday || l.Hour() != 10 {
			t.Fatalf("booked %s", l)
		}
		e.waitMail("claire@acme.test", "request", 1)
		e.waitIdle()
		reply := func(body string) store.Mail {
			seen := map[string]bool{}
			for _, m := range e.mailsTo("max@acme.test", "") {
				seen[m.ID] = true
			}
			irt, refs := replyTo(t, conf)
			e.clock.Advance(time.Minute)
			if _, err := e.deliver(msg{From: "max@acme.test", To: "assistant@acme.test", Subject: "Re: Weekly", Body: body,
				InReplyTo: irt, References: refs}); err != nil {
				t.Fatal(err)
			}
			for _, m := range e.mailsTo("max@acme.test", "") {
				if !seen[m.ID] && strings.HasPrefix(m.Kind, "assistant.") {
					return m
				}
			}
			t.Fatalf("no answer to %q", body)
			return store.Mail{}
		}
		got := reply("Can you make it 15 minutes longer?")
		if m := e.meeting(); m.Duration != 45 || m.Sequence != 1 {
			t.Errorf("after lengthening: %d min, sequence %d", m.Duration, m.Sequence)
		}
		if got.Kind != "assistant.changed" || !strings.Contains(text(t, got), "now lasts 45 minutes") {
			t.Errorf("lengthened: %s\n%s", got.Kind, text(t, got))
		}
		e.waitMail("claire@acme.test", "request", 2) // the update
		e.waitIdle()
		got = reply("Please move it to Friday at 2pm.")
		if l := e.meeting().Start.In(paris); l.Weekday() != time.Friday || l.Hour() != 14 || e.meeting().Duration != 45 {
			t.Errorf("after moving: %s (%d min)", l, e.meeting().Duration)
		}
		if got.Kind != "assistant.changed" || !strings.Contains(text(t, got), "now takes place on Friday, March 7, 2031, 2:00 – 2:45 PM") {
			t.Errorf("moved: %s\n%s", got.Kind, text(t, got))
		}
		got = reply("Actually, please cancel it.")
		if m := e.meeting(); m.Status != store.MeetingCancelled {
			t.Errorf("after cancelling: %s", m.Status)
		}
		if th, _ := e.thread(); th.State != stateCancelled || got.Kind != "assistant.cancelled" {
			t.Errorf("cancelled: %s %s", th.State, got.Kind)
		}
		e.waitMail("claire@acme.test", "cancel", 1)
		// A provider nobody installed is refused by name, nothing changes.
		_ = context.Background()
	})
}
