// Package googlesandbox is a Google-compatible server for offline use and
// tests: Google's OAuth 2.0 token endpoint for service accounts with
// domain-wide delegation (POST /token, the JWT bearer grant of RFC 7523),
// the authorization code flow of personal Google accounts (gmail.com) with
// OpenID Connect (below),
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
// Personal accounts ("Using OAuth 2.0 for Web Server Applications",
// "OpenID Connect"). A personal account (POST /_sandbox/accounts; gmail.com
// and googlemail.com are never Workspace domains) has a primary calendar
// like a Workspace user but no domain-wide delegation reaches it. Web
// clients are registered with Options.OAuthClients or the controls.
//
//	GET  /o/oauth2/v2/auth                   client_id, redirect_uri (exact match, else an error page), response_type=code,
//	                                         scope, state, code_challenge(+_method S256|plain), access_type, prompt
//	                                         (none|consent|select_account), login_hint, include_granted_scopes, nonce:
//	                                         the sign-in and consent page (one checkbox per non-identity scope)
//	POST /o/oauth2/v2/auth                   the form: the same fields, email, granted (repeated), decision=allow|deny;
//	                                         302 to redirect_uri with code, scope, state, authuser, prompt (hd for Workspace)
//	                                         or error=access_denied; bad parameters: error=invalid_request|invalid_scope|
//	                                         unauthorized_client (login_required, consent_required with prompt=none)
//	POST /token                              grant_type=authorization_code (client_secret in the body or HTTP Basic,
//	                                         code, redirect_uri, code_verifier) and grant_type=refresh_token
//	POST /revoke                             token=<access or refresh token> (form or query): the whole grant ends
//	GET  /.well-known/openid-configuration   issuer = Options.BaseURL
//	GET  /oauth2/v3/certs                    the id_token keys (JWKS); /oauth2/v1/certs: the same as PEM certificates
//	GET  /oauth2/v3/userinfo                 Bearer: sub, email, email_verified, name (as the scopes allow)
//
// Codes live 10 minutes and are single use: a second use answers
// invalid_grant and revokes the tokens the first one gave. A refresh token
// comes with access_type=offline at the account's first consent to the
// client, or with prompt=consent. id_tokens are RS256 JWTs signed with a
// key of the sandbox (kept in the data file), iss = Options.BaseURL.
//
// Not reproduced: passwords, sessions and account choosers (the page takes
// any address of a sandbox account), the "unverified app" and
// cross-account protection screens, the device and installed-app flows,
// the implicit flow, tokeninfo, scope downscoping at refresh, expiry of
// unused refresh tokens (6 months) and of testing-mode apps (7 days), and
// the userinfo.email/profile scopes' other Google APIs.
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
//	POST   /_sandbox/faults                          {"status":403|429|503,"times":N,"path"?,"route"?,"method"?,"commit"?}
//	DELETE /_sandbox/faults                          clear them ("route": a route by name instead of a path:
//	                                                 "token", "authorize", "revoke", "userinfo", "certs",
//	                                                 "openid-configuration", or a Calendar method "events.list" …)
//	POST   /_sandbox/accounts                        {"email", "name"}: a personal account (idempotent)
//	POST   /_sandbox/oauth-clients                   {"client_id", "client_secret", "redirect_uris"}: create or replace a web client
//	GET    /_sandbox/grants                          consents given (?email=&client_id=): account, client, scopes, revoked
//	DELETE /_sandbox/grants?email=…&client_id=…      the user removes the app (myaccount.google.com/permissions)
//
// This package stands on its own: it must never import Convene's core
// packages (store, account, apps, video, booking, web …); Convene talks to
// it over HTTP only, as it talks to the real Google.
package googlesandbox

// Calendar names its time zones with IANA identifiers; the sandbox must
// resolve them even on machines without a zoneinfo database.
import _ "time/tzdata"
