package googlesandbox

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// TestDataFileAndKeyFile: the state survives a restart (events, sync
// tokens, service accounts); the minted key file is written once, 0600,
// and a sandbox that lost its data still accepts it.
func TestDataFileAndKeyFile(t *testing.T) {
	dir := t.TempDir()
	data, keyFile := filepath.Join(dir, "google-sandbox.json"), filepath.Join(dir, "google-sandbox-key.json")
	opts := func(o *Options) { o.DataFile, o.KeyFile = data, keyFile }
	sb := newSandbox(t, opts)
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode())
	}
	var key ServiceAccountKey
	(&response{Body: b}).json(t, &key)
	svc := sb.service(key, "alice@example.com")
	ev := sb.addEvent("alice@example.com", map[string]any{"summary": "kept", "start": map[string]any{"dateTime": at(0, 9, 0)}, "end": map[string]any{"dateTime": at(0, 10, 0)}})
	list, err := svc.Events.List("primary").Do()
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.srv.Close(); err != nil {
		t.Fatal(err)
	}

	sb2 := newSandbox(t, opts)
	key.TokenURI = sb2.srv.TokenURL() // a new listener
	svc2 := sb2.service(key, "alice@example.com")
	changes, err := svc2.Events.List("primary").SyncToken(list.NextSyncToken).Do()
	if err != nil || len(changes.Items) != 0 {
		t.Fatalf("sync after restart: %v %v", changes, err)
	}
	if got, err := svc2.Events.Get("primary", ev["id"].(string)).Do(); err != nil || got.Summary != "kept" {
		t.Errorf("event after restart: %v %v", got, err)
	}
	if b2, _ := os.ReadFile(keyFile); string(b2) != string(b) {
		t.Error("the key file was rewritten")
	}

	// Without the data file, the key file alone is enough to get tokens.
	os.Remove(data)
	sb3 := newSandbox(t, opts)
	key.TokenURI = sb3.srv.TokenURL()
	if tok := sb3.token(key, "bob@example.com"); tok == "" {
		t.Error("no token")
	}
	sb3.control("GET", "/domains", nil, http.StatusOK)
}
