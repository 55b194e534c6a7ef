package zoomsandbox

import (
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/convene/convene/internal/redirecturi"
)

//go:embed consent.html
var consentHTML string

var consentPage = template.Must(template.New("consent").Parse(consentHTML))

// codeLifetime: Zoom's authorization codes expire after 5 minutes
// (zoom-api.md §4.2, error 4733).
const codeLifetime = 5 * time.Minute

// authorizeRequest is the validated query of /oauth/authorize (RFC 6749
// §4.1.1, RFC 7636 §4.3).
type authorizeRequest struct {
	clientID, redirectURI, state string
	challenge, method            string
	scopes                       []string
}

// parseAuthorize validates the request. A problem with client_id or
// redirect_uri is shown on the page (RFC 6749 §4.1.2.1: never redirect to an
// unchecked URI); others are sent to redirect_uri as error=….
func (s *Server) parseAuthorize(w http.ResponseWriter, r *http.Request) (*authorizeRequest, bool) {
	ar := &authorizeRequest{
		clientID:    r.FormValue("client_id"),
		redirectURI: r.FormValue("redirect_uri"),
		state:       r.FormValue("state"),
		challenge:   r.FormValue("code_challenge"),
		method:      r.FormValue("code_challenge_method"),
		scopes:      parseScopes(r.FormValue("scope")),
	}
	if ar.clientID != s.opts.ClientID {
		authorizeErrorPage(w, "Invalid client_id: this sandbox serves the app "+s.opts.ClientID+".")
		return nil, false
	}
	if _, err := redirecturi.Parse(ar.redirectURI); err != nil {
		authorizeErrorPage(w, "Invalid redirect_uri: an absolute http(s) URL is required ("+err.Error()+").")
		return nil, false
	}
	if !redirecturi.Allowed(s.opts.RedirectURIs, ar.redirectURI) {
		// Zoom's page for an unregistered redirect URI says "Invalid
		// redirect: URI (4,700)" (its JSON form: errorCode 4700, "Invalid
		// redirect url"); zoom-api.md §4.4 lists 4709 for the mismatch.
		s.log.Warn("zoomsandbox: authorization refused: redirect URI not registered")
		authorizeErrorPage(w, "Invalid redirect: "+ar.redirectURI+" (4,700)",
			"The redirect URI is not registered for this app. "+s.registeredHint())
		return nil, false
	}
	if rt := r.FormValue("response_type"); rt != "code" {
		s.redirectError(w, r, ar, "unsupported_response_type")
		return nil, false
	}
	if ar.challenge != "" {
		switch ar.method {
		case "":
			ar.method = "plain" // RFC 7636 §4.3: the default method
		case "S256", "plain":
		default:
			s.redirectError(w, r, ar, "invalid_request")
			return nil, false
		}
	}
	if len(ar.scopes) == 0 {
		// Zoom configures scopes on the app; an authorize URL names none
		// (zoom-api.md §4.2).
		ar.scopes = allScopes
	}
	return ar, true
}

// handleAuthorizeGet shows the consent page.
func (s *Server) handleAuthorizeGet(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.parseAuthorize(w, r)
	if !ok {
		return
	}
	hidden := map[string]string{
		"response_type": "code", "client_id": ar.clientID, "redirect_uri": ar.redirectURI, "state": ar.state,
	}
	if ar.challenge != "" {
		hidden["code_challenge"], hidden["code_challenge_method"] = ar.challenge, ar.method
	}
	if r.FormValue("scope") != "" {
		hidden["scope"] = r.FormValue("scope")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := consentPage.Execute(w, map[string]any{
		"AppName": "Convene", "ClientID": ar.clientID, "Scopes": ar.scopes, "RedirectURI": ar.redirectURI,
		"Action": s.opts.BaseURL + "/oauth/authorize", "Hidden": hidden,
	})
	if err != nil {
		s.log.Error("zoomsandbox: render consent page", "err", err)
	}
}

// handleAuthorizePost records the admin's decision: approve redirects with
// a code, deny with error=access_denied (DESIGN §4).
func (s *Server) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	ar, ok := s.parseAuthorize(w, r)
	if !ok {
		return
	}
	switch r.FormValue("decision") {
	case "approve":
	case "deny":
		s.redirectError(w, r, ar, "access_denied")
		return
	default:
		authorizeErrorPage(w, "Choose Allow or Decline (form field decision=approve or deny).")
		return
	}
	domains := s.opts.Domains
	if s.opts.DomainsForAuthorization != nil {
		d, err := s.opts.DomainsForAuthorization(r)
		if err != nil {
			s.log.Warn("zoomsandbox: authorization refused by DomainsForAuthorization", "err", err)
			s.redirectError(w, r, ar, "access_denied")
			return
		}
		domains = d
	}
	s.mu.Lock()
	a := s.accountForDomains(domains)
	var u *user
	if email := r.FormValue("email"); email != "" {
		u = s.userByEmail(a, email)
	}
	if u == nil {
		u = s.userByEmail(a, a.ownerEmail())
	}
	c := &authCode{
		Code: s.rnd.text(32, alnum), ClientID: ar.clientID, RedirectURI: ar.redirectURI,
		Challenge: ar.challenge, Method: ar.method, Scopes: ar.scopes,
		AccountID: a.ID, UserID: u.ID, ExpiresAt: s.now().Add(codeLifetime),
	}
	s.st.Codes[c.Code] = c
	s.changed()
	s.mu.Unlock()
	s.redirect(w, r, ar, url.Values{"code": {c.Code}})
}

func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, code string) {
	s.redirect(w, r, ar, url.Values{"error": {code}})
}

// redirect sends the browser back to redirect_uri with params and state
// added to its query (RFC 6749 §4.1.2).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, ar *authorizeRequest, params url.Values) {
	u, _ := url.Parse(ar.redirectURI) // checked by parseAuthorize
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if ar.state != "" {
		q.Set("state", ar.state)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// registeredHint says which redirect URIs the sandbox accepts, for its
// error page.
func (s *Server) registeredHint() string {
	if len(s.opts.RedirectURIs) == 0 {
		return "With no redirect URI registered (convene zoom-sandbox --redirect-uri), only loopback URIs are accepted."
	}
	return "Registered: " + strings.Join(s.opts.RedirectURIs, ", ") + "."
}

// authorizeErrorPage answers 400 with an HTML page and no redirect: what
// the authorization server shows when it cannot trust redirect_uri
// (RFC 6749 §4.1.2.1).
func authorizeErrorPage(w http.ResponseWriter, msg string, more ...string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	var b strings.Builder
	b.WriteString("<!doctype html><title>Zoom sandbox: authorization error</title><h1>Authorization error</h1>")
	for _, p := range append([]string{msg}, more...) {
		b.WriteString("<p>" + template.HTMLEscapeString(p) + "</p>")
	}
	_, _ = w.Write([]byte(b.String()))
}
