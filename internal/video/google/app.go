package google

import (
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// ID is Google Workspace's app ID: stored with installs and meetings, and
// the name of its webhook route (/webhooks/google_meet).
const ID = "google_meet"

// The scopes an admin delegates to Convene's service account, and no more
// (the discovery document's scopes of each method Convene calls):
var (
	// ScopeEventsOwned: events.insert, patch, delete and get of the
	// meetings in the organizer's calendar, and events.list and
	// events.watch of each user's primary calendar for the sync and its
	// push channels, which the user owns. It is narrower than
	// calendar.events (every calendar the user can open) and than
	// calendar (calendars themselves, sharing).
	ScopeEventsOwned = "https://www.googleapis.com/auth/calendar.events.owned"
	// ScopeFreeBusy: freebusy.query of colleagues' busy time, for people
	// whose copy is not synced yet; it shows no event.
	ScopeFreeBusy = "https://www.googleapis.com/auth/calendar.freebusy"
)

// Scopes are the scopes delegated, in the order the admin console is
// given them.
var Scopes = []string{ScopeEventsOwned, ScopeFreeBusy}

// UserScopes are the scopes a user grants in per-user mode (a personal
// Google account connected by its owner), and no more:
//   - openid: an id_token, whose verified subject binds the grant to one
//     Google account (one account is connected by one Convene user);
//   - email: the account's address in the id_token, shown to the user
//     ("connected as …"); it may differ from their Convene address;
//   - ScopeEventsOwned: as above, for the user's own primary calendar
//     (sync, push channels, the meetings' events with their Meet);
//   - ScopeFreeBusy: freebusy.query of the user's own calendar before its
//     copy is synced.
var UserScopes = []string{"openid", "email", ScopeEventsOwned, ScopeFreeBusy}

// Google's endpoints of per-user mode (OAuth 2.0 for web server
// applications, and OpenID Connect).
const (
	DefaultAuthURL   = "https://accounts.google.com/o/oauth2/v2/auth"
	DefaultIssuer    = "https://accounts.google.com"
	DefaultRevokeURL = "https://oauth2.googleapis.com/revoke"
)

// Personal is per-user mode's configuration: Convene's OAuth client at
// Google and Google's endpoints (or the sandbox's).
type Personal struct {
	// ClientID and ClientSecret are Convene's OAuth client (a web
	// application client of Google Cloud's console).
	ClientID, ClientSecret string
	// AuthURL, Issuer and RevokeURL: "" Google's (DefaultAuthURL,
	// DefaultIssuer, DefaultRevokeURL). The token endpoint is
	// Config.TokenURL.
	AuthURL, Issuer, RevokeURL string
	// RedirectURL is Convene's BASE/oauth/google_meet/callback.
	RedirectURL string
}

// Config is how Convene reaches Google (or the sandbox).
type Config struct {
	// CalendarURL is the Calendar API's root ending in "/" (""
	// DefaultCalendarURL); TokenURL the token endpoint (""
	// DefaultTokenURL).
	CalendarURL, TokenURL string
	// WebhookURL is Convene's BASE/webhooks/google_meet, where push
	// channels notify.
	WebhookURL string
	// Retry bounds the retries of refused requests (zero: 5 attempts
	// from 500 ms).
	Retry RetryPolicy
	// Personal, when its ClientID is set, offers per-user mode
	// (video.App.UserAuth): personal Google accounts, each connected by
	// its owner.
	Personal Personal
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// userAuth is per-user mode's entry, nil when no client is configured.
func (cfg Config) userAuth() *video.UserAuth {
	p := cfg.Personal
	if p.ClientID == "" {
		return nil
	}
	return &video.UserAuth{
		AuthURL: or(p.AuthURL, DefaultAuthURL), TokenURL: cfg.tokenURL(), RevokeURL: or(p.RevokeURL, DefaultRevokeURL),
		Issuer: or(p.Issuer, DefaultIssuer), ClientID: p.ClientID, ClientSecret: p.ClientSecret, RedirectURL: p.RedirectURL,
		Scopes: UserScopes,
		// offline: a refresh token, for the calendar sync that runs
		// without the user; consent: Google gives a refresh token only
		// at a consent, so a reconnection must show the page again.
		Params: map[string]string{"access_type": "offline", "prompt": "consent"},
	}
}

func (cfg Config) tokenURL() string {
	if cfg.TokenURL == "" {
		return DefaultTokenURL
	}
	return cfg.TokenURL
}

// Client returns the client of one install.
func (cfg Config) Client(c video.Connection) *Client {
	return &Client{
		CalendarURL: cfg.CalendarURL, TokenURL: cfg.tokenURL(), WebhookURL: cfg.WebhookURL,
		Key: c.Credentials, Scopes: Scopes, HTTP: c.HTTP, Now: c.Now, Log: c.Log, Retry: cfg.Retry,
		UserTokens: c.UserTokens,
	}
}

// dataUse is what Convene does at Google: each path is the discovery
// document's (rootUrl https://www.googleapis.com/, servicePath
// calendar/v3/), checked by TestDataUseAgainstDiscovery, and the token
// endpoint's.
var dataUse = video.DataUse{
	Calls: []video.APICall{
		{Method: "POST", Path: "/token", Purpose: "token"},
		// Personal-account mode: each user's consent, and revocation
		// when they disconnect or the app is uninstalled.
		{Method: "GET", Path: "/o/oauth2/v2/auth", Purpose: "authorize"},
		{Method: "POST", Path: "/revoke", Purpose: "revoke"},
		{Method: "POST", Path: "/calendar/v3/freeBusy", Purpose: "free_busy"},
		{Method: "GET", Path: "/calendar/v3/calendars/{calendarId}/events", Purpose: "sync"},
		{Method: "POST", Path: "/calendar/v3/calendars/{calendarId}/events/watch", Purpose: "watch"},
		{Method: "POST", Path: "/calendar/v3/channels/stop", Purpose: "watch"},
		{Method: "POST", Path: "/calendar/v3/calendars/{calendarId}/events", Purpose: "create"},
		{Method: "GET", Path: "/calendar/v3/calendars/{calendarId}/events/{eventId}", Purpose: "find"},
		{Method: "PATCH", Path: "/calendar/v3/calendars/{calendarId}/events/{eventId}", Purpose: "update"},
		{Method: "DELETE", Path: "/calendar/v3/calendars/{calendarId}/events/{eventId}", Purpose: "delete"},
	},
	MeetingFields: []string{"id", "iCalUID", "summary", "description", "location", "start", "end", "recurrence", "attendees", "conferenceData"},
	Events:        []string{"sync", "exists", "not_exists"},
	Kept: []video.Kept{
		{Item: "service_account_key", Protection: video.KeptSealed},
		// Personal-account mode: each user's access and refresh tokens.
		{Item: "tokens", Protection: video.KeptSealed},
		{Item: "calendar_events", Protection: video.KeptPlain},
		{Item: "meeting", Protection: video.KeptPlain},
		{Item: "join_url", Protection: video.KeptPlain},
	},
}

// App is Google Workspace's entry in the catalog: a service account an
// admin gives the key of at install and delegates Scopes to for the
// Workspace (domain-wide delegation); its calendars are Client, its video
// meetings Meet (events with a Meet conference, VideoIsEvent), and its
// webhook receives Google's push notifications of the channels Watch
// opens.
func App(cfg Config) video.App {
	return video.App{
		ID:   ID,
		Name: "Google Workspace",
		Auth: video.Auth{
			Kind:      video.AuthServiceAccount,
			TokenURL:  cfg.tokenURL(),
			ScopeSets: [][]string{Scopes},
		},
		Connect:      func(c video.Connection) video.Provider { return Meet{cfg.Client(c)} },
		Calendar:     func(c video.Connection) video.Calendars { return cfg.Client(c) },
		VideoIsEvent: true,
		Rules: video.Rules{
			Password: func(string) string { return "Google Meet meetings have no passcode; leave password out" },
		},
		Webhook: &video.Webhook{
			Summary: "Google Calendar push notifications of the channels Convene opened (X-Goog-Channel-ID and X-Goog-Channel-Token, no body)",
			Receive: Receive,
		},
		DataUse:  dataUse,
		UserAuth: cfg.userAuth(),
	}
}

// MaxChannelHeader bounds the channel headers Convene reads (Google's
// channel ids and tokens are at most 64 and 256 characters).
const MaxChannelHeader = 256

// Receive decodes one of Google's push notifications (Calendar API "Push
// notifications"): no body, the channel in headers. The "sync" message
// that opens a channel applies nothing; "exists" and "not_exists" say
// the watched calendar changed: a calendar_changed event naming the
// channel, with its token for the calendar core to check against the
// channels it opened. Nothing of what changed is taken from the message.
func Receive(req video.WebhookRequest, now time.Time) (*video.Delivery, error) {
	h := req.Header
	id := h.Get("X-Goog-Channel-ID")
	token := h.Get("X-Goog-Channel-Token")
	state := h.Get("X-Goog-Resource-State")
	bad := func(detail string) (*video.Delivery, error) {
		return nil, &video.WebhookError{Detail: detail}
	}
	switch {
	case id == "" || len(id) > MaxChannelHeader:
		return bad("X-Goog-Channel-ID is missing or too long")
	case len(token) > MaxChannelHeader || len(h.Get("X-Goog-Resource-ID")) > MaxChannelHeader:
		return bad("a channel header is too long")
	case token == "":
		// Convene opens every channel with a token: a message without
		// one is not from a channel of Convene's.
		return nil, &video.WebhookError{Unauthenticated: true, Detail: "X-Goog-Channel-Token is missing"}
	}
	if n := h.Get("X-Goog-Message-Number"); n != "" {
		if _, err := strconv.ParseUint(n, 10, 64); err != nil {
			return bad("X-Goog-Message-Number is not a number")
		}
	}
	switch state {
	case "sync":
		return &video.Delivery{Ignored: "sync"}, nil
	case "exists", "not_exists":
	default:
		return bad("X-Goog-Resource-State is not sync, exists or not_exists")
	}
	if strings.TrimSpace(string(req.Body)) != "" {
		return bad("a Calendar push notification has no body")
	}
	return &video.Delivery{Events: []video.Event{{
		Kind: video.EventCalendarChanged, App: ID,
		Channel: id, ChannelToken: token, At: now.UTC(), Name: "events " + state,
	}}}, nil
}
