package zoomsandbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// tokenLifetime: Zoom's access tokens last an hour; expires_in says 3599
// (zoom-api.md §4.2).
const tokenLifetime = 3599 * time.Second

// tokenError is the token endpoint's error body {"reason", "error"}
// (zoom-api.md §4.4).
type tokenError struct {
	Status int    `json:"-"`
	Reason string `json:"reason"`
	Error  string `json:"error"`
}

func invalidGrant(reason string) *tokenError {
	return &tokenError{Status: http.StatusBadRequest, Reason: reason, Error: "invalid_grant"}
}

func invalidRequest(reason string) *tokenError {
	return &tokenError{Status: http.StatusBadRequest, Reason: reason, Error: "invalid_request"}
}

// tokenResponse is Zoom's token answer (zoom-api.md §4.2 step 4, §4.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	APIURL       string `json:"api_url"`
}

// clientAuth checks the client's credentials: HTTP Basic (Zoom's way,
// zoom-api.md §4.1), else client_id and client_secret parameters. A public
// client (PKCE, zoom-api.md §4.2) sends client_id alone; public reports it.
func (s *Server) clientAuth(r *http.Request) (public bool, ok bool) {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
		if id == s.opts.ClientID && secret == "" {
			return true, true
		}
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	return false, idOK && secretOK
}

// handleToken is POST /oauth/token: grant types authorization_code,
// refresh_token and account_credentials, parameters from the query or the
// form body (zoom-api.md §4.1-§4.4).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store") // RFC 6749 §5.1
	public, ok := s.clientAuth(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, &tokenError{Reason: "Invalid client_id or client_secret", Error: "invalid_client"})
		return
	}
	var (
		resp *tokenResponse
		terr *tokenError
	)
	switch gt := r.FormValue("grant_type"); gt {
	case "authorization_code":
		resp, terr = s.exchangeCode(r, public)
	case "refresh_token":
		if public {
			terr = &tokenError{Status: http.StatusUnauthorized, Reason: "Invalid client_id or client_secret", Error: "invalid_client"}
			break
		}
		resp, terr = s.refresh(r)
	case "account_credentials":
		if public {
			terr = &tokenError{Status: http.StatusUnauthorized, Reason: "Invalid client_id or client_secret", Error: "invalid_client"}
			break
		}
		resp, terr = s.accountCredentials(r)
	case "":
		terr = invalidRequest("Missing grant type")
	default:
		terr = &tokenError{Status: http.StatusBadRequest, Reason: "Unsupported grant type", Error: "unsupported_grant_type"}
	}
	if terr != nil {
		writeJSON(w, terr.Status, terr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// exchangeCode is the authorization_code grant (RFC 6749 §4.1.3, RFC 7636
// §4.6). A code is single-use and lives 5 minutes.
func (s *Server) exchangeCode(r *http.Request, public bool) (*tokenResponse, *tokenError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.st.Codes[r.FormValue("code")]
	switch {
	case c == nil || c.Used || c.ClientID != s.opts.ClientID:
		return nil, invalidGrant("Invalid authorization code")
	case !s.now().Before(c.ExpiresAt):
		return nil, invalidGrant("Authorization code is expired")
	case r.FormValue("redirect_uri") != c.RedirectURI:
		// RFC 6749 §4.1.3: must be identical to the authorize request's.
		return nil, invalidRequest("Redirect URI mismatch")
	case public && c.Challenge == "":
		return nil, &tokenError{Status: http.StatusUnauthorized, Reason: "Invalid client_id or client_secret", Error: "invalid_client"}
	}
	if c.Challenge != "" && !verifyPKCE(c.Challenge, c.Method, r.FormValue("code_verifier")) {
		return nil, invalidGrant("Invalid code verifier")
	}
	c.Used = true
	c.IssuedTokenAt = s.now().UTC()
	// zoom-api.md §4.2 step 7 (error 4741): a newer authorization of the
	// account revokes the tokens of earlier ones.
	for _, t := range s.st.Tokens {
		if t.Grant != "account_credentials" && t.AccountID == c.AccountID && t.ClientID == c.ClientID {
			t.Revoked = true
		}
	}
	t := s.issue("authorization_code", c.Scopes, c.AccountID, c.UserID, s.rnd.text(16, alnum), true)
	s.changed()
	return s.tokenResponse(t), nil
}

// verifyPKCE checks code_verifier against the stored challenge (RFC 7636
// §4.1 verifier syntax, §4.6 comparison).
func verifyPKCE(challenge, method, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, r := range verifier {
		unreserved := r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)
		if !unreserved {
			return false
		}
	}
	got := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		got = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// refresh is the refresh_token grant with rotation: the answer carries a
// new refresh token and the old one is refused from then on (zoom-api.md
// §4.2 step 5).
func (s *Server) refresh(r *http.Request) (*tokenResponse, *tokenError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.st.byRefresh[r.FormValue("refresh_token")]
	if old == nil || old.RefreshUsed || old.Revoked || old.ClientID != s.opts.ClientID {
		return nil, invalidRequest("Invalid Token!")
	}
	if s.st.Users[old.UserID] == nil {
		return nil, invalidGrant("Token owner no longer exists")
	}
	old.RefreshUsed = true
	t := s.issue(old.Grant, old.Scopes, old.AccountID, old.UserID, old.GrantID, true)
	s.changed()
	return s.tokenResponse(t), nil
}

// accountCredentials is the server-to-server grant (zoom-api.md §4.3): no
// refresh token; the token acts as the account owner.
func (s *Server) accountCredentials(r *http.Request) (*tokenResponse, *tokenError) {
	if r.FormValue("account_id") != s.opts.AccountID {
		return nil, invalidRequest("Invalid account_id")
	}
	scopes := parseScopes(r.FormValue("scope"))
	if len(scopes) == 0 {
		scopes = allScopes
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.Accounts[s.opts.AccountID]
	owner := s.userByEmail(a, a.ownerEmail())
	t := s.issue("account_credentials", scopes, a.ID, owner.ID, s.rnd.text(16, alnum), false)
	s.changed()
	return s.tokenResponse(t), nil
}

// issue records a new token. s.mu is held.
func (s *Server) issue(grant string, scopes []string, accountID, userID, grantID string, withRefresh bool) *token {
	now := s.now().UTC()
	t := &token{
		AccessToken: s.rnd.token(), Grant: grant, Scopes: scopes, AccountID: accountID, UserID: userID,
		ClientID: s.opts.ClientID, GrantID: grantID, IssuedAt: now, ExpiresAt: now.Add(tokenLifetime),
	}
	if withRefresh {
		t.RefreshToken = s.rnd.token()
	}
	s.st.addToken(t)
	return t
}

func (s *Server) tokenResponse(t *token) *tokenResponse {
	return &tokenResponse{
		AccessToken: t.AccessToken, TokenType: "bearer", RefreshToken: t.RefreshToken,
		ExpiresIn: int(tokenLifetime / time.Second), Scope: strings.Join(t.Scopes, " "), APIURL: s.opts.BaseURL,
	}
}

// handleRevoke is POST /oauth/revoke with token=<access or refresh token>
// and Basic client auth (zoom-api.md §4.1). It revokes the token's whole
// grant and sends app_deauthorized (§4.6: "call the revoke endpoint; Zoom
// then sends app_deauthorized").
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if public, ok := s.clientAuth(r); !ok || public {
		writeJSON(w, http.StatusUnauthorized, &tokenError{Reason: "Invalid client_id or client_secret", Error: "invalid_client"})
		return
	}
	tok := r.FormValue("token")
	s.mu.Lock()
	t := s.st.byAccess[tok]
	if t == nil {
		t = s.st.byRefresh[tok]
	}
	if t == nil || tok == "" {
		s.mu.Unlock()
		writeJSON(w, http.StatusBadRequest, invalidRequest("Invalid Token!"))
		return
	}
	ev := s.revokeGrantLocked(t)
	s.mu.Unlock()
	s.hooks.send(ev)
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

// revokeGrantLocked revokes every token of t's grant and returns the
// app_deauthorized event to send. s.mu is held.
func (s *Server) revokeGrantLocked(t *token) *event {
	for _, o := range s.st.Tokens {
		if o.GrantID == t.GrantID {
			o.Revoked = true
		}
	}
	s.changed()
	return s.deauthorizedEvent(t)
}
