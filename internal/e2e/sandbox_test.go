package e2e

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// sandboxGet sends an anonymous request to a Zoom sandbox URL, following
// no redirect, and returns the status, the Location and the body.
func sandboxGet(t *testing.T, method, rawURL, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// authorizeURL is the sandbox's consent page for redirectURI.
func authorizeURL(base, redirectURI string) string {
	return base + "/oauth/authorize?" + url.Values{"response_type": {"code"}, "client_id": {"sandbox-client"},
		"redirect_uri": {redirectURI}, "state": {"st"}}.Encode()
}

// TestServeSandboxOnAHost: a default `convene serve` mounts the Zoom
// sandbox without its test controls (an anonymous caller gets 404, never a
// token or a meeting), while the sandbox's OAuth and API keep working and
// its consent page redirects only to Convene's own callback. With
// CONVENE_ZOOM_SANDBOX_CONTROLS=on the controls are there and serve warns.
func TestServeSandboxOnAHost(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	p := testbin.Start(t, env, "serve")
	zoom := p.URL + "/zoom-sandbox"

	// The sandbox's public default app secret takes no token from the
	// embedded sandbox: serve replaced it with one derived from its data
	// key, so nobody but Convene is the sandbox's OAuth app.
	st, _, body := sandboxGet(t, "POST", zoom+"/oauth/token",
		"grant_type=account_credentials&account_id=sandbox-account&client_id=sandbox-client&client_secret=sandbox-secret")
	if st == 200 || strings.Contains(body, "access_token") {
		t.Fatalf("the public sandbox secret took a token from serve's sandbox: %d %s", st, body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/_sandbox/tokens", ""}, {"GET", "/_sandbox/meetings", ""}, {"GET", "/_sandbox/accounts", ""},
		{"POST", "/_sandbox/faults", `{"status":503,"times":100}`}, {"POST", "/_sandbox/tokens/expire", "{}"},
		{"POST", "/_sandbox/webhooks/deauthorize", "{}"},
	} {
		st, _, body := sandboxGet(t, c.method, zoom+c.path, c.body)
		if st != http.StatusNotFound || strings.Contains(body, "access_token") {
			t.Errorf("anonymous %s /zoom-sandbox%s: %d %s, want 404", c.method, c.path, st, body)
		}
	}
	// Nor does a webhook signed with the public default secret count: an
	// app_deauthorized would delete an install's tokens.
	body = `{"event":"app_deauthorized","payload":{"account_id":"sandbox-account","client_id":"sandbox-client"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("sandbox-webhook-secret"))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest("POST", p.URL+"/webhooks/zoom", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-zm-request-timestamp", ts)
	req.Header.Set("x-zm-signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a webhook signed with the public sandbox secret: %d, want 401", resp.StatusCode)
	}

	// The fault was not injected: the sandbox answers as before (its token
	// endpoint refuses the public secret with Zoom's 401, not a 503).
	if st, _, body := sandboxGet(t, "POST", zoom+"/oauth/token",
		"grant_type=account_credentials&account_id=sandbox-account&client_id=sandbox-client&client_secret=sandbox-secret"); st != http.StatusUnauthorized {
		t.Fatalf("after the refused fault: %d %s", st, body)
	}

	// Redirects only to BASE_URL/oauth/zoom/callback.
	if st, _, body := sandboxGet(t, "GET", authorizeURL(zoom, p.URL+"/oauth/zoom/callback"), ""); st != 200 || !strings.Contains(body, "decision") {
		t.Errorf("consent page for Convene's callback: %d %s", st, body)
	}
	for _, uri := range []string{"https://evil.example/oauth/zoom/callback", "http://127.0.0.1:1/oauth/zoom/callback", p.URL + "/elsewhere"} {
		st, loc, body := sandboxGet(t, "GET", authorizeURL(zoom, uri), "")
		if st != http.StatusBadRequest || loc != "" || !strings.Contains(body, "Invalid redirect") {
			t.Errorf("consent page for %s: %d %q %s", uri, st, loc, body)
		}
		form := url.Values{"response_type": {"code"}, "client_id": {"sandbox-client"}, "redirect_uri": {uri}, "state": {"st"}, "decision": {"approve"}}
		if st, loc, _ := sandboxGet(t, "POST", zoom+"/oauth/authorize", form.Encode()); st != http.StatusBadRequest || loc != "" {
			t.Errorf("approve for %s: %d %q", uri, st, loc)
		}
	}
	eventually(t, 10*time.Second, "the serving log line", func() bool { return strings.Contains(p.Stderr(), "msg=serving") })
	if strings.Contains(p.Stderr(), "CONVENE_ZOOM_SANDBOX_CONTROLS") {
		t.Errorf("a warning about the controls while they are off:\n%s", p.Stderr())
	}

	// On: the controls answer, and serve says so at WARN.
	on := testbin.Start(t, append(env[:len(env):len(env)], "CONVENE_DATA_DIR="+t.TempDir(), "CONVENE_ZOOM_SANDBOX_CONTROLS=on"), "serve")
	if st, _, body := sandboxGet(t, "GET", on.URL+"/zoom-sandbox/_sandbox/tokens", ""); st != 200 || !strings.Contains(body, `"tokens"`) {
		t.Errorf("controls on: %d %s", st, body)
	}
	eventually(t, 10*time.Second, "the warning", func() bool {
		for _, line := range strings.Split(on.Stderr(), "\n") {
			if strings.Contains(line, "level=WARN") && strings.Contains(line, "CONVENE_ZOOM_SANDBOX_CONTROLS=on") &&
				strings.Contains(line, "without authentication") {
				return true
			}
		}
		return false
	})
}

// TestRealZoomWithSandboxDefaults: with real Zoom URLs, each sandbox
// default credential and the sandbox's test controls stop `convene serve`
// at start: exit status 2, one line naming the setting, nothing served.
func TestRealZoomWithSandboxDefaults(t *testing.T) {
	realZoom := []string{"CONVENE_ZOOM_API_URL=https://api.zoom.us/v2", "CONVENE_ZOOM_OAUTH_URL=https://zoom.us",
		"CONVENE_ZOOM_CLIENT_ID=Ab3dEfGhIjKlMnOpQr", "CONVENE_ZOOM_CLIENT_SECRET=real-client-secret",
		"CONVENE_ZOOM_WEBHOOK_SECRET=real-webhook-secret"}
	for _, c := range []struct{ env, want string }{
		{"CONVENE_ZOOM_CLIENT_ID=sandbox-client", "CONVENE_ZOOM_CLIENT_ID"},
		{"CONVENE_ZOOM_CLIENT_SECRET=sandbox-secret", "CONVENE_ZOOM_CLIENT_SECRET"},
		{"CONVENE_ZOOM_WEBHOOK_SECRET=sandbox-webhook-secret", "CONVENE_ZOOM_WEBHOOK_SECRET"},
		{"CONVENE_ZOOM_SANDBOX_CONTROLS=on", "CONVENE_ZOOM_SANDBOX_CONTROLS"},
		{"CONVENE_ZOOM_OAUTH_URL=sandbox", "CONVENE_ZOOM_OAUTH_URL"},
	} {
		env := append([]string{"CONVENE_DATA_DIR=" + t.TempDir(), "CONVENE_HTTP_ADDR=127.0.0.1:0"}, realZoom...)
		env = append(env, c.env) // the later one wins
		code, out, errOut := runRefused(t, env, "serve")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(errOut, c.want) || out != "" {
			t.Errorf("%s with real Zoom: exit %d, stdout %q, stderr %q; want exit 2 and one line naming %s", c.env, code, out, errOut, c.want)
		}
		if strings.Contains(errOut, "real-client-secret") || strings.Contains(errOut, "real-webhook-secret") {
			t.Errorf("the error shows a secret: %q", errOut)
		}
	}
}

// TestStandaloneSandboxRedirectURIs: `convene zoom-sandbox` always has its
// test controls; its consent page redirects only to the --redirect-uri
// values, and with none only to loopback URIs.
func TestStandaloneSandboxRedirectURIs(t *testing.T) {
	loopback := testbin.Start(t, nil, "zoom-sandbox", "--addr", "127.0.0.1:0")
	if st, _, body := sandboxGet(t, "GET", loopback.URL+"/_sandbox/tokens", ""); st != 200 {
		t.Errorf("standalone controls: %d %s", st, body)
	}
	registered := testbin.Start(t, nil, "zoom-sandbox", "--addr", "127.0.0.1:0",
		"--redirect-uri", "https://convene.example/oauth/zoom/callback", "--redirect-uri", "http://127.0.0.1:8080/oauth/zoom/callback")
	for _, c := range []struct {
		base, uri string
		ok        bool
	}{
		{loopback.URL, "http://127.0.0.1:1/oauth/zoom/callback", true},
		{loopback.URL, "http://localhost:3000/cb", true},
		{loopback.URL, "http://[::1]:4000/cb", true},
		{loopback.URL, "https://convene.example/oauth/zoom/callback", false},
		{loopback.URL, "http://10.1.2.3/cb", false},
		{registered.URL, "https://convene.example/oauth/zoom/callback", true},
		{registered.URL, "http://127.0.0.1:8080/oauth/zoom/callback", true},
		{registered.URL, "http://127.0.0.1:1/oauth/zoom/callback", false}, // another port: another process's
		{registered.URL, "https://convene.example/other", false},
		{registered.URL, "http://localhost:3000/cb", false},
		{registered.URL, "https://evil.example/oauth/zoom/callback", false},
	} {
		form := url.Values{"response_type": {"code"}, "client_id": {"sandbox-client"}, "redirect_uri": {c.uri}, "state": {"st"}, "decision": {"approve"}}
		st, loc, body := sandboxGet(t, "POST", c.base+"/oauth/authorize", form.Encode())
		switch {
		case c.ok && (st != http.StatusFound || !strings.HasPrefix(loc, c.uri+"?") || !strings.Contains(loc, "code=")):
			t.Errorf("%s at %s: %d %q %s, want a redirect with a code", c.uri, c.base, st, loc, body)
		case !c.ok && (st != http.StatusBadRequest || loc != "" || !strings.Contains(body, "Invalid redirect")):
			t.Errorf("%s at %s: %d %q %s, want the error page", c.uri, c.base, st, loc, body)
		}
	}
	// A redirect URI that could never match is refused at start.
	if code, _, errOut := testbin.Run(t, nil, "", "zoom-sandbox", "--addr", "127.0.0.1:0", "--redirect-uri", "/relative"); code != 2 || !strings.Contains(errOut, "redirect URI") {
		t.Errorf("--redirect-uri /relative: exit %d, %q", code, errOut)
	}
}

// runRefused runs convene, which is expected to refuse to start, and kills
// it if it serves instead: a broken refusal fails the test in seconds
// rather than at the test binary's time-out.
func runRefused(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	bin := testbin.Build(t) // before the clock starts: a build may take longer than the bound
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONVENE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Errorf("convene %s did not refuse to start; stderr:\n%s", strings.Join(args, " "), errb.String())
		return -1, out.String(), errb.String()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}
