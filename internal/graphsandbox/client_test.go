package graphsandbox

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// TestMicrosoftGraphClient runs Microsoft's JavaScript Graph client,
// @microsoft/microsoft-graph-client (testdata/msgraph, installed by
// scripts/test with npm ci), against the sandbox over TLS: a
// client-credentials token, users and mailboxSettings, a subscription with
// its validation handshake and change notifications, event create, update
// and delete, getSchedule over a recurring series, a tentative and an
// out-of-office, delta paging with its PageIterator to the deltaLink and a
// 410 after a reset, a $batch with dependsOn, its RetryHandler through a
// 429 and a 503 (one event results), and onlineMeetings createOrGet.
func TestMicrosoftGraphClient(t *testing.T) {
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "msgraph"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@microsoft", "microsoft-graph-client", "package.json")); err != nil {
		testenv.Missing(t, "npm packages in internal/graphsandbox/testdata/msgraph (npm ci)")
	}
	var h http.Handler
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer ts.Close()
	srv, err := New(Options{BaseURL: ts.URL, Controls: true, Domains: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h = srv
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SANDBOX_URL="+ts.URL, "TENANT="+DefaultTenantID, "CLIENT_ID="+DefaultClientID,
		"CLIENT_SECRET="+DefaultClientSecret, "NODE_EXTRA_CA_CERTS="+ca)
	out, err := cmd.CombinedOutput()
	t.Logf("node client.js:\n%s", out)
	if err != nil {
		t.Fatalf("client.js: %v", err)
	}
}
