// Package winzones maps Windows time zone names ("W. Europe Standard
// Time"), which Exchange, Outlook and Graph use, to IANA zone names and
// back, through Unicode CLDR's windowsZones table: the one table of it in
// Convene (the Graph client, the Graph sandbox and the iCalendar reader
// use it).
//
// This package imports nothing of Convene.
package winzones

import (
	_ "embed"
	"encoding/json"
	"strings"
)

// windowsZonesJSON is CLDR's supplemental windowsZones table, version 48,
// exactly as the Unicode consortium's cldr-json publishes it (npm
// cldr-core@48.2.0, supplemental/windowsZones.json, Unicode License v3).
// To update it, replace the file with a newer cldr-core's and run the
// tests (TestTable names the version).
//
//go:embed windowszones.json
var windowsZonesJSON []byte

// CLDRVersion is the CLDR release of the embedded table.
var CLDRVersion string

var (
	// toIANA maps a Windows zone name to the IANA zone of its territory
	// "001" row (CLDR's golden zone for it); toIANAFold the same by the
	// name in lower case.
	toIANA, toIANAFold = map[string]string{}, map[string]string{}
	// toWindows maps every IANA zone listed in any row to its Windows
	// name.
	toWindows = map[string]string{}
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
		panic("winzones: the embedded windowsZones table: " + err.Error())
	}
	CLDRVersion = doc.Supplemental.Version.CLDR
	for _, m := range doc.Supplemental.WindowsZones.MapTimezones {
		z := m.MapZone
		zones := strings.Fields(z.Type)
		if z.Territory == "001" && len(zones) > 0 {
			toIANA[z.Other] = zones[0]
			toIANAFold[strings.ToLower(z.Other)] = zones[0]
		}
		for _, iana := range zones {
			if _, ok := toWindows[iana]; !ok || z.Territory == "001" {
				toWindows[iana] = z.Other
			}
		}
	}
}

// IANA returns the IANA zone of a Windows zone name (letter case as
// Windows writes it, else ignored), or ok false for a name the table does
// not have. The IANA names are CLDR's, which keeps a zone's first name
// ("Asia/Calcutta"); Go's zone database knows them all.
func IANA(windows string) (iana string, ok bool) {
	if iana, ok = toIANA[windows]; ok {
		return iana, true
	}
	iana, ok = toIANAFold[strings.ToLower(windows)]
	return iana, ok
}

// Windows returns the Windows zone name of an IANA zone, or ok false for a
// zone CLDR does not list. UTC is "UTC"; a current IANA name CLDR lists
// under its older one ("Asia/Kolkata", "Asia/Calcutta") is found.
func Windows(iana string) (windows string, ok bool) {
	if iana == "UTC" || iana == "Etc/UTC" {
		return "UTC", true
	}
	if w, ok := toWindows[iana]; ok {
		return w, true
	}
	w, ok := toWindows[renamed[iana]]
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
