package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
)

const operatorToken = "e2e-operator-token-0123456789"

func serveEnv(t *testing.T, engine string, dns *dnstest.Server) (dataDir string, env []string) {
	dataDir = t.TempDir()
	env = []string{
		"CONVENE_DATA_DIR=" + dataDir,
		"CONVENE_HTTP_ADDR=127.0.0.1:0",
		"CONVENE_SMTP_ADDR=",
		"CONVENE_DNS_RESOLVER=" + dns.Addr,
		"CONVENE_OPERATOR_TOKEN=" + operatorToken,
		"CONVENE_LOG_LEVEL=debug",
	}
	if engine == "postgres" {
		env = append(env, "CONVENE_DATABASE_URL="+storetest.URL(t, engine))
	}
	return dataDir, env
}

func TestCommands(t *testing.T) {
	code, out, _ := testbin.Run(t, nil, "", "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") || !strings.Contains(out, "version") {
		t.Errorf("--help: %d %q", code, out)
	}
	for _, sub := range []string{"serve", "migrate", "version"} {
		code, _, errOut := testbin.Run(t, nil, "", sub, "--help")
		if code != 0 || !strings.Contains(errOut, "Usage") {
			t.Errorf("%s --help: %d %q", sub, code, errOut)
		}
	}
	if code, out, _ := testbin.Run(t, nil, "", "version"); code != 0 || !strings.HasPrefix(out, "convene ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errOut := testbin.Run(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	bad := []struct {
		env  string
		want string
	}{
		{"CONVENE_HTTP_ADDR=nonsense", "CONVENE_HTTP_ADDR"},
		{"CONVENE_DATABASE_URL=mysql://db/x", "unknown database scheme"},
		{"CONVENE_DATA_DIR=" + filepath.Join(blocker, "data"), "CONVENE_DATA_DIR"},
		{"CONVENE_ZOOM_API_URL=https://api.zoom.us/v2", "CONVENE_ZOOM_OAUTH_URL"},
	}
	for _, b := range bad {
		env := []string{"CONVENE_DATA_DIR=" + t.TempDir(), b.env} // the later one wins
		code, out, errOut := testbin.Run(t, env, "", "serve")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(errOut, b.want) || out != "" {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line naming %s", b.env, code, errOut, b.want)
		}
	}
}

func TestMigrateCommand(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			env := []string{"CONVENE_DATA_DIR=" + t.TempDir()}
			if engine == "postgres" {
				env = append(env, "CONVENE_DATABASE_URL="+storetest.URL(t, engine))
			}
			code, out, errOut := testbin.Run(t, env, "", "migrate")
			if code != 0 || !strings.Contains(out, "applied") || strings.HasPrefix(out, "convene: 0 ") {
				t.Fatalf("first migrate: %d %q %q", code, out, errOut)
			}
			code, out, _ = testbin.Run(t, env, "", "migrate")
			if code != 0 || !strings.HasPrefix(out, "convene: 0 migration(s) applied") {
				t.Fatalf("second migrate: %d %q", code, out)
			}
		})
	}
}

// TestServeFoundation drives the foundation through the real binary: setup,
// managed domains verified through a real DNS server, users, roles, tokens,
// account isolation, health, metrics, OpenAPI and a graceful shutdown that
// lets an in-flight request finish.
func TestServeFoundation(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dataDir, env := serveEnv(t, engine, dns)
			p := testbin.Start(t, env, "serve")
			t.Logf("%s: ready after %v", engine, p.Started)
			c := client{t: t, base: p.URL}

			if status, body := c.get("/healthz"); status != 200 || !strings.Contains(string(body), `"ok"`) {
				t.Fatalf("healthz: %d %s", status, body)
			}
			// acme.internal, not a name reserved for testing: those are
			// verified without DNS on the built-in sandbox, and this test
			// is about DNS.
			a := c.must("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.internal", "admin_name": "Ann", "timezone": "Europe/Paris"}, 201)
			ann := a["token"].(string)
			c.must("POST", "/api/v1/setup", "", map[string]any{"account": "Evil", "admin_email": "eve@evil.test", "admin_name": "Eve"}, 403)
			b := c.must("POST", "/api/v1/setup", operatorToken, map[string]any{"account": "Beta", "admin_email": "bo@beta.test", "admin_name": "Bo"}, 201)
			bo := b["token"].(string)

			d := c.must("POST", "/api/v1/domains", ann, map[string]any{"domain": "acme.internal"}, 201)
			c.must("POST", "/api/v1/domains/acme.internal/verify", ann, nil, 422)
			dns.SetTXT(d["txt_name"].(string), d["txt_value"].(string))
			c.must("POST", "/api/v1/domains/acme.internal/verify", ann, nil, 200)
			list := c.must("GET", "/api/v1/domains", ann, nil, 200)
			if ds := list["domains"].([]any); len(ds) != 1 || ds[0].(map[string]any)["verified"] != true {
				t.Errorf("domains: %v", list)
			}
			// Beta cannot take acme.internal, nor create users in it.
			c.must("POST", "/api/v1/domains", bo, map[string]any{"domain": "acme.internal"}, 201)
			c.must("POST", "/api/v1/domains/acme.internal/verify", bo, nil, 422)
			c.must("POST", "/api/v1/users", bo, map[string]any{"email": "spy@acme.internal", "name": "Spy"}, 422)

			u := c.must("POST", "/api/v1/users", ann, map[string]any{"email": "carl@acme.internal", "name": "Carl", "timezone": "America/New_York", "role": "member"}, 201)
			carl := u["token"].(string)
			c.must("POST", "/api/v1/users", carl, map[string]any{"email": "dan@acme.internal", "name": "Dan"}, 403)
			me := c.must("PATCH", "/api/v1/users/me", carl, map[string]any{"working_hours": map[string]any{"mon": [][]string{{"10:00", "16:00"}}}, "default_duration": 25}, 200)
			if me["default_duration"] != float64(25) {
				t.Errorf("patch me: %v", me)
			}
			// Isolation: Beta sees nothing of Acme.
			if got := c.must("GET", "/api/v1/users", bo, nil, 200); len(got["users"].([]any)) != 1 {
				t.Errorf("Beta sees users %v", got)
			}
			c.must("DELETE", "/api/v1/domains/acme.internal", bo, nil, 204) // Beta's own pending claim
			if got := c.must("GET", "/api/v1/domains", ann, nil, 200); len(got["domains"].([]any)) != 1 {
				t.Errorf("Acme's domain gone after Beta removed its claim: %v", got)
			}

			// Metrics and OpenAPI.
			if status, body := c.get("/metrics"); status != 200 || !strings.Contains(string(body), `convene_http_requests_total{method="POST",route="POST /api/v1/setup",status="201"} 2`) {
				t.Errorf("metrics: %d\n%s", status, body)
			}
			if status, body := c.get("/api/v1/openapi.json"); status != 200 || !strings.Contains(string(body), `"/api/v1/domains/{domain}/verify"`) {
				t.Errorf("openapi: %d", status)
			}
			if engine == "sqlite" {
				if _, err := os.Stat(filepath.Join(dataDir, "convene.db")); err != nil {
					t.Errorf("no database in the data dir: %v", err)
				}
			}
			if rss, err := p.RSS(); err == nil {
				t.Logf("%s: RSS after the scenario %.1f MB", engine, float64(rss)/1e6)
			}

			// Graceful shutdown: a request whose body is still arriving
			// when SIGTERM comes completes; then the process exits 0. With
			// Expect: 100-continue the server says when its handler reads
			// the body: the request is then surely in flight.
			pr, pw := io.Pipe()
			reading := make(chan struct{})
			var once sync.Once
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				Got100Continue: func() { once.Do(func() { close(reading) }) },
			})
			req, _ := http.NewRequestWithContext(ctx, "POST", p.URL+"/api/v1/tokens", pr)
			req.Header.Set("Authorization", "Bearer "+carl)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Expect", "100-continue")
			hc := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}
			type result struct {
				status int
				err    error
			}
			res := make(chan result, 1)
			go func() {
				resp, err := hc.Do(req)
				if err != nil {
					res <- result{err: err}
					return
				}
				resp.Body.Close()
				res <- result{status: resp.StatusCode}
			}()
			select {
			case <-reading:
			case r := <-res:
				t.Fatalf("answered before its body was read: %d %v", r.status, r.err)
			case <-time.After(10 * time.Second):
				t.Fatal("the server never read the request's body")
			}
			fmt.Fprint(pw, `{"name":`)
			if err := p.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, "shutdown begun", func() bool { return strings.Contains(p.Stderr(), "shutting down") })
			fmt.Fprint(pw, `"late"}`)
			pw.Close()
			r := <-res
			if r.err != nil || r.status != 201 {
				t.Errorf("in-flight request during shutdown: %d %v", r.status, r.err)
			}
			wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			code, err := p.Wait(wctx)
			if err != nil || code != 0 {
				t.Errorf("exit after SIGTERM: %d %v\n%s", code, err, p.Stderr())
			}
			if !strings.Contains(p.Stderr(), "shutting down") {
				t.Errorf("no shutdown log line:\n%s", p.Stderr())
			}
			// Nothing secret in the logs.
			for _, secret := range []string{ann, bo, carl, operatorToken} {
				if strings.Contains(p.Stderr()+p.Stdout(), secret) {
					t.Errorf("a token is in the logs")
				}
			}
		})
	}
}
