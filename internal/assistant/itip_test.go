package assistant

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
)

// itip writes an iTIP message about m from attendee.
func itip(method string, m *store.Meeting, attendee, partstat string, seq int, start, end time.Time) string {
	ps := ""
	if partstat != "" {
		ps = ";PARTSTAT=" + partstat
	}
	return fmt.Sprintf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//EN\nMETHOD:%s\nBEGIN:VEVENT\nUID:%s\nSEQUENCE:%d\n"+
		"DTSTAMP:20310303T080000Z\nDTSTART:%s\nDTEND:%s\nORGANIZER:mailto:max@acme.test\nATTENDEE;CN=Bob%s:mailto:%s\n"+
		"COMMENT:See you there\nEND:VEVENT\nEND:VCALENDAR\n", method, m.UID, seq, start.UTC().Format("20060102T150405Z"),
		end.UTC().Format("20060102T150405Z"), ps, attendee)
}

// booked books a meeting with Claire and Bob through the assistant (Bob
// picks the first option) and returns it.
func (e *env) booked() *store.Meeting {
	e.t.Helper()
	e.request("Point projet", "Un point de 30 minutes la semaine prochaine ?")
	g := e.mailsTo("bob@partner.example", "assistant.options")[0]
	if err := e.answer("bob@partner.example", g, "Le premier me va."); err != nil {
		e.t.Fatal(err)
	}
	e.waitFor("booked", func() bool { return e.meeting().Status == store.MeetingBooked })
	e.waitMail("max@acme.test", "assistant.booked", 1)
	e.waitIdle()
	return e.meeting()
}

// TestITIPReply: an attendee's calendar answer updates their response and
// tells the organizer, only from that attendee's address and only for the
// current version.
func TestITIPReply(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		m := e.booked()
		send := func(from, attendee, partstat string, seq int) error {
			e.clock.Advance(time.Minute)
			_, err := e.deliver(msg{From: from, To: "assistant@acme.test", Subject: "Accepted: Point projet",
				ContentType: "text/calendar; charset=utf-8; method=REPLY", Body: itip("REPLY", m, attendee, partstat, seq, m.Start, m.End)})
			return err
		}
		response := func() string {
			cur, err := e.db.Meeting(t.Context(), e.acct, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range cur.Attendees {
				if a.Email == "bob@partner.example" {
					return a.Response
				}
			}
			return "?"
		}
		// Claire answers for Bob: refused.
		if err := send("claire@acme.test", "bob@partner.example", "DECLINED", 0); !notProcessed(err) || !strings.Contains(err.Error(), "own address") {
			t.Errorf("someone else's answer: %v", err)
		}
		if r := response(); r == "declined" {
			t.Fatal("Claire declined for Bob")
		}
		if err := send("bob@partner.example", "bob@partner.example", "ACCEPTED", 0); err != nil {
			t.Fatal(err)
		}
		if r := response(); r != "accepted" {
			t.Errorf("response %q", r)
		}
		note := e.mailsTo("max@acme.test", "assistant.response")
		if len(note) != 1 || !strings.Contains(text(t, note[0]), "Bob Guest a accepté « Point projet »") {
			t.Fatalf("notes: %v", note)
		}
		// The same answer again: nothing more to tell.
		if err := send("bob@partner.example", "bob@partner.example", "ACCEPTED", 0); err != nil {
			t.Fatal(err)
		}
		if n := len(e.mailsTo("max@acme.test", "assistant.response")); n != 1 {
			t.Errorf("%d notes for the same answer", n)
		}
		// An answer to an older version is stale.
		if err := e.db.UpdateMeeting(t.Context(), func() *store.Meeting { m.Sequence = 2; return m }()); err != nil {
			t.Fatal(err)
		}
		if err := send("bob@partner.example", "bob@partner.example", "DECLINED", 1); !notProcessed(err) || !strings.Contains(err.Error(), "older version") {
			t.Errorf("stale: %v", err)
		}
		if r := response(); r != "accepted" {
			t.Errorf("a stale answer changed the response to %q", r)
		}
	})
}

// TestITIPCounter: a guest's calendar proposes another time; the organizer
// is asked and moves the meeting by answering "yes".
func TestITIPCounter(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		m := e.booked()
		proposed := m.Start.Add(26 * time.Hour)
		if _, err := e.deliver(msg{From: "bob@partner.example", To: "assistant@acme.test", Subject: "New time proposed: Point projet",
			ContentType: "text/calendar; charset=utf-8; method=COUNTER", Body: itip("COUNTER", m, "bob@partner.example", "", 0, proposed, proposed.Add(30*time.Minute))}); err != nil {
			t.Fatal(err)
		}
		_, d := e.thread()
		if d.Question != askCounter || d.Counter == nil || !d.Counter.Start.Equal(proposed) {
			t.Fatalf("question %q counter %+v", d.Question, d.Counter)
		}
		ask := e.mailsTo("max@acme.test", "assistant.counter")
		if len(ask) != 1 || !strings.Contains(text(t, ask[0]), "propose de déplacer") {
			t.Fatalf("counter notes: %v", ask)
		}
		if cur := e.meeting(); !cur.Start.Equal(m.Start) {
			t.Fatal("moved before the organizer agreed")
		}
		if err := e.answer("max@acme.test", ask[0], "Oui, d'accord."); err != nil {
			t.Fatal(err)
		}
		if cur := e.meeting(); !cur.Start.Equal(proposed) || cur.Sequence != 1 {
			t.Errorf("after yes: %s seq %d, want %s", cur.Start, cur.Sequence, proposed)
		}
		if _, d := e.thread(); d.Question != "" || d.Counter != nil {
			t.Errorf("question left: %q", d.Question)
		}
	})
}
