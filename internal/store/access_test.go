package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestRemovedUserIsATombstone: a removed user keeps their row (their
// address still shows where the row is read by ID) but no lookup by
// address finds them, their address is free again, and they are no longer
// listed.
func TestRemovedUserIsATombstone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_1")
		seedUser(t, db, "acc_1", "usr_a", "ann@acme.test")
		seedUser(t, db, "acc_1", "usr_b", "bob@acme.test")
		at := t0.Add(time.Hour)
		if err := db.RemoveUser(ctx, "acc_1", "usr_a", at); err != nil {
			t.Fatal(err)
		}
		if err := db.RemoveUser(ctx, "acc_1", "usr_a", at); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second removal: %v, want ErrNotFound", err)
		}
		u, err := db.User(ctx, "acc_1", "usr_a")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "ann@acme.test" || !u.Removed.Equal(at) || !u.Disabled.Equal(at) || u.Active() || u.Role != store.RoleMember {
			t.Errorf("tombstone = %+v", u)
		}
		for _, find := range []func() error{
			func() error { _, err := db.UserByEmail(ctx, "acc_1", "ann@acme.test"); return err },
			func() error { _, err := db.FindUserByEmail(ctx, "ann@acme.test"); return err },
		} {
			if err := find(); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("lookup by address found the tombstone: %v", err)
			}
		}
		us, err := db.Users(ctx, "acc_1")
		if err != nil || len(us) != 1 || us[0].ID != "usr_b" {
			t.Errorf("users = %+v, %v", us, err)
		}
		if n, err := db.CountUsersInDomain(ctx, "acc_1", "acme.test"); err != nil || n != 1 {
			t.Errorf("users in domain = %d, %v; want 1", n, err)
		}
		// The address is free for a new user.
		seedUser(t, db, "acc_1", "usr_a2", "ann@acme.test")
		// A tombstone's access cannot change.
		if err := db.SetUserAccess(ctx, "acc_1", "usr_a", store.RoleAdmin, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("access of a tombstone: %v, want ErrNotFound", err)
		}
	})
}

func TestActiveOwnersAndAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_1")
		seedAccount(t, db, "acc_2")
		seedUser(t, db, "acc_1", "usr_a", "ann@acme.test")
		seedUser(t, db, "acc_1", "usr_b", "bob@acme.test")
		seedUser(t, db, "acc_2", "usr_z", "zed@beta.test")
		count := func(acc string) int {
			n, err := db.CountActiveOwners(ctx, acc)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, id := range []string{"usr_a", "usr_b"} {
			if err := db.SetUserAccess(ctx, "acc_1", id, store.RoleOwner, time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetUserAccess(ctx, "acc_2", "usr_z", store.RoleOwner, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if n := count("acc_1"); n != 2 {
			t.Errorf("owners = %d, want 2", n)
		}
		if err := db.SetUserAccess(ctx, "acc_1", "usr_b", store.RoleOwner, t0); err != nil {
			t.Fatal(err)
		}
		if n := count("acc_1"); n != 1 {
			t.Errorf("owners with one disabled = %d, want 1", n)
		}
		u, _ := db.User(ctx, "acc_1", "usr_b")
		if !u.Disabled.Equal(t0) || u.Active() {
			t.Errorf("disabled user = %+v", u)
		}
		// Scoped by account: another account's user is not found.
		if err := db.SetUserAccess(ctx, "acc_1", "usr_z", store.RoleMember, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cross-account access change: %v", err)
		}
		if n, err := db.DeleteUserTokens(ctx, "acc_1", "usr_z"); err != nil || n != 0 {
			t.Errorf("cross-account token deletion: %d, %v", n, err)
		}
		if n := count("acc_2"); n != 1 {
			t.Errorf("account 2 owners = %d", n)
		}
	})
}

// TestInactiveOrganizerCannotBook: the store refuses a meeting whose
// organizer is disabled or removed, in the statement that inserts it.
func TestInactiveOrganizerCannotBook(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_1")
		seedUser(t, db, "acc_1", "usr_a", "ann@acme.test")
		seedUser(t, db, "acc_1", "usr_b", "bob@acme.test")
		mtg := func(id, organizer string) *store.Meeting {
			return &store.Meeting{ID: id, AccountID: "acc_1", OrganizerID: organizer, UID: id + "@x", Status: store.MeetingBooked,
				Type: "scheduled", Subject: "s", Start: t0, End: t0.Add(time.Hour), TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0,
				Attendees: []store.Attendee{{Email: "guest@partner.example"}}}
		}
		if err := db.CreateMeeting(ctx, mtg("mtg_1", "usr_a")); err != nil {
			t.Fatal(err)
		}
		if err := db.SetUserAccess(ctx, "acc_1", "usr_a", store.RoleMember, t0); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateMeeting(ctx, mtg("mtg_2", "usr_a")); !errors.Is(err, store.ErrInactive) {
			t.Errorf("disabled organizer: %v, want ErrInactive", err)
		}
		if err := db.RemoveUser(ctx, "acc_1", "usr_b", t0); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateMeeting(ctx, mtg("mtg_3", "usr_b")); !errors.Is(err, store.ErrInactive) {
			t.Errorf("removed organizer: %v, want ErrInactive", err)
		}
		if _, err := db.Meeting(ctx, "acc_1", "mtg_2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused meeting was stored: %v", err)
		}
		var attendees int
		if err := db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM meeting_attendees WHERE meeting_id IN ('mtg_2', 'mtg_3')`).Scan(&attendees); err != nil || attendees != 0 {
			t.Errorf("a refused meeting's attendees were stored: %d %v", attendees, err)
		}
		// Re-enabled, the user books again.
		if err := db.SetUserAccess(ctx, "acc_1", "usr_a", store.RoleMember, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateMeeting(ctx, mtg("mtg_4", "usr_a")); err != nil {
			t.Errorf("re-enabled organizer: %v", err)
		}
	})
}

// TestSQLiteFilesArePrivate: with umask 022 and a data directory created
// 0755 beforehand, the database and its WAL and shared-memory files are
// 0600; files an earlier version left 0644 are tightened when opened.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "convene.db")
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seedAccount(t, db, "acc_1") // a write: the WAL exists now
	check := func(when string) {
		t.Helper()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			fi, err := os.Stat(path + suffix)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("%s: %s has mode %o, want 600", when, filepath.Base(path+suffix), perm)
			}
		}
	}
	check("new database")
	db.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	db, err = store.Open(ctx, "sqlite:"+path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedAccount(t, db, "acc_2")
	check("reopened 0644 database")
}
