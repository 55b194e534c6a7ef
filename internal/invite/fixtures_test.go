package invite

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// stamp is the clock reading of every test message.
var stamp = time.Date(2026, 2, 20, 9, 15, 0, 0, time.UTC)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// zoomInvitation is Zoom's invitation text as the API returns it: CRLF
// separated, with blank lines and trailing spaces.
const zoomInvitation = "Ann Example is inviting you to a scheduled Zoom meeting.\r\n\r\n" +
	"Topic: Weekly product review\r\nTime: Mar 3, 2026 02:00 PM Paris\r\n\r\n" +
	"Join Zoom Meeting\r\nhttps://us06web.zoom.us/j/81234567890?pwd=Zk9aQ2xYb1BTN0ZsZz09 \r\n\r\n\r\n" +
	"Meeting ID: 812 3456 7890\r\nPasscode: 461972\r\n\r\n---\r\n\r\n" +
	"One tap mobile\r\n+33170372246,,81234567890#,,,,*461972# France\r\n+33170379729,,81234567890#,,,,*461972# France\r\n\r\n" +
	"Dial by your location\r\n• +33 1 7037 2246 France\r\n• +1 646 931 3860 US\r\n\r\n" +
	"Find your local number: https://us06web.zoom.us/u/kbXyZ12ab\r\n"

func zoomVideo() *Video {
	return &Video{
		Provider:   "Zoom",
		JoinURL:    "https://us06web.zoom.us/j/81234567890?pwd=Zk9aQ2xYb1BTN0ZsZz09",
		MeetingID:  "812 3456 7890",
		Passcode:   "461972",
		Invitation: zoomInvitation,
	}
}

// paris is a single meeting of an organizer in Paris with a Zoom meeting.
func parisMeeting(t testing.TB) *Meeting {
	loc := mustZone(t, "Europe/Paris")
	return &Meeting{
		UID:         "m-7f3a9c@convene.test",
		Summary:     "Weekly product review",
		Description: "Agenda: roadmap, hiring; the Q2 \"big rocks\".\nBring numbers.",
		Start:       time.Date(2026, 3, 3, 14, 0, 0, 0, loc),
		End:         time.Date(2026, 3, 3, 14, 30, 0, 0, loc),
		TimeZone:    "Europe/Paris",
		URL:         "https://convene.acme.test/meetings/m-7f3a9c",
		Organizer:   Person{Name: "Ann Example", Email: "ann@acme.test"},
		Attendees: []Attendee{
			{Person: Person{Name: "Ann Example", Email: "ann@acme.test"}, Role: RoleChair, PartStat: PartStatAccepted, NoRSVP: true},
			{Person: Person{Name: "Bob Martin, Jr.", Email: "bob@example.org"}},
			{Person: Person{Name: "Chloé Dubois", Email: "chloe@exemple.fr"}, Role: RoleOptional},
		},
		Video: zoomVideo(),
	}
}

// golden compares got with testdata/name.golden, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from %s (run go test -update after checking the diff):\n--- got\n%s", name, path, got)
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
