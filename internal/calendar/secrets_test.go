package calendar

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
)

// lockedBuffer is a bytes.Buffer for a logger shared by goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Issue 8: the availability answer showed a bystander another user's
// failing feed with its whole secret URL (Google's private-… address),
// which the WARN log line held too. Now the URL is redacted wherever it
// is shown or logged, and only the source's owner and the account's
// admins see which source failed.
func TestSecretFeedURLNeverShownNorLogged(t *testing.T) {
	f := newFixture(t, "sqlite")
	logs := &lockedBuffer{}
	key := make([]byte, 32)
	rand.Read(key)
	box, _ := seal.New(key)
	f.svc = New(f.db, box, Options{Now: func() time.Time { return f.now }, AllowPrivate: true,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ann := f.user("ann@acme.test", "UTC", store.RoleMember)
	bob := f.user("bob@acme.test", "UTC", store.RoleMember)
	admin := f.user("admin@acme.test", "UTC", store.RoleAdmin)
	// A feed server that is gone: the fetch fails with a *url.Error, whose
	// message is the whole URL.
	srv := httptest.NewServer(nil)
	srv.Close()
	const token, query = "6f1c2d3e4b5a69788796a5b4c3d2e1f0", "authkey=zz9secret"
	secretURL := srv.URL + "/calendar/ical/bob%40acme.test/private-" + token + "/basic.ics?" + query
	leaks := func(what, s string) {
		t.Helper()
		for _, secret := range []string{token, query, "zz9secret"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s holds the secret %q:\n%s", what, secret, s)
			}
		}
	}
	ctx := context.Background()
	v, err := f.svc.AddSource(ctx, principal(bob), bob.Email, SourceInput{Kind: "ics", URL: secretURL})
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != "failing" || v.URL != strings.TrimPrefix(srv.URL, "")+"/calendar/ical/bob%40acme.test/…/basic.ics" {
		t.Errorf("the owner's view: %+v", v)
	}
	views, _ := json.Marshal(mustCalendars(t, f, bob))
	leaks("the owner's list of calendars", string(views))
	if !strings.Contains(string(views), "connection refused") {
		t.Errorf("the owner does not learn why the source fails: %s", views)
	}
	from, to := mustTime("2030-03-04T00:00:00Z"), mustTime("2030-03-09T00:00:00Z")
	ask := func(who *store.User) (AvailabilityResult, string) {
		t.Helper()
		res, err := f.svc.Availability(ctx, principal(who), AvailabilityRequest{Attendees: []string{who.Email, bob.Email},
			Duration: 30 * time.Minute, From: from, To: to})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(res)
		return *res, string(b)
	}
	// Ann, a bystander: Bob is busy, and that is all she learns.
	res, body := ask(ann)
	leaks("the bystander's availability", body)
	for _, detail := range []string{"http", "127.0.0.1", "calendar_id", v.ID, "ics", "refused", "private"} {
		if strings.Contains(body, detail) {
			t.Errorf("the bystander's availability shows %q:\n%s", detail, body)
		}
	}
	if len(res.Problems) != 1 || res.Problems[0].Email != bob.Email || res.Problems[0].Problem != uncertain || len(res.Slots) != 0 {
		t.Errorf("the bystander's availability: %s", body)
	}
	// Bob and the admin see which source and why, redacted.
	for _, who := range []*store.User{bob, admin} {
		res, body := ask(who)
		leaks(who.Email+"'s availability", body)
		if len(res.Problems) != 1 || res.Problems[0].CalendarID != v.ID || !strings.Contains(res.Problems[0].Problem, "/…/basic.ics") {
			t.Errorf("%s's availability: %s", who.Email, body)
		}
	}
	// The worker's sync fails the same way, and says so at WARN.
	f.now = f.now.Add(time.Hour)
	if n := f.svc.SyncDue(ctx); n != 1 {
		t.Fatalf("the worker synced %d sources, want the failing one", n)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "basic.ics") {
		t.Errorf("no warning about the failing source:\n%s", logs)
	}
	leaks("the logs", logs.String())
}
