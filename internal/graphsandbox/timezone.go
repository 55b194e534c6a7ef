package graphsandbox

import (
	"strings"
	"time"
)

// windowsZones maps Windows time zone names, which Outlook and Graph use,
// to IANA identifiers: the territory "001" (golden zone) entries of
// Unicode CLDR's supplemental/windowsZones.xml (CLDR 45), for the zones a
// sandbox is likely to meet. A name outside the table is tried as an IANA
// identifier, as Graph accepts those too.
var windowsZones = map[string]string{
	"UTC":                             "Etc/UTC",
	"Coordinated Universal Time":      "Etc/UTC",
	"Dateline Standard Time":          "Etc/GMT+12",
	"Hawaiian Standard Time":          "Pacific/Honolulu",
	"Alaskan Standard Time":           "America/Anchorage",
	"Pacific Standard Time":           "America/Los_Angeles",
	"US Mountain Standard Time":       "America/Phoenix",
	"Mountain Standard Time":          "America/Denver",
	"Central Standard Time":           "America/Chicago",
	"Central America Standard Time":   "America/Guatemala",
	"Canada Central Standard Time":    "America/Regina",
	"Central Standard Time (Mexico)":  "America/Mexico_City",
	"Eastern Standard Time":           "America/New_York",
	"US Eastern Standard Time":        "America/Indianapolis",
	"SA Pacific Standard Time":        "America/Bogota",
	"Atlantic Standard Time":          "America/Halifax",
	"Newfoundland Standard Time":      "America/St_Johns",
	"E. South America Standard Time":  "America/Sao_Paulo",
	"Argentina Standard Time":         "America/Buenos_Aires",
	"Pacific SA Standard Time":        "America/Santiago",
	"GMT Standard Time":               "Europe/London",
	"Greenwich Standard Time":         "Atlantic/Reykjavik",
	"W. Europe Standard Time":         "Europe/Berlin",
	"Romance Standard Time":           "Europe/Paris",
	"Central Europe Standard Time":    "Europe/Budapest",
	"Central European Standard Time":  "Europe/Warsaw",
	"W. Central Africa Standard Time": "Africa/Lagos",
	"GTB Standard Time":               "Europe/Bucharest",
	"E. Europe Standard Time":         "Europe/Chisinau",
	"FLE Standard Time":               "Europe/Kiev",
	"Israel Standard Time":            "Asia/Jerusalem",
	"Egypt Standard Time":             "Africa/Cairo",
	"South Africa Standard Time":      "Africa/Johannesburg",
	"Turkey Standard Time":            "Europe/Istanbul",
	"Russian Standard Time":           "Europe/Moscow",
	"Arab Standard Time":              "Asia/Riyadh",
	"E. Africa Standard Time":         "Africa/Nairobi",
	"Arabian Standard Time":           "Asia/Dubai",
	"Iran Standard Time":              "Asia/Tehran",
	"Pakistan Standard Time":          "Asia/Karachi",
	"India Standard Time":             "Asia/Calcutta",
	"Nepal Standard Time":             "Asia/Katmandu",
	"Bangladesh Standard Time":        "Asia/Dhaka",
	"SE Asia Standard Time":           "Asia/Bangkok",
	"China Standard Time":             "Asia/Shanghai",
	"Singapore Standard Time":         "Asia/Singapore",
	"Taipei Standard Time":            "Asia/Taipei",
	"W. Australia Standard Time":      "Australia/Perth",
	"Tokyo Standard Time":             "Asia/Tokyo",
	"Korea Standard Time":             "Asia/Seoul",
	"Cen. Australia Standard Time":    "Australia/Adelaide",
	"AUS Central Standard Time":       "Australia/Darwin",
	"E. Australia Standard Time":      "Australia/Brisbane",
	"AUS Eastern Standard Time":       "Australia/Sydney",
	"Tasmania Standard Time":          "Australia/Hobart",
	"New Zealand Standard Time":       "Pacific/Auckland",
}

// loadZone resolves a Windows or IANA zone name; ok is false for an
// unknown name. Bounded input: names longer than 100 bytes are refused.
func loadZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, false
	}
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	if strings.EqualFold(name, "utc") || name == "Etc/UTC" {
		return time.UTC, true
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// parseLocalDateTime parses a dateTimeTimeZone's dateTime
// ("2026-12-07T09:00:00", optional fraction up to 7 digits; an offset or Z
// is ignored as Graph ignores it in favour of timeZone) in loc.
func parseLocalDateTime(s string, loc *time.Location) (time.Time, bool) {
	if len(s) < 19 || len(s) > 40 {
		return time.Time{}, false
	}
	base, rest := s[:19], s[19:]
	if rest != "" && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 8 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	switch {
	case rest == "", rest == "Z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
	default:
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", base, loc)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// parseDateTimeOffset parses a query's or an online meeting's
// DateTimeOffset: RFC 3339, or without offset meaning UTC.
func parseDateTimeOffset(s string) (time.Time, bool) {
	if len(s) > 40 {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	return parseLocalDateTime(s, time.UTC)
}

func timeDur(ns int64) time.Duration { return time.Duration(ns) }
