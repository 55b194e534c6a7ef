package googlesandbox

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/convene/convene/internal/testenv"
)

// TestNodeClient runs Google's Node client, @googleapis/calendar
// (testdata/node, installed by scripts/test with npm ci), against an
// httptest sandbox whose every exchange is validated against the
// discovery document: insert with a Meet conference, 409, paging, sync
// and 410, instances, freeBusy, watch and stop, faults (403 not retried,
// 503 retried by the client), and the mails Google would send.
func TestNodeClient(t *testing.T) {
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@googleapis", "calendar", "package.json")); err != nil {
		testenv.Missing(t, "npm packages in internal/googlesandbox/testdata/node (npm ci)")
	}
	sb := newSandbox(t, nil)
	sb.control("POST", "/users", map[string]any{"email": "alice@example.com", "time_zone": "Europe/Paris"}, http.StatusCreated)
	tok := sb.token(sb.key("example.com"), "alice@example.com")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "calendar.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SANDBOX_URL="+sb.ts.URL, "ACCESS_TOKEN="+tok, "USER_EMAIL=alice@example.com")
	out, err := cmd.CombinedOutput()
	t.Logf("node calendar.js:\n%s", out)
	if err != nil {
		t.Fatalf("calendar.js: %v", err)
	}
}

// TestNodeOAuthClient runs google-auth-library's OAuth2Client (shipped with
// @googleapis/calendar, testdata/node/oauth.js) through the personal
// accounts' flow: generateAuthUrl with PKCE and offline access, the
// consent form posted over plain HTTP, getToken, verifyIdToken, the
// Calendar API, refresh, revokeToken, then refresh refused.
func TestNodeOAuthClient(t *testing.T) {
	node := testenv.Command(t, "node")
	dir, err := filepath.Abs(filepath.Join("testdata", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "google-auth-library", "package.json")); err != nil {
		testenv.Missing(t, "npm packages in internal/googlesandbox/testdata/node (npm ci)")
	}
	sb := newSandbox(t, nil)
	sb.oauthSetup()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "oauth.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SANDBOX_URL="+sb.ts.URL, "CLIENT_ID="+testClientID, "CLIENT_SECRET="+testClientSecret,
		"REDIRECT_URI="+sb.testRedirect(), "USER_EMAIL=ann@gmail.com")
	out, err := cmd.CombinedOutput()
	t.Logf("node oauth.js:\n%s", out)
	if err != nil {
		t.Fatalf("oauth.js: %v", err)
	}
	var grants struct{ Grants []grantOut }
	sb.control("GET", "/grants", nil, http.StatusOK).json(t, &grants)
	if len(grants.Grants) != 1 || !grants.Grants[0].Revoked {
		t.Errorf("grants after oauth.js: %+v", grants.Grants)
	}
}
