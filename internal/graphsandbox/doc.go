// Package graphsandbox is a Microsoft Graph–compatible server for offline
// use and tests, the sibling of internal/zoomsandbox: the Microsoft identity
// platform's admin consent and client-credentials token endpoints
// (/{tenant}/v2.0/adminconsent, /{tenant}/oauth2/v2.0/token), the part of
// Graph v1.0 Convene uses under /v1.0 (users, mailboxSettings, events with
// recurrence and a series' instances, calendarView and its delta, getSchedule, onlineMeetings,
// subscriptions with change and lifecycle notifications, JSON $batch), and,
// with Options.Controls, test controls under /_sandbox (seeding users and
// events, changes "made in Outlook", faults, consent revocation, delta reset).
//
// The test controls have no authentication and show every tenant's data:
// they are off unless Options.Controls is set (`convene graph-sandbox`
// always sets it; `convene serve` only with
// CONVENE_GRAPH_SANDBOX_CONTROLS=on). The admin consent endpoint redirects
// only to Options.RedirectURIs (none: loopback URIs only), as Microsoft
// redirects only to the reply URLs registered for an app.
//
// It speaks Graph's published contract; its tests type-check every
// response against Microsoft's TypeScript types
// (@microsoft/microsoft-graph-types, compiled with tsc --strict) and run
// Microsoft's own JavaScript client (@microsoft/microsoft-graph-client)
// against it (testdata/msgraph).
//
// What it does not reproduce: attendees' copies of an event and meeting
// requests (an event lives in its organizer's calendar only); delegated
// (user) tokens and refresh tokens; $select, $expand, $orderby and $filter
// beyond what the handlers name; calendars other than the default one;
// extensions, attachments and categories beyond echoing them; Graph's
// per-app throttling (429 and 503 come from injected faults only); a
// revoked consent invalidates the tenant's tokens at once (Microsoft's stay
// valid until they expire but lose their roles); notification URLs may be
// http (Graph wants https), validation and delivery get three attempts a
// second apart (Graph retries for hours); the organizer of an event is
// always its calendar's owner.
//
// Bounds: a calendarView or delta window is at most MaxWindow, a series
// expands to at most MaxInstances instances per request, a page holds
// DefaultPageSize items (Prefer: odata.maxpagesize up to MaxPageSize), a
// request body is at most MaxBody bytes, a $batch holds at most 20
// requests, getSchedule at most 100 schedules over at most 62 days.
//
// Embedding (convene serve):
//
//	sb, err := graphsandbox.New(graphsandbox.Options{
//		BaseURL:      baseURL + "/graph-sandbox",
//		RedirectURIs: []string{baseURL + "/oauth/teams/callback"},
//		DataFile:     filepath.Join(dataDir, "graph-sandbox.json"),
//	})
//	mux.Handle("/graph-sandbox/", http.StripPrefix("/graph-sandbox", sb))
//
// Test controls (not Microsoft's; only with Options.Controls):
//
//	GET    /_sandbox/tenants                   tenants, their domains, users and consent
//	POST   /_sandbox/tenants/{tenant}/revoke   the admin removes the app: token requests fail, tokens stop working
//	POST   /_sandbox/users                     {"tenant"?, "mail", "displayName"?, "timeZone"?, "workingHours"?}: seed a user
//	POST   /_sandbox/users/{user}/events       an event made in Outlook (any Graph event body); notifications follow
//	PATCH  /_sandbox/users/{user}/events/{id}  a change made in Outlook ({"newFolder":true} also re-keys the regular id, as a move between folders does)
//	DELETE /_sandbox/users/{user}/events/{id}  deleted in Outlook
//	GET    /_sandbox/faults                    pending faults
//	POST   /_sandbox/faults                    {"status":429|503,"times":N,"retryAfter":S,"path"?,"method"?}:
//	                                           the next N matching requests (a $batch's own requests too) answer so
//	DELETE /_sandbox/faults                    clear them
//	POST   /_sandbox/delta/reset               every delta and skip token answers 410 syncStateNotFound
//	GET    /_sandbox/notifications             notifications sent and their delivery (the last 1,000)
//	POST   /_sandbox/subscriptions/{id}/lifecycle {"lifecycleEvent":"reauthorizationRequired"|"subscriptionRemoved"|"missed"}
//
// This package stands on its own: it must never import Convene's core
// packages (store, account, apps, video, booking, web …); Convene talks to
// it over HTTP only, as it talks to Microsoft.
package graphsandbox

// Windows zone names map to IANA identifiers the sandbox must resolve even
// on machines without a zoneinfo database.
import _ "time/tzdata"
