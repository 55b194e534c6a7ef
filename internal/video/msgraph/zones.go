package msgraph

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// windowsZonesJSON is CLDR's supplemental windowsZones table, version 48,
// exactly as the Unicode consortium's cldr-json publishes it (npm
// cldr-core@48.2.0, supplemental/windowsZones.json, Unicode License v3).
// Exchange keeps Windows zone names ("W. Europe Standard Time") in
// mailboxSettings and in events created by Outlook; Convene works in IANA
// names. To update it, replace the file with a newer cldr-core's and run
// the tests (TestCLDRVersion names the version).
//
//go:embed windowszones.json
var windowsZonesJSON []byte

// CLDRVersion is the CLDR release of the embedded windowsZones table.
var CLDRVersion string

var (
	// windowsToIANA maps a Windows zone name to the IANA zone of its
	// territory "001" row (CLDR's golden zone for it).
	windowsToIANA = map[string]string{}
	// ianaToWindows maps every IANA zone listed in any row to its
	// Windows name.
	ianaToWindows = map[string]string{}
)

func init() {
	var doc struct {
		Supplemental struct {
			Version struct {
				CLDR string `json:"_cldrVersion"`
			} `json:"version"`
			WindowsZones struct {
				MapTimezones []struct {
					MapZone struct {
						Other     string `json:"_other"`
						Type      string `json:"_type"`
						Territory string `json:"_territory"`
					} `json:"mapZone"`
				} `json:"mapTimezones"`
			} `json:"windowsZones"`
		} `json:"supplemental"`
	}
	if err := json.Unmarshal(windowsZonesJSON, &doc); err != nil {
		panic("msgraph: the embedded windowsZones table: " + err.Error())
	}
	CLDRVersion = doc.Supplemental.Version.CLDR
	for _, m := range doc.Supplemental.WindowsZones.MapTimezones {
		z := m.MapZone
		zones := strings.Fields(z.Type)
		if z.Territory == "001" && len(zones) > 0 {
			windowsToIANA[z.Other] = zones[0]
		}
		for _, iana := range zones {
			if _, ok := ianaToWindows[iana]; !ok || z.Territory == "001" {
				ianaToWindows[iana] = z.Other
			}
		}
	}
}

// IANAZone returns the IANA zone name of a zone name Graph gives: a
// Windows name through CLDR's table, an IANA name as it is (Graph accepts
// and sometimes returns those), "UTC" as UTC. The result is loadable by
// time.LoadLocation.
func IANAZone(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", fmt.Errorf("msgraph: no time zone")
	}
	if iana, ok := windowsToIANA[name]; ok {
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
func WindowsZone(iana string) (string, bool) {
	if iana == "UTC" || iana == "Etc/UTC" {
		return "UTC", true
	}
	if w, ok := ianaToWindows[iana]; ok {
		return w, true
	}
	w, ok := ianaToWindows[renamed[iana]]
	return w, ok
}

// renamed maps current IANA names to the older names CLDR's table still
// uses for them (tzdata's "backward" links; CLDR keeps its first name).
var renamed = map[string]string{
	"Asia/Kolkata": "Asia/Calcutta", "Asia/Ho_Chi_Minh": "Asia/Saigon", "Asia/Kathmandu": "Asia/Katmandu",
	"Asia/Yangon": "Asia/Rangoon", "America/Argentina/Buenos_Aires": "America/Buenos_Aires", "Europe/Kyiv": "Europe/Kiev",
	"Atlantic/Faroe": "Atlantic/Faeroe", "America/Nuuk": "America/Godthab", "Pacific/Kanton": "Pacific/Enderbury",
	"America/Indiana/Indianapolis": "America/Indianapolis", "Pacific/Chuuk": "Pacific/Truk", "Pacific/Pohnpei": "Pacific/Ponape",
	"America/Kentucky/Louisville": "America/Louisville", "Asia/Dhaka": "Asia/Dacca", "Asia/Thimphu": "Asia/Thimbu",
}
