// Package apps is the marketplace of video apps: the catalog (Zoom, Jitsi),
// pre-approval and installation for a whole account by its admin, the
// OAuth 2.0 authorization-code flow with PKCE and a single-use state, the
// token vault (tokens sealed at rest, refreshed under a lease with
// compare-and-swap so that rotated refresh tokens are never lost), and the
// choice of a video provider for an organizer.
//
// It is part of the core: it may import store, seal and video, never a
// front end.
package apps

import (
	"slices"
	"strings"
)

// App is an entry of the catalog.
type App struct {
	ID   string
	Name string
	// OAuth says whether installing needs the provider's consent.
	OAuth bool
	// ScopeSets are the alternative sets of scopes the app needs: the
	// granted scopes must include every scope of one set.
	ScopeSets [][]string
}

// Zoom's admin scopes (DESIGN.md §2b): granular, or the classic ones.
var (
	zoomGranular = []string{
		"meeting:write:meeting:admin", "meeting:update:meeting:admin", "meeting:delete:meeting:admin",
		"meeting:read:meeting:admin", "meeting:read:invitation:admin", "meeting:read:list_meetings:admin",
		"user:read:user:admin",
	}
	zoomClassic = []string{"meeting:write:admin", "meeting:read:admin", "user:read:admin"}
)

// Catalog lists the apps Convene offers.
var Catalog = []App{
	{ID: "zoom", Name: "Zoom", OAuth: true, ScopeSets: [][]string{zoomGranular, zoomClassic}},
	{ID: "jitsi", Name: "Jitsi Meet", OAuth: false},
}

// Lookup returns the catalog entry of id.
func Lookup(id string) (App, bool) {
	for _, a := range Catalog {
		if a.ID == id {
			return a, true
		}
	}
	return App{}, false
}

// Scopes returns the scopes shown for the app: its first (preferred) set.
func (a App) Scopes() []string {
	if len(a.ScopeSets) == 0 {
		return []string{}
	}
	return a.ScopeSets[0]
}

// MissingScopes returns the scopes the app still needs given the granted
// ones (space- or comma-separated): none when one set is complete, else the
// missing scopes of the set closest to complete.
func (a App) MissingScopes(granted string) []string {
	if len(a.ScopeSets) == 0 {
		return nil
	}
	have := strings.FieldsFunc(granted, func(r rune) bool { return r == ' ' || r == ',' })
	var best []string
	for i, set := range a.ScopeSets {
		var missing []string
		for _, s := range set {
			if !slices.Contains(have, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		if i == 0 || len(missing) < len(best) {
			best = missing
		}
	}
	return best
}
