package assistant

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// TestMoveToAWindow: "move it to next week" moves a colleagues-only
// meeting to the best free slot of that week; with a guest, the guest gets
// options to move it, and their pick moves it (an update for everyone,
// never a second meeting).
func TestMoveToAWindow(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.deliver(msg{From: "max@acme.test", To: "claire@acme.test", Cc: "assistant@acme.test",
			Subject: "Weekly", Body: "Let's meet on Wednesday at 3pm."}); err != nil {
			t.Fatal(err)
		}
		conf := e.waitMail("max@acme.test", "assistant.booked", 1)[0]
		e.waitIdle()
		if err := e.answer("max@acme.test", conf, "Could we move it to next week?"); err != nil {
			t.Fatal(err)
		}
		m := e.meeting()
		if l := m.Start.In(paris); l.Before(time.Date(2031, 3, 10, 9, 0, 0, 0, paris)) || !l.Before(time.Date(2031, 3, 17, 0, 0, 0, 0, paris)) || m.Sequence != 1 {
			t.Errorf("moved to %s (sequence %d), want next week", l, m.Sequence)
		}
		if ch := e.mailsTo("max@acme.test", "assistant.changed"); len(ch) != 1 {
			t.Errorf("%d changed mails", len(ch))
		}
	})
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		m := e.booked()
		conf := e.mailsTo("max@acme.test", "assistant.booked")[0]
		if err := e.answer("max@acme.test", conf, "Pouvez-vous la déplacer à la semaine d'après ?"); err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if th.State != stateBooked || !d.Moving || d.Round != 2 {
			t.Fatalf("moving: %s %v round %d", th.State, d.Moving, d.Round)
		}
		opts := e.mailsTo("bob@partner.example", "assistant.new_options")
		if len(opts) != 1 || !strings.Contains(text(t, opts[0]), "souhaite déplacer") {
			t.Fatalf("options to move: %v", opts)
		}
		if cur := e.meeting(); !cur.Start.Equal(m.Start) {
			t.Fatal("moved before the guest answered")
		}
		v, err := e.a.Choose(ctx, links(t, opts[0])[1])
		if err != nil || v.State != LinkBooked {
			t.Fatalf("choose: %+v %v", v, err)
		}
		cur := e.meeting()
		if !cur.Start.Equal(d.Options[1].Start) || cur.Sequence != 1 || cur.Status != store.MeetingBooked || e.rows("meetings") != 1 {
			t.Errorf("after the guest's pick: %s seq %d %s, %d meetings", cur.Start, cur.Sequence, cur.Status, e.rows("meetings"))
		}
		if th, d := e.thread(); th.State != stateBooked || d.Moving {
			t.Errorf("thread %s moving %v", th.State, d.Moving)
		}
		e.waitMail("bob@partner.example", "request", 2) // the update
	})
}

// TestShortenAProposal: the organizer shortens a meeting still being
// proposed: the guests get new options of the new length.
func TestShortenAProposal(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.request("Point projet", "Un point d'une heure la semaine prochaine ?")
		note := e.mailsTo("max@acme.test", "assistant.proposed")[0]
		if err := e.answer("max@acme.test", note, "Finalement, 30 minutes suffiront, plus court."); err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if th.State != stateProposed || d.Round != 2 || d.Duration != 30 || e.meeting().Duration != 30 {
			t.Fatalf("%s round %d duration %d/%d", th.State, d.Round, d.Duration, e.meeting().Duration)
		}
		for _, o := range d.Options {
			if o.End.Sub(o.Start) != 30*time.Minute {
				t.Errorf("option of %v", o.End.Sub(o.Start))
			}
		}
		if n := len(e.mailsTo("bob@partner.example", "assistant.new_options")); n != 1 {
			t.Errorf("%d new option mails", n)
		}
	})
}
