package invite

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func TestParseReplyClients(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	tests := []struct {
		file string
		want []Reply
	}{
		{"google-accepted.ics", []Reply{{
			UID: "m-7f3a9c@convene.test", Attendee: Person{"Bob Martin", "bob@example.org"}, PartStat: PartStatAccepted,
			Stamp: time.Date(2026, 2, 21, 10, 15, 0, 0, time.UTC), Organizer: "ann@acme.test",
		}}},
		// Outlook names the zone the Windows way and defines it from 1601.
		{"outlook-tentative-occurrence.ics", []Reply{{
			UID: "m-7f3a9c@convene.test", Sequence: 2, RecurrenceID: time.Date(2026, 4, 14, 12, 0, 0, 0, time.UTC),
			Attendee: Person{"Chloé Dubois", "chloe@exemple.fr"}, PartStat: PartStatTentative,
			Comment: "Je serai peut-être en retard, désolée.", Stamp: time.Date(2026, 2, 21, 10, 15, 0, 0, time.UTC),
		}}},
		// LF line ends, quoted CN with a comma, RANGE=THISANDFUTURE.
		{"apple-declined-thisandfuture-lf.ics", []Reply{{
			UID: "m-7f3a9c@convene.test", Sequence: 4, RecurrenceID: time.Date(2026, 4, 28, 14, 0, 0, 0, paris), ThisAndFuture: true,
			Attendee: Person{"Bob Martin, Jr.", "bob@example.org"}, PartStat: PartStatDeclined,
			Stamp: time.Date(2026, 2, 22, 8, 0, 0, 0, time.UTC), Organizer: "ann@acme.test",
		}}},
		{"thunderbird-delegated-two-events.ics", []Reply{
			{UID: "m-7f3a9c@convene.test", Sequence: 1, Attendee: Person{Email: "bob@example.org"}, PartStat: PartStatDelegated,
				DelegatedTo: []string{"dana@example.org"}, Stamp: time.Date(2026, 2, 21, 11, 11, 11, 0, time.UTC), Organizer: "ann@acme.test"},
			{UID: "m-7f3a9c@convene.test", Sequence: 1, RecurrenceID: time.Date(2026, 3, 10, 13, 0, 0, 0, time.UTC),
				Attendee: Person{Email: "BOB@example.org"}, PartStat: PartStatAccepted,
				Stamp: time.Date(2026, 2, 21, 11, 11, 11, 0, time.UTC), Organizer: "ann@acme.test"},
		}},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", "replies", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseReply(b)
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		// Outlook starts its attachments with a UTF-8 byte order mark:
		// the same reply reads the same with one.
		if withBOM, err := ParseReply(append([]byte("\ufeff"), b...)); err != nil || !reflect.DeepEqual(withBOM, got) {
			t.Errorf("%s with a byte order mark: %v", tt.file, err)
		}
		for i := range got {
			if !got[i].RecurrenceID.IsZero() && i < len(tt.want) && got[i].RecurrenceID.Equal(tt.want[i].RecurrenceID) {
				got[i].RecurrenceID = tt.want[i].RecurrenceID // same instant, maybe another zone
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.file, got, tt.want)
		}
	}
}

func TestParseReplyErrors(t *testing.T) {
	head := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//T//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
	tail := "END:VEVENT\r\nEND:VCALENDAR\r\n"
	ev := func(lines ...string) string { return head + strings.Join(lines, "\r\n") + "\r\n" + tail }
	uid, att := "UID:u1", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.org"
	tests := []struct {
		name  string
		in    string
		kind  error
		field string
	}{
		{"request", strings.Replace(ev(uid, att), "METHOD:REPLY", "METHOD:REQUEST", 1), ErrNotReply, "METHOD"},
		{"no method", strings.Replace(ev(uid, att), "METHOD:REPLY\r\n", "", 1), ErrNotReply, "METHOD"},
		{"not icalendar", "Hello Ann, yes I'll be there.", ErrMalformed, ""},
		{"empty", "", ErrMalformed, ""},
		{"truncated", head + uid + "\r\n" + att + "\r\n", ErrMalformed, ""},
		{"no event", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VTODO\r\nUID:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", ErrMalformed, "VEVENT"},
		{"no uid", ev(att), ErrMalformed, "UID"},
		{"two uids", ev(uid, "UID:u2", att), ErrMalformed, "UID"},
		{"no attendee", ev(uid), ErrMalformed, "ATTENDEE"},
		{"two attendees", ev(uid, att, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@example.org"), ErrMalformed, "ATTENDEE"},
		{"not mailto", ev(uid, "ATTENDEE;PARTSTAT=ACCEPTED:urn:uuid:1234"), ErrMalformed, "ATTENDEE"},
		{"bad address", ev(uid, "ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob"), ErrMalformed, "ATTENDEE"},
		{"no partstat", ev(uid, "ATTENDEE:mailto:bob@example.org"), ErrMalformed, "PARTSTAT"},
		{"needs-action", ev(uid, "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:bob@example.org"), ErrMalformed, "PARTSTAT"},
		{"x-partstat", ev(uid, "ATTENDEE;PARTSTAT=X-MAYBE:mailto:bob@example.org"), ErrMalformed, "PARTSTAT"},
		{"delegated alone", ev(uid, "ATTENDEE;PARTSTAT=DELEGATED:mailto:bob@example.org"), ErrMalformed, "DELEGATED-TO"},
		{"bad sequence", ev(uid, att, "SEQUENCE:two"), ErrMalformed, "SEQUENCE"},
		{"negative sequence", ev(uid, att, "SEQUENCE:-1"), ErrMalformed, "SEQUENCE"},
		{"bad dtstamp", ev(uid, att, "DTSTAMP:20260221T101500"), ErrMalformed, "DTSTAMP"},
		{"date recurrence-id", ev(uid, att, "RECURRENCE-ID;VALUE=DATE:20260310"), ErrMalformed, "RECURRENCE-ID"},
		{"floating recurrence-id", ev(uid, att, "RECURRENCE-ID:20260310T130000"), ErrMalformed, "RECURRENCE-ID"},
		{"unknown zone", ev(uid, att, "RECURRENCE-ID;TZID=Atlantis:20260310T130000"), ErrMalformed, "RECURRENCE-ID"},
		// Lines on which go-ical's decoder panics.
		{"char after quoted param", ev(uid, `ATTENDEE;CN="Bob"x;PARTSTAT=ACCEPTED:mailto:bob@example.org`), ErrMalformed, ""},
		{"line ends in params", ev(uid, "ATTENDEE;PARTSTAT=ACCEPTED"), ErrMalformed, ""},
		{"two events, two attendees", head + uid + "\r\n" + att + "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n" + uid + "\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:eve@example.org\r\n" + tail, ErrMalformed, "ATTENDEE"},
		{"too big", head + strings.Repeat("X-PAD:"+strings.Repeat("a", 70)+"\r\n", MaxReplySize/70) + tail, ErrMalformed, ""},
	}
	for _, tt := range tests {
		_, err := ParseReply([]byte(tt.in))
		var re *ReplyError
		if !errors.As(err, &re) || !errors.Is(err, tt.kind) || re.Field != tt.field {
			t.Errorf("%s: error %v, want %v about %q", tt.name, err, tt.kind, tt.field)
			continue
		}
		if !strings.HasPrefix(err.Error(), "invite: ") || len(err.Error()) > 300 {
			t.Errorf("%s: message %q", tt.name, err)
		}
	}
}

// TestReplyToOwnRequest answers one of Convene's own invitations the way a
// client does (same UID, SEQUENCE and RECURRENCE-ID, METHOD:REPLY, only the
// answering attendee), and reads the answer.
func TestReplyToOwnRequest(t *testing.T) {
	files := map[string][]byte{}
	for _, c := range calCases() {
		if c.method != MethodRequest {
			continue
		}
		m, b := buildCase(t, c)
		cal, err := decodeCalendar(b)
		if err != nil {
			t.Fatal(err)
		}
		cal.Props.SetText(ical.PropMethod, string(MethodReply))
		var kept []*ical.Component
		for _, ch := range cal.Children {
			if ch.Name == ical.CompEvent && len(kept) > 0 && kept[len(kept)-1].Name == ical.CompEvent {
				continue // overrides: this reply is about the first event only
			}
			if ch.Name == ical.CompEvent {
				var atts []ical.Prop
				for _, a := range ch.Props.Values(ical.PropAttendee) {
					if a.Value == "mailto:bob@example.org" {
						a.Params.Set(ical.ParamParticipationStatus, string(PartStatTentative))
						atts = append(atts, a)
					}
				}
				ch.Props[ical.PropAttendee] = atts
			}
			kept = append(kept, ch)
		}
		cal.Children = kept
		reply, err := encodeCalendar(cal)
		if err != nil {
			t.Fatal(err)
		}
		files[c.name] = reply
		replies, err := ParseReply(reply)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		r := replies[0]
		if r.UID != m.UID || r.Sequence != m.Sequence || r.PartStat != PartStatTentative || r.Attendee.Email != "bob@example.org" {
			t.Errorf("%s: %+v", c.name, r)
		}
		if m.Occurrence != nil && (!r.RecurrenceID.Equal(m.Occurrence.RecurrenceID) || r.ThisAndFuture != m.Occurrence.ThisAndFuture) {
			t.Errorf("%s: RECURRENCE-ID %v %v, want %v", c.name, r.RecurrenceID, r.ThisAndFuture, m.Occurrence.RecurrenceID)
		}
		if !r.Stale(m.Sequence+1) || r.Stale(m.Sequence) {
			t.Errorf("%s: Stale wrong", c.name)
		}
	}
	// The replies are iCalendar python3-icalendar reads too.
	for name, r := range pyCheck(t, files) {
		if r.Method != "REPLY" || len(r.Events) != 1 || len(r.Events[0].Attendees) != 1 || r.Events[0].Attendees[0].PartStat != "TENTATIVE" {
			t.Errorf("%s: python read %+v", name, r)
		}
	}
}

func TestReplyFromMail(t *testing.T) {
	ics, err := os.ReadFile(filepath.Join("testdata", "replies", "google-accepted.ics"))
	if err != nil {
		t.Fatal(err)
	}
	// Gmail's answer: text and HTML, then the REPLY inline and attached.
	msg := "From: Bob Martin <bob@example.org>\r\nTo: ann@acme.test\r\nSubject: Accepted: Weekly product review\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n" +
		"--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n" +
		"--inner\r\nContent-Type: text/plain; charset=\"ISO-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nBob a accept=E9.\r\n" +
		"--inner\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\nContent-Transfer-Encoding: 7bit\r\n\r\n" + string(ics) +
		"--inner--\r\n--outer\r\nContent-Type: application/ics; name=\"invite.ics\"\r\nContent-Disposition: attachment; filename=\"invite.ics\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nQkVHSU46VkNBTEVOREFSDQpFTkQ6VkNBTEVOREFSDQo=\r\n--outer--\r\n"
	replies, err := ReplyFromMail(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != 1 || replies[0].PartStat != PartStatAccepted || replies[0].Attendee.Email != "bob@example.org" {
		t.Errorf("%+v", replies)
	}
	// A plain answer has no REPLY.
	_, err = ReplyFromMail(strings.NewReader("From: bob@example.org\r\nSubject: Re: invitation\r\n\r\nYes!\r\n"))
	if !errors.Is(err, ErrNotReply) {
		t.Errorf("plain mail: %v", err)
	}
	// Nor has a forwarded REQUEST.
	fwd := "From: bob@example.org\r\nMIME-Version: 1.0\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n" + strings.Replace(string(ics), "METHOD:REPLY", "METHOD:REQUEST", 1)
	if _, err := ReplyFromMail(strings.NewReader(fwd)); !errors.Is(err, ErrNotReply) {
		t.Errorf("request: %v", err)
	}
}
