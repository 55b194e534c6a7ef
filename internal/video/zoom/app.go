package zoom

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/convene/convene/internal/video"
)

// ID is Zoom's app ID: stored with installs and meetings, and the name of
// its routes (/oauth/zoom/callback, /webhooks/zoom).
const ID = "zoom"

// Config is how Convene reaches Zoom (or the sandbox) as the OAuth app of
// the account-level install (DESIGN §2b).
type Config struct {
	// APIURL is the API root including /v2 (DefaultBaseURL, or the
	// sandbox's).
	APIURL string
	// OAuthURL is Zoom's web host (https://zoom.us): authorize, token and
	// revoke live under /oauth/.
	OAuthURL string
	// ClientID and ClientSecret are the app's credentials.
	ClientID, ClientSecret string
	// RedirectURL is Convene's callback, BASE/oauth/zoom/callback.
	RedirectURL string
	// WebhookSecret is the app's secret token, which signs its webhooks.
	WebhookSecret string
	// RequestTimeout bounds one API request (RetryPolicy.Timeout; zero:
	// 30 s). With the settle time derived from it, it bounds how long a
	// create whose answer was lost may still take effect, which a retry
	// after a crash waits out before it creates again.
	RequestTimeout time.Duration
}

// Settings are the meeting settings Convene reports as Zoom returns them
// (DESIGN.md §2 step 5).
var Settings = []string{
	"host_video", "participant_video", "cn_meeting", "in_meeting", "join_before_host", "mute_upon_entry", "watermark", "use_pmi",
	"approval_type", "audio", "auto_recording", "enforce_login", "enforce_login_domains", "alternative_hosts",
	"close_registration", "registrants_confirmation_email",
}

// Zoom's admin scopes (DESIGN.md §2b): granular, or the classic ones.
var (
	granularScopes = []string{
		"meeting:write:meeting:admin", "meeting:update:meeting:admin", "meeting:delete:meeting:admin",
		"meeting:read:meeting:admin", "meeting:read:invitation:admin", "meeting:read:list_meetings:admin",
		"user:read:user:admin",
	}
	classicScopes = []string{"meeting:write:admin", "meeting:read:admin", "user:read:admin"}
)

// dataUse is what Convene does at Zoom (this package, internal/apps'
// OAuth, internal/booking's jobs and reconciler).
var dataUse = video.DataUse{
	Calls: []video.APICall{
		{Method: "GET", Path: "/oauth/authorize", Purpose: "authorize"},
		{Method: "POST", Path: "/oauth/token", Purpose: "token"},
		{Method: "GET", Path: "/v2/users/me", Purpose: "me"},
		{Method: "POST", Path: "/v2/users/{organizer}/meetings", Purpose: "create"},
		{Method: "GET", Path: "/v2/users/{organizer}/meetings", Purpose: "find"},
		{Method: "GET", Path: "/v2/meetings/{id}", Purpose: "read"},
		{Method: "GET", Path: "/v2/meetings/{id}/invitation", Purpose: "invitation"},
		{Method: "PATCH", Path: "/v2/meetings/{id}", Purpose: "update"},
		{Method: "DELETE", Path: "/v2/meetings/{id}", Purpose: "delete"},
		{Method: "POST", Path: "/oauth/revoke", Purpose: "revoke"},
	},
	MeetingFields: []string{"topic", "type", "start_time", "duration", "timezone", "recurrence", "password", "agenda", "settings"},
	Settings:      Settings,
	Events:        []string{"meeting.updated", "meeting.deleted", "app_deauthorized"},
	Kept: []video.Kept{
		{Item: "tokens", Protection: video.KeptSealed},
		{Item: "provider_account", Protection: video.KeptPlain},
		{Item: "meeting", Protection: video.KeptPlain},
		{Item: "join_url", Protection: video.KeptPlain},
		{Item: "start_url", Protection: video.KeptHost},
	},
}

// urlValidationSchema is the JSON Schema of the answer to Zoom's
// endpoint.url_validation (zoom-api.md §5.3).
const urlValidationSchema = `{"type": "object", "required": ["plainToken", "encryptedToken"],
	"properties": {"plainToken": {"type": "string"}, "encryptedToken": {"type": "string"}}}`

// App is Zoom's entry in the catalog of apps: an account-level OAuth app
// an admin authorizes once (authorization code with PKCE, the client's
// credentials in a Basic header, zoom-api.md §4.1), whose client is this
// package's Client, whose rules are Zoom's passcode and recurrence limits,
// and whose signed webhooks become neutral events.
func App(cfg Config) video.App {
	return video.App{
		ID:   ID,
		Name: "Zoom",
		Auth: video.Auth{
			Kind:    video.AuthCode,
			AuthURL: cfg.OAuthURL + "/oauth/authorize", TokenURL: cfg.OAuthURL + "/oauth/token", RevokeURL: cfg.OAuthURL + "/oauth/revoke",
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			BasicAuth: true,
			ScopeSets: [][]string{granularScopes, classicScopes},
			Identify: func(ctx context.Context, client *http.Client, accessToken string) (*video.Identity, error) {
				return identify(ctx, client, cfg.APIURL, accessToken)
			},
		},
		Connect: func(c video.Connection) video.Provider {
			return &Client{BaseURL: cfg.APIURL, HTTPClient: c.HTTP, Tokens: c.Tokens, Now: c.Now, Logger: c.Log,
				Retry: RetryPolicy{Timeout: cfg.RequestTimeout}}
		},
		Rules: video.Rules{Password: checkPassword, Settings: true, Recurrence: Recurrence},
		Webhook: &video.Webhook{
			Summary:         "Zoom event notifications, signed with the app's secret token (x-zm-signature)",
			ReplySchema:     "ZoomURLValidation",
			ReplyJSONSchema: json.RawMessage(urlValidationSchema),
			Receive: func(req video.WebhookRequest, now time.Time) (*video.Delivery, error) {
				return Receive(cfg.WebhookSecret, req.Header, req.Body, now)
			},
		},
		Reconcile: true,
		DataUse:   dataUse,
	}
}

// identify reads who authorized the app, and their account, with GET
// /users/me (zoom-api.md §2): the install is bound to that account, whose
// webhooks name it.
func identify(ctx context.Context, client *http.Client, apiURL, accessToken string) (*video.Identity, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", apiURL+"/users/me", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /users/me: %s: %.200s", resp.Status, body)
	}
	var u struct {
		ID        string `json:"id"`
		AccountID string `json:"account_id"`
	}
	if err := json.Unmarshal(body, &u); err != nil {
		return nil, fmt.Errorf("GET /users/me: %w", err)
	}
	return &video.Identity{AccountID: u.AccountID, UserID: u.ID}, nil
}
