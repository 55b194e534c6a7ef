package graphsandbox

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/testbin"
)

// TestMountedUnderPrefix mounts the tree as convene serve does, under
// /graph-sandbox with http.StripPrefix: every URL it hands out carries the
// prefix.
func TestMountedUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	defer ts.Close()
	srv, err := New(Options{BaseURL: ts.URL + "/graph-sandbox/"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	mux.Handle("/graph-sandbox/", http.StripPrefix("/graph-sandbox", srv))
	sb := &sandbox{t: t, ts: &httptest.Server{URL: ts.URL + "/graph-sandbox"}, srv: srv}
	sb.login()
	e := sb.must(201, "POST", ann+"/events", map[string]any{"subject": "x", "isOnlineMeeting": true,
		"start": map[string]string{"dateTime": "2026-12-07T09:00:00", "timeZone": "UTC"}, "end": map[string]string{"dateTime": "2026-12-07T10:00:00", "timeZone": "UTC"}})
	if j := e["onlineMeeting"].(map[string]any)["joinUrl"].(string); !strings.HasPrefix(j, ts.URL+"/graph-sandbox/l/meetup-join/") {
		t.Errorf("joinUrl %s", j)
	}
	v := sb.must(200, "GET", ann+"/calendarView/delta?"+win, nil)
	if dl := v["@odata.deltaLink"].(string); !strings.HasPrefix(dl, ts.URL+"/graph-sandbox/v1.0/") {
		t.Errorf("deltaLink %s", dl)
	}
	resp, err := http.Get(ts.URL + "/graph-sandbox/organizations/v2.0/adminconsent?" + url.Values{"client_id": {DefaultClientID}, "redirect_uri": {"http://127.0.0.1/cb"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	resp.Body.Close()
	if !strings.Contains(b.String(), `action="`+ts.URL+`/graph-sandbox/organizations/v2.0/adminconsent"`) {
		t.Errorf("consent form action:\n%s", b.String())
	}
}

// TestSubcommand starts `convene graph-sandbox`, takes a token and reads a
// user through it, and stops it with SIGINT.
func TestSubcommand(t *testing.T) {
	bin := testbin.Build(t)
	cmd := exec.Command(bin, "graph-sandbox", "--addr", "127.0.0.1:0", "--domains", "contoso.test", "--data", t.TempDir()+"/g.json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("exit: %v\n%s", err, logs.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("did not stop on SIGINT")
		}
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("start: %v\n%s", err, logs.String())
	}
	i := strings.Index(line, "http://")
	base := strings.Fields(line[i:])[0]
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {DefaultClientID},
		"client_secret": {DefaultClientSecret}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(base+"/contoso.test/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tr tokenResponse
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	req, _ := http.NewRequest("GET", base+"/v1.0/users/ann@contoso.test/mailboxSettings", nil)
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mailboxSettings through the subcommand: %d", resp.StatusCode)
	}
}
