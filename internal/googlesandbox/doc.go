// Package googlesandbox is a Google-compatible server for offline use and
// tests: Google's OAuth 2.0 token endpoint for service accounts with
// domain-wide delegation (POST /token, the JWT bearer grant of RFC 7523),
// the Calendar API v3 under /calendar/v3/ (events list/get/insert/patch/
// update/delete/instances/watch, freeBusy, channels/stop, with sync tokens,
// Google Meet conferences and push notifications), and, with
// Options.Controls, test controls under /_sandbox (seeding Workspace
// domains, users, service accounts and delegation, changing events "in
// Google", faults, invalidating sync tokens).
//
// It is the sibling of internal/zoomsandbox and follows its shape. The
// test controls have no authentication and mint service-account keys: they
// are off unless Options.Controls is set (`convene google-sandbox` always
// sets it; `convene serve` only with CONVENE_GOOGLE_SANDBOX_CONTROLS=on).
//
// It speaks Google's published contract: the Calendar v3 discovery document
// (testdata/calendar-api.json, shipped in google.golang.org/api/calendar/v3),
// Google's error shapes, and the service-account flow of
// golang.org/x/oauth2/google. With Options.Discovery every request it
// receives and every answer it sends is validated against that document;
// its tests run Google's Go client and Google's Node client against it.
//
// `convene google-sandbox` serves the handler tree at its root; `convene
// serve` mounts it under /google-sandbox with http.StripPrefix. Every URL
// the sandbox hands out is built from Options.BaseURL.
//
// Test controls (not Google's; only with Options.Controls):
//
//	GET    /_sandbox/domains                         Workspace domains, their users and delegation grants
//	POST   /_sandbox/domains                         {"domain"}
//	POST   /_sandbox/users                           {"email", "time_zone"?} (its domain is added)
//	POST   /_sandbox/service-accounts                {"project_id"?}: a new key, answered as Google's JSON key file
//	POST   /_sandbox/delegations                     {"domain", "client_id", "scopes"}: domain-wide delegation ("*": every domain)
//	DELETE /_sandbox/delegations                     {"domain", "client_id"}: revoke it
//	GET    /_sandbox/calendars/{calendarId}/events   every stored event, cancelled ones and exceptions included
//	POST   /_sandbox/calendars/{calendarId}/events   add an event as its owner would in Google (push sent)
//	PATCH  /_sandbox/calendars/{calendarId}/events/{eventId}   change it "in Google" (push sent)
//	DELETE /_sandbox/calendars/{calendarId}/events/{eventId}   delete it "in Google" (push sent)
//	POST   /_sandbox/sync-tokens/invalidate          {"calendar_id"?}: every sync token issued so far answers 410
//	GET    /_sandbox/mails                           the invitations Google would have mailed (sendUpdates)
//	GET    /_sandbox/channels                        push channels; GET /_sandbox/pushes: notifications sent
//	GET    /_sandbox/requests                        calls counted per route
//	POST   /_sandbox/conferences/pending             {"times", "reads"}: the next Meet creations answer "pending" until read again
//	GET    /_sandbox/faults                          pending faults
//	POST   /_sandbox/faults                          {"status":403|429|503,"times":N,"path"?,"method"?,"commit"?}
//	DELETE /_sandbox/faults                          clear them
//
// This package stands on its own: it must never import Convene's core
// packages (store, account, apps, video, booking, web …); Convene talks to
// it over HTTP only, as it talks to the real Google.
package googlesandbox

// Calendar names its time zones with IANA identifiers; the sandbox must
// resolve them even on machines without a zoneinfo database.
import _ "time/tzdata"
