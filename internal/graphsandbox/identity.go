package graphsandbox

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/convene/convene/internal/redirecturi"
)

//go:embed consent.html
var consentHTML string

var consentPage = template.Must(template.New("consent").Parse(consentHTML))

// graphResource is Microsoft Graph's application ID URI and app id.
const (
	graphResource = "https://graph.microsoft.com"
	graphAppID    = "00000003-0000-0000-c000-000000000000"
)

// consentRequest is the validated query of adminconsent.
type consentRequest struct {
	tenant, clientID, redirectURI, state, scope string
}

// parseConsent validates an adminconsent request. A bad client_id or
// redirect_uri is shown on a page: Microsoft never redirects to an
// unregistered reply URL.
func (s *Server) parseConsent(w http.ResponseWriter, r *http.Request) (*consentRequest, bool) {
	cr := &consentRequest{
		tenant: r.PathValue("tenant"), clientID: r.FormValue("client_id"),
		redirectURI: r.FormValue("redirect_uri"), state: r.FormValue("state"), scope: r.FormValue("scope"),
	}
	if cr.clientID != s.opts.ClientID {
		e := s.identityFail(http.StatusBadRequest, "unauthorized_client", 700016,
			"Application with identifier '"+cr.clientID+"' was not found in the directory.")
		errorPage(w, e.ErrorDescription)
		return nil, false
	}
	if !redirecturi.Allowed(s.opts.RedirectURIs, cr.redirectURI) {
		s.log.Warn("graphsandbox: consent refused: redirect URI not registered")
		e := s.identityFail(http.StatusBadRequest, "invalid_request", 50011,
			"The redirect URI '"+cr.redirectURI+"' specified in the request does not match the redirect URIs configured for the application '"+s.opts.ClientID+"'.")
		errorPage(w, e.ErrorDescription)
		return nil, false
	}
	if cr.tenant != "organizations" && cr.tenant != "common" && s.tenantByName(cr.tenant) == nil {
		s.redirect(w, r, cr, url.Values{"error": {"invalid_request"},
			"error_description": {s.identityFail(0, "", 90002, "Tenant '"+cr.tenant+"' not found.").ErrorDescription}})
		return nil, false
	}
	if cr.scope == "" {
		cr.scope = graphResource + "/.default"
	}
	return cr, true
}

// handleConsentGet shows the consent page an admin approves or declines.
func (s *Server) handleConsentGet(w http.ResponseWriter, r *http.Request) {
	cr, ok := s.parseConsent(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := consentPage.Execute(w, map[string]any{
		"ClientID": cr.clientID, "RedirectURI": cr.redirectURI, "Permissions": permissions,
		"Action": s.opts.BaseURL + "/" + url.PathEscape(cr.tenant) + "/v2.0/adminconsent",
		"Hidden": map[string]string{"client_id": cr.clientID, "redirect_uri": cr.redirectURI, "state": cr.state, "scope": cr.scope},
	})
	if err != nil {
		s.log.Error("graphsandbox: render consent page", "err", err)
	}
}

// permissions are the application permissions the sandbox app asks for,
// shown on the consent page.
var permissions = []string{"Calendars.ReadWrite", "OnlineMeetings.ReadWrite.All", "User.Read.All", "MailboxSettings.Read"}

// handleConsentPost records the admin's decision: approve redirects with
// tenant, admin_consent=True, state and scope; deny with
// error=access_denied.
func (s *Server) handleConsentPost(w http.ResponseWriter, r *http.Request) {
	cr, ok := s.parseConsent(w, r)
	if !ok {
		return
	}
	switch r.FormValue("decision") {
	case "approve":
	case "deny":
		s.redirect(w, r, cr, url.Values{"error": {"access_denied"},
			"error_description": {s.identityFail(0, "", 65004, "User declined to consent to access the app.").ErrorDescription}})
		return
	default:
		errorPage(w, "Choose Accept or Cancel (form field decision=approve or deny).")
		return
	}
	domains := s.opts.Domains
	if s.opts.DomainsForConsent != nil {
		d, err := s.opts.DomainsForConsent(r)
		if err != nil {
			s.log.Warn("graphsandbox: consent refused by DomainsForConsent", "err", err)
			s.redirect(w, r, cr, url.Values{"error": {"access_denied"},
				"error_description": {s.identityFail(0, "", 65004, "User declined to consent to access the app.").ErrorDescription}})
			return
		}
		domains = normalizeDomains(d)
	}
	s.mu.Lock()
	t := s.tenantByName(cr.tenant)
	if t == nil {
		t = s.tenantForDomains(domains)
	}
	t.Consent, t.At = true, s.now().UTC()
	s.changed()
	id := t.ID
	s.mu.Unlock()
	s.redirect(w, r, cr, url.Values{"tenant": {id}, "admin_consent": {"True"}, "scope": {cr.scope}})
}

// tenantByName finds a tenant by id or one of its domains; nil if none.
// "organizations" and "common" name none.
func (s *Server) tenantByName(name string) *tenant {
	name = strings.ToLower(name)
	if t := s.st.Tenants[name]; t != nil {
		return t
	}
	for _, t := range s.st.Tenants {
		if slices.Contains(t.Domains, name) {
			return t
		}
	}
	return nil
}

// tenantForDomains returns the tenant owning the first of domains, or a
// new one with them.
func (s *Server) tenantForDomains(domains []string) *tenant {
	for _, d := range domains {
		if t := s.tenantByName(d); t != nil {
			return t
		}
	}
	t := &tenant{ID: s.rnd.guid(), Domains: domains}
	s.st.Tenants[t.ID] = t
	return t
}

// redirect sends the browser back to redirect_uri with params and state.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, cr *consentRequest, params url.Values) {
	u, _ := url.Parse(cr.redirectURI) // checked by parseConsent
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if cr.state != "" {
		q.Set("state", cr.state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// errorPage answers 400 with an HTML page and no redirect.
func errorPage(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte("<!doctype html><title>Microsoft sandbox: sign-in error</title><h1>Sorry, but we’re having trouble signing you in.</h1><p>" +
		template.HTMLEscapeString(msg) + "</p>"))
}

// tokenResponse is the identity platform's client-credentials answer.
type tokenResponse struct {
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	ExtExpiresIn int    `json:"ext_expires_in"`
	AccessToken  string `json:"access_token"`
}

// handleToken is POST /{tenant}/oauth2/v2.0/token with
// grant_type=client_credentials; the client authenticates with
// client_secret in the form or HTTP Basic.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	fail := func(e *identityError) { writeIdentityJSON(w, e.Status, e) }
	if err := r.ParseForm(); err != nil {
		fail(s.identityFail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."))
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	grant, scope := f.Get("grant_type"), f.Get("scope")
	name := r.PathValue("tenant")
	switch {
	case grant == "":
		fail(s.identityFail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."))
		return
	case grant != "client_credentials":
		fail(s.identityFail(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+grant+"'."))
		return
	case name == "common" || name == "organizations" || name == "consumers":
		fail(s.identityFail(http.StatusBadRequest, "invalid_request", 50059, "No tenant-identifying information found in either the request or implied by any provided credentials."))
		return
	case scope == "":
		fail(s.identityFail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."))
		return
	case !strings.HasSuffix(scope, "/.default") || strings.Contains(scope, " "):
		fail(s.identityFail(http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope "+scope+" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."))
		return
	case scope != graphResource+"/.default" && scope != graphAppID+"/.default" && scope != graphResource+"//.default":
		fail(s.identityFail(http.StatusBadRequest, "invalid_resource", 500011, "The resource principal named "+strings.TrimSuffix(scope, "/.default")+" was not found in the tenant named "+name+"."))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantByName(name)
	switch {
	case t == nil:
		fail(s.identityFail(http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+name+"' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
		return
	case clientID != s.opts.ClientID || !t.Consent:
		fail(s.identityFail(http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+"' was not found in the directory '"+t.ID+"'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."))
		return
	case secret == "":
		fail(s.identityFail(http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."))
		return
	case secret != s.opts.ClientSecret:
		fail(s.identityFail(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+s.opts.ClientID+"'."))
		return
	}
	tok := &token{AccessToken: s.rnd.accessToken(), TenantID: t.ID, ExpiresAt: s.now().Add(tokenLifetime)}
	s.pruneTokens()
	s.st.Tokens[tok.AccessToken] = tok
	s.changed()
	writeIdentityJSON(w, http.StatusOK, tokenResponse{TokenType: "Bearer", ExpiresIn: 3599, ExtExpiresIn: 3599, AccessToken: tok.AccessToken})
}

// pruneTokens forgets expired tokens. Called with s.mu held.
func (s *Server) pruneTokens() {
	now := s.now()
	for k, t := range s.st.Tokens {
		if !now.Before(t.ExpiresAt) {
			delete(s.st.Tokens, k)
		}
	}
}
