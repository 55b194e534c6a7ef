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
	// DataUse is what Convene reads and writes at the provider and what
	// it keeps: the marketplace shows it before an admin installs the app.
	DataUse DataUse
}

// DataUse says exactly what Convene does with an app's provider. Its
// purposes, items and protections are keys the pages word in each
// language ("create", "tokens", "sealed"); the API paths, field and
// setting names are the provider's own.
type DataUse struct {
	// Calls are the provider's API requests Convene makes.
	Calls []APICall
	// MeetingFields are the fields of a meeting Convene writes when it
	// creates or changes one (the provider's names).
	MeetingFields []string
	// Settings are the meeting settings Convene reads back and reports to
	// the organizer; it writes one only when a request sets it.
	Settings []string
	// Events are the provider's notifications Convene receives.
	Events []string
	// Kept is what Convene stores of the provider, and how.
	Kept []Kept
}

// APICall is one kind of request Convene makes to the provider.
type APICall struct {
	Method, Path string
	// Purpose is why: create, find, read, update, delete, invitation,
	// authorize, me, token, revoke.
	Purpose string
}

// Kept is one thing Convene stores of a provider.
type Kept struct {
	// Item is what: tokens, provider_account, meeting, join_url,
	// start_url, room.
	Item string
	// Protection is how it is kept: "sealed" (AES-256-GCM under the data
	// key, bound to its row), "sealed_host" (sealed, and shown to the
	// organizer only) or "plain" (readable by the account's people who
	// may see the meeting).
	Protection string
}

// Protections of what Convene keeps (Kept.Protection).
const (
	KeptSealed = "sealed"
	KeptHost   = "sealed_host"
	KeptPlain  = "plain"
)

// zoomSettings are the meeting settings Convene reports as Zoom returns
// them (DESIGN.md §2 step 5).
var zoomSettings = []string{
	"host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host", "mute_upon_entry", "watermark", "use_pmi",
	"approval_type", "audio", "auto_recording", "enforce_login", "enforce_login_domains", "alternative_hosts",
	"close_registration", "registrants_confirmation_email",
}

// zoomDataUse is what Convene does at Zoom (internal/video/zoom,
// internal/booking/video.go, oauth.go).
var zoomDataUse = DataUse{
	Calls: []APICall{
		{"GET", "/oauth/authorize", "authorize"},
		{"POST", "/oauth/token", "token"},
		{"GET", "/v2/users/me", "me"},
		{"POST", "/v2/users/{organizer}/meetings", "create"},
		{"GET", "/v2/users/{organizer}/meetings", "find"},
		{"GET", "/v2/meetings/{id}", "read"},
		{"GET", "/v2/meetings/{id}/invitation", "invitation"},
		{"PATCH", "/v2/meetings/{id}", "update"},
		{"DELETE", "/v2/meetings/{id}", "delete"},
		{"POST", "/oauth/revoke", "revoke"},
	},
	MeetingFields: []string{"topic", "type", "start_time", "duration", "timezone", "recurrence", "password", "agenda", "settings"},
	Settings:      zoomSettings,
	Events:        []string{"meeting.updated", "meeting.deleted", "app_deauthorized"},
	Kept: []Kept{
		{"tokens", KeptSealed},
		{"provider_account", KeptPlain},
		{"meeting", KeptPlain},
		{"join_url", KeptPlain},
		{"start_url", KeptHost},
	},
}

// jitsiDataUse: Jitsi has no API; the room name is derived from the
// booking with a secret (video/jitsi).
var jitsiDataUse = DataUse{
	Kept: []Kept{{"room", KeptPlain}, {"join_url", KeptPlain}},
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
	{ID: "zoom", Name: "Zoom", OAuth: true, ScopeSets: [][]string{zoomGranular, zoomClassic}, DataUse: zoomDataUse},
	{ID: "jitsi", Name: "Jitsi Meet", OAuth: false, DataUse: jitsiDataUse},
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
