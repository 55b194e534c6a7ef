package invite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseReply: any input gives replies that satisfy what ParseReply
// promises, or a *ReplyError; never a panic (go-ical's decoder panics on
// some inputs: decodeCalendar recovers).
func FuzzParseReply(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "replies", "*.ics"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;CN=\"a\"b:mailto:a@b.c\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=ACCEPTED\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		replies, err := ParseReply(b)
		if err != nil {
			var re *ReplyError
			if !errors.As(err, &re) || (!errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNotReply)) {
				t.Fatalf("error of the wrong type: %T %v", err, err)
			}
			if replies != nil {
				t.Fatal("replies with an error")
			}
			return
		}
		if len(replies) == 0 {
			t.Fatal("no reply and no error")
		}
		for _, r := range replies {
			if strings.TrimSpace(r.UID) == "" || r.UID != replies[0].UID {
				t.Fatalf("UID %q", r.UID)
			}
			if _, err := mailbox(r.Attendee.Email); err != nil {
				t.Fatalf("attendee %q: %v", r.Attendee.Email, err)
			}
			switch r.PartStat {
			case PartStatAccepted, PartStatDeclined, PartStatTentative:
			case PartStatDelegated:
				if len(r.DelegatedTo) == 0 {
					t.Fatal("DELEGATED without delegate")
				}
			default:
				t.Fatalf("PARTSTAT %q", r.PartStat)
			}
			if r.Sequence < 0 {
				t.Fatalf("SEQUENCE %d", r.Sequence)
			}
		}
	})
}
