package zoomsandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

func TestPersistence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	clock := &testClock{t: startTime}
	open := func(seed byte) (*Server, *httptest.Server) {
		srv, err := New(Options{BaseURL: "http://sandbox.test", Domains: []string{"example.com"}, DataFile: file,
			Now: clock.Now, Rand: rand.NewChaCha8([32]byte{seed})})
		if err != nil {
			t.Fatal(err)
		}
		return srv, httptest.NewServer(srv)
	}
	srv, ts := open(1)
	sb := &sandbox{t: t, srv: srv, ts: ts, clock: clock, client: &http.Client{
		Transport:     conformanceTransport(t, http.DefaultTransport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	tok := sb.s2sToken()
	code, verifier := sb.authorize(nil)
	_, user := sb.exchange(code, verifier)
	v := sb.create(tok, "keep@example.com", map[string]any{"topic": "Kept", "start_time": "2030-02-01T10:00:00Z"})
	gone := sb.create(tok, "keep@example.com", map[string]any{"topic": "Deleted"})
	sb.do(http.MethodDelete, "/v2/meetings/"+formatInt(gone.ID), tok, nil)
	ts.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(file))
	if len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	var raw map[string]json.RawMessage
	if b, err := os.ReadFile(file); err != nil || json.Unmarshal(b, &raw) != nil {
		t.Fatalf("data file: %v", err)
	}

	// A new process (another random source) sees the same state.
	srv, ts = open(2)
	defer func() { ts.Close(); srv.Close() }()
	sb.srv, sb.ts = srv, ts
	var got meetingView
	if r := sb.do(http.MethodGet, "/v2/meetings/"+formatInt(v.ID), tok, nil); r.Status != 200 {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	} else {
		r.json(t, &got)
	}
	a, _ := json.Marshal(v)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Errorf("meeting changed across restart:\n%s\n%s", a, b)
	}
	if r := sb.do(http.MethodGet, "/v2/meetings/"+formatInt(gone.ID), tok, nil); r.Status != 404 {
		t.Errorf("deleted meeting after restart: %d", r.Status)
	}
	// The refresh token still rotates.
	r := sb.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {user.RefreshToken}})
	if r.Status != 200 {
		t.Fatalf("refresh after restart: %d %s", r.Status, r.Body)
	}
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// conveneBinary builds cmd/convene once per test binary.
func conveneBinary(t *testing.T) string {
	t.Helper()
	gobin := testenv.Command(t, "go")
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zoomsandbox-test-")
		if err != nil {
			buildErr = err
			return
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dir) })
		builtBin = filepath.Join(dir, "convene")
		cmd := exec.Command(gobin, "build", "-o", builtBin, "./cmd/convene")
		cmd.Dir = testenv.RepoRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/convene: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

// cleanups run after all tests (TestMain).
var cleanups []func()

// runSandbox starts `convene zoom-sandbox` with args and returns its base
// URL and a stop function that sends SIGTERM and waits.
func runSandbox(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.CommandContext(context.Background(), conveneBinary(t), append([]string{"zoom-sandbox", "--addr", addr}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("sandbox start: %v\n%s", err, logs.String())
	}
	t.Logf("sandbox: %s", strings.TrimSpace(line))
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscallSIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox exit: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("sandbox did not stop on SIGTERM\n%s", logs.String())
		}
	}
	t.Cleanup(stop)
	return "http://" + addr, stop
}

// TestBinaryPersistsAcrossRestart runs the real command twice on one --data
// file, stopping it with SIGTERM in between.
func TestBinaryPersistsAcrossRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "state.json")
	base, stop := runSandbox(t, "--data", file, "--domains", "example.com")
	sb := &sandbox{t: t, ts: &httptest.Server{URL: base}, client: &http.Client{Transport: conformanceTransport(t, http.DefaultTransport)}}
	tok := sb.s2sToken()
	v := sb.create(tok, "me", map[string]any{"topic": "Survives", "start_time": "2031-05-06T07:08:09Z"})
	stop()

	base, _ = runSandbox(t, "--data", file, "--domains", "example.com")
	sb.ts = &httptest.Server{URL: base}
	var got meetingView
	r := sb.do(http.MethodGet, "/v2/meetings/"+formatInt(v.ID), tok, nil)
	if r.Status != 200 {
		t.Fatalf("after restart: %d %s", r.Status, r.Body)
	}
	r.json(t, &got)
	if got.Topic != "Survives" || got.StartTime != "2031-05-06T07:08:09Z" || got.UUID != v.UUID {
		t.Fatalf("after restart: %+v", got)
	}
	// The join URL follows the new --addr (it is built from the base URL).
	if !strings.HasPrefix(got.JoinURL, base+"/j/") {
		t.Errorf("join_url %s not under %s", got.JoinURL, base)
	}
}
