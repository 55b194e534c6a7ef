package msgraph

import (
	"fmt"
	"strings"
	"time"

	"github.com/convene/convene/internal/winzones"
)

// Exchange keeps Windows zone names ("W. Europe Standard Time") in
// mailboxSettings and in events created by Outlook; Convene works in IANA
// names. The mapping is CLDR's windowsZones table (internal/winzones).

// CLDRVersion is the CLDR release of the windowsZones table in use.
var CLDRVersion = winzones.CLDRVersion

// IANAZone returns the IANA zone name of a zone name Graph gives: a
// Windows name through CLDR's table, an IANA name as it is (Graph accepts
// and sometimes returns those), "UTC" as UTC. The result is loadable by
// time.LoadLocation.
func IANAZone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("msgraph: no time zone")
	}
	if iana, ok := winzones.IANA(name); ok {
		return iana, nil
	}
	if name == "UTC" || name == "tzone://Microsoft/Utc" {
		return "UTC", nil
	}
	if _, err := time.LoadLocation(name); err == nil && !strings.HasPrefix(name, "Local") {
		return name, nil
	}
	return "", fmt.Errorf("msgraph: time zone %q is neither a Windows zone of CLDR %s's windowsZones nor an IANA zone", name, CLDRVersion)
}

// WindowsZone returns the Windows zone name of an IANA zone, for Graph
// properties that want one (recurrence ranges' recurrenceTimeZone is read
// by Outlook clients that know only Windows names). An IANA zone CLDR does
// not list gives ok false.
func WindowsZone(iana string) (string, bool) { return winzones.Windows(iana) }
