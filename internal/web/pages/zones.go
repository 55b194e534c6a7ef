package pages

import (
	"strings"
	"sync"
)

// zones.txt lists the IANA time zones offered in the pages' selects: UTC
// and the zone of every country of the tz database's zone.tab (so that
// Europe/Amsterdam is there, which zone1970.tab merges into another), one
// per line, sorted. A test checks that each loads.

// zoneGroup is the zones of one region, for an <optgroup>.
type zoneGroup struct {
	Region string
	Zones  []string
}

var (
	zonesOnce  sync.Once
	zoneGroups []zoneGroup
	zoneSet    map[string]bool
)

func loadZones() {
	b, err := files.ReadFile("zones.txt")
	if err != nil {
		panic("pages: zones.txt is embedded: " + err.Error())
	}
	zoneSet = map[string]bool{}
	for _, z := range strings.Fields(string(b)) {
		region, _, ok := strings.Cut(z, "/")
		if !ok {
			region = "UTC"
		}
		if n := len(zoneGroups); n == 0 || zoneGroups[n-1].Region != region {
			zoneGroups = append(zoneGroups, zoneGroup{Region: region})
		}
		g := &zoneGroups[len(zoneGroups)-1]
		g.Zones = append(g.Zones, z)
		zoneSet[z] = true
	}
}

// timeZones returns the zones grouped by region, in the file's order.
func timeZones() []zoneGroup {
	zonesOnce.Do(loadZones)
	return zoneGroups
}

// knownZone reports whether the select offers z.
func knownZone(z string) bool {
	zonesOnce.Do(loadZones)
	return zoneSet[z]
}
