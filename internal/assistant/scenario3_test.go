package assistant

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/booking"
	"github.com/convene/convene/internal/store"
)

// twoGuests asks for a meeting with two external guests, in English.
func (e *env) twoGuests() (bob, carol store.Mail) {
	e.t.Helper()
	if _, err := e.deliver(msg{From: "Max Member <max@acme.test>", To: "Bob <bob@partner.example>, Carol <carol@other.example>",
		Cc: "assistant@acme.test", Subject: "Kick-off", Body: "Hi both, can we find 30 minutes next week?"}); err != nil {
		e.t.Fatal(err)
	}
	return e.mailsTo("bob@partner.example", "assistant.options")[0], e.mailsTo("carol@other.example", "assistant.options")[0]
}

// answer sends a guest's answer to one of the assistant's mails.
func (e *env) answer(from string, to store.Mail, body string) error {
	e.t.Helper()
	irt, refs := replyTo(e.t, to)
	e.clock.Advance(time.Minute)
	_, err := e.deliver(msg{From: from, To: "assistant@acme.test", Subject: "Re: " + strings.TrimPrefix(to.Subject, "Re: "), Body: body,
		InReplyTo: irt, References: refs})
	return err
}

// TestSeveralGuests: the meeting is booked at the first option every
// guest accepted; when everyone answered without a common option, the
// organizer decides by number.
func TestSeveralGuests(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		bob, carol := e.twoGuests()
		_, d := e.thread()
		if len(d.Guests) != 2 || d.Guests[0].Language != "en" {
			t.Fatalf("guests %+v", d.Guests)
		}
		// Bob can do 2 or 3 (two messages), Carol 3: booked at 3.
		if err := e.answer("bob@partner.example", bob, "Option 2 works."); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateProposed {
			t.Fatalf("booked before Carol answered: %s", th.State)
		}
		if n := len(e.mailsTo("bob@partner.example", "assistant.guest_thanks")); n != 1 {
			t.Errorf("Bob got %d thanks", n)
		}
		if err := e.answer("bob@partner.example", bob, "Option 3 would work too."); err != nil {
			t.Fatal(err)
		}
		if err := e.answer("carol@other.example", carol, "I can only do option 3."); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateBooked || !e.meeting().Start.Equal(d.Options[2].Start) {
			t.Fatalf("after both: %s at %s, want option 3 %s", th.State, e.meeting().Start, d.Options[2].Start)
		}
	})
	eachEngine(t, func(t *testing.T, e *env) {
		bob, carol := e.twoGuests()
		_, d := e.thread()
		if err := e.answer("bob@partner.example", bob, "The first one."); err != nil {
			t.Fatal(err)
		}
		if err := e.answer("carol@other.example", carol, "The second one works for me."); err != nil {
			t.Fatal(err)
		}
		th, d2 := e.thread()
		if th.State != stateProposed || d2.Question != askNoCommon {
			t.Fatalf("%s / %q", th.State, d2.Question)
		}
		ask := e.mailsTo("max@acme.test", "assistant.no_common")
		if len(ask) != 1 || !strings.Contains(text(t, ask[0]), "Bob: 1; Carol: 2") {
			t.Fatalf("no_common: %v", ask)
		}
		if err := e.answer("max@acme.test", ask[0], "Book option 2 please."); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateBooked || !e.meeting().Start.Equal(d.Options[1].Start) {
			t.Fatalf("the organizer's choice: %s at %s", th.State, e.meeting().Start)
		}
	})
}

// TestSlotTakenMeanwhile: a time that stopped being free (a colleague's
// calendar, the organizer's own booking) is never double-booked: the
// guests get new options instead.
func TestSlotTakenMeanwhile(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		_, d := e.thread()
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		toks := links(t, g)
		// Claire's calendar fills option 1.
		o := d.Options[0]
		ics := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:busy-1\r\nDTSTAMP:20310101T000000Z\r\n"+
			"DTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", o.Start.Format("20060102T150405Z"), o.End.Format("20060102T150405Z"))
		if _, err := e.cals.Import(ctx, principalOf(e.claire), "claire@acme.test", strings.NewReader(ics)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute) // each round's mail has its own time
		v, err := e.a.Choose(ctx, toks[0])
		if err != nil || v.State != LinkTaken {
			t.Fatalf("choose a taken time: %+v %v", v, err)
		}
		th, d2 := e.thread()
		if th.State != stateProposed || d2.Round != 2 || e.meeting().Status != store.MeetingProposed {
			t.Fatalf("after: %s round %d meeting %s", th.State, d2.Round, e.meeting().Status)
		}
		for _, no := range d2.Options {
			if no.Start.Before(o.End) && no.End.After(o.Start) {
				t.Errorf("the new options still hold the taken time %s", o.Start)
			}
		}
		renew := e.mailsTo("bob@partner.example", "assistant.new_options")
		if len(renew) != 1 || !strings.Contains(text(t, renew[0]), "vient d'être pris") {
			t.Fatalf("new options: %v", renew)
		}
		// The organizer books option 1 of the new round elsewhere, through
		// the API; the guest's click on it is refused as taken.
		newToks := links(t, renew[0])
		opt := d2.Options[0]
		other, err := e.booking.Create(ctx, principalOf(e.org), booking.Request{Subject: "Other", TimeZone: "Europe/Paris", Duration: 30,
			StartTime: opt.Start.Format(time.RFC3339), VideoProvider: "none"})
		if err != nil {
			t.Fatal(err)
		}
		e.waitIdle() // its calendar event written
		e.clock.Advance(time.Minute)
		if v, err := e.a.Choose(ctx, newToks[0]); err != nil || v.State != LinkTaken {
			t.Fatalf("the organizer's own meeting: %+v %v", v, err)
		}
		_, d3 := e.thread()
		if d3.Round != 3 {
			t.Errorf("round %d", d3.Round)
		}
		// The last line of defence: the organizer's time held in the
		// database (here a hold the calendars do not show yet) refuses the
		// booking in its transaction; new options again.
		third := links(t, e.mailsTo("bob@partner.example", "assistant.new_options")[1])
		taken := d3.Options[1]
		if err := e.db.AddHolds(ctx, []store.Hold{{AccountID: e.acct, OrganizerID: e.org.ID, MeetingID: other.ID, Start: taken.Start, End: taken.End}}); err != nil {
			t.Fatal(err)
		}
		if v, err := e.a.Choose(ctx, third[1]); err != nil || v.State != LinkTaken {
			t.Fatalf("a time the organizer holds: %+v %v", v, err)
		}
		if _, d4 := e.thread(); d4.Round != 4 || e.meeting().Status != store.MeetingProposed {
			t.Errorf("round %d, meeting %s", d4.Round, e.meeting().Status)
		}
		// Never two meetings at one time for the organizer.
		var n int
		if err := e.db.SQL().QueryRow(`SELECT count(*) FROM holds WHERE account_id = $1`, e.acct).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d holds, want the other meeting's two", n)
		}
	})
}

// TestGuestNoneWorkNextWeek: "none of these, next week?" gets new options
// in that window; a guest who then declines is told to the organizer, who
// is asked what to do and cancels.
func TestGuestNoneWorkNextWeek(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.request("Point projet", "Un point de 30 minutes demain ?")
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		if err := e.answer("bob@partner.example", g, "Aucun ne me va, la semaine prochaine ?"); err != nil {
			t.Fatal(err)
		}
		_, d := e.thread()
		if d.Round != 2 {
			t.Fatalf("round %d", d.Round)
		}
		for _, o := range d.Options {
			if l := o.Start.In(paris); l.Before(time.Date(2031, 3, 10, 0, 0, 0, 0, paris)) || !l.Before(time.Date(2031, 3, 17, 0, 0, 0, 0, paris)) {
				t.Errorf("option %s is not next week", l)
			}
		}
		if n := len(e.mailsTo("bob@partner.example", "assistant.new_options")); n != 1 {
			t.Errorf("%d new option mails", n)
		}
		// The guest declines after all: the organizer is told and asked.
		g2 := e.mailsTo("bob@partner.example", "assistant.new_options")[0]
		if err := e.answer("bob@partner.example", g2, "Désolé, je ne pourrai pas venir finalement."); err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if d.Question != askDeclined || d.Guests[0].Status != guestDeclined || th.State != stateProposed {
			t.Fatalf("after the decline: %s %q %s", th.State, d.Question, d.Guests[0].Status)
		}
		ask := e.mailsTo("max@acme.test", "assistant.declined")
		if len(ask) != 1 || !strings.Contains(text(t, ask[0]), "ne peut pas venir") || !strings.Contains(text(t, ask[0]), "« annuler »") {
			t.Fatalf("declined: %v", ask)
		}
		if err := e.answer("max@acme.test", ask[0], "Annule la réunion."); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateCancelled || e.meeting().Status != store.MeetingCancelled {
			t.Errorf("after cancelling: %s / %s", th.State, e.meeting().Status)
		}
	})
}

// TestReminders: a silent guest gets one reminder after GuestReminder,
// the organizer one question after as long again, and "continue" books
// without the guest. The clock is the service's.
func TestReminders(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		th, _ := e.thread()
		if !th.Due.Equal(start.Add(24 * time.Hour)) {
			t.Fatalf("due %s, want 24 h after the options", th.Due)
		}
		remind := func() {
			t.Helper()
			if err := e.a.Remind(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.clock.Advance(23 * time.Hour)
		remind()
		if n := len(e.mailsTo("bob@partner.example", "assistant.reminder")); n != 0 {
			t.Fatalf("reminded after 23 h")
		}
		e.clock.Advance(time.Hour)
		remind()
		remind() // twice: still one reminder
		rem := e.mailsTo("bob@partner.example", "assistant.reminder")
		if len(rem) != 1 || !strings.Contains(text(t, rem[0]), "Petit rappel") || len(links(t, rem[0])) == 0 {
			t.Fatalf("reminders: %d", len(rem))
		}
		if n := len(e.mailsTo("max@acme.test", "assistant.silent")); n != 0 {
			t.Fatal("the organizer was asked with the reminder")
		}
		e.clock.Advance(24 * time.Hour)
		remind()
		remind()
		ask := e.mailsTo("max@acme.test", "assistant.silent")
		if len(ask) != 1 || !strings.Contains(text(t, ask[0]), "n'a pas répondu") {
			t.Fatalf("questions to the organizer: %d", len(ask))
		}
		if th, _ := e.thread(); !th.Due.IsZero() {
			t.Errorf("still due at %s", th.Due)
		}
		e.clock.Advance(72 * time.Hour)
		remind()
		if n := len(e.mailsTo("bob@partner.example", "assistant.reminder")) + len(e.mailsTo("max@acme.test", "assistant.silent")); n != 2 {
			t.Errorf("%d reminders and questions, want 2", n)
		}
		// "continuer": booked at the first option, without Bob's answer.
		_, d := e.thread()
		if err := e.answer("max@acme.test", ask[0], "Continue sans lui."); err != nil {
			t.Fatal(err)
		}
		th, d2 := e.thread()
		if th.State != stateBooked || !e.meeting().Start.Equal(d.Options[0].Start) || d2.Guests[0].Status != guestDropped {
			t.Fatalf("after continuing: %s at %s, guest %s", th.State, e.meeting().Start, d2.Guests[0].Status)
		}
	})
}
