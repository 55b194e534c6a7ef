package pages

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/convene/convene/internal/failure"
)

// Single sign-on with OpenID Connect (OpenID Connect Core 1.0, authorization
// code flow) through coreos/go-oidc and golang.org/x/oauth2:
//   - the provider is discovered on first use (not at start, so that an
//     identity provider that is down does not stop Convene);
//   - each attempt has a random state, a random nonce and a PKCE verifier
//     (RFC 7636, S256), kept in a short-lived cookie signed with a key of
//     the pages; the callback checks the state against the cookie, the ID
//     token's signature, issuer, audience and expiry (go-oidc), and its
//     nonce against the cookie;
//   - the user is the existing, active user whose address the provider
//     says it verified (email_verified true): there is no sign-up.

// OIDCOptions configure single sign-on.
type OIDCOptions struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// HTTPClient talks to the provider (default: 10 s timeout).
	HTTPClient *http.Client
}

const (
	oidcStartPath    = "/signin/oidc"
	oidcCallbackPath = "/signin/oidc/callback"
	oidcCookie       = "convene_oidc"
	// oidcAttemptTTL bounds the time between leaving for the provider
	// and coming back.
	oidcAttemptTTL = 10 * time.Minute
)

// oidcClient is the relying party.
type oidcClient struct {
	opts        OIDCOptions
	redirectURL string
	now         func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovered
	verifier *oidc.IDTokenVerifier
}

func newOIDCClient(opts OIDCOptions, redirectURL string, now func() time.Time) *oidcClient {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &oidcClient{opts: opts, redirectURL: redirectURL, now: now}
}

func (c *oidcClient) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, c.opts.HTTPClient)
}

// discover returns the provider, discovering it (OpenID Connect Discovery
// 1.0) on first use; a failure is tried again on the next sign-in.
func (c *oidcClient) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, c.verifier, nil
	}
	p, err := oidc.NewProvider(c.ctx(ctx), c.opts.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("pages: discover the OpenID provider %s: %w", c.opts.Issuer, err)
	}
	// The verifier checks the signature (keys fetched from the provider's
	// jwks_uri and cached), issuer, audience and expiry.
	c.provider, c.verifier = p, p.Verifier(&oidc.Config{ClientID: c.opts.ClientID, Now: c.now})
	return c.provider, c.verifier, nil
}

func (c *oidcClient) config(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.opts.ClientID, ClientSecret: c.opts.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// oidcAttempt is what the cookie keeps of one sign-in attempt.
type oidcAttempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Expires  int64  `json:"e"`
}

func randomString() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sealAttempt signs an attempt for its cookie: base64url(JSON).base64url(MAC).
func (s *Server) sealAttempt(a oidcAttempt) string {
	body, _ := json.Marshal(a)
	enc := base64.RawURLEncoding.EncodeToString(body)
	return enc + "." + base64.RawURLEncoding.EncodeToString(s.attemptMAC(enc))
}

func (s *Server) attemptMAC(enc string) []byte {
	mac := hmac.New(sha256.New, s.oidcKey)
	mac.Write([]byte(enc))
	return mac.Sum(nil)
}

// maxAttemptCookie bounds the cookie read back.
const maxAttemptCookie = 2048

// openAttempt checks and reads an attempt's cookie.
func (s *Server) openAttempt(v string) (*oidcAttempt, error) {
	enc, sig, ok := strings.Cut(v, ".")
	if !ok || len(v) > maxAttemptCookie {
		return nil, errors.New("malformed")
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.attemptMAC(enc)) {
		return nil, errors.New("bad signature")
	}
	body, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, errors.New("malformed")
	}
	var a oidcAttempt
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, errors.New("malformed")
	}
	if s.opts.Now().Unix() >= a.Expires {
		return nil, errors.New("expired")
	}
	return &a, nil
}

// oidcStart sends the browser to the provider with a new attempt.
func (s *Server) oidcStart(req *Request) error {
	if s.oidc == nil {
		return failure.New(failure.NotFound, "single sign-on is not set up on this server")
	}
	p, _, err := s.oidc.discover(req.R.Context())
	if err != nil {
		s.opts.Log.Error("pages: single sign-on", "err", err)
		return failure.New(failure.Unavailable, "the identity provider cannot be reached now; try again later or sign in with your password")
	}
	a := oidcAttempt{State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(req.R.URL.Query().Get("next")), Expires: s.opts.Now().Add(oidcAttemptTTL).Unix()}
	s.setCookie(req.W, oidcCookie, s.sealAttempt(a), oidcAttemptTTL)
	u := s.oidc.config(p).AuthCodeURL(a.State, oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier))
	http.Redirect(req.W, req.R, u, http.StatusFound)
	return nil
}

// oidcCallback completes an attempt: it checks the state, exchanges the
// code with the PKCE verifier, verifies the ID token and its nonce, and
// signs in the user of the verified address.
func (s *Server) oidcCallback(req *Request) error {
	if s.oidc == nil {
		return failure.New(failure.NotFound, "single sign-on is not set up on this server")
	}
	cookie := s.cookie(req.R, oidcCookie)
	s.setCookie(req.W, oidcCookie, "", -1) // one use
	q := req.R.URL.Query()
	if e := q.Get("error"); e != "" {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider did not sign you in (%s)", e))
	}
	a, err := s.openAttempt(cookie)
	if err != nil {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "this sign-in attempt is unknown or expired (%v); start again", err))
	}
	if !hmac.Equal([]byte(q.Get("state")), []byte(a.State)) {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the sign-in came back with another state than it left with; start again"))
	}
	ctx := s.oidc.ctx(req.R.Context())
	p, verifier, err := s.oidc.discover(ctx)
	if err != nil {
		s.opts.Log.Error("pages: single sign-on", "err", err)
		return failure.New(failure.Unavailable, "the identity provider cannot be reached now; try again later")
	}
	tok, err := s.oidc.config(p).Exchange(ctx, q.Get("code"), oauth2.VerifierOption(a.Verifier))
	if err != nil {
		s.opts.Log.Warn("pages: single sign-on: code exchange failed", "err", err)
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider refused the sign-in's code; start again"))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider sent no ID token"))
	}
	idt, err := verifier.Verify(ctx, raw)
	if err != nil {
		s.opts.Log.Warn("pages: single sign-on: ID token refused", "err", err)
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider's ID token does not verify"))
	}
	if !hmac.Equal([]byte(idt.Nonce), []byte(a.Nonce)) {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the ID token is not for this sign-in (nonce); start again"))
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the ID token's claims cannot be read"))
	}
	if claims.Email == "" {
		// OpenID Connect Core §5.4: the claims of the email scope come
		// from the UserInfo endpoint when an access token is issued; its
		// sub must be the ID token's (§5.3.2).
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			s.opts.Log.Warn("pages: single sign-on: userinfo failed", "err", err)
			return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider did not say who you are (userinfo)"))
		}
		if ui.Subject != idt.Subject {
			return s.oidcFailed(req, failure.New(failure.Unauthenticated, "the identity provider's userinfo is about another subject than the ID token"))
		}
		verified := ui.EmailVerified
		claims.Email, claims.EmailVerified = ui.Email, &verified
	}
	if claims.Email == "" || claims.EmailVerified == nil || !*claims.EmailVerified {
		return s.oidcFailed(req, failure.New(failure.Forbidden, "the identity provider did not say it verified your e-mail address; Convene signs in verified addresses only"))
	}
	ws, secret, err := s.opts.Accounts.SignInVerifiedEmail(req.R.Context(), claims.Email, req.previousSession())
	if err != nil {
		if _, ok := failure.As(err); ok {
			return s.oidcFailed(req, err)
		}
		return err
	}
	req.startSession(ws, secret)
	req.Redirect(safeNext(a.Next), "")
	return nil
}

// oidcFailed shows the sign-in page with what went wrong.
func (s *Server) oidcFailed(req *Request, err error) error {
	fe, _ := failure.As(err)
	f := &Form{Errors: map[string]string{}, Values: url.Values{}}
	f.Error = req.failureText(fe)
	return req.Render(statusOf(fe.Kind), "signin", f, signinData{OIDC: true})
}
