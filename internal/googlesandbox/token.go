package googlesandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The Calendar scopes (discovery document, auth.oauth2.scopes).
const (
	ScopeCalendar               = "https://www.googleapis.com/auth/calendar"
	ScopeCalendarReadonly       = "https://www.googleapis.com/auth/calendar.readonly"
	ScopeEvents                 = "https://www.googleapis.com/auth/calendar.events"
	ScopeEventsReadonly         = "https://www.googleapis.com/auth/calendar.events.readonly"
	ScopeEventsOwned            = "https://www.googleapis.com/auth/calendar.events.owned"
	ScopeEventsOwnedReadonly    = "https://www.googleapis.com/auth/calendar.events.owned.readonly"
	ScopeFreeBusy               = "https://www.googleapis.com/auth/calendar.freebusy"
	ScopeEventsFreeBusy         = "https://www.googleapis.com/auth/calendar.events.freebusy"
	jwtBearerGrant              = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	tokenLifetime               = time.Hour
	maxAssertionLifetime        = time.Hour
	clockSkew                   = 5 * time.Minute
	msgUnauthorizedClient       = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
	msgInvalidScope             = "Invalid OAuth scope or ID token audience provided."
	msgBadSignature             = "Invalid JWT Signature."
	msgBadTimes                 = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	msgBadAudience              = "Invalid JWT: Failed audience check."
	msgUnknownUser              = "Invalid email or User ID"
	msgUnknownAccount           = "Invalid grant: account not found"
	serviceAccountEmailTemplate = "%s@%s.iam.gserviceaccount.com"
)

// calendarScopes are the scopes the key of Options.KeyFile is delegated.
var calendarScopes = []string{ScopeCalendar, ScopeCalendarReadonly, ScopeEvents, ScopeEventsReadonly,
	ScopeEventsOwned, ScopeEventsOwnedReadonly, ScopeFreeBusy, ScopeEventsFreeBusy}

// Scopes each kind of call accepts, any one of them (discovery document,
// each method's "scopes").
var (
	readScopes = []string{ScopeCalendar, ScopeCalendarReadonly, ScopeEvents, ScopeEventsReadonly,
		ScopeEventsOwned, ScopeEventsOwnedReadonly, ScopeEventsFreeBusy}
	writeScopes    = []string{ScopeCalendar, ScopeEvents, ScopeEventsOwned}
	freeBusyScopes = []string{ScopeCalendar, ScopeEventsFreeBusy, ScopeFreeBusy, ScopeCalendarReadonly}
)

// ServiceAccountKey is a service account's JSON key file, as Google's
// console hands it out and golang.org/x/oauth2/google reads it.
type ServiceAccountKey struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

// TokenURL is the token endpoint of the sandbox (the token_uri of its keys
// and the audience of assertions).
func (s *Server) TokenURL() string { return s.opts.BaseURL + "/token" }

// CalendarURL is the Calendar API's base path of the sandbox, for
// option.WithEndpoint of google.golang.org/api.
func (s *Server) CalendarURL() string { return s.opts.BaseURL + "/calendar/v3/" }

// NewServiceAccount mints a service account of the project (default
// "convene-sandbox") and returns its key file. It has no delegation yet.
func (s *Server) NewServiceAccount(project string) (ServiceAccountKey, error) {
	return s.mintServiceAccount(project)
}

func (s *Server) mintServiceAccount(project string) (ServiceAccountKey, error) {
	if project == "" {
		project = "convene-sandbox"
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return ServiceAccountKey{}, fmt.Errorf("googlesandbox: mint key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return ServiceAccountKey{}, fmt.Errorf("googlesandbox: mint key: %w", err)
	}
	name := "sa-" + s.randFrom("abcdefghijklmnopqrstuvwxyz0123456789", 10)
	key := ServiceAccountKey{
		Type: "service_account", ProjectID: project, PrivateKeyID: s.randHex(20),
		PrivateKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail: fmt.Sprintf(serviceAccountEmailTemplate, name, project),
		ClientID:    "1" + s.randDigits(20),
		AuthURI:     s.opts.BaseURL + "/o/oauth2/auth", TokenURI: s.TokenURL(),
		AuthProviderX509CertURL: s.opts.BaseURL + "/oauth2/v1/certs",
		UniverseDomain:          "googleapis.com",
	}
	key.ClientX509CertURL = s.opts.BaseURL + "/robot/v1/metadata/x509/" + key.ClientEmail
	if err := s.registerKey(key, &priv.PublicKey); err != nil {
		return ServiceAccountKey{}, err
	}
	return key, nil
}

// registerKey remembers the public half of a key.
func (s *Server) registerKey(key ServiceAccountKey, pub *rsa.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("googlesandbox: register key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ServiceAccounts[key.ClientEmail] = &serviceAccount{
		ClientEmail: key.ClientEmail, ClientID: key.ClientID, ProjectID: key.ProjectID, PrivateKeyID: key.PrivateKeyID,
		PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), CreatedAt: s.now().UTC(),
	}
	s.changedLocked()
	return nil
}

// registerKeyFile makes a key file written earlier (Options.KeyFile) known
// again, e.g. to a sandbox without a data file.
func (s *Server) registerKeyFile(b []byte) error {
	var key ServiceAccountKey
	if err := json.Unmarshal(b, &key); err != nil {
		return fmt.Errorf("googlesandbox: key file: %w", err)
	}
	blk, _ := pem.Decode([]byte(key.PrivateKey))
	if blk == nil {
		return errors.New("googlesandbox: key file: private_key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return fmt.Errorf("googlesandbox: key file: %w", err)
	}
	priv, ok := k.(*rsa.PrivateKey)
	if !ok {
		return errors.New("googlesandbox: key file: not an RSA key")
	}
	s.mu.Lock()
	known := s.st.ServiceAccounts[key.ClientEmail] != nil
	s.mu.Unlock()
	if known {
		return nil
	}
	if err := s.registerKey(key, &priv.PublicKey); err != nil {
		return err
	}
	s.mu.Lock()
	s.delegateLocked("*", key.ClientID, calendarScopes)
	s.mu.Unlock()
	return nil
}

// Delegate grants the service account client ID domain-wide delegation of
// scopes in a Workspace domain ("*": every domain), as a Workspace admin
// does in the admin console. It replaces an earlier grant.
func (s *Server) Delegate(domain, clientID string, scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delegateLocked(domain, clientID, scopes)
}

func (s *Server) delegateLocked(name, clientID string, scopes []string) {
	d := s.addDomainLocked(name)
	d.Delegations[clientID] = slices.Clone(scopes)
	s.changedLocked()
}

// AddUser adds a Workspace user (and its domain) with a time zone (default
// UTC) for all-day events and recurrences.
func (s *Server) AddUser(email, timeZone string) error {
	if !strings.Contains(email, "@") {
		return fmt.Errorf("googlesandbox: %q is not an address", email)
	}
	if timeZone == "" {
		timeZone = "UTC"
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return fmt.Errorf("googlesandbox: time zone %q: %w", timeZone, err)
	}
	if slices.Contains(personalDomains, domainOf(email)) {
		return fmt.Errorf("googlesandbox: %s is a personal account: add it with /_sandbox/accounts", email)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.st.Users[strings.ToLower(email)]; u != nil && u.Personal {
		return fmt.Errorf("googlesandbox: %s is a personal account", email)
	}
	s.addDomainLocked(domainOf(email))
	s.st.Users[strings.ToLower(email)] = &user{Email: strings.ToLower(email), TimeZone: timeZone}
	s.changedLocked()
	return nil
}

func (s *Server) addDomainLocked(name string) *domain {
	if name != "*" {
		name = normalizeDomain(name)
	}
	d := s.st.Domains[name]
	if d == nil {
		d = &domain{Name: name, Delegations: map[string][]string{}}
		s.st.Domains[name] = d
		s.changedLocked()
	}
	return d
}

// userLocked finds a user, creating it on first use when its domain is a
// known Workspace domain or when no domain is known at all (any domain).
func (s *Server) userLocked(email string) *user {
	email = strings.ToLower(strings.TrimSpace(email))
	if u := s.st.Users[email]; u != nil {
		return u
	}
	d := domainOf(email)
	if d == "" || strings.ContainsAny(email, " /\\") || slices.Contains(personalDomains, d) {
		// gmail.com addresses are personal accounts: made by the controls
		// only, never a Workspace user.
		return nil
	}
	anyDomain := true
	for name := range s.st.Domains {
		if name != "*" {
			anyDomain = false
			break
		}
	}
	if s.st.Domains[d] == nil && !anyDomain {
		return nil
	}
	u := &user{Email: email, TimeZone: "UTC"}
	s.st.Users[email] = u
	s.changedLocked()
	return u
}

// tokenError is the token endpoint's error body (RFC 6749 §5.2), as
// Google's.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// assertionClaims are the claims of a service account's assertion
// (RFC 7523 §3; Google's "Using OAuth 2.0 for Server to Server
// Applications").
type assertionClaims struct {
	Issuer   string           `json:"iss"`
	Subject  string           `json:"sub"`
	Scope    string           `json:"scope"`
	Audience jwt.Audience     `json:"aud"`
	IssuedAt *jwt.NumericDate `json:"iat"`
	Expiry   *jwt.NumericDate `json:"exp"`
}

// handleToken is POST /token with grant_type
// urn:ietf:params:oauth:grant-type:jwt-bearer and an RS256 assertion signed
// by a service account's key (RFC 7523 §2.1).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		writeJSON(w, status, tokenError{Error: code, Description: desc})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "Could not read the request body.")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case jwtBearerGrant:
	case authCodeGrant:
		s.handleAuthCodeGrant(w, r)
		return
	case refreshTokenGrant:
		s.handleRefreshGrant(w, r)
		return
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+gt)
		return
	}
	claims, e := s.verifyAssertion(r.PostForm.Get("assertion"))
	if e != nil {
		fail(http.StatusBadRequest, e.Error, e.Description)
		return
	}
	tok, e := s.issueToken(claims)
	if e != nil {
		status := http.StatusBadRequest
		if e.Error == "unauthorized_client" {
			status = http.StatusUnauthorized
		}
		fail(status, e.Error, e.Description)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok.Token, "expires_in": int(tokenLifetime.Seconds()) - 1, "token_type": "Bearer",
	})
}

// verifyAssertion checks the assertion's signature against its issuer's
// public key, its audience and its lifetime.
func (s *Server) verifyAssertion(assertion string) (*assertionClaims, *tokenError) {
	if assertion == "" {
		return nil, &tokenError{"invalid_request", "Missing required parameter: assertion"}
	}
	if len(assertion) > 16<<10 {
		return nil, &tokenError{"invalid_grant", "Invalid JWT."}
	}
	tok, err := jwt.ParseSigned(assertion, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || len(tok.Headers) != 1 {
		return nil, &tokenError{"invalid_grant", msgBadSignature}
	}
	var unverified assertionClaims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return nil, &tokenError{"invalid_grant", "Invalid JWT."}
	}
	s.mu.Lock()
	sa := s.st.ServiceAccounts[unverified.Issuer]
	var pemKey string
	var kid string
	if sa != nil {
		pemKey, kid = sa.PublicKeyPEM, sa.PrivateKeyID
	}
	s.mu.Unlock()
	if sa == nil {
		return nil, &tokenError{"invalid_grant", msgUnknownAccount}
	}
	if h := tok.Headers[0].KeyID; h != "" && h != kid {
		return nil, &tokenError{"invalid_grant", msgBadSignature}
	}
	blk, _ := pem.Decode([]byte(pemKey))
	if blk == nil {
		return nil, &tokenError{"invalid_grant", msgBadSignature}
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, &tokenError{"invalid_grant", msgBadSignature}
	}
	var c assertionClaims
	if err := tok.Claims(pub, &c); err != nil {
		return nil, &tokenError{"invalid_grant", msgBadSignature}
	}
	if !c.Audience.Contains(s.TokenURL()) {
		return nil, &tokenError{"invalid_grant", msgBadAudience}
	}
	if c.IssuedAt == nil || c.Expiry == nil {
		return nil, &tokenError{"invalid_grant", msgBadTimes}
	}
	iat, exp, now := c.IssuedAt.Time(), c.Expiry.Time(), s.now()
	if !exp.After(iat) || exp.Sub(iat) > maxAssertionLifetime || iat.After(now.Add(clockSkew)) || now.After(exp.Add(clockSkew)) {
		return nil, &tokenError{"invalid_grant", msgBadTimes}
	}
	return &c, nil
}

// issueToken checks the subject and the delegation and issues a token.
func (s *Server) issueToken(c *assertionClaims) (*accessToken, *tokenError) {
	scopes := strings.Fields(c.Scope)
	if len(scopes) == 0 {
		return nil, &tokenError{"invalid_scope", msgInvalidScope}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sa := s.st.ServiceAccounts[c.Issuer]
	subject := c.Issuer
	if c.Subject != "" && !strings.EqualFold(c.Subject, c.Issuer) {
		// Domain-wide delegation: the service account acts as the user,
		// with scopes its admin granted to this client ID.
		u := s.userLocked(c.Subject)
		if u == nil || u.Personal {
			// A personal account is out of reach of any delegation.
			return nil, &tokenError{"invalid_grant", msgUnknownUser}
		}
		granted := map[string]bool{}
		for _, name := range []string{domainOf(u.Email), "*"} {
			if d := s.st.Domains[name]; d != nil {
				for _, sc := range d.Delegations[sa.ClientID] {
					granted[sc] = true
				}
			}
		}
		for _, sc := range scopes {
			if !granted[sc] {
				return nil, &tokenError{"unauthorized_client", msgUnauthorizedClient}
			}
		}
		subject = u.Email
	}
	t := &accessToken{Token: "ya29.sandbox-" + s.randHex(24), ClientID: sa.ClientID, Subject: strings.ToLower(subject),
		Scopes: scopes, ExpiresAt: s.now().Add(tokenLifetime)}
	s.st.Tokens[t.Token] = t
	// Expired tokens are forgotten as new ones are issued: bounded state.
	now := s.now()
	for k, old := range s.st.Tokens {
		if now.After(old.ExpiresAt.Add(time.Hour)) {
			delete(s.st.Tokens, k)
		}
	}
	s.changedLocked()
	return t, nil
}

// readBody reads a bounded request body.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errors.New("body too large")
	}
	return b, nil
}
