package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func seedAccount(t *testing.T, db store.Store, id string) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateAccount(ctx, &store.Account{ID: id, Name: "Acme " + id, Language: "en", Created: t0}); err != nil {
		t.Fatal(err)
	}
}

func seedUser(t *testing.T, db store.Store, account, id, email string) *store.User {
	t.Helper()
	u := &store.User{ID: id, AccountID: account, Email: email, Name: "N " + id, Role: store.RoleMember,
		TimeZone: "Europe/Paris", WorkingHours: []byte(`{"mon":[["09:00","17:00"]]}`), DefaultDuration: 30, Created: t0}
	if err := db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestMigrationsIdempotent(t *testing.T) {
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, e)
			db, err := store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			n, err := db.MigrateReport(ctx)
			if err != nil || n != 0 {
				t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
			}
			st, err := db.Migrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range st {
				if !m.Applied {
					t.Errorf("migration %s not applied", m.Name)
				}
			}
			db.Close()
			// Reopening applies nothing and keeps the data.
			db, err = store.Open(ctx, url, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if db.Engine() != e {
				t.Errorf("Engine() = %q, want %q", db.Engine(), e)
			}
		})
	}
}

func TestConcurrentMigrate(t *testing.T) {
	// Several nodes starting at once on one database: each migration
	// applies exactly once.
	for _, e := range storetest.Engines {
		t.Run(e, func(t *testing.T) {
			url := storetest.URL(t, e)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					db, err := store.Open(context.Background(), url, store.Options{})
					if err != nil {
						errs <- err
						return
					}
					db.Close()
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func TestSetupOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if first, err := db.ClaimSetup(ctx, t0); err != nil || !first {
			t.Fatalf("first ClaimSetup: %v, %v", first, err)
		}
		if first, err := db.ClaimSetup(ctx, t0); err != nil || first {
			t.Fatalf("second ClaimSetup: %v, %v; want false, nil", first, err)
		}
	})
}

func TestAccountRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a1")
		a, err := db.Account(ctx, "a1")
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "Acme a1" || !a.Created.Equal(t0) || string(a.Branding) != "{}" {
			t.Fatalf("got %+v", a)
		}
		a.DefaultVideoProvider = "zoom"
		a.Branding = []byte(`{"name":"Acme"}`)
		if err := db.UpdateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		b, _ := db.Account(ctx, "a1")
		if b.DefaultVideoProvider != "zoom" || string(b.Branding) != `{"name":"Acme"}` {
			t.Fatalf("after update %+v", b)
		}
		if _, err := db.Account(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing account: %v", err)
		}
		if err := db.UpdateAccount(ctx, &store.Account{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing account: %v", err)
		}
	})
}

func TestUsersScopedByAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedAccount(t, db, "b")
		ua := seedUser(t, db, "a", "ua", "Ann@Example.com")
		seedUser(t, db, "b", "ub", "bob@other.org")
		if ua.Email != "ann@example.com" {
			t.Errorf("email not lower-cased: %q", ua.Email)
		}
		if _, err := db.User(ctx, "b", "ua"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account b read user of a: %v", err)
		}
		if _, err := db.UserByEmail(ctx, "b", "ann@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account b found a's user by e-mail: %v", err)
		}
		evil := *ua
		evil.AccountID = "b"
		evil.Name = "pwned"
		if err := db.UpdateUser(ctx, &evil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account b updated a's user: %v", err)
		}
		got, err := db.User(ctx, "a", "ua")
		if err != nil || got.Name != "N ua" {
			t.Fatalf("user after foreign update: %+v %v", got, err)
		}
		found, err := db.FindUserByEmail(ctx, "ANN@example.com")
		if err != nil || found.ID != "ua" {
			t.Fatalf("FindUserByEmail: %+v %v", found, err)
		}
		list, err := db.Users(ctx, "a")
		if err != nil || len(list) != 1 || list[0].ID != "ua" {
			t.Fatalf("Users(a) = %+v %v", list, err)
		}
		// One address, one user, across accounts.
		dup := &store.User{ID: "x", AccountID: "b", Email: "ann@example.com", Name: "x", Role: store.RoleMember,
			TimeZone: "UTC", WorkingHours: []byte(`{}`), Created: t0}
		if err := db.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate e-mail: %v, want ErrConflict", err)
		}
		n, err := db.CountUsersInDomain(ctx, "a", "example.com")
		if err != nil || n != 1 {
			t.Errorf("CountUsersInDomain = %d, %v", n, err)
		}
		if n, _ := db.CountUsersInDomain(ctx, "b", "example.com"); n != 0 {
			t.Errorf("CountUsersInDomain(b) = %d", n)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedAccount(t, db, "b")
		seedUser(t, db, "a", "ua", "ann@example.com")
		tok := &store.Token{ID: "t1", AccountID: "a", UserID: "ua", Hash: "abc", Name: "cli", Created: t0}
		if err := db.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		got, err := db.TokenByHash(ctx, "abc")
		if err != nil || got.UserID != "ua" || !got.LastUsed.IsZero() {
			t.Fatalf("TokenByHash: %+v %v", got, err)
		}
		gt, gu, err := db.TokenUserByHash(ctx, "abc")
		if err != nil || gt.ID != "t1" || gt.UserID != "ua" || gu == nil || gu.ID != "ua" || gu.Email != "ann@example.com" || gu.AccountID != "a" {
			t.Fatalf("TokenUserByHash: %+v %+v %v", gt, gu, err)
		}
		if gt, gu, err := db.TokenUserByHash(ctx, "abd"); !errors.Is(err, store.ErrNotFound) || gt != nil || gu != nil {
			t.Fatalf("TokenUserByHash of an unknown hash: %+v %+v %v", gt, gu, err)
		}
		if err := db.TouchToken(ctx, "t1", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ = db.TokenByHash(ctx, "abc")
		if !got.LastUsed.Equal(t0.Add(time.Hour)) {
			t.Errorf("LastUsed = %v", got.LastUsed)
		}
		if err := db.DeleteToken(ctx, "b", "ua", "t1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("account b deleted a's token: %v", err)
		}
		if err := db.DeleteToken(ctx, "a", "ua", "t1"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenByHash(ctx, "abc"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted token still found: %v", err)
		}
	})
}

func TestDomainVerifiedByOneAccountOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedAccount(t, db, "b")
		for _, acc := range []string{"a", "b"} {
			if err := db.CreateDomain(ctx, &store.Domain{AccountID: acc, Name: "example.com", TXTValue: "v-" + acc, Created: t0}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.CreateDomain(ctx, &store.Domain{AccountID: "a", Name: "example.com", TXTValue: "again", Created: t0}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same domain twice in one account: %v", err)
		}
		if err := db.MarkDomainVerified(ctx, "a", "example.com", t0, store.VerifiedByDNS); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkDomainVerified(ctx, "b", "example.com", t0, store.VerifiedByDNS); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second account verified a taken domain: %v", err)
		}
		d, err := db.Domain(ctx, "a", "example.com")
		if err != nil || !d.Verified || !d.VerifiedAt.Equal(t0) {
			t.Fatalf("domain a: %+v %v", d, err)
		}
		d, _ = db.Domain(ctx, "b", "example.com")
		if d.Verified {
			t.Error("domain of b marked verified")
		}
		list, _ := db.Domains(ctx, "a")
		if len(list) != 1 || list[0].TXTValue != "v-a" {
			t.Errorf("Domains(a) = %+v", list)
		}
		if err := db.DeleteDomain(ctx, "b", "nope.com", t0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete missing: %v", err)
		}
		// After a releases it, b may verify it.
		if err := db.DeleteDomain(ctx, "a", "example.com", t0); err != nil {
			t.Fatal(err)
		}
		if err := db.MarkDomainVerified(ctx, "b", "example.com", t0, store.VerifiedByDNS); err != nil {
			t.Errorf("b verify after release: %v", err)
		}
	})
}

func TestTxRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Tx(ctx, func(tx store.Store) error {
			if err := tx.CreateAccount(ctx, &store.Account{ID: "r", Name: "r", Language: "en", Created: t0}); err != nil {
				return err
			}
			if _, err := tx.Account(ctx, "r"); err != nil {
				return fmt.Errorf("read own write: %w", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Tx: %v", err)
		}
		if _, err := db.Account(ctx, "r"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rolled back account visible: %v", err)
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	// Many goroutines writing at once: none fails with "database is
	// locked", none is lost.
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.Tx(ctx, func(tx store.Store) error {
					u := &store.User{ID: fmt.Sprint("u", i), AccountID: "a", Email: fmt.Sprintf("u%d@example.com", i),
						Name: "u", Role: store.RoleMember, TimeZone: "UTC", WorkingHours: []byte(`{}`), Created: t0}
					return tx.CreateUser(ctx, u)
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		list, err := db.Users(ctx, "a")
		if err != nil || len(list) != 40 {
			t.Fatalf("%d users, %v", len(list), err)
		}
	})
}

func TestMigrationSetsMatch(t *testing.T) {
	// Every migration exists for both engines under the same name.
	names := map[string][]string{}
	for _, e := range storetest.Engines {
		entries, err := os.ReadDir(filepath.Join("migrations", e))
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			names[e] = append(names[e], en.Name())
		}
	}
	if strings.Join(names["sqlite"], ",") != strings.Join(names["postgres"], ",") {
		t.Errorf("migrations differ:\nsqlite:   %v\npostgres: %v", names["sqlite"], names["postgres"])
	}
}

// TestConcurrentHoldsOverlap: 40 transactions at once hold overlapping
// times of one organizer, with no lock of their own: exactly one commits,
// every other one ends with ErrOverlap (on PostgreSQL the exclusion
// constraint and the retry of deadlocked transactions see to it), never
// with another error.
func TestConcurrentHoldsOverlap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedUser(t, db, "a", "org", "org@example.com")
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.InTx(ctx, func(tx *store.DB) error {
					m := &store.Meeting{ID: fmt.Sprint("m", i), AccountID: "a", OrganizerID: "org", UID: fmt.Sprint("u", i),
						Status: store.MeetingBooked, Type: "scheduled", Subject: "s", Start: t0, End: t0.Add(time.Hour),
						TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0}
					if err := tx.CreateMeeting(ctx, m); err != nil {
						return err
					}
					start := t0.Add(time.Duration(i%30) * time.Minute)
					return tx.AddHolds(ctx, []store.Hold{{AccountID: "a", OrganizerID: "org", MeetingID: m.ID, Start: start, End: start.Add(time.Hour)}})
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		ok, overlap := 0, 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, store.ErrOverlap):
				overlap++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || overlap != 39 {
			t.Errorf("%d committed, %d overlaps; want 1 and 39", ok, overlap)
		}
	})
}

// TestAccountWithDomains: the account as Account reads it (its
// invitation mode too), with its
// verified domains only, by name; another account's domains are not its
// own; an unknown account is ErrNotFound.
func TestAccountWithDomains(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedAccount(t, db, "b")
		a, ds, err := db.AccountWithDomains(ctx, "a")
		if err != nil || a.ID != "a" || a.Name != "Acme a" || len(ds) != 0 {
			t.Fatalf("no domain: %+v %+v %v", a, ds, err)
		}
		for _, d := range []struct{ acc, name string }{{"a", "z.example"}, {"a", "m.example"}, {"a", "pending.example"}, {"b", "b.example"}} {
			if err := db.CreateDomain(ctx, &store.Domain{AccountID: d.acc, Name: d.name, TXTValue: "v-" + d.name, Created: t0}); err != nil {
				t.Fatal(err)
			}
			if d.name != "pending.example" {
				if err := db.MarkDomainVerified(ctx, d.acc, d.name, t0.Add(time.Hour), store.VerifiedByDNS); err != nil {
					t.Fatal(err)
				}
			}
		}
		// Every field, the invitation mode too: booking reads the
		// account this way and must not mail guests Outlook invites.
		want, _ := db.Account(ctx, "a")
		want.Invitations = store.InvitationsProvider
		if err := db.UpdateAccount(ctx, want); err != nil {
			t.Fatal(err)
		}
		a, ds, err = db.AccountWithDomains(ctx, "a")
		if err != nil || a.ID != want.ID || a.Language != want.Language || !a.Created.Equal(want.Created) || a.Invitations != store.InvitationsProvider {
			t.Fatalf("account: %+v %v, want %+v", a, err, want)
		}
		if len(ds) != 2 || ds[0].Name != "m.example" || ds[1].Name != "z.example" || !ds[0].Verified ||
			!ds[0].VerifiedAt.Equal(t0.Add(time.Hour)) || ds[0].AccountID != "a" || ds[0].TXTValue != "v-m.example" {
			t.Errorf("domains: %+v", ds)
		}
		if _, _, err := db.AccountWithDomains(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
	})
}

// TestCreateMeetingAttendees: a meeting's attendees are stored with it, in
// their order, addresses in lower case, needs-action until they answer.
func TestCreateMeetingAttendees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedUser(t, db, "a", "org", "org@example.com")
		seedUser(t, db, "a", "bob", "bob@example.com")
		m := &store.Meeting{ID: "m1", AccountID: "a", OrganizerID: "org", UID: "m1@x", Status: store.MeetingBooked, Type: "scheduled",
			Subject: "s", Start: t0, End: t0.Add(time.Hour), TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0,
			Attendees: []store.Attendee{{Email: "Zed@Partner.example", Name: "Zed"}, {Email: "bob@example.com", Name: "Bob", UserID: "bob", Response: "accepted"},
				{Email: "amy@partner.example"}}}
		if err := db.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		got, err := db.Meeting(ctx, "a", "m1")
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Attendee{{Email: "zed@partner.example", Name: "Zed", Response: "needs-action"},
			{Email: "bob@example.com", Name: "Bob", UserID: "bob", Response: "accepted"}, {Email: "amy@partner.example", Response: "needs-action"}}
		if fmt.Sprint(got.Attendees) != fmt.Sprint(want) {
			t.Errorf("attendees %+v, want %+v", got.Attendees, want)
		}
	})
}

// TestBookingPageRoundTrip: a booking page's fields, its intro with its
// line breaks and markup-like text included, come back as saved, by user
// and by slug; saving again replaces them (an empty intro too).
func TestBookingPageRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a1")
		u := seedUser(t, db, "a1", "u1", "ann@a1.test")
		if _, err := db.BookingPage(ctx, "a1", u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("never saved: %v", err)
		}
		intro := "Pour parler du projet.\n\nPrepare <b>two</b> questions & a \"draft\"."
		p := &store.BookingPage{UserID: u.ID, AccountID: "a1", Slug: "Ann", Enabled: true, Durations: []int{15, 30}, Days: 21, Intro: intro, Updated: t0}
		if err := db.PutBookingPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		for _, get := range []func() (*store.BookingPage, error){
			func() (*store.BookingPage, error) { return db.BookingPage(ctx, "a1", u.ID) },
			func() (*store.BookingPage, error) { return db.BookingPageBySlug(ctx, "ann") },
		} {
			got, err := get()
			if err != nil || got.Slug != "ann" || !got.Enabled || fmt.Sprint(got.Durations) != "[15 30]" || got.Days != 21 || got.Intro != intro || !got.Updated.Equal(t0) {
				t.Fatalf("read back: %+v %v", got, err)
			}
		}
		p.Intro, p.Days = "", 7
		if err := db.PutBookingPage(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got, err := db.BookingPage(ctx, "a1", u.ID); err != nil || got.Intro != "" || got.Days != 7 {
			t.Fatalf("replaced: %+v %v", got, err)
		}
	})
}
