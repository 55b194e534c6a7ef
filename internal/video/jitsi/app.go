package jitsi

import "github.com/convene/convene/internal/video"

// ID is Jitsi's app ID.
const ID = "jitsi"

// Config is the Jitsi server Convene makes links on.
type Config struct {
	// BaseURL is the Jitsi server; empty: DefaultBaseURL.
	BaseURL string
	// Secret makes room names a function of the booking, so a retried
	// create gives the same room (Provider.Secret).
	Secret []byte
}

// App is Jitsi's entry in the catalog of apps: nothing to authorize
// (installing only chooses the managed domains), no API call, links that
// carry no passcode and serve every occurrence of a series, no webhook.
func App(cfg Config) video.App {
	return video.App{
		ID:   ID,
		Name: "Jitsi Meet",
		Auth: video.Auth{Kind: video.AuthNone},
		Connect: func(c video.Connection) video.Provider {
			return &Provider{BaseURL: cfg.BaseURL, Secret: cfg.Secret, Now: c.Now}
		},
		Rules: video.Rules{Password: func(string) string { return "Jitsi links carry no passcode; leave password out" }},
		// Jitsi has no API: the room name is derived from the booking
		// with a secret.
		DataUse: video.DataUse{Kept: []video.Kept{{Item: "room", Protection: video.KeptPlain}, {Item: "join_url", Protection: video.KeptPlain}}},
	}
}
