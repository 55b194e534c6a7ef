package googlesandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The token endpoint's grants of the web-server flow, OpenID Connect
// (id_token, discovery, keys, userinfo) and revocation.

const (
	authCodeGrant     = "authorization_code"
	refreshTokenGrant = "refresh_token"
	idTokenLifetime   = time.Hour
)

func errf(format string, a ...any) error { return fmt.Errorf("googlesandbox: "+format, a...) }

// signingKey is the sandbox's key for id_tokens (kept in the state so
// tokens verify across restarts).
type signingKey struct {
	KeyID         string `json:"kid"`
	PrivateKeyPEM string `json:"private_key_pem"`
	CertPEM       string `json:"cert_pem"`
}

// signerLocked returns the id_token key, minting it on first use.
func (s *Server) signerLocked() (*rsa.PrivateKey, *signingKey, error) {
	if k := s.st.SigningKey; k != nil {
		blk, _ := pem.Decode([]byte(k.PrivateKeyPEM))
		if blk == nil {
			return nil, nil, errf("signing key: not PEM")
		}
		priv, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, nil, errf("signing key: %w", err)
		}
		rk, ok := priv.(*rsa.PrivateKey)
		if !ok {
			return nil, nil, errf("signing key: not RSA")
		}
		return rk, k, nil
	}
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, errf("signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, errf("signing key: %w", err)
	}
	now := s.now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "federated-signon.system.gserviceaccount.com"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, nil, errf("signing certificate: %w", err)
	}
	k := &signingKey{KeyID: s.randHex(20), PrivateKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))}
	s.st.SigningKey = k
	s.changedLocked()
	return priv, k, nil
}

// clientAuth reads the client's credentials: HTTP Basic (RFC 6749 §2.3.1,
// form-encoded) or client_id and client_secret in the body.
func (s *Server) clientAuth(r *http.Request) (*OAuthClient, *tokenError, int) {
	id, secret, basic := r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" {
		return nil, &tokenError{"invalid_request", "Could not determine client ID from request."}, http.StatusBadRequest
	}
	s.mu.Lock()
	c := s.st.OAuthClients[id]
	var cp OAuthClient
	if c != nil {
		cp = *c
	}
	s.mu.Unlock()
	if c == nil {
		return nil, &tokenError{"invalid_client", msgClientNotFound}, http.StatusUnauthorized
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(cp.Secret)) != 1 {
		return nil, &tokenError{"invalid_client", msgUnauthorized}, http.StatusUnauthorized
	}
	return &cp, nil, 0
}

// checkVerifier checks a code_verifier against the code's challenge
// (RFC 7636 §4.6).
func checkVerifier(c *authCode, verifier string) *tokenError {
	if c.Challenge == "" {
		if verifier != "" {
			return &tokenError{"invalid_grant", "code_verifier or verifier is not needed."}
		}
		return nil
	}
	if verifier == "" {
		return &tokenError{"invalid_grant", "Missing code verifier."}
	}
	want := verifier
	if c.Method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	if !validVerifier(verifier) || subtle.ConstantTimeCompare([]byte(want), []byte(c.Challenge)) != 1 {
		return &tokenError{"invalid_grant", "Invalid code verifier."}
	}
	return nil
}

// handleAuthCodeGrant is POST /token grant_type=authorization_code.
func (s *Server) handleAuthCodeGrant(w http.ResponseWriter, r *http.Request) {
	client, e, status := s.clientAuth(r)
	if e != nil {
		writeJSON(w, status, e)
		return
	}
	fail := func(code, desc string) { writeJSON(w, http.StatusBadRequest, tokenError{code, desc}) }
	raw := r.PostForm.Get("code")
	if raw == "" {
		fail("invalid_request", "Missing required parameter: code")
		return
	}
	if !strings.HasPrefix(raw, "4/") || len(raw) > 512 {
		fail("invalid_grant", msgMalformedCode)
		return
	}
	now := s.now()
	s.mu.Lock()
	c := s.st.Codes[raw]
	switch {
	case c == nil || c.ClientID != client.ID:
		s.mu.Unlock()
		fail("invalid_grant", msgBadRequest)
		return
	case c.Used:
		// RFC 6749 §4.1.2: a code used twice revokes what it gave.
		s.revokeOriginLocked(c.Code)
		s.mu.Unlock()
		fail("invalid_grant", msgBadRequest)
		return
	case !now.Before(c.ExpiresAt):
		s.mu.Unlock()
		fail("invalid_grant", msgBadRequest)
		return
	}
	cc := *c
	s.mu.Unlock()
	ru := r.PostForm.Get("redirect_uri")
	if ru == "" {
		fail("invalid_request", "Missing parameter: redirect_uri")
		return
	}
	if ru != cc.RedirectURI {
		fail("redirect_uri_mismatch", msgBadRequest)
		return
	}
	if e := checkVerifier(&cc, r.PostForm.Get("code_verifier")); e != nil {
		fail(e.Error, e.Description)
		return
	}
	s.mu.Lock()
	c = s.st.Codes[raw]
	if c == nil || c.Used {
		// Used meanwhile by a concurrent request: a second use too.
		if c != nil {
			s.revokeOriginLocked(c.Code)
		}
		s.mu.Unlock()
		fail("invalid_grant", msgBadRequest)
		return
	}
	c.Used = true
	g := s.st.Grants[grantKey(c.Email, c.ClientID)]
	if g == nil || g.Revoked {
		s.changedLocked()
		s.mu.Unlock()
		fail("invalid_grant", msgExpiredOrRevoked)
		return
	}
	out, err := s.mintTokensLocked(c.Email, c.ClientID, c.Code, c.Scopes, c.Nonce, c.Refresh)
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, tokenError{"internal_failure", err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// handleRefreshGrant is POST /token grant_type=refresh_token.
func (s *Server) handleRefreshGrant(w http.ResponseWriter, r *http.Request) {
	client, e, status := s.clientAuth(r)
	if e != nil {
		writeJSON(w, status, e)
		return
	}
	raw := r.PostForm.Get("refresh_token")
	if raw == "" {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_request", "Missing required parameter: refresh_token"})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.st.RefreshTokens[raw]
	if rt == nil {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_grant", msgExpiredOrRevoked})
		return
	}
	if rt.ClientID != client.ID {
		writeJSON(w, http.StatusUnauthorized, tokenError{"unauthorized_client", msgUnauthorized})
		return
	}
	out, err := s.mintTokensLocked(rt.Email, rt.ClientID, rt.Origin, rt.Scopes, "", false)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, tokenError{"internal_failure", err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// tokenAnswer is the token endpoint's answer to the user grants.
type tokenAnswer struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	IDToken      string `json:"id_token,omitempty"`
}

// mintTokensLocked issues an access token (and a refresh token with
// withRefresh, and an id_token when an identity scope was granted).
func (s *Server) mintTokensLocked(email, clientID, origin string, scopes []string, nonce string, withRefresh bool) (*tokenAnswer, error) {
	now := s.now()
	key := grantKey(email, clientID)
	t := &accessToken{Token: "ya29.a0" + s.randFrom(tokenAlphabet, 100), ClientID: clientID, Subject: email,
		Scopes: slices.Clone(scopes), ExpiresAt: now.Add(tokenLifetime), Grant: key, Origin: origin}
	s.st.Tokens[t.Token] = t
	for k, old := range s.st.Tokens {
		if now.After(old.ExpiresAt.Add(time.Hour)) {
			delete(s.st.Tokens, k)
		}
	}
	out := &tokenAnswer{AccessToken: t.Token, ExpiresIn: int(tokenLifetime.Seconds()) - 1, Scope: strings.Join(scopes, " "), TokenType: "Bearer"}
	if withRefresh {
		rt := &refreshToken{Token: "1//0" + s.randFrom(tokenAlphabet, 100), Grant: key, Origin: origin, ClientID: clientID,
			Email: email, Scopes: slices.Clone(scopes), CreatedAt: now.UTC()}
		s.st.RefreshTokens[rt.Token] = rt
		s.trimRefreshTokensLocked(key)
		out.RefreshToken = rt.Token
	}
	if hasAny(scopes, ScopeOpenID, ScopeEmail, ScopeProfile, ScopeUserinfoEmail, ScopeUserinfoProfile) {
		id, err := s.idTokenLocked(email, clientID, t.Token, scopes, nonce)
		if err != nil {
			return nil, err
		}
		out.IDToken = id
	}
	s.changedLocked()
	return out, nil
}

// trimRefreshTokensLocked keeps Google's limit of refresh tokens per grant:
// the oldest beyond it stop working.
func (s *Server) trimRefreshTokensLocked(key string) {
	var mine []*refreshToken
	for _, rt := range s.st.RefreshTokens {
		if rt.Grant == key {
			mine = append(mine, rt)
		}
	}
	if len(mine) <= maxRefreshTokens {
		return
	}
	slices.SortFunc(mine, func(a, b *refreshToken) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, rt := range mine[:len(mine)-maxRefreshTokens] {
		delete(s.st.RefreshTokens, rt.Token)
	}
}

func hasAny(have []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// idClaims are the claims of an id_token (OpenID Connect Core §2; Google's
// "OpenID Connect", "An ID token's payload").
type idClaims struct {
	Issuer        string `json:"iss"`
	AuthorizedBy  string `json:"azp"`
	Audience      string `json:"aud"`
	Subject       string `json:"sub"`
	HostedDomain  string `json:"hd,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	AtHash        string `json:"at_hash,omitempty"`
	Nonce         string `json:"nonce,omitempty"`
	Name          string `json:"name,omitempty"`
	IssuedAt      int64  `json:"iat"`
	Expiry        int64  `json:"exp"`
}

// identityLocked fills the claims the scopes allow.
func (s *Server) identityLocked(email string, scopes []string) (idClaims, error) {
	u := s.st.Users[email]
	if u == nil {
		return idClaims{}, errors.New("googlesandbox: the account is gone")
	}
	c := idClaims{Subject: s.subLocked(u)}
	if !u.Personal {
		c.HostedDomain = domainOf(u.Email)
	}
	if hasAny(scopes, ScopeEmail, ScopeUserinfoEmail) {
		yes := true
		c.Email, c.EmailVerified = u.Email, &yes
	}
	if hasAny(scopes, ScopeProfile, ScopeUserinfoProfile) {
		c.Name = u.Name
		if c.Name == "" {
			c.Name = u.Email[:strings.IndexByte(u.Email, '@')]
		}
	}
	return c, nil
}

// idTokenLocked signs an id_token with the sandbox's key.
func (s *Server) idTokenLocked(email, clientID, accessToken string, scopes []string, nonce string) (string, error) {
	priv, k, err := s.signerLocked()
	if err != nil {
		return "", err
	}
	c, err := s.identityLocked(email, scopes)
	if err != nil {
		return "", err
	}
	now := s.now()
	sum := sha256.Sum256([]byte(accessToken))
	c.Issuer, c.AuthorizedBy, c.Audience, c.Nonce = s.opts.BaseURL, clientID, clientID, nonce
	c.AtHash = base64.RawURLEncoding.EncodeToString(sum[:16])
	c.IssuedAt, c.Expiry = now.Unix(), now.Add(idTokenLifetime).Unix()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: priv},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.KeyID))
	if err != nil {
		return "", errf("id_token: %w", err)
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", errf("id_token: %w", err)
	}
	return tok, nil
}

// revokeOriginLocked ends every token that came from one code.
func (s *Server) revokeOriginLocked(origin string) {
	for k, t := range s.st.Tokens {
		if t.Origin == origin {
			delete(s.st.Tokens, k)
		}
	}
	for k, rt := range s.st.RefreshTokens {
		if rt.Origin == origin {
			delete(s.st.RefreshTokens, k)
		}
	}
	s.changedLocked()
}

// revokeGrantLocked ends a grant: its refresh and access tokens stop
// working, and the next consent is a first consent again.
func (s *Server) revokeGrantLocked(key string) bool {
	g := s.st.Grants[key]
	if g == nil {
		return false
	}
	g.Revoked = true
	for k, t := range s.st.Tokens {
		if t.Grant == key {
			delete(s.st.Tokens, k)
		}
	}
	for k, rt := range s.st.RefreshTokens {
		if rt.Grant == key {
			delete(s.st.RefreshTokens, k)
		}
	}
	for k, c := range s.st.Codes {
		if grantKey(c.Email, c.ClientID) == key {
			delete(s.st.Codes, k)
		}
	}
	s.changedLocked()
	return true
}

// handleRevoke is POST /revoke token=… (form or query, as
// google-auth-library sends it).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, tokenError{"invalid_request", "Could not read the request body."})
		return
	}
	raw := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if rt := s.st.RefreshTokens[raw]; raw != "" && rt != nil {
		s.revokeGrantLocked(rt.Grant)
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	if t := s.st.Tokens[raw]; raw != "" && t != nil && s.now().Before(t.ExpiresAt) {
		if t.Grant != "" {
			s.revokeGrantLocked(t.Grant)
		} else {
			delete(s.st.Tokens, raw)
			s.changedLocked()
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return
	}
	writeJSON(w, http.StatusBadRequest, tokenError{"invalid_token", "Token expired or revoked"})
}

// handleOpenIDConfiguration is GET /.well-known/openid-configuration.
func (s *Server) handleOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	b := s.opts.BaseURL
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                b,
		"authorization_endpoint":                s.AuthURL(),
		"token_endpoint":                        s.TokenURL(),
		"userinfo_endpoint":                     b + "/oauth2/v3/userinfo",
		"revocation_endpoint":                   b + "/revoke",
		"jwks_uri":                              b + "/oauth2/v3/certs",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
		"claims_supported":                      []string{"aud", "email", "email_verified", "exp", "hd", "iat", "iss", "name", "sub", "nonce", "at_hash", "azp"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"grant_types_supported":                 []string{authCodeGrant, refreshTokenGrant, jwtBearerGrant},
	})
}

// handleJWKS is GET /oauth2/v3/certs: the id_token keys as a JWK set.
func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	priv, k, err := s.signerLocked()
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, tokenError{"internal_failure", err.Error()})
		return
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: k.KeyID, Algorithm: "RS256", Use: "sig"}}}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, set)
}

// handlePEMCerts is GET /oauth2/v1/certs: the same keys as X.509
// certificates by kid (google-auth-library's verifyIdToken reads these).
func (s *Server) handlePEMCerts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	_, k, err := s.signerLocked()
	s.mu.Unlock()
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, tokenError{"internal_failure", err.Error()})
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, map[string]string{k.KeyID: k.CertPEM})
}

// handleUserinfo is GET (or POST) /oauth2/v3/userinfo with a user's bearer
// token: the claims its scopes allow.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.st.Tokens[strings.TrimSpace(raw)]
	if !ok || t == nil || t.Grant == "" || !s.now().Before(t.ExpiresAt) ||
		!hasAny(t.Scopes, ScopeOpenID, ScopeEmail, ScopeProfile, ScopeUserinfoEmail, ScopeUserinfoProfile) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, tokenError{"invalid_request", "Invalid Credentials"})
		return
	}
	c, err := s.identityLocked(t.Subject, t.Scopes)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, tokenError{"invalid_request", "Invalid Credentials"})
		return
	}
	out := map[string]any{"sub": c.Subject}
	if c.Email != "" {
		out["email"], out["email_verified"] = c.Email, true
	}
	if c.Name != "" {
		out["name"] = c.Name
	}
	if c.HostedDomain != "" {
		out["hd"] = c.HostedDomain
	}
	writeJSON(w, http.StatusOK, out)
}
