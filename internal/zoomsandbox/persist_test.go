package zoomsandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
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

	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/testenv"
)

func TestPersistence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	clock := clocktest.New(startTime)
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

// journaled opens a sandbox on file (without closing any earlier one on
// it: a process killed with SIGKILL closes nothing).
func journaled(t *testing.T, file string, clock *clocktest.Clock, seed byte) *sandbox {
	t.Helper()
	srv, err := New(Options{BaseURL: "http://sandbox.test", Domains: []string{"example.com"}, DataFile: file,
		Now: clock.Now, Rand: rand.NewChaCha8([32]byte{seed})})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &sandbox{t: t, srv: srv, ts: ts, clock: clock, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// flushed writes what is pending, as the timer would saveDelay after a
// change.
// journalState is the journal's size and the snapshot's generation, read
// under the lock a queued save takes to change them.
func journalState(sb *sandbox) (size, generation int64) {
	p := sb.srv.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.journalSize, p.generation
}

func flushed(t *testing.T, sb *sandbox) {
	t.Helper()
	if err := sb.srv.flush(); err != nil {
		t.Fatal(err)
	}
}

// TestJournalSurvivesAKill: every kind of change is in the journal once
// written, and a new process on the same file, the first never closed,
// sees them all; what the journal cannot read at its end (a line cut short
// by the kill) is left out, not an error.
func TestJournalSurvivesAKill(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	clock := clocktest.New(startTime)
	sb := journaled(t, file, clock, 1)
	tok := sb.s2sToken()
	kept := sb.create(tok, "keep@example.com", map[string]any{"topic": "Kept", "start_time": "2030-02-01T10:00:00Z"})
	changed := sb.create(tok, "keep@example.com", map[string]any{"topic": "Before", "start_time": "2030-02-02T10:00:00Z"})
	gone := sb.create(tok, "keep@example.com", map[string]any{"topic": "Deleted"})
	back := sb.create(tok, "keep@example.com", map[string]any{"topic": "Recovered"})
	series := sb.create(tok, "keep@example.com", map[string]any{"topic": "Series", "type": 8, "start_time": "2030-03-04T10:00:00Z",
		"recurrence": map[string]any{"type": 2, "repeat_interval": 1, "weekly_days": "2", "end_times": 3}})
	flushed(t, sb)
	if r := sb.do(http.MethodPatch, "/v2/meetings/"+formatInt(changed.ID), tok, map[string]any{"topic": "After"}); r.Status != 204 {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	for _, id := range []int64{gone.ID, back.ID} {
		if r := sb.do(http.MethodDelete, "/v2/meetings/"+formatInt(id), tok, nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
	}
	if r := sb.do(http.MethodPut, "/v2/meetings/"+formatInt(back.ID)+"/status", tok, map[string]any{"action": "recover"}); r.Status != 204 {
		t.Fatalf("recover: %d %s", r.Status, r.Body)
	}
	var occ struct {
		Occurrences []struct {
			ID string `json:"occurrence_id"`
		} `json:"occurrences"`
	}
	sb.do(http.MethodGet, "/v2/meetings/"+formatInt(series.ID), tok, nil).json(t, &occ)
	if r := sb.do(http.MethodDelete, "/v2/meetings/"+formatInt(series.ID)+"?occurrence_id="+occ.Occurrences[1].ID, tok, nil); r.Status != 204 {
		t.Fatalf("delete occurrence: %d %s", r.Status, r.Body)
	}
	_, user := sb.exchange(sb.authorize(nil))
	flushed(t, sb)
	want := map[int64]string{}
	for _, id := range []int64{kept.ID, changed.ID, back.ID, series.ID} {
		want[id] = string(sb.do(http.MethodGet, "/v2/meetings/"+formatInt(id), tok, nil).Body)
	}
	// A kill mid-append leaves a line cut short.
	f, err := os.OpenFile(file+".journal", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"meeting":{"id":`)
	f.Close()

	again := journaled(t, file, clock, 2)
	for id, body := range want {
		if got := string(again.do(http.MethodGet, "/v2/meetings/"+formatInt(id), tok, nil).Body); got != body {
			t.Errorf("meeting %d after the kill:\n%s\nwant\n%s", id, got, body)
		}
	}
	if r := again.do(http.MethodGet, "/v2/meetings/"+formatInt(gone.ID), tok, nil); r.Status != 404 {
		t.Errorf("deleted meeting after the kill: %d", r.Status)
	}
	if r := again.form("/oauth/token", DefaultClientID, DefaultClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {user.RefreshToken}}); r.Status != 200 {
		t.Errorf("refresh after the kill: %d %s", r.Status, r.Body)
	}
	if err := again.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file + ".journal"); !os.IsNotExist(err) {
		t.Errorf("Close left the journal: %v", err)
	}
}

// TestJournalCostFollowsTheChange: writing one change appends that change,
// whatever the number of meetings (the whole state rewritten for each
// change made the data file half of a booking's cost); the journal is
// folded into a new snapshot once it outgrows the last one, and a journal
// older than the snapshot (a kill between the two) is not replayed.
func TestJournalCostFollowsTheChange(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sandbox.json")
	clock := clocktest.New(startTime)
	sb := journaled(t, file, clock, 1)
	tok := sb.s2sToken()
	appended := func(f func()) int64 {
		t.Helper()
		flushed(t, sb)
		before, _ := journalState(sb)
		f()
		flushed(t, sb)
		after, _ := journalState(sb)
		return after - before
	}
	create := func(i int) meetingView {
		return sb.create(tok, fmt.Sprintf("host%d@example.com", i%50), map[string]any{"topic": fmt.Sprint("Meeting ", i), "start_time": "2030-02-01T10:00:00Z"})
	}
	first := appended(func() { create(0) })
	for i := 1; i < 400; i++ {
		create(i)
	}
	last := appended(func() { create(400) })
	if first == 0 || last > first*3/2 {
		t.Errorf("one create appended %d bytes with 1 meeting and %d with 400", first, last)
	}
	generation := func() int64 { _, g := journalState(sb); return g }
	gen := generation()
	for i := 401; generation() == gen && i < 5000; i++ {
		create(i)
		flushed(t, sb)
	}
	if generation() == gen {
		t.Fatal("the journal was never folded into a snapshot")
	}
	// A kill after a snapshot replaced the journal's, before the new
	// journal: the old journal comes back as it was.
	create(5999)
	flushed(t, sb)
	stale, err := os.ReadFile(file + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	victim := create(6000)
	flushed(t, sb)
	sb.srv.mu.Lock()
	victimRecord := must(json.Marshal(record{Meeting: sb.srv.st.Meetings[victim.ID]}))
	sb.srv.mu.Unlock()
	if r := sb.do(http.MethodDelete, "/v2/meetings/"+formatInt(victim.ID), tok, nil); r.Status != 204 {
		t.Fatal(r.Status)
	}
	// In the order flush takes them: a save the delete queued may be
	// running.
	sb.srv.persist.mu.Lock()
	sb.srv.mu.Lock()
	err = sb.srv.persist.snapshotLocked(sb.srv.st)
	sb.srv.mu.Unlock()
	sb.srv.persist.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	stale = append(stale, append(victimRecord, '\n')...)
	if err := os.WriteFile(file+".journal", stale, 0o600); err != nil {
		t.Fatal(err)
	}
	again := journaled(t, file, clock, 2)
	if r := again.do(http.MethodGet, "/v2/meetings/"+formatInt(victim.ID), tok, nil); r.Status != 404 {
		t.Errorf("a stale journal brought back a deleted meeting: %d", r.Status)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
