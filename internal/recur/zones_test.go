package recur

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func decodeCal(t testing.TB, text string) *ical.Calendar {
	t.Helper()
	text = strings.ReplaceAll(strings.TrimSpace(text), "\n", "\r\n") + "\r\n"
	cal, err := ical.NewDecoder(strings.NewReader(text)).Decode()
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return cal
}

// vtimezones written the way Outlook, Apple and Google write them.
const (
	// Outlook: a Windows name and observances that start in 1601.
	vtzWindows = `BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE`
	// A US zone with its 2007 rule change: a bounded rule, then an
	// open-ended one, in the older "Sunday on or after the 8th" form.
	vtzUS = `BEGIN:VTIMEZONE
TZID:Custom Eastern
BEGIN:DAYLIGHT
DTSTART:19870405T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:19671029T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20070311T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=SU;BYMONTHDAY=8,9,10,11,12,13,14
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE`
	// The same zone with COUNT instead of UNTIL: python-icalendar 4.0.3
	// cannot read a VTIMEZONE whose RRULE has a UTC UNTIL (its to_tz()
	// hands dateutil a floating DTSTART with a UTC UNTIL, which dateutil
	// refuses), so the comparison with Python uses this form.
	vtzUSCount = `BEGIN:VTIMEZONE
TZID:Custom Eastern
BEGIN:DAYLIGHT
DTSTART:19870405T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;COUNT=20
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:19671029T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;COUNT=40
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20070311T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE`
	// Lord Howe Island: a 30-minute daylight saving shift, southern
	// hemisphere.
	vtzLordHowe = `BEGIN:VTIMEZONE
TZID:Custom Lord Howe
BEGIN:STANDARD
DTSTART:20080406T020000
TZOFFSETFROM:+1100
TZOFFSETTO:+1030
TZNAME:+1030
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:20081005T020000
TZOFFSETFROM:+1030
TZOFFSETTO:+1100
TZNAME:+11
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU
END:DAYLIGHT
END:VTIMEZONE`
	// No rule at all, only listed onsets (RDATE), as some servers write
	// a zone for the years an event needs.
	vtzRDate = `BEGIN:VTIMEZONE
TZID:Listed Paris
BEGIN:DAYLIGHT
DTSTART:20250330T020000
RDATE:20260329T020000,20270328T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20251026T030000
RDATE:20261025T030000
RDATE:20271031T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
END:STANDARD
END:VTIMEZONE`
)

// sameOffsets checks that got and want give the same UTC offset every six
// hours between two years.
func sameOffsets(t *testing.T, got, want *time.Location, from, to int) {
	t.Helper()
	start := time.Date(from, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(to, 1, 1, 0, 0, 0, 0, time.UTC)
	bad := 0
	for tm := start; tm.Before(end); tm = tm.Add(6 * time.Hour) {
		_, og := tm.In(got).Zone()
		_, ow := tm.In(want).Zone()
		if og != ow {
			if bad < 5 {
				t.Errorf("%s at %v: offset %d, want %d (%s)", got, tm, og, ow, want)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d differences in all", bad)
	}
}

func TestLocationFromVTimezone(t *testing.T) {
	cases := []struct {
		vtz      string
		tzid     string
		like     string
		from, to int
	}{
		{vtzWindows, "W. Europe Standard Time", "Europe/Berlin", 1997, 2100},
		{vtzUS, "Custom Eastern", "America/New_York", 1990, 2100},
		{vtzUSCount, "Custom Eastern", "America/New_York", 1990, 2100},
		{vtzLordHowe, "Custom Lord Howe", "Australia/Lord_Howe", 2009, 2100},
		{vtzRDate, "Listed Paris", "Europe/Paris", 2025, 2028},
	}
	for _, c := range cases {
		t.Run(c.tzid, func(t *testing.T) {
			cal := decodeCal(t, "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n"+c.vtz+"\nEND:VCALENDAR")
			loc, err := LocationFromVTimezone(cal.Children[0])
			if err != nil {
				t.Fatal(err)
			}
			if loc.String() != c.tzid {
				t.Errorf("name %q, want %q", loc.String(), c.tzid)
			}
			sameOffsets(t, loc, mustLoad(t, c.like), c.from, c.to)
		})
	}
}

func TestLoadLocationNames(t *testing.T) {
	cases := map[string]string{
		"Europe/Paris":            "Europe/Paris",
		"W. Europe Standard Time": "Europe/Berlin",
		"Eastern Standard Time":   "America/New_York",
		"India Standard Time":     "Asia/Calcutta",
		"Lord Howe Standard Time": "Australia/Lord_Howe",
		"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna": "Europe/Berlin",
		"/mozilla.org/20050126_1/Europe/Paris":                         "Europe/Paris",
		"/softwarestudio.org/Olson_20011030_5/America/New_York":        "America/New_York",
		"UTC": "UTC",
	}
	for name, like := range cases {
		loc, err := LoadLocation(name)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		want := mustLoad(t, like)
		for _, tm := range []time.Time{time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.Date(2026, 7, 15, 12, 0, 0, 0, time.UTC)} {
			_, a := tm.In(loc).Zone()
			_, b := tm.In(want).Zone()
			if a != b {
				t.Errorf("%q at %v: offset %d, want %d", name, tm, a, b)
			}
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus_Mons", "../../etc/passwd"} {
		if _, err := LoadLocation(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// vtzNewYork1990s is America/New_York as exports written before 2007
// carry it: daylight time from the first Sunday of April to the last
// Sunday of October, which the US left in 2007.
const vtzNewYork1990s = `BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
DTSTART:19870405T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:19671029T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE`

// TestZonesPreferTZData checks which definition of a TZID wins: the time
// zone database for the names it knows (IANA, Windows through CLDR,
// vendor prefixes), whatever the calendar's VTIMEZONE says; the
// VTIMEZONE only for names it does not know.
func TestZonesPreferTZData(t *testing.T) {
	// A Windows name whose definition is wrong on purpose: a fixed +03:00.
	wrongWindows := `BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T000000
TZOFFSETFROM:+0300
TZOFFSETTO:+0300
END:STANDARD
END:VTIMEZONE`
	custom := strings.ReplaceAll(vtzWindows, "W. Europe Standard Time", "Customized Time Zone")
	broken := "BEGIN:VTIMEZONE\nTZID:Europe/Paris\nEND:VTIMEZONE"
	cal := decodeCal(t, "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:test\n"+vtzNewYork1990s+"\n"+wrongWindows+"\n"+custom+"\n"+broken+"\nEND:VCALENDAR")
	z := NewZones(cal)
	cases := []struct {
		tzid, like string
	}{
		{"America/New_York", "America/New_York"},
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"Europe/Paris", "Europe/Paris"},
		// Not a name tzdata or CLDR know: the calendar's definition.
		{"Customized Time Zone", "Europe/Berlin"},
	}
	for _, c := range cases {
		loc, err := z.Location(c.tzid)
		if err != nil {
			t.Errorf("%s: %v", c.tzid, err)
			continue
		}
		sameOffsets(t, loc, mustLoad(t, c.like), 2010, 2030)
	}
	// The case of the report: a meeting on March 20, 2026 at 09:00 in
	// New York is at 13:00 UTC (daylight time since March 8), not 14:00
	// as the 1990s rules in the export would have it.
	loc, _ := z.Location("America/New_York")
	if got := At(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC), loc).UTC(); !got.Equal(time.Date(2026, 3, 20, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("09:00 New York on March 20, 2026 is %v UTC, want 13:00", got)
	}
}

func TestIANACachesBoundedly(t *testing.T) {
	l, err := IANA("Europe/Paris")
	if err != nil || l.String() != "Europe/Paris" {
		t.Fatalf("Europe/Paris: %v %v", l, err)
	}
	if again, _ := IANA("Europe/Paris"); again != l {
		t.Error("a zone looked up twice is not the cached one")
	}
	for _, bad := range []string{"W. Europe Standard Time", "Mars/Olympus", ""} {
		if l, err := IANA(bad); err == nil && bad != "" {
			t.Errorf("%q: %v, want an error (IANA names only)", bad, l)
		}
	}
	old := maxZones
	defer func() { maxZones = old }()
	maxZones = zoneCount.Load()
	first, _ := IANA("Asia/Kolkata")
	if second, _ := IANA("Asia/Kolkata"); second == first || zoneCount.Load() != maxZones {
		t.Errorf("the cache grew past its bound: %d zones", zoneCount.Load())
	}
}
