package invite_test

import (
	"context"
	"fmt"
	"time"

	"github.com/convene/convene/internal/invite"
)

// The booking core's outbox job: one invitation per attendee, in their
// language and time zone.
func ExampleComposer_Compose() {
	paris, _ := time.LoadLocation("Europe/Paris")
	m := &invite.Meeting{
		UID:       "m-42@convene.acme.test",
		Sequence:  0,
		Summary:   "Budget review",
		Start:     time.Date(2026, 3, 3, 14, 0, 0, 0, paris),
		End:       time.Date(2026, 3, 3, 14, 45, 0, 0, paris),
		TimeZone:  "Europe/Paris",
		Organizer: invite.Person{Name: "Ann Example", Email: "ann@acme.test"},
		Attendees: []invite.Attendee{{Person: invite.Person{Name: "Bob", Email: "bob@example.org"}}},
		Video:     &invite.Video{Provider: "Zoom", JoinURL: "https://zoom.example/j/123"},
	}
	c := &invite.Composer{Now: func() time.Time { return time.Date(2026, 2, 20, 9, 0, 0, 0, time.UTC) }}
	mail, err := c.Compose(context.Background(), invite.MailRequest{
		Method:  invite.MethodRequest,
		Meeting: m,
		Account: invite.Account{Name: "Acme", AssistantAddress: "assistant@acme.test", Language: "en"},
		To:      invite.Recipient{Name: "Bob", Email: "bob@example.org", Language: "fr", TimeZone: "America/New_York"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mail.Subject)
	fmt.Println(mail.From, mail.To, mail.MessageID)
	// Output:
	// Invitation : Budget review @ mardi 3 mars 2026, 08:00 – 08:45 (heure de New York)
	// assistant@acme.test [bob@example.org] <invite.qdvt65enwkjveylr42kn4w5j.0@acme.test>
}

// An attendee's answer, from the inbound mail path.
func ExampleParseReply() {
	replies, err := invite.ParseReply([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//EN\r\nMETHOD:REPLY\r\n" +
		"BEGIN:VEVENT\r\nUID:m-42@convene.acme.test\r\nSEQUENCE:0\r\nDTSTAMP:20260221T101500Z\r\n" +
		"ORGANIZER:mailto:ann@acme.test\r\nATTENDEE;PARTSTAT=ACCEPTED;CN=Bob:mailto:bob@example.org\r\n" +
		"END:VEVENT\r\nEND:VCALENDAR\r\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := replies[0]
	fmt.Println(r.UID, r.Attendee.Email, r.PartStat, r.Stale(0))
	// Output:
	// m-42@convene.acme.test bob@example.org ACCEPTED false
}
