package googlesandbox

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The OAuth 2.0 authorization code flow for users (Google's "Using OAuth
// 2.0 for Web Server Applications"): a user signs in on the sandbox's
// consent page and grants a registered web client some scopes; the client
// exchanges the code at POST /token. It is hand-written because it is the
// server side of the flow, which no library provides; the clients it is
// tested with are Google's own (golang.org/x/oauth2, go-oidc,
// google-auth-library).

// Identity scopes (OpenID Connect; Google accepts the short and the long
// names).
const (
	ScopeOpenID          = "openid"
	ScopeEmail           = "email"
	ScopeProfile         = "profile"
	ScopeUserinfoEmail   = "https://www.googleapis.com/auth/userinfo.email"
	ScopeUserinfoProfile = "https://www.googleapis.com/auth/userinfo.profile"

	codeLifetime = 10 * time.Minute
	// maxScopes bounds the scopes of one authorization request.
	maxScopes = 32
	// maxParam bounds each authorization parameter's length.
	maxParam = 2048
	// maxRefreshTokens is Google's limit of refresh tokens per account and
	// client: past it the oldest stops working.
	maxRefreshTokens = 100
	// maxCodes bounds the pending authorization codes.
	maxCodes = 10000

	msgClientNotFound   = "The OAuth client was not found."
	msgBadRequest       = "Bad Request"
	msgExpiredOrRevoked = "Token has been expired or revoked."
	msgMalformedCode    = "Malformed auth code."
	msgUnauthorized     = "Unauthorized"
)

// identityScopes are granted with any consent; they carry no checkbox.
var identityScopes = []string{ScopeOpenID, ScopeEmail, ScopeProfile, ScopeUserinfoEmail, ScopeUserinfoProfile}

// discoveryScopes are the Calendar scopes of the discovery document
// (auth.oauth2.scopes of testdata/calendar-api.json).
var discoveryScopes = []string{
	ScopeCalendar,
	"https://www.googleapis.com/auth/calendar.acls",
	"https://www.googleapis.com/auth/calendar.acls.readonly",
	"https://www.googleapis.com/auth/calendar.app.created",
	"https://www.googleapis.com/auth/calendar.calendarlist",
	"https://www.googleapis.com/auth/calendar.calendarlist.readonly",
	"https://www.googleapis.com/auth/calendar.calendars",
	"https://www.googleapis.com/auth/calendar.calendars.readonly",
	ScopeEvents, ScopeEventsFreeBusy, ScopeEventsOwned, ScopeEventsOwnedReadonly,
	"https://www.googleapis.com/auth/calendar.events.public.readonly",
	ScopeEventsReadonly, ScopeFreeBusy, ScopeCalendarReadonly,
	"https://www.googleapis.com/auth/calendar.settings",
	"https://www.googleapis.com/auth/calendar.settings.readonly",
}

// personalDomains are never Workspace domains: their addresses are
// personal Google accounts.
var personalDomains = []string{"gmail.com", "googlemail.com"}

// OAuthClient is a registered OAuth 2.0 web client (Google Cloud console,
// "OAuth client ID", type "Web application").
type OAuthClient struct {
	// ID is the client_id, Secret its client_secret.
	ID     string `json:"client_id"`
	Secret string `json:"client_secret"`
	// RedirectURIs are the authorized redirect URIs, matched exactly.
	RedirectURIs []string `json:"redirect_uris"`
}

// authCode is an authorization code and what it was granted for.
type authCode struct {
	Code        string    `json:"code"`
	ClientID    string    `json:"client_id"`
	RedirectURI string    `json:"redirect_uri"`
	Email       string    `json:"email"`
	Scopes      []string  `json:"scopes"`
	Challenge   string    `json:"code_challenge,omitempty"`
	Method      string    `json:"code_challenge_method,omitempty"`
	Nonce       string    `json:"nonce,omitempty"`
	Refresh     bool      `json:"refresh"` // a refresh token goes with the tokens
	ExpiresAt   time.Time `json:"expires_at"`
	Used        bool      `json:"used"`
}

// grant is an account's consent to a client: the scopes granted so far.
// Revoking it ends its refresh and access tokens.
type grant struct {
	Email     string    `json:"email"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	Revoked   bool      `json:"revoked"`
	CreatedAt time.Time `json:"created_at"`
}

// refreshToken is a refresh token of a grant.
type refreshToken struct {
	Token     string    `json:"token"`
	Grant     string    `json:"grant"`
	Origin    string    `json:"origin"` // the code it came from
	ClientID  string    `json:"client_id"`
	Email     string    `json:"email"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
}

func grantKey(email, clientID string) string { return strings.ToLower(email) + " " + clientID }

// RegisterOAuthClient registers (or replaces) a web client.
func (s *Server) RegisterOAuthClient(c OAuthClient) error {
	if c.ID == "" || c.Secret == "" || len(c.RedirectURIs) == 0 {
		return errf("OAuth client: client_id, client_secret and redirect_uris are required")
	}
	for _, u := range c.RedirectURIs {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
			return errf("OAuth client: redirect URI %q must be an absolute http(s) URL without fragment", u)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.OAuthClients[c.ID] = &OAuthClient{ID: c.ID, Secret: c.Secret, RedirectURIs: slices.Clone(c.RedirectURIs)}
	s.changedLocked()
	return nil
}

// AddAccount adds a personal Google account (idempotent; a later call
// changes its name). Its address must not be in a Workspace domain.
func (s *Server) AddAccount(email, name string) (user, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	d := domainOf(email)
	if d == "" || strings.ContainsAny(email, " /\\") || strings.Count(email, "@") != 1 || strings.HasPrefix(email, "@") {
		return user{}, errf("%q is not an address", email)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.Users[email]
	if u != nil && !u.Personal {
		return user{}, errf("%s is a Workspace user", email)
	}
	if u == nil {
		if s.st.Domains[d] != nil {
			return user{}, errf("%s is in the Workspace domain %s: add it with /_sandbox/users", email, d)
		}
		u = &user{Email: email, TimeZone: "UTC", Personal: true}
		s.st.Users[email] = u
	}
	if name != "" {
		u.Name = name
	}
	s.subLocked(u)
	s.changedLocked()
	return *u, nil
}

// subLocked is the account's stable numeric id (OpenID Connect "sub").
func (s *Server) subLocked(u *user) string {
	if u.Sub == "" {
		u.Sub = "1" + s.randDigits(20)
		s.changedLocked()
	}
	return u.Sub
}

// authRequest is a parsed authorization request.
type authRequest struct {
	ClientID, RedirectURI, ResponseType string
	Scopes                              []string
	State, Challenge, Method            string
	AccessType, Prompt, LoginHint       string
	Nonce                               string
	IncludeGranted                      bool
}

// values are the request's parameters (for the hidden fields of the form).
func (a *authRequest) values() url.Values {
	v := url.Values{"client_id": {a.ClientID}, "redirect_uri": {a.RedirectURI}, "response_type": {a.ResponseType},
		"scope": {strings.Join(a.Scopes, " ")}}
	for k, x := range map[string]string{"state": a.State, "code_challenge": a.Challenge, "code_challenge_method": a.Method,
		"access_type": a.AccessType, "prompt": a.Prompt, "login_hint": a.LoginHint, "nonce": a.Nonce} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if a.IncludeGranted {
		v.Set("include_granted_scopes", "true")
	}
	return v
}

// prompts reports whether prompt holds p.
func (a *authRequest) prompts(p string) bool { return slices.Contains(strings.Fields(a.Prompt), p) }

// authError is a refused authorization request: shown on an error page
// (Page) when the redirect URI cannot be trusted, else sent to it.
type authError struct {
	Page        bool
	Status      int // of the page
	Code        string
	Description string
}

// authParams are the single-valued parameters of an authorization request.
var authParams = []string{"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
	"code_challenge_method", "access_type", "prompt", "login_hint", "include_granted_scopes", "nonce"}

// parseAuthRequest checks an authorization request as Google's
// authorization endpoint does: the client and its redirect URI first (an
// error page), then the rest (an error sent to the redirect URI).
func (s *Server) parseAuthRequest(v url.Values) (*authRequest, *authError) {
	page := func(status int, code, desc string) (*authRequest, *authError) {
		return nil, &authError{Page: true, Status: status, Code: code, Description: desc}
	}
	a := &authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri")}
	if a.ClientID == "" {
		return page(http.StatusBadRequest, "invalid_request", "Missing required parameter: client_id")
	}
	s.mu.Lock()
	c := s.st.OAuthClients[a.ClientID]
	var uris []string
	if c != nil {
		uris = slices.Clone(c.RedirectURIs)
	}
	s.mu.Unlock()
	if c == nil || len(v["client_id"]) > 1 {
		return page(http.StatusUnauthorized, "invalid_client", msgClientNotFound)
	}
	if a.RedirectURI == "" {
		return page(http.StatusBadRequest, "invalid_request", "Missing required parameter: redirect_uri")
	}
	if !slices.Contains(uris, a.RedirectURI) || len(v["redirect_uri"]) > 1 {
		return page(http.StatusBadRequest, "redirect_uri_mismatch",
			"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console.")
	}
	fail := func(code, desc string) (*authRequest, *authError) {
		return a, &authError{Code: code, Description: desc}
	}
	a.State = v.Get("state")
	for _, k := range authParams {
		if len(v[k]) > 1 {
			return fail("invalid_request", "Parameter not allowed to be repeated: "+k)
		}
		if len(v.Get(k)) > maxParam {
			return fail("invalid_request", "Parameter too long: "+k)
		}
	}
	a.ResponseType = v.Get("response_type")
	switch rt := a.ResponseType; {
	case rt == "":
		return fail("invalid_request", "Required parameter is missing: response_type")
	case rt == "code":
	case slices.Contains(strings.Fields(rt), "token") || slices.Contains(strings.Fields(rt), "id_token"):
		return fail("unauthorized_client", "Client is unauthorized for response_type: "+rt)
	default:
		return fail("invalid_request", "Invalid response_type: "+rt)
	}
	a.Scopes = strings.Fields(v.Get("scope"))
	if len(a.Scopes) == 0 {
		return fail("invalid_request", "Missing required parameter: scope")
	}
	if len(a.Scopes) > maxScopes {
		return fail("invalid_scope", "Too many scopes.")
	}
	var bad []string
	for _, sc := range a.Scopes {
		if !slices.Contains(identityScopes, sc) && !slices.Contains(discoveryScopes, sc) {
			bad = append(bad, sc)
		}
	}
	if len(bad) > 0 {
		return fail("invalid_scope", "Some requested scopes were invalid. {invalid=["+strings.Join(bad, ", ")+"]}")
	}
	a.Scopes = dedupe(a.Scopes)
	a.Challenge, a.Method = v.Get("code_challenge"), v.Get("code_challenge_method")
	switch {
	case a.Method != "" && a.Method != "S256" && a.Method != "plain":
		return fail("invalid_request", "Invalid code_challenge_method value.")
	case a.Method != "" && a.Challenge == "":
		return fail("invalid_request", "Missing code_challenge.")
	case a.Challenge != "" && !validVerifier(a.Challenge):
		return fail("invalid_request", "Invalid code_challenge.")
	case a.Challenge != "" && a.Method == "":
		a.Method = "plain" // RFC 7636 §4.3
	}
	a.AccessType = v.Get("access_type")
	if a.AccessType != "" && a.AccessType != "online" && a.AccessType != "offline" {
		return fail("invalid_request", "Invalid access_type: "+a.AccessType)
	}
	a.Prompt = v.Get("prompt")
	ps := strings.Fields(a.Prompt)
	for _, p := range ps {
		if p != "none" && p != "consent" && p != "select_account" {
			return fail("invalid_request", "Invalid prompt: "+a.Prompt)
		}
	}
	if slices.Contains(ps, "none") && len(ps) > 1 {
		return fail("invalid_request", "prompt=none must not be combined with other values.")
	}
	switch v.Get("include_granted_scopes") {
	case "", "false":
	case "true":
		a.IncludeGranted = true
	default:
		return fail("invalid_request", "Invalid include_granted_scopes: "+v.Get("include_granted_scopes"))
	}
	a.LoginHint, a.Nonce = v.Get("login_hint"), v.Get("nonce")
	return a, nil
}

// validVerifier: RFC 7636 §4.1, 43 to 128 unreserved characters (a
// challenge has the same shape).
func validVerifier(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)) {
			return false
		}
	}
	return true
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// consentPage is the sign-in and consent page.
var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts (sandbox)</title></head>
<body>
<h1>Sign in with Google (sandbox)</h1>
{{if .Error}}<p role="alert" id="error">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label>Email <input type="email" name="email" value="{{.Email}}" autocomplete="username" required></label>
<p>{{.ClientID}} wants to access your Google Account:</p>
<ul>
{{range .Scopes}}<li><label><input type="checkbox" name="granted" value="{{.}}" checked> {{.}}</label></li>
{{end}}</ul>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny" formnovalidate>Cancel</button>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Error {{.Status}} ({{.Code}})</title></head>
<body><h1>Access blocked: authorization error</h1>
<p id="error">Error {{.Status}}: {{.Code}}</p><p>{{.Description}}</p></body></html>
`))

type hiddenField struct{ Name, Value string }

// showConsent writes the consent page of a valid request.
func (s *Server) showConsent(w http.ResponseWriter, a *authRequest, email, msg string) {
	var hidden []hiddenField
	v := a.values()
	for _, k := range authParams {
		if x := v.Get(k); x != "" {
			hidden = append(hidden, hiddenField{k, x})
		}
	}
	var scopes []string
	for _, sc := range a.Scopes {
		if !slices.Contains(identityScopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	if email == "" {
		email = a.LoginHint
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	_ = consentPage.Execute(w, map[string]any{"Action": s.AuthURL(), "Hidden": hidden, "Email": email,
		"ClientID": a.ClientID, "Scopes": scopes, "Error": msg})
}

// showAuthError writes Google's error page.
func showAuthError(w http.ResponseWriter, e *authError) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(e.Status)
	_ = errorPage.Execute(w, e)
}

// redirect sends the browser back to the client with params.
func redirect(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil { // registered URIs are checked
		http.Error(w, "bad redirect URI", http.StatusInternalServerError)
		return
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// sendAuthError answers a refused request: a page or a redirect.
func sendAuthError(w http.ResponseWriter, r *http.Request, a *authRequest, e *authError) {
	if e.Page {
		showAuthError(w, e)
		return
	}
	p := url.Values{"error": {e.Code}, "error_description": {e.Description}}
	if a.State != "" {
		p.Set("state", a.State)
	}
	redirect(w, r, a.RedirectURI, p)
}

// AuthURL is the authorization endpoint.
func (s *Server) AuthURL() string { return s.opts.BaseURL + "/o/oauth2/v2/auth" }

// handleAuthorize is GET /o/oauth2/v2/auth: the consent page (or, with
// prompt=none, a code at once when the account already granted the
// scopes).
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	a, e := s.parseAuthRequest(r.URL.Query())
	if e != nil {
		sendAuthError(w, r, a, e)
		return
	}
	if !a.prompts("none") {
		s.showConsent(w, a, "", "")
		return
	}
	// prompt=none: no page; the account of login_hint must have granted
	// every requested scope before.
	s.mu.Lock()
	u := s.accountLocked(a.LoginHint)
	var g *grant
	if u != nil {
		g = s.st.Grants[grantKey(u.Email, a.ClientID)]
	}
	s.mu.Unlock()
	switch {
	case u == nil:
		sendAuthError(w, r, a, &authError{Code: "login_required", Description: "The user must sign in."})
	case g == nil || g.Revoked || !covers(g.Scopes, a.Scopes):
		sendAuthError(w, r, a, &authError{Code: "consent_required", Description: "The user must consent."})
	default:
		granted := grantedIdentity(a.Scopes)
		for _, sc := range a.Scopes {
			if !slices.Contains(identityScopes, sc) {
				granted = append(granted, sc)
			}
		}
		s.issueCode(w, r, a, u.Email, granted)
	}
}

// grantedIdentity are the identity scopes a consent grants for the
// requested ones, as Google reports them: "email" brings userinfo.email,
// "profile" userinfo.profile, and either brings openid.
func grantedIdentity(requested []string) []string {
	var out []string
	add := func(sc ...string) {
		for _, x := range sc {
			if !slices.Contains(out, x) {
				out = append(out, x)
			}
		}
	}
	for _, sc := range requested {
		switch sc {
		case ScopeEmail, ScopeUserinfoEmail:
			add(ScopeEmail, ScopeUserinfoEmail, ScopeOpenID)
		case ScopeProfile, ScopeUserinfoProfile:
			add(ScopeProfile, ScopeUserinfoProfile, ScopeOpenID)
		case ScopeOpenID:
			add(ScopeOpenID)
		}
	}
	return out
}

// covers reports whether granted holds every non-identity scope of want.
func covers(granted, want []string) bool {
	for _, sc := range want {
		if !slices.Contains(identityScopes, sc) && !slices.Contains(granted, sc) {
			return false
		}
	}
	return true
}

// accountLocked is the account that may sign in with this address: a
// personal account made by the controls or a Workspace user.
func (s *Server) accountLocked(email string) *user {
	if strings.TrimSpace(email) == "" {
		return nil
	}
	return s.userLocked(email)
}

// handleConsent is POST /o/oauth2/v2/auth: the consent form's answer.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		showAuthError(w, &authError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "Could not read the form."})
		return
	}
	a, e := s.parseAuthRequest(r.PostForm)
	if e != nil {
		sendAuthError(w, r, a, e)
		return
	}
	switch r.PostForm.Get("decision") {
	case "deny":
		p := url.Values{"error": {"access_denied"}}
		if a.State != "" {
			p.Set("state", a.State)
		}
		redirect(w, r, a.RedirectURI, p)
		return
	case "allow":
	default:
		showAuthError(w, &authError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "decision must be allow or deny."})
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	s.mu.Lock()
	u := s.accountLocked(email)
	s.mu.Unlock()
	if u == nil {
		s.showConsent(w, a, email, "Couldn't find your Google Account")
		return
	}
	granted := grantedIdentity(a.Scopes)
	for _, sc := range r.PostForm["granted"] {
		if slices.Contains(identityScopes, sc) || !slices.Contains(a.Scopes, sc) {
			showAuthError(w, &authError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "Granted scope not requested: " + sc})
			return
		}
		if !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	s.issueCode(w, r, a, u.Email, granted)
}

// issueCode records the consent and redirects with a new code.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, a *authRequest, email string, granted []string) {
	now := s.now()
	s.mu.Lock()
	u := s.st.Users[email]
	key := grantKey(email, a.ClientID)
	g := s.st.Grants[key]
	first := g == nil || g.Revoked
	if first {
		g = &grant{Email: email, ClientID: a.ClientID, CreatedAt: now.UTC()}
		s.st.Grants[key] = g
	}
	prior := g.Scopes
	g.Scopes = dedupe(append(slices.Clone(g.Scopes), granted...))
	scopes := granted
	if a.IncludeGranted {
		scopes = dedupe(append(slices.Clone(granted), prior...))
	}
	for k, c := range s.st.Codes {
		if now.After(c.ExpiresAt) {
			delete(s.st.Codes, k)
		}
	}
	if len(s.st.Codes) >= maxCodes {
		s.mu.Unlock()
		showAuthError(w, &authError{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "Too many pending codes."})
		return
	}
	c := &authCode{Code: "4/0A" + s.randFrom(tokenAlphabet, 60), ClientID: a.ClientID, RedirectURI: a.RedirectURI,
		Email: email, Scopes: scopes, Challenge: a.Challenge, Method: a.Method, Nonce: a.Nonce,
		Refresh: a.AccessType == "offline" && (first || a.prompts("consent")), ExpiresAt: now.Add(codeLifetime)}
	s.st.Codes[c.Code] = c
	s.subLocked(u)
	hd := ""
	if !u.Personal {
		hd = domainOf(email)
	}
	s.changedLocked()
	s.mu.Unlock()
	p := url.Values{"code": {c.Code}, "scope": {strings.Join(scopes, " ")}, "authuser": {"0"}}
	if a.State != "" {
		p.Set("state", a.State)
	}
	if hd != "" {
		p.Set("hd", hd)
	}
	if a.prompts("none") {
		p.Set("prompt", "none")
	} else {
		p.Set("prompt", "consent")
	}
	redirect(w, r, a.RedirectURI, p)
}

// tokenAlphabet is the characters of codes and tokens (URL-safe).
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
