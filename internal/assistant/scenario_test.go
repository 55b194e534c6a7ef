package assistant

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// request is the organizer's French request: a colleague and an external
// guest in To, the assistant in Cc.
func (e *env) request(subject, body string) string {
	e.t.Helper()
	im, err := e.deliver(msg{From: "Max Member <max@acme.test>", To: "Claire Dubois <claire@acme.test>, Bob Guest <bob@partner.example>",
		Cc: "assistant@acme.test", Subject: subject, Body: body})
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	return im.ID
}

// TestGuestAnswersInWords: the organizer asks in French for a meeting
// with a colleague and a guest; the guest gets the options in French with
// links, answers "jeudi 10h ça me va"-style with one of them, and the
// meeting is booked there (its video meeting, invitations to everyone, one
// confirmation to the organizer).
func TestGuestAnswersInWords(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		first := e.request("Point projet", "Bonjour Bob,\n\nPourrions-nous faire un point de 45 minutes la semaine prochaine ?\n\nMax\n")
		th, d := e.thread()
		if th.State != stateProposed || len(d.Options) < 3 || len(d.Options) > 5 || d.Duration != 45 {
			t.Fatalf("thread %s, %d options, %d min", th.State, len(d.Options), d.Duration)
		}
		if st := e.step(first); st.Status != store.StepDone || st.Outcome != outcomeProcessed {
			t.Errorf("step %+v", st)
		}
		// The proposal: Convene's proposed meeting has the same options.
		m := e.meeting()
		if m.Status != store.MeetingProposed || m.Duration != 45 {
			t.Fatalf("meeting %s %d", m.Status, m.Duration)
		}
		// Next week, inside working hours in Paris.
		for _, o := range d.Options {
			l := o.Start.In(paris)
			if l.Before(time.Date(2031, 3, 10, 9, 0, 0, 0, paris)) || l.Weekday() == time.Saturday || l.Weekday() == time.Sunday || l.Hour() < 9 || o.End.In(paris).Hour()*60+o.End.In(paris).Minute() > 17*60 {
				t.Errorf("option %s is outside next week's working hours", l)
			}
		}
		guest := e.mailsTo("bob@partner.example", "assistant.options")
		if len(guest) != 1 {
			t.Fatalf("the guest got %d option mails", len(guest))
		}
		g := guest[0]
		body := text(t, g)
		if !strings.Contains(body, "Bonjour Bob") || !strings.Contains(body, "Choisissez") || strings.Contains(body, "Claire") {
			t.Errorf("guest mail:\n%s", body)
		}
		if header(t, g, "In-Reply-To") != "<"+strings.Trim(first, "<>")+">" && !strings.Contains(header(t, g, "References"), "@client.test") {
			t.Errorf("not threaded: In-Reply-To %q References %q", header(t, g, "In-Reply-To"), header(t, g, "References"))
		}
		if from := header(t, g, "From"); !strings.Contains(from, "assistant@acme.test") || !strings.Contains(from, "Max Member via Acme Corp") {
			t.Errorf("From %q", from)
		}
		if header(t, g, "Content-Language") != "fr" || !strings.HasPrefix(g.Subject, "Re: Point projet") {
			t.Errorf("language %q subject %q", header(t, g, "Content-Language"), g.Subject)
		}
		if !strings.Contains(body, "Acme Corp, 1 rue de la Paix") || !strings.Contains(string(g.Raw), "#aa3300") {
			t.Errorf("no branding in the guest's mail")
		}
		if got := links(t, g); len(got) != len(d.Options) {
			t.Fatalf("%d links for %d options", len(got), len(d.Options))
		}
		// The organizer got the list, in French.
		if p := e.mailsTo("max@acme.test", "assistant.proposed"); len(p) != 1 || !strings.Contains(text(t, p[0]), "J'ai proposé") {
			t.Fatalf("organizer's note: %v", p)
		}

		// The guest answers in words with the second option.
		opts := d.Options
		o := opts[1].Start.In(paris)
		answer := fmt.Sprintf("Bonjour,\n\n%s %dh%02d ça me va.\n\nBob\n", frDays[o.Weekday()], o.Hour(), o.Minute())
		irt, refs := replyTo(t, g)
		e.clock.Advance(time.Hour)
		if _, err := e.deliver(msg{From: "Bob Guest <bob@partner.example>", To: "assistant@acme.test", Subject: "Re: Point projet",
			Body: answer, InReplyTo: irt, References: refs}); err != nil {
			t.Fatal(err)
		}
		th, d = e.thread()
		if th.State != stateBooked {
			t.Fatalf("after the answer: %s (%s)", th.State, e.logs.String())
		}
		e.waitFor("the meeting booked with its video meeting", func() bool { return e.meeting().Status == store.MeetingBooked })
		m = e.meeting()
		if !m.Start.Equal(o) {
			t.Errorf("booked at %s, want %s", m.Start, o)
		}
		if m.VideoProvider != "jitsi" || m.VideoID == "" {
			t.Errorf("video %q %q", m.VideoProvider, m.VideoID)
		}
		// Invitations to everyone, one confirmation to the organizer.
		for _, who := range []string{"max@acme.test", "claire@acme.test", "bob@partner.example"} {
			e.waitMail(who, "request", 1)
		}
		conf := e.waitMail("max@acme.test", "assistant.booked", 1)
		if c := text(t, conf[0]); !strings.Contains(c, "est réservé") || !strings.Contains(c, "https://meet.example/") {
			t.Errorf("confirmation:\n%s", c)
		}
		e.waitIdle()
		if n := len(e.mailsTo("max@acme.test", "assistant.booked")); n != 1 {
			t.Errorf("%d confirmations", n)
		}
	})
}
