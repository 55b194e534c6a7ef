package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
	"github.com/convene/convene/internal/testenv"
)

// walkthroughMarker is the comment before the README's block that this
// test runs.
const walkthroughMarker = "<!-- walkthrough: run verbatim by internal/e2e/readme_test.go -->"

// readmeWalkthrough returns the shell block of the README's "A first
// meeting" section that follows the marker, byte for byte.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	sec := strings.Index(s, "\n## A first meeting")
	if sec < 0 {
		t.Fatal(`README.md has no "## A first meeting" section`)
	}
	s = s[sec:]
	if next := strings.Index(s[1:], "\n## "); next >= 0 {
		s = s[:next+1]
	}
	i := strings.Index(s, walkthroughMarker)
	if i < 0 {
		t.Fatalf("the README's first-meeting section has no %s", walkthroughMarker)
	}
	s = s[i+len(walkthroughMarker):]
	open := strings.Index(s, "```sh\n")
	if open < 0 || strings.TrimSpace(s[:open]) != "" {
		t.Fatal("the walkthrough marker is not right before a ```sh block")
	}
	s = s[open+len("```sh\n"):]
	end := strings.Index(s, "\n```")
	if end < 0 {
		t.Fatal("the walkthrough block does not end")
	}
	return s[:end+1]
}

// TestReadmeWalkthrough runs the README's curl walk-through verbatim with
// bash against a fresh `convene serve` (the real binary, a new data
// directory, default settings: the built-in Zoom sandbox), the way a
// newcomer pastes it, and checks that it ends with a booked meeting that
// has a sandbox Zoom meeting. Only B, the server's address, comes from the
// test (the block reads it from the environment, as its first line says).
func TestReadmeWalkthrough(t *testing.T) {
	bash := testenv.Command(t, "bash")
	testenv.Command(t, "curl")
	testenv.Command(t, "jq")
	block := readmeWalkthrough(t)
	for _, want := range []string{"$B/api/v1/setup", "/verify", "pre-approve", "decision=approve", "/api/v1/meetings"} {
		if !strings.Contains(block, want) {
			t.Fatalf("the walkthrough lost its step %q:\n%s", want, block)
		}
	}

	dataDir := t.TempDir()
	p := testbin.Start(t, []string{"CONVENE_DATA_DIR=" + dataDir, "CONVENE_HTTP_ADDR=127.0.0.1:0", "CONVENE_SMTP_ADDR="}, "serve")

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "-eu", "-o", "pipefail", "-c", block)
	cmd.Env = append(cleanEnv(), "B="+p.URL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walkthrough fails: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	t.Logf("the walkthrough ran in %v:\n%s", time.Since(start).Round(time.Millisecond), stdout.String())
	out := stdout.String()

	tok := regexp.MustCompile(`API token \(shown once, keep it\): (cvn_[a-z0-9]+)`).FindStringSubmatch(out)
	if tok == nil {
		t.Fatalf("no token in the output:\n%s", out)
	}
	if !strings.Contains(out, `"verified_by":"reserved-name (sandbox)"`) {
		t.Errorf("acme.example was not verified as a reserved name:\n%s", out)
	}
	// The last JSON value printed is the booked meeting.
	last := strings.LastIndex(out, "\n{")
	if last < 0 {
		t.Fatalf("no meeting printed:\n%s", out)
	}
	var printed struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Video  struct {
			Provider string `json:"provider"`
			ID       string `json:"id"`
			JoinURL  string `json:"join_url"`
		} `json:"video"`
	}
	if err := json.Unmarshal([]byte(out[last+1:]), &printed); err != nil {
		t.Fatalf("the last output is not the meeting: %v\n%s", err, out[last:])
	}
	c := client{t: t, base: p.URL}
	var m map[string]any
	eventually(t, 30*time.Second, "the meeting is booked", func() bool {
		m = c.must("GET", "/api/v1/meetings/"+printed.ID, tok[1], nil, 200)
		return m["status"] == "booked"
	})
	video, _ := m["video"].(map[string]any)
	if video == nil || video["provider"] != "zoom" || video["id"] == "" ||
		!strings.HasPrefix(video["join_url"].(string), p.URL+"/zoom-sandbox/j/") || video["start_url"] == "" {
		t.Fatalf("the meeting's video: %v", m)
	}
	if printed.Status == "booked" && printed.Video.ID != video["id"] {
		t.Errorf("printed Zoom meeting %s, stored %v", printed.Video.ID, video["id"])
	}
	// The guest's invitation is in the outbox.
	eventually(t, 30*time.Second, "Bob's invitation is in the outbox", func() bool {
		box := c.must("GET", "/api/v1/outbox", tok[1], nil, 200)
		for _, mm := range box["mail"].([]any) {
			if to := mm.(map[string]any)["to"].([]any); len(to) == 1 && to[0] == "bob@partner.example" {
				return true
			}
		}
		return false
	})
}

// cleanEnv is the test's environment without CONVENE_ settings or B.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CONVENE_") && !strings.HasPrefix(kv, "B=") {
			env = append(env, kv)
		}
	}
	return env
}

// TestReservedNamesNeedDNSWithRealZoom: with real Zoom configured (here the
// Zoom URLs point at a server that is not the built-in sandbox), a name
// reserved for testing gets no free pass: it needs its TXT record like any
// other, and says it was verified by DNS.
func TestReservedNamesNeedDNSWithRealZoom(t *testing.T) {
	dns := dnstest.Start(t)
	realZoom := append([]string{"CONVENE_DATA_DIR=" + t.TempDir(), "CONVENE_HTTP_ADDR=127.0.0.1:0", "CONVENE_SMTP_ADDR=",
		"CONVENE_DNS_RESOLVER=" + dns.Addr,
		"CONVENE_ZOOM_API_URL=http://127.0.0.1:9/v2", "CONVENE_ZOOM_OAUTH_URL=http://127.0.0.1:9"}, zoomApp.env...)
	p := testbin.Start(t, realZoom, "serve")
	c := client{t: t, base: p.URL}
	tok := c.must("POST", "/api/v1/setup", "", map[string]any{"account": "Acme", "admin_email": "ann@acme.example", "admin_name": "Ann"}, 201)["token"].(string)
	d := c.must("POST", "/api/v1/domains", tok, map[string]any{"domain": "acme.example"}, 201)
	c.must("POST", "/api/v1/domains/acme.example/verify", tok, nil, 422)
	dns.SetTXT(d["txt_name"].(string), d["txt_value"].(string))
	if v := c.must("POST", "/api/v1/domains/acme.example/verify", tok, nil, 200); v["verified_by"] != "dns" {
		t.Errorf("verified by %v, want dns", v["verified_by"])
	}
}
