package invite

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const counterICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nMETHOD:COUNTER\r\n" +
	"BEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
	"BEGIN:VEVENT\r\nUID:mtg_1@convene\r\nSEQUENCE:2\r\nDTSTAMP:20310303T080000Z\r\nDTSTART;TZID=Europe/Paris:20310313T150000\r\n" +
	"DTEND;TZID=Europe/Paris:20310313T154500\r\nORGANIZER:mailto:max@acme.test\r\n" +
	"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:claire@acme.test\r\nATTENDEE;CN=Bob;PARTSTAT=TENTATIVE:mailto:Bob@Partner.example\r\n" +
	"COMMENT:Afternoon works better\\, thanks\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestParseCounter(t *testing.T) {
	c, err := ParseCounter([]byte(counterICS))
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	if c.UID != "mtg_1@convene" || c.Sequence != 2 || !c.Start.Equal(time.Date(2031, 3, 13, 15, 0, 0, 0, paris)) ||
		c.End.Sub(c.Start) != 45*time.Minute || !strings.EqualFold(c.Attendee.Email, "bob@partner.example") || c.Attendee.Name != "Bob" ||
		c.Comment != "Afternoon works better, thanks" {
		t.Errorf("%+v", c)
	}
	// With DURATION instead of DTEND, and a single attendee.
	dur := strings.Replace(strings.Replace(counterICS, "DTEND;TZID=Europe/Paris:20310313T154500", "DURATION:PT1H", 1),
		"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:claire@acme.test\r\n", "", 1)
	if c, err := ParseCounter([]byte(dur)); err != nil || c.End.Sub(c.Start) != time.Hour {
		t.Errorf("duration: %+v %v", c, err)
	}
	for name, tc := range map[string]struct {
		ics  string
		kind error
	}{
		"a reply":     {strings.Replace(counterICS, "METHOD:COUNTER", "METHOD:REPLY", 1), ErrNotCounter},
		"no method":   {strings.Replace(counterICS, "METHOD:COUNTER\r\n", "", 1), ErrNotCounter},
		"no uid":      {strings.Replace(counterICS, "UID:mtg_1@convene\r\n", "", 1), ErrMalformed},
		"no start":    {strings.Replace(counterICS, "DTSTART;TZID=Europe/Paris:20310313T150000\r\n", "", 1), ErrMalformed},
		"end first":   {strings.Replace(counterICS, "T154500", "T140000", 1), ErrMalformed},
		"no attendee": {strings.NewReplacer("ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:claire@acme.test\r\n", "", "ATTENDEE;CN=Bob;PARTSTAT=TENTATIVE:mailto:Bob@Partner.example\r\n", "").Replace(counterICS), ErrMalformed},
		"not mailto":  {strings.Replace(counterICS, "mailto:Bob@Partner.example", "http://bob", 1), ErrMalformed},
		"a date":      {strings.Replace(counterICS, "DTSTART;TZID=Europe/Paris:20310313T150000", "DTSTART;VALUE=DATE:20310313", 1), ErrMalformed},
		"garbage":     {"BEGIN:VCALENDAR\r\n0;0=\r\n", ErrMalformed},
		"no event":    {"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nMETHOD:COUNTER\r\nEND:VCALENDAR\r\n", ErrMalformed},
	} {
		if _, err := ParseCounter([]byte(tc.ics)); !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", name, err, tc.kind)
		}
	}
	if _, err := ParseCounter(make([]byte, MaxReplySize+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("too large: %v", err)
	}
}

func FuzzParseCounter(f *testing.F) {
	f.Add([]byte(counterICS))
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCounter(b)
		if err != nil {
			var re *ReplyError
			if !errors.As(err, &re) {
				t.Fatalf("error %v is not a *ReplyError", err)
			}
			return
		}
		if c.UID == "" || !c.End.After(c.Start) || c.Attendee.Email == "" {
			t.Fatalf("accepted %+v", c)
		}
	})
}
