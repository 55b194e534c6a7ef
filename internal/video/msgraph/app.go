package msgraph

import (
	"strings"
	"time"

	"github.com/convene/convene/internal/video"
)

// ID is the app's ID: stored with installs and meetings, the name of its
// routes (/oauth/teams/callback, /webhooks/teams), and the word the
// e-mail assistant maps "on Teams" to.
const ID = "teams"

// Microsoft identity platform and Graph defaults.
const (
	// DefaultLoginURL is the identity platform's host (global cloud).
	DefaultLoginURL = "https://login.microsoftonline.com"
	// GraphScope is the scope of a client-credentials token for Graph:
	// every application permission the tenant's admin granted.
	GraphScope = "https://graph.microsoft.com/.default"
)

// Permissions are the Graph application permissions Convene needs, and
// no more; the admin grants them for the whole tenant at once.
var Permissions = []string{
	// Calendars.ReadWrite: read people's calendars (getSchedule,
	// calendarView delta, subscriptions to their events) and write the
	// booked meetings in organizers' calendars. Outlook has no
	// application permission that writes without reading; the read-only
	// Calendars.Read could not book.
	"Calendars.ReadWrite",
	// OnlineMeetings.ReadWrite.All: make, read, change and delete Teams
	// meetings for organizers. Graph also requires a Teams application
	// access policy (New-CsApplicationAccessPolicy, then
	// Grant-CsApplicationAccessPolicy for the organizers or the tenant)
	// before an app may act for a user; without it Graph answers 403.
	"OnlineMeetings.ReadWrite.All",
	// User.Read.All: find a person's user by their e-mail address when it
	// is not their user principal name (GET /users?$filter=mail eq …):
	// Convene matches people by address in the managed domains.
	"User.Read.All",
	// MailboxSettings.Read: read working hours and the mailbox's time
	// zone (GET /users/{id}/mailboxSettings).
	"MailboxSettings.Read",
}

// Config is how Convene reaches Microsoft (or the Graph sandbox) as the
// app registered in Microsoft Entra ID.
type Config struct {
	// GraphURL is Graph's root including /v1.0 (DefaultBaseURL, or the
	// sandbox's).
	GraphURL string
	// LoginURL is the identity platform's host (DefaultLoginURL, or the
	// sandbox's): adminconsent and token live under it.
	LoginURL string
	// ClientID and ClientSecret are the app registration's credentials.
	ClientID, ClientSecret string
	// RedirectURL is Convene's callback, BASE/oauth/teams/callback.
	RedirectURL string
	// RequestTimeout bounds one Graph request (zero: 30 s).
	RequestTimeout time.Duration
}

// dataUse is what Convene does at Microsoft: the identity platform's
// consent and tokens, and the Graph v1.0 requests of this package
// (TestDataUseInGraphContract checks each against Microsoft's Graph SDK).
var dataUse = video.DataUse{
	Calls: []video.APICall{
		{Method: "GET", Path: "/organizations/v2.0/adminconsent", Purpose: "authorize"},
		{Method: "POST", Path: "/{tenant}/oauth2/v2.0/token", Purpose: "token"},
		{Method: "POST", Path: "/v1.0/users/{user}/calendar/getSchedule", Purpose: "free_busy"},
		{Method: "POST", Path: "/v1.0/$batch", Purpose: "free_busy"},
		{Method: "GET", Path: "/v1.0/users/{user}/calendarView/delta", Purpose: "sync"},
		{Method: "GET", Path: "/v1.0/users/{user}/mailboxSettings", Purpose: "working_hours"},
		{Method: "GET", Path: "/v1.0/users", Purpose: "user"},
		{Method: "POST", Path: "/v1.0/subscriptions", Purpose: "watch"},
		{Method: "PATCH", Path: "/v1.0/subscriptions/{id}", Purpose: "watch"},
		{Method: "DELETE", Path: "/v1.0/subscriptions/{id}", Purpose: "watch"},
		{Method: "POST", Path: "/v1.0/users/{organizer}/events", Purpose: "create"},
		{Method: "GET", Path: "/v1.0/users/{organizer}/events/{id}", Purpose: "read"},
		{Method: "PATCH", Path: "/v1.0/users/{organizer}/events/{id}", Purpose: "update"},
		{Method: "GET", Path: "/v1.0/users/{organizer}/events/{id}/instances", Purpose: "find"},
		{Method: "DELETE", Path: "/v1.0/users/{organizer}/events/{id}", Purpose: "delete"},
		{Method: "POST", Path: "/v1.0/users/{organizer}/onlineMeetings/createOrGet", Purpose: "create"},
		{Method: "GET", Path: "/v1.0/users/{organizer}/onlineMeetings/{id}", Purpose: "read"},
		{Method: "PATCH", Path: "/v1.0/users/{organizer}/onlineMeetings/{id}", Purpose: "update"},
		{Method: "DELETE", Path: "/v1.0/users/{organizer}/onlineMeetings/{id}", Purpose: "delete"},
	},
	MeetingFields: []string{"subject", "body", "start", "end", "location", "attendees", "recurrence", "isOnlineMeeting",
		"onlineMeetingProvider", "transactionId", "startDateTime", "endDateTime", "externalId"},
	Events: []string{"created", "updated", "deleted", "missed", "reauthorizationRequired", "subscriptionRemoved"},
	Kept: []video.Kept{
		{Item: "tokens", Protection: video.KeptSealed},
		{Item: "tenant", Protection: video.KeptPlain},
		{Item: "calendar_events", Protection: video.KeptPlain},
		{Item: "channel", Protection: video.KeptSealed},
		{Item: "meeting", Protection: video.KeptPlain},
		{Item: "join_url", Protection: video.KeptPlain},
	},
}

// App is Microsoft 365's entry in the catalog: an app an admin consents
// to once for the tenant (the identity platform's adminconsent endpoint;
// Convene then takes client-credentials tokens for that tenant), whose
// calendars are the tenant's Outlook calendars, whose video meetings are
// Teams meetings (one link for a whole series, no Zoom settings), and
// whose webhook receives Graph's change and lifecycle notifications.
func App(cfg Config) video.App {
	login := strings.TrimRight(cfg.LoginURL, "/")
	if login == "" {
		login = DefaultLoginURL
	}
	client := func(c video.Connection) *Client {
		return &Client{BaseURL: cfg.GraphURL, HTTPClient: c.HTTP, Tokens: c.Tokens, Now: c.Now, Logger: c.Log,
			Retry: RetryPolicy{Timeout: cfg.RequestTimeout}}
	}
	return video.App{
		ID:   ID,
		Name: "Microsoft 365",
		Auth: video.Auth{
			Kind: video.AuthAdminConsent,
			// "organizations": any work tenant; the callback names the
			// one whose admin consented.
			AuthURL: login + "/organizations/v2.0/adminconsent",
			// {tenant} is replaced by the consenting tenant's id.
			TokenURL: login + "/{tenant}/oauth2/v2.0/token",
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Scope:     GraphScope,
			ScopeSets: [][]string{Permissions},
		},
		Connect:  func(c video.Connection) video.Provider { return Teams{client(c)} },
		Calendar: func(c video.Connection) video.Calendars { return Calendars{client(c)} },
		// Teams takes none of Zoom's settings and keeps no series: a
		// series' meeting is one link for all its occurrences.
		Rules: video.Rules{Settings: false, Recurrence: nil},
		Webhook: &video.Webhook{
			Summary:   "Microsoft Graph change and lifecycle notifications of the subscriptions to Outlook calendars (validationToken answered in text/plain; clientState checked)",
			ReplyText: true,
			Receive:   Receive,
		},
		DataUse: dataUse,
	}
}
