package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestGrantRefreshed: the time of the provider's last renewal is kept by
// a swap that only hands tokens back (refreshed zero), set by a renewal,
// read by every listing, and cleared by a new connection.
func TestGrantRefreshed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a1")
		seedUser(t, db, "a1", "u1", "ann@acme.test")
		g := &store.Grant{AccountID: "a1", App: "gmeet", UserID: "u1", Subject: "s1", Email: "ann@gmail.test", Scopes: "openid",
			State: store.GrantActive, AccessToken: "a", RefreshToken: "r", TokenExpires: t0.Add(time.Hour), Created: t0, Updated: t0}
		if err := db.SaveGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		refreshed := func() time.Time {
			t.Helper()
			got, err := db.Grant(ctx, "a1", "gmeet", "u1")
			if err != nil {
				t.Fatal(err)
			}
			page, err := db.GrantsOfAppPage(ctx, "a1", "gmeet", "", 10)
			if err != nil || len(page) != 1 || page[0].UserEmail != "ann@acme.test" || !page[0].Refreshed.Equal(got.Refreshed) ||
				page[0].TokenVersion != got.TokenVersion {
				t.Fatalf("page %+v %v; grant %+v", page, err, got)
			}
			g = got
			return got.Refreshed
		}
		if at := refreshed(); !at.IsZero() {
			t.Fatalf("refreshed at %v when connected", at)
		}
		at := t0.Add(58 * time.Minute)
		if ok, err := db.SwapGrantTokens(ctx, "a1", "gmeet", "u1", g.TokenVersion, "a2", "r", at.Add(time.Hour), at); err != nil || !ok {
			t.Fatalf("renewal: %v %v", ok, err)
		}
		if got := refreshed(); !got.Equal(at) {
			t.Fatalf("refreshed at %v, want %v", got, at)
		}
		if ok, err := db.SwapGrantTokens(ctx, "a1", "gmeet", "u1", g.TokenVersion, "a2", "r", at.Add(time.Hour), time.Time{}); err != nil || !ok {
			t.Fatalf("hand back: %v %v", ok, err)
		}
		if got := refreshed(); !got.Equal(at) {
			t.Fatalf("after a hand-back refreshed at %v, want %v", got, at)
		}
		g.Refreshed, g.AccessToken = time.Time{}, "a3"
		if err := db.SaveGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
		if got := refreshed(); !got.IsZero() {
			t.Fatalf("after a new connection refreshed at %v", got)
		}
	})
}
