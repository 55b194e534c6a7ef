package video

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/convene/convene/internal/recur"
)

// App is one video provider's entry in the catalog of apps: everything
// Convene knows of the provider, in one place. The provider's package
// builds it from its settings (zoom.App, jitsi.App); the server registers
// each entry once (NewRegistry); the rest of Convene reads the registry:
// the marketplace (apps) installs and connects the app, booking checks a
// request against its Rules and applies the Events its Webhook decodes,
// the API, the OpenAPI document and the pages list it. None of them
// imports a provider's package (README.md says how to add one).
type App struct {
	// ID names the app everywhere: the API (/api/v1/apps/{id}), the
	// stored installs, preferences and meetings, the OAuth callback
	// (/oauth/{id}/callback) and the webhook (/webhooks/{id}). Lower-case
	// letters, digits and "_", at most 32; never "none", which is the
	// choice of no video meeting.
	ID string
	// Name is the app's name for people: the marketplace, invitations,
	// notices ("Zoom", "Jitsi Meet").
	Name string
	// Auth is how an account authorizes Convene at the provider.
	Auth Auth
	// Connect returns the provider's client for one install (the
	// marketplace keeps one per install and account).
	Connect func(Connection) Provider
	// Calendar connects the app's access to the calendars of an
	// install's users (Outlook, Google Calendar); nil: the app reads and
	// writes no calendar (Zoom, Jitsi).
	Calendar func(Connection) Calendars
	// VideoIsEvent says the app's video meeting is itself an event of
	// the host's calendar (Google Meet, made with the event's
	// conferenceData): the calendar write of a meeting with this app as
	// both its video and its organizer's calendar updates that event
	// (CalendarEvent.ID is the video meeting's ID) instead of adding a
	// second one.
	VideoIsEvent bool
	// Rules are what the provider accepts in a meeting request.
	Rules Rules
	// Webhook receives the provider's notifications; nil: it sends none.
	Webhook *Webhook
	// Reconcile says that the provider lists a host's meetings
	// (Provider.List), so that the periodic reconciler compares them
	// with the bookings and repairs drift (LESSONS "Orphans").
	Reconcile bool
	// DataUse is what Convene reads, writes and keeps at the provider:
	// the marketplace shows it before an admin installs the app.
	DataUse DataUse
	// UserAuth, when set, is a second way to install the same entry:
	// per-user mode, where the admin installs without authorizing anything
	// for the account and each user connects their own account at the
	// provider (Google's personal accounts, which no admin can delegate).
	// An install has one mode; switching mode is a re-install.
	UserAuth *UserAuth
}

// UserAuth is how each user connects their own account at the provider in
// per-user mode: OAuth 2.0 authorization code (RFC 6749 §4.1) with PKCE
// S256 (RFC 7636), a single-use state, and OpenID Connect's id_token
// (verified: issuer, audience, expiry, nonce) to learn whose account it is.
// The marketplace keeps one grant per user, its tokens sealed, and gives
// the app's client the user's tokens through Connection.UserTokens.
type UserAuth struct {
	// AuthURL, TokenURL and RevokeURL are the provider's authorization,
	// token and revocation (RFC 7009) endpoints.
	AuthURL, TokenURL, RevokeURL string
	// Issuer is the OpenID provider's issuer: its discovery document
	// (Issuer + "/.well-known/openid-configuration") names the keys the
	// id_token is signed with, and the id_token's iss must equal it.
	Issuer string
	// ClientID and ClientSecret are Convene's credentials as the
	// provider's OAuth client; RedirectURL is BASE/oauth/{id}/callback,
	// the same callback as installs (told apart by the state).
	ClientID, ClientSecret, RedirectURL string
	// Scopes are asked for and must all be granted (a provider with
	// granular consent lets the user uncheck some: the connection is then
	// refused naming the missing ones).
	Scopes []string
	// Params are extra parameters of the authorization request (Google:
	// access_type=offline for a refresh token, prompt=consent so that a
	// reconnection gets one again).
	Params map[string]string
}

// Required returns the scopes that must be granted: every scope asked for
// but OpenID Connect's own (openid, email, profile), which providers
// report under other names (Google: .../auth/userinfo.email) and whose
// answer the verified id_token is.
func (u *UserAuth) Required() []string {
	var out []string
	for _, s := range u.Scopes {
		if s != "openid" && s != "email" && s != "profile" {
			out = append(out, s)
		}
	}
	return out
}

// Modes of an install.
const (
	// ModeAccount: the account's admin authorizes Convene for the whole
	// account (the app's Auth); the default.
	ModeAccount = ""
	// ModePersonal: per-user mode (App.UserAuth): each user connects
	// their own account.
	ModePersonal = "personal"
)

// AuthKind is how an account authorizes Convene at a provider.
type AuthKind string

// Kinds of authorization the marketplace implements.
const (
	// AuthNone: nothing to authorize; installing only chooses the
	// managed domains (Jitsi: Convene makes the links itself).
	AuthNone AuthKind = "none"
	// AuthCode: an account admin consents once for the whole account at
	// the provider (OAuth 2.0 authorization code, RFC 6749 §4.1, with
	// PKCE, RFC 7636); the install keeps the access and refresh tokens,
	// sealed, and refreshes them (Zoom's account-level app, DESIGN §2b).
	AuthCode AuthKind = "authorization_code"
	// AuthAdminConsent: an account admin grants the app's application
	// permissions for the whole tenant at the provider (Microsoft identity
	// platform's /adminconsent endpoint, whose callback names the
	// tenant); Convene then takes client-credentials tokens (RFC 6749
	// §4.4) from TokenURL for that tenant, with Scope (".default").
	AuthAdminConsent AuthKind = "admin_consent"
	// AuthServiceAccount: an account admin gives Convene a service
	// account's key at install and grants it domain-wide delegation with
	// ScopeSets' first set at the provider (Google Workspace); Convene
	// acts as each user with JWT-assertion tokens (RFC 7523) from
	// TokenURL. The key is sealed at rest like tokens.
	AuthServiceAccount AuthKind = "service_account"
)

// Auth is how an account authorizes Convene at the provider: once, by an
// account admin, for the managed domains chosen at install (DESIGN §2b).
// Only the marketplace (apps) reads it; booking and the front ends see an
// install's state and its Provider, never how it was authorized.
//
// Kinds to come fit these fields, implemented in apps alone: Microsoft
// 365's admin consent (AuthURL is the identity platform's /adminconsent
// endpoint, the callback names the tenant, then client_credentials tokens
// from TokenURL with Scope ".default" and ScopeSets the application
// permissions; Identify reads the tenant), and Google Workspace's service
// account with domain-wide delegation (its key is given at install and
// sealed like tokens; Connection then carries what the client needs to
// sign its JWT assertions per user, RFC 7523).
type Auth struct {
	Kind AuthKind
	// AuthURL is the authorization endpoint (RFC 6749 §3.1), TokenURL
	// the token endpoint (§3.2), RevokeURL the revocation endpoint (RFC
	// 7009; "" when the provider has none).
	AuthURL, TokenURL, RevokeURL string
	// ClientID and ClientSecret are Convene's credentials as the
	// provider's client; RedirectURL is Convene's callback,
	// BASE/oauth/{id}/callback.
	ClientID, ClientSecret, RedirectURL string
	// BasicAuth sends the client's credentials in an HTTP Basic header
	// (RFC 6749 §2.3.1), as Zoom wants; false: in the form body.
	BasicAuth bool
	// Scope, when set, is sent as the authorization request's scope
	// (RFC 6749 §3.3). Zoom takes none: an app's scopes are the ones
	// configured on it at Zoom.
	Scope string
	// ScopeSets are the alternative sets of scopes the app needs: the
	// granted scopes must include every scope of one set, or the install
	// is refused with the missing ones named. The first set is shown.
	ScopeSets [][]string
	// Identify reads, with the first access token, who consented and
	// which provider account the install is bound to (Zoom: GET
	// /users/me). A webhook's events must come from that account.
	Identify func(ctx context.Context, client *http.Client, accessToken string) (*Identity, error)
}

// Identity is whom an authorization was granted by.
type Identity struct {
	// AccountID is the provider's account (Zoom's account_id): the
	// install is bound to it.
	AccountID string
	// UserID is the provider's user who consented.
	UserID string
}

// Consent reports whether installing the app takes an admin's consent at
// the provider: the install leaves for the provider's page and completes
// at Convene's callback.
func (a Auth) Consent() bool { return a.Kind == AuthCode || a.Kind == AuthAdminConsent }

// Revocable reports whether uninstalling revokes the install's grant at
// the provider.
func (a Auth) Revocable() bool { return a.Kind == AuthCode && a.RevokeURL != "" }

// Scopes returns the scopes shown for the app: its first (preferred) set.
func (a Auth) Scopes() []string {
	if len(a.ScopeSets) == 0 {
		return []string{}
	}
	return a.ScopeSets[0]
}

// MissingScopes returns the scopes the app still needs given the granted
// ones (space- or comma-separated, RFC 6749 §3.3): none when one set is
// complete, else the missing scopes of the set closest to complete.
func (a Auth) MissingScopes(granted string) []string {
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

// TokenSource gives a provider's client the access token of one install.
// The marketplace implements it over its token vault. Errors that mean the
// install needs re-authorization (an invalid_grant refresh token, a
// revoked app) wrap ErrUnauthorized.
type TokenSource interface {
	// Token returns the access token to use now.
	Token(ctx context.Context) (string, error)

	// Refresh is called after the provider rejected the access token
	// rejected; the client then repeats its request once with the token
	// it returns. Providers may rotate refresh tokens, so an
	// implementation refreshes under a per-install lock, persists the new
	// tokens before it returns them, and returns the current token without
	// refreshing again when another worker already replaced rejected
	// (LESSONS "Token refresh races").
	Refresh(ctx context.Context, rejected string) (string, error)
}

// Connection is what an app's Connect gets for one install.
type Connection struct {
	// Tokens gives the install's access tokens; nil for AuthNone.
	Tokens TokenSource
	// HTTP sends the provider's requests; nil: http.DefaultClient.
	HTTP *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// Log receives the client's diagnostics (never tokens); nil: none.
	Log *slog.Logger
	// Tenant is the provider's account the install is bound to
	// (Microsoft's tenant id, from the admin-consent callback); "" when
	// the kind has none.
	Tenant string
	// Credentials is the key given at install, opened (AuthServiceAccount:
	// the service account's JSON key); nil for other kinds. The client
	// makes its per-user tokens from it and must never log it.
	Credentials []byte
	// UserTokens, set for an install in per-user mode (App.UserAuth,
	// ModePersonal) and only then, returns the token source of the grant
	// the Convene user with address user connected (their own account at
	// the provider, whose address may differ). A user without an active
	// grant gets an error wrapping ErrNotConnected (so ErrUnauthorized);
	// the source's own errors do too once the provider refuses to renew
	// the grant, which then needs that user, not the admin. Tokens and
	// Credentials are nil in this mode.
	UserTokens func(ctx context.Context, user string) (TokenSource, error)
}

// Rules are what a provider accepts in a meeting request. Booking checks
// every request against them before anything is booked, so that a request
// the provider would refuse is answered at once with what is wrong.
type Rules struct {
	// Password checks a passcode a request sets and returns what is wrong
	// with it, for the person who sent it, or "". Nil: any passcode of at
	// most 64 characters (Convene's own limit, checked for every
	// provider).
	Password func(pw string) string
	// Settings says the provider takes the meeting Settings (Zoom's
	// settings object) with a request; false: a request with settings is
	// refused.
	Settings bool
	// Recurrence maps a series' rule, for a series starting at start (in
	// the organizer's zone), onto the provider's recurrence; its error
	// says why the provider cannot repeat so, and what it supports. Nil:
	// the provider keeps no series (one link serves every occurrence).
	Recurrence func(r recur.Rule, start time.Time) (*Recurrence, error)
}

// Registry is the catalog of the video apps Convene offers, in the order
// the marketplace lists them. It is built once at start and read
// concurrently; a nil Registry offers no app.
type Registry struct {
	apps []App
}

// appID is what an App.ID may be.
var appID = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// NewRegistry checks each entry and returns the catalog of apps. An entry
// that breaks a rule of App's (an ID that is not a name, twice the same
// ID, "none", an OAuth app without its endpoints or scopes, data-use words
// the pages cannot say) is refused with every problem named.
func NewRegistry(apps ...App) (*Registry, error) {
	var errs []error
	seen := map[string]bool{}
	for i, a := range apps {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("video: app %d (%q): %s", i, a.ID, fmt.Sprintf(format, args...)))
		}
		switch {
		case a.ID == "none":
			bad(`"none" is the choice of no video meeting`)
		case !appID.MatchString(a.ID):
			bad("the ID must be 1 to 32 lower-case letters, digits or _, starting with a letter")
		case seen[a.ID]:
			bad("registered twice")
		}
		seen[a.ID] = true
		if strings.TrimSpace(a.Name) == "" {
			bad("no name")
		}
		if a.Connect == nil {
			bad("no Connect")
		}
		switch a.Auth.Kind {
		case AuthNone:
		case AuthCode:
			if a.Auth.AuthURL == "" || a.Auth.TokenURL == "" || a.Auth.ClientID == "" || a.Auth.RedirectURL == "" {
				bad("authorization code needs AuthURL, TokenURL, ClientID and RedirectURL")
			}
			if len(a.Auth.ScopeSets) == 0 || slices.ContainsFunc(a.Auth.ScopeSets, func(s []string) bool { return len(s) == 0 }) {
				bad("authorization code needs the scopes it must be granted")
			}
			if a.Auth.Identify == nil {
				bad("authorization code needs Identify, to bind the install to the provider's account")
			}
		case AuthAdminConsent:
			if a.Auth.AuthURL == "" || a.Auth.TokenURL == "" || a.Auth.ClientID == "" || a.Auth.RedirectURL == "" || a.Auth.Scope == "" {
				bad("admin consent needs AuthURL, TokenURL, ClientID, RedirectURL and Scope")
			}
			if len(a.Auth.ScopeSets) == 0 || len(a.Auth.ScopeSets[0]) == 0 {
				bad("admin consent needs the application permissions it must be granted")
			}
		case AuthServiceAccount:
			if a.Auth.TokenURL == "" || len(a.Auth.ScopeSets) == 0 || len(a.Auth.ScopeSets[0]) == 0 {
				bad("a service account needs TokenURL and the scopes it is delegated")
			}
		default:
			bad("authorization kind %q is not one the marketplace implements", a.Auth.Kind)
		}
		if u := a.UserAuth; u != nil {
			if u.AuthURL == "" || u.TokenURL == "" || u.Issuer == "" || u.ClientID == "" || u.RedirectURL == "" || len(u.Scopes) == 0 {
				bad("per-user mode needs AuthURL, TokenURL, Issuer, ClientID, RedirectURL and Scopes")
			}
		}
		if w := a.Webhook; w != nil {
			if w.Receive == nil {
				bad("a webhook without Receive")
			}
			if (w.ReplySchema == "") != (len(w.ReplyJSONSchema) == 0) {
				bad("a webhook's reply needs both its schema's name and the schema")
			}
			if w.ReplySchema != "" && w.ReplyText {
				bad("a webhook answers its challenges in JSON or in plain text, not both")
			}
		}
		if err := a.DataUse.check(); err != nil {
			bad("%v", err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &Registry{apps: slices.Clone(apps)}, nil
}

// Apps returns the apps in catalog order.
func (r *Registry) Apps() []App {
	if r == nil {
		return nil
	}
	return slices.Clone(r.apps)
}

// Lookup returns the app named id.
func (r *Registry) Lookup(id string) (App, bool) {
	if r != nil {
		for _, a := range r.apps {
			if a.ID == id {
				return a, true
			}
		}
	}
	return App{}, false
}

// IDs returns the apps' IDs in catalog order: the values a video provider
// may take besides "none" (and "" for "the default").
func (r *Registry) IDs() []string {
	var ids []string
	for _, a := range r.Apps() {
		ids = append(ids, a.ID)
	}
	return ids
}

// Name returns the name of the app id for people, or id itself when no
// app has it.
func (r *Registry) Name(id string) string {
	if a, ok := r.Lookup(id); ok {
		return a.Name
	}
	return id
}

// Choices words the values a video provider may take, for an error
// message: "zoom, jitsi or none".
func (r *Registry) Choices() string {
	ids := append(r.IDs(), "none")
	if len(ids) == 1 {
		return ids[0]
	}
	return strings.Join(ids[:len(ids)-1], ", ") + " or " + ids[len(ids)-1]
}
