package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/convene/convene/internal/testbin"
)

// TestICalExpand runs convene ical expand (DESIGN.md §4) on a calendar
// with a weekly series across a DST change, an exception and an
// exclusion.
func TestICalExpand(t *testing.T) {
	cal := strings.Join([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
		"BEGIN:VEVENT", "UID:weekly", "DTSTAMP:20260101T000000Z", "SUMMARY:Standup",
		"DTSTART;TZID=Europe/Paris:20260316T090000", "DTEND;TZID=Europe/Paris:20260316T091500",
		"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4", "EXDATE;TZID=Europe/Paris:20260323T090000", "END:VEVENT",
		"BEGIN:VEVENT", "UID:weekly", "DTSTAMP:20260101T000000Z", "SUMMARY:Standup (moved)",
		"RECURRENCE-ID;TZID=Europe/Paris:20260330T090000",
		"DTSTART;TZID=Europe/Paris:20260330T110000", "DTEND;TZID=Europe/Paris:20260330T111500", "END:VEVENT",
		"END:VCALENDAR", ""}, "\r\n")
	code, out, errOut := testbin.Run(t, nil, cal, "ical", "expand", "--from", "2026-03-01T00:00:00Z", "--to", "2026-05-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var in struct{ UID, Start, End, Summary string }
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		got = append(got, in.Start+" "+in.Summary)
	}
	want := []string{
		"2026-03-16T09:00:00+01:00 Standup",
		"2026-03-30T11:00:00+02:00 Standup (moved)", // after the change to summer time
		"2026-04-06T09:00:00+02:00 Standup",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("instances:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, _, errOut := testbin.Run(t, nil, "not a calendar", "ical", "expand", "--from", "2026-03-01T00:00:00Z", "--to", "2026-05-01T00:00:00Z"); code != 1 || errOut == "" {
		t.Errorf("bad calendar: exit %d %q", code, errOut)
	}
	if code, _, _ := testbin.Run(t, nil, "", "ical", "expand", "--from", "yesterday"); code != 2 {
		t.Errorf("bad flag: exit %d", code)
	}
}
