package assistant

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/convene/convene/internal/store"
)

// TestOneWorkerPerThread: while another worker holds a thread, a message
// for it is put off (a snooze, not an attempt) and changes nothing; once
// the thread is free it is handled.
func TestOneWorkerPerThread(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		th, _ := e.thread()
		ok, err := e.db.LeaseThread(ctx, e.acct, th.ID, "other-worker", e.clock.Now(), e.clock.Now().Add(time.Minute))
		if err != nil || !ok {
			t.Fatalf("lease: %v %v", ok, err)
		}
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		irt, refs := replyTo(t, g)
		im, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "Re: Point projet",
			Body: "The first one works.", InReplyTo: irt, References: refs})
		var snooze *rivertype.JobSnoozeError
		if !errors.As(err, &snooze) {
			t.Fatalf("while the thread is held: %v, want a snooze", err)
		}
		if th2, _ := e.thread(); th2.Version != th.Version || th2.State != stateProposed {
			t.Fatal("the message changed a held thread")
		}
		if _, err := e.db.Step(ctx, e.acct, im.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a step was recorded: %v", err)
		}
		// The lease runs out (the other worker died): the retry goes on.
		e.clock.Advance(2 * time.Minute)
		if err := e.processAgain(im, false); err != nil {
			t.Fatal(err)
		}
		if th2, _ := e.thread(); th2.State != stateBooked {
			t.Errorf("after the lease ran out: %s", th2.State)
		}
	})
}

// TestAutomaticRepliesIgnored: an out-of-office answer from a guest is
// never read as an answer, and an automatic message outside any thread is
// never answered (no mail loops, RFC 3834).
func TestAutomaticRepliesIgnored(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		g := e.mailsTo("bob@partner.example", "assistant.options")[0]
		irt, refs := replyTo(t, g)
		mails := len(e.mails())
		_, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "Absent: Re: Point projet",
			Headers: "Auto-Submitted: auto-replied\r\n", Body: "Je suis absent jusqu'au lundi 10 mars, je ne pourrai pas répondre.",
			InReplyTo: irt, References: refs})
		if !notProcessed(err) || !strings.Contains(err.Error(), "automatic") {
			t.Errorf("out of office: %v", err)
		}
		if th, d := e.thread(); th.State != stateProposed || d.Guests[0].Status != guestWaiting {
			t.Errorf("the auto-reply counted: %s %s", th.State, d.Guests[0].Status)
		}
		_, err = e.deliver(msg{From: "Eve <eve@elsewhere.example>", To: "assistant@acme.test", Subject: "Out of office",
			Headers: "Precedence: bulk\r\n", Body: "I am away."})
		if !notProcessed(err) {
			t.Errorf("bulk mail: %v", err)
		}
		if n := len(e.mails()); n != mails {
			t.Errorf("%d mails sent in answer to automatic mail", n-mails)
		}
	})
}

// TestProviderChangeByReply: a meeting booked in person gets a Jitsi
// meeting when the organizer asks for it, with an update to every
// invitee; a provider that is not installed is refused by name and
// changes nothing.
func TestProviderChangeByReply(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		if _, err := e.deliver(msg{From: "max@acme.test", To: "claire@acme.test", Cc: "assistant@acme.test",
			Subject: "Coffee", Body: "Coffee on Thursday at 10am, in person?"}); err != nil {
			t.Fatal(err)
		}
		conf := e.waitMail("max@acme.test", "assistant.booked", 1)[0]
		e.waitMail("claire@acme.test", "request", 1)
		e.waitIdle()
		if m := e.meeting(); m.VideoProvider != "" || m.Status != store.MeetingBooked {
			t.Fatalf("in person: %q %s", m.VideoProvider, m.Status)
		}
		if err := e.answer("max@acme.test", conf, "Let's do it on Zoom instead."); err != nil {
			t.Fatal(err)
		}
		failed := e.mailsTo("max@acme.test", "assistant.failed")
		if len(failed) != 1 || !strings.Contains(text(t, failed[0]), "Zoom is not installed") {
			t.Fatalf("zoom refused: %v", failed)
		}
		if m := e.meeting(); m.VideoProvider != "" || m.Sequence != 0 {
			t.Errorf("changed anyway: %q seq %d", m.VideoProvider, m.Sequence)
		}
		if err := e.answer("max@acme.test", conf, "Let's use Jitsi instead."); err != nil {
			t.Fatal(err)
		}
		e.waitFor("the Jitsi meeting", func() bool { m := e.meeting(); return m.Status == store.MeetingBooked && m.VideoID != "" })
		if m := e.meeting(); m.VideoProvider != "jitsi" || m.Sequence != 1 {
			t.Errorf("after: %q seq %d", m.VideoProvider, m.Sequence)
		}
		e.waitMail("claire@acme.test", "request", 2)
		if ch := e.mailsTo("max@acme.test", "assistant.changed"); len(ch) != 1 || !strings.Contains(text(t, ch[0]), "now uses Jitsi Meet") {
			t.Errorf("changed: %v", ch)
		}
	})
}

// TestForwardedRequest: the organizer forwards a guest's mail; the guest
// gets the options in their language and zone (their mail's Date offset),
// in their own thread, and their answer to the organizer's forward is
// matched.
func TestForwardedRequest(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		body := "Can you find us a time?\n\n---------- Forwarded message ---------\nFrom: Dana Guest <dana@partner.example>\n" +
			"Date: Mon, Mar 3, 2031 at 1:00 AM\nSubject: Catch up\nTo: Max Member <max@acme.test>\n\n" +
			"Hi Max, it would be great to catch up next week for half an hour.\n\nDana\n"
		if _, err := e.deliver(msg{From: "max@acme.test", To: "assistant@acme.test", Subject: "Fwd: Catch up", Body: body,
			References: "<dana-1@partner.example>", InReplyTo: "<dana-1@partner.example>"}); err != nil {
			t.Fatal(err)
		}
		th, d := e.thread()
		if th.State != stateProposed || len(d.Guests) != 1 || d.Guests[0].Email != "dana@partner.example" || d.Subject != "Catch up" || d.Duration != 30 {
			t.Fatalf("thread %s %+v %q %d", th.State, d.Guests, d.Subject, d.Duration)
		}
		g := e.mailsTo("dana@partner.example", "assistant.options")
		if len(g) != 1 || !strings.Contains(text(t, g[0]), "Hello Dana") {
			t.Fatalf("options: %v", g)
		}
		if refs := header(t, g[0], "References"); !strings.Contains(refs, "dana-1@partner.example") {
			t.Errorf("not in Dana's thread: %q", refs)
		}
		// Dana writes from New York (her mail's Date says -0500) and says
		// yes without saying to what: she is asked which, in her zone.
		ny, _ := time.LoadLocation("America/New_York")
		if _, err := e.deliver(msg{From: "dana@partner.example", To: "assistant@acme.test", Subject: "Re: Catch up", Body: "Sounds good!",
			InReplyTo: g[0].MessageID, References: g[0].MessageID, Date: e.clock.Now().In(ny)}); err != nil {
			t.Fatal(err)
		}
		which := e.mailsTo("dana@partner.example", "assistant.ask_which")
		if len(which) != 1 || !strings.Contains(text(t, which[0]), "(New York time)") || len(links(t, which[0])) != len(d.Options) {
			t.Fatalf("ask which: %v", which)
		}
		if _, d2 := e.thread(); d2.Guests[0].TimeZone != "America/New_York" {
			t.Errorf("Dana's zone: %s", d2.Guests[0].TimeZone)
		}
		// Dana answers her own thread (to Max's earlier mail, with the
		// assistant in Cc), naming only her original message.
		if _, err := e.deliver(msg{From: "dana@partner.example", To: "max@acme.test", Cc: "assistant@acme.test", Subject: "Re: Catch up",
			Body: "The second one is perfect.", InReplyTo: "<dana-1@partner.example>", References: "<dana-1@partner.example>"}); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateBooked || !e.meeting().Start.Equal(d.Options[1].Start) {
			t.Errorf("after Dana's answer: %s", th.State)
		}
	})
}

// TestGuestWithoutIDs: a guest whose client dropped every id (no
// In-Reply-To, no References) is matched by being a guest of a recent
// thread with the same subject; the same words under another subject, or
// from someone else, are not.
func TestGuestWithoutIDs(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
		if _, err := e.deliver(msg{From: "eve@elsewhere.example", To: "assistant@acme.test", Subject: "RE: Point projet", Body: "La deuxième me va."}); !notProcessed(err) {
			t.Errorf("a stranger with the subject: %v", err)
		}
		if _, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "Autre chose", Body: "La deuxième me va."}); !notProcessed(err) {
			t.Errorf("the guest under another subject: %v", err)
		}
		if th, _ := e.thread(); th.State != stateProposed {
			t.Fatalf("%s", th.State)
		}
		if _, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "RE: Point projet", Body: "La deuxième me va."}); err != nil {
			t.Fatal(err)
		}
		if th, _ := e.thread(); th.State != stateBooked {
			t.Errorf("the guest's answer without ids: %s", th.State)
		}
	})
}
