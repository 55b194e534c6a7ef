// Package zoomsandbox is a Zoom-compatible server for offline use and tests:
// Zoom's OAuth endpoints (/oauth/authorize, /oauth/token, /oauth/revoke), the
// Meetings and Users REST API under /v2, signed outgoing webhooks, and, with
// Options.Controls, test controls under /_sandbox (listing meetings and
// tokens, injecting faults).
//
// The test controls have no authentication and hand out every tenant's
// tokens and meeting passwords: they are off unless Options.Controls is set
// (`convene zoom-sandbox` always sets it; `convene serve` only with
// CONVENE_ZOOM_SANDBOX_CONTROLS=on). The authorize endpoint redirects only
// to Options.RedirectURIs (none: loopback URIs only), as Zoom redirects
// only to the URIs registered for an app.
//
// It speaks Zoom's contract as shared/zoom-api.md digests it (Zoom's
// OpenAPI document, its error codes, rate-limit headers and webhook signing),
// and its tests check every exchange against Zoom's OpenAPI document and run
// Zoom's own Node SDK against it.
//
// `convene zoom-sandbox` serves the handler tree at its root; `convene serve`
// mounts the same tree under /zoom-sandbox with http.StripPrefix. Every URL
// the sandbox hands out is built from Options.BaseURL.
//
// Embedding (convene serve):
//
//	sb, err := zoomsandbox.New(zoomsandbox.Options{
//		BaseURL:      baseURL + "/zoom-sandbox",
//		WebhookURL:   baseURL + "/webhooks/zoom",
//		RedirectURIs: []string{baseURL + "/oauth/zoom/callback"},
//		DomainsForAuthorization: func(r *http.Request) ([]string, error) {
//			return installDomains(r.Context(), r.FormValue("state"))
//		},
//		DataFile: filepath.Join(dataDir, "zoom-sandbox.json"),
//	})
//	mux.Handle("/zoom-sandbox/", http.StripPrefix("/zoom-sandbox", sb))
//	defer sb.Close()
//
// Test controls (not Zoom's; DESIGN §4; only with Options.Controls):
//
//	GET    /_sandbox/meetings                every meeting of every user, as GET /v2/meetings/{id} answers it
//	POST   /_sandbox/meetings/{id}/start     the host starts it (status "started", meeting.started sent)
//	GET    /_sandbox/accounts                accounts, their domains and users
//	GET    /_sandbox/tokens                  every token issued (access_token, refresh_token, scope, expires_at, revoked, …)
//	POST   /_sandbox/tokens/expire           {"access_token"?, "account_id"?}: those tokens expire now
//	GET    /_sandbox/faults                  pending faults; "held": requests a delay holds now; "released": held, then performed
//	POST   /_sandbox/faults                  {"status":503,"times":2} | {"status":429,"daily_limit":true,"retry_after":"auto"}
//	                                         | {"delay_ms":3000} | {"commit_then_drop":true}, optionally "path", "method"
//	DELETE /_sandbox/faults                  clear them
//	GET    /_sandbox/webhooks                events sent and their delivery (the last 1,000)
//	POST   /_sandbox/webhooks/deauthorize    {"access_token"?, "account_id"?}: revoke and send app_deauthorized
//	POST   /_sandbox/webhooks/url-validation send endpoint.url_validation now; says whether the receiver answered right
//
// This package stands on its own: it must never import Convene's core
// packages (store, account, apps, video, booking, web …); Convene talks to it
// over HTTP only, as it talks to the real Zoom.
package zoomsandbox

// Zoom names its time zones with IANA identifiers; the sandbox must resolve
// them even on machines without a zoneinfo database.
import _ "time/tzdata"
