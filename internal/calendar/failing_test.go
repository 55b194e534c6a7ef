package calendar

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// TestFailingSources: the sources of the admin's account that Convene
// cannot vouch for (failing first, then stale, then never synced), with
// their user and their URL redacted; healthy sources, the built-in
// calendar and another account's sources are left out; members may not
// ask.
func TestFailingSources(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	admin := f.user("ann@acme.test", "Europe/Paris", store.RoleAdmin)
	bob := f.user("bob@acme.test", "UTC", store.RoleMember)
	beta := f.user("bo@beta.test", "UTC", store.RoleAdmin)
	add := func(u *store.User, id, url, problem string, lastSync time.Time) {
		c := &store.Calendar{ID: id, AccountID: u.AccountID, UserID: u.ID, Kind: store.CalendarICS, Name: id, URL: url,
			Problem: problem, LastSync: lastSync, Created: f.now, Updated: f.now}
		if problem != "" {
			c.ProblemSince = f.now.Add(-time.Hour)
		}
		if err := f.db.CreateCalendar(ctx, c); err != nil {
			t.Fatal(err)
		}
		if problem != "" || !lastSync.IsZero() {
			if err := f.db.SaveCalendarSync(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(bob, "cal_failing", "https://calendar.example/private-0123456789abcdefXY/basic.ics?key=s3cret", "GET https://calendar.example/private-0123456789abcdefXY/basic.ics: 404", f.now.Add(-2*time.Hour))
	add(admin, "cal_ok", "https://ok.example/feed.ics", "", f.now.Add(-time.Minute))
	add(admin, "cal_new", "https://new.example/feed.ics", "", time.Time{})
	add(beta, "cal_beta", "https://beta.example/private-feed.ics", "broken", f.now)
	if _, err := f.svc.Builtin(ctx, admin.AccountID, admin.ID); err != nil {
		t.Fatal(err)
	}

	got, err := f.svc.FailingSources(ctx, principal(admin))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		ids = append(ids, s.ID+"/"+s.Status+"/"+s.UserEmail)
	}
	if strings.Join(ids, " ") != "cal_failing/failing/bob@acme.test cal_new/pending/ann@acme.test" {
		t.Fatalf("failing sources: %v", ids)
	}
	if s := got[0]; s.URL != "https://calendar.example/…/basic.ics" || strings.Contains(s.Problem, "0123456789abcdef") || s.ProblemSince == nil {
		t.Errorf("not redacted: %+v", s)
	}
	if _, err := f.svc.FailingSources(ctx, principal(bob)); failure.KindOf(err) != failure.Forbidden {
		t.Errorf("a member: %v", err)
	}
}
