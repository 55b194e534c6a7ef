package googlesandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// sign makes an assertion with the key's private key (or another).
func sign(t *testing.T, priv *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func privateKey(t *testing.T, key ServiceAccountKey) *rsa.PrivateKey {
	t.Helper()
	blk, _ := pem.Decode([]byte(key.PrivateKey))
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatalf("private_key is not a PKCS #8 PEM block: %q", key.PrivateKey)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

// TestTokenGoogleClient: golang.org/x/oauth2/google reads the minted key
// file and gets a token for a user of a delegated domain; the token works
// on the Calendar API.
func TestTokenGoogleClient(t *testing.T) {
	sb := newSandbox(t, nil)
	key := sb.key("example.com", ScopeCalendar)
	if key.Type != "service_account" || key.TokenURI != sb.ts.URL+"/token" || !strings.HasSuffix(key.ClientEmail, ".iam.gserviceaccount.com") || key.ClientID == "" || key.PrivateKeyID == "" {
		t.Fatalf("key file: %+v", key)
	}
	tok := sb.token(key, "alice@example.com")
	r := sb.do("GET", "/calendar/v3/calendars/primary/events", tok, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
}

// TestTokenRefusals: each rule of the assertion and of the delegation
// refuses as Google does.
func TestTokenRefusals(t *testing.T) {
	sb := newSandbox(t, nil)
	key := sb.key("example.com", ScopeEvents)
	priv := privateKey(t, key)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": key.ClientEmail, "sub": "alice@example.com", "scope": ScopeEvents,
			"aud": key.TokenURI, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	tests := []struct {
		name      string
		grant     string
		assertion string
		status    int
		code      string
		desc      string
	}{
		{"valid", jwtBearerGrant, sign(t, priv, key.PrivateKeyID, claims(nil)), 200, "", ""},
		{"no kid", jwtBearerGrant, sign(t, priv, "", claims(nil)), 200, "", ""},
		{"wrong grant", "client_credentials", sign(t, priv, key.PrivateKeyID, claims(nil)), 400, "unsupported_grant_type", ""},
		{"other key", jwtBearerGrant, sign(t, other, "", claims(nil)), 400, "invalid_grant", msgBadSignature},
		{"wrong kid", jwtBearerGrant, sign(t, priv, "0123", claims(nil)), 400, "invalid_grant", msgBadSignature},
		{"unknown account", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { c["iss"] = "x@y.iam.gserviceaccount.com" })), 400, "invalid_grant", msgUnknownAccount},
		{"audience", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { c["aud"] = "https://oauth2.googleapis.com/token" })), 400, "invalid_grant", msgBadAudience},
		{"too long", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() })), 400, "invalid_grant", msgBadTimes},
		{"expired", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
		})), 400, "invalid_grant", msgBadTimes},
		{"from the future", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(time.Hour).Unix(), now.Add(90*time.Minute).Unix()
		})), 400, "invalid_grant", msgBadTimes},
		{"no iat", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { delete(c, "iat") })), 400, "invalid_grant", msgBadTimes},
		{"scope not delegated", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { c["scope"] = ScopeEvents + " " + ScopeCalendar })), 401, "unauthorized_client", msgUnauthorizedClient},
		{"no scope", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { delete(c, "scope") })), 400, "invalid_scope", msgInvalidScope},
		{"other domain", jwtBearerGrant, sign(t, priv, "", claims(func(c map[string]any) { c["sub"] = "bob@elsewhere.test" })), 400, "invalid_grant", msgUnknownUser},
		{"not signed", jwtBearerGrant, "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.", 400, "invalid_grant", msgBadSignature},
		{"garbage", jwtBearerGrant, "abc", 400, "invalid_grant", msgBadSignature},
		{"missing", jwtBearerGrant, "", 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"grant_type": {tt.grant}, "assertion": {tt.assertion}}
			var body map[string]any
			rr := postForm(t, sb.ts.URL+"/token", form)
			if rr.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", rr.Status, tt.status, rr.Body)
			}
			rr.json(t, &body)
			if tt.status == 200 {
				if body["token_type"] != "Bearer" || body["expires_in"] != float64(3599) || !strings.HasPrefix(body["access_token"].(string), "ya29.") {
					t.Errorf("token answer %s", rr.Body)
				}
				return
			}
			if body["error"] != tt.code || (tt.desc != "" && body["error_description"] != tt.desc) {
				t.Errorf("error %s, want %s %q", rr.Body, tt.code, tt.desc)
			}
		})
	}
}

func postForm(t *testing.T, u string, form url.Values) *response {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: []byte(b.String())}
}

// TestTokenRevokedDelegation: once the admin removes the grant, no new
// token; tokens expire after an hour.
func TestTokenRevokedDelegation(t *testing.T) {
	sb := newSandbox(t, nil)
	key := sb.key("example.com", ScopeCalendar)
	tok := sb.token(key, "alice@example.com")
	sb.control("DELETE", "/delegations", map[string]any{"domain": "example.com", "client_id": key.ClientID}, http.StatusNoContent)
	priv := privateKey(t, key)
	now := time.Now()
	a := sign(t, priv, key.PrivateKeyID, map[string]any{"iss": key.ClientEmail, "sub": "alice@example.com", "scope": ScopeCalendar,
		"aud": key.TokenURI, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	if r := postForm(t, key.TokenURI, url.Values{"grant_type": {jwtBearerGrant}, "assertion": {a}}); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "unauthorized_client") {
		t.Errorf("after revocation: %d %s", r.Status, r.Body)
	}
	if r := sb.do("GET", "/calendar/v3/calendars/primary/events", tok, nil); r.Status != http.StatusOK {
		t.Errorf("a token issued before still works until it expires: %d", r.Status)
	}
	sb.clock.Advance(time.Hour)
	r := sb.do("GET", "/calendar/v3/calendars/primary/events", tok, nil)
	if r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), `"authError"`) {
		t.Errorf("expired token: %d %s", r.Status, r.Body)
	}
}
