package invite

import "time"

// FormatRange writes a meeting's times for people, in the zone tzid (an
// IANA name; "" or an unknown one is UTC) and the language lang ("en",
// "fr"): "Tuesday, March 3, 2026, 2:00 – 2:30 PM (Paris time)", "mardi 3
// mars 2026, 14:00 – 14:30 (heure de Paris)". It is the form invitations
// use, for other mail about the same meeting (the assistant's).
func FormatRange(start, end time.Time, tzid, lang string) string {
	loc, err := loadZone(tzid)
	if err != nil || tzid == "" {
		loc, tzid = time.UTC, "UTC"
	}
	return formatRange(start, end, loc, tzid, pickLang(lang))
}

// FormatDuration writes a length of time in lang: "30 minutes", "1 hour
// 30 minutes", "1 h 30".
func FormatDuration(d time.Duration, lang string) string { return formatDuration(d, pickLang(lang)) }

// ListJoin joins items in lang: "a, b and c", "a, b et c".
func ListJoin(items []string, lang string) string { return listJoin(items, pickLang(lang)) }
