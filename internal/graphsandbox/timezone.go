package graphsandbox

import (
	"strings"
	"time"

	"github.com/convene/convene/internal/winzones"
)

// loadZone resolves a Windows or IANA zone name; ok is false for an
// unknown name. Bounded input: names longer than 100 bytes are refused.
func loadZone(name string) (*time.Location, bool) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, false
	}
	// Windows names through CLDR's table (internal/winzones), as Graph
	// reads them; a name outside it is tried as an IANA identifier, as
	// Graph accepts those too.
	if iana, ok := winzones.IANA(name); ok {
		name = iana
	}
	if strings.EqualFold(name, "utc") || name == "Etc/UTC" || name == "Coordinated Universal Time" {
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
