package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testenv"
)

// holdMeeting stores a booked meeting of org with one hold from start, in
// tx.
func holdMeeting(ctx context.Context, tx *store.DB, id string, start time.Time) error {
	m := &store.Meeting{ID: id, AccountID: "a", OrganizerID: "org", UID: "uid-" + id, Status: store.MeetingBooked, Type: "scheduled",
		Subject: "s", Start: start, End: start.Add(time.Hour), TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0}
	if err := tx.CreateMeeting(ctx, m); err != nil {
		return err
	}
	return tx.AddHolds(ctx, []store.Hold{{AccountID: "a", OrganizerID: "org", MeetingID: id, Start: start, End: start.Add(time.Hour)}})
}

// TestExclusionConstraintRefusesInterleavedHolds tests PostgreSQL's
// exclusion constraint itself, with two transactions that interleave on
// purpose and take no advisory lock: tx1 holds 10:00-11:00 and does not
// commit; tx2's own check cannot see that uncommitted hold, so its insert
// of 10:30-11:30 reaches the constraint and waits on tx1; when tx1
// commits, tx2 fails with ErrOverlap. Without the constraint both commit.
func TestExclusionConstraintRefusesInterleavedHolds(t *testing.T) {
	db := storetest.Open(t, "postgres")
	ctx := context.Background()
	seedAccount(t, db, "a")
	seedUser(t, db, "a", "org", "org@example.com")

	inserted, commit := make(chan error, 1), make(chan struct{})
	tx1 := make(chan error, 1)
	go func() {
		tx1 <- db.InTx(ctx, func(tx *store.DB) error {
			err := holdMeeting(ctx, tx, "m1", t0)
			inserted <- err
			if err != nil {
				return err
			}
			<-commit
			return nil
		})
	}()
	if err := <-inserted; err != nil {
		close(commit)
		t.Fatalf("tx1: %v", err)
	}

	pid := make(chan int, 1)
	tx2 := make(chan error, 1)
	go func() {
		tx2 <- db.InTx(ctx, func(tx *store.DB) error {
			var p int
			if err := tx.SQLTx().QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&p); err != nil {
				pid <- 0
				return err
			}
			pid <- p
			return holdMeeting(ctx, tx, "m2", t0.Add(30*time.Minute))
		})
	}()
	p := <-pid
	if p == 0 {
		close(commit)
		t.Fatalf("tx2: %v", <-tx2)
	}
	// Wait until tx2 waits for a lock (the constraint's check against
	// tx1's row), or ends early.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var wait string
		err := db.SQL().QueryRowContext(ctx, `SELECT coalesce(wait_event_type, '') FROM pg_stat_activity WHERE pid = $1`, p).Scan(&wait)
		if err != nil {
			close(commit)
			t.Fatal(err)
		}
		if wait == "Lock" {
			break
		}
		select {
		case err := <-tx2:
			close(commit)
			<-tx1
			t.Fatalf("tx2 ended before tx1 committed, with %v: nothing held it back", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			close(commit)
			t.Fatal("tx2 never waited on tx1")
		}
	}
	close(commit)
	if err := <-tx1; err != nil {
		t.Fatalf("tx1: %v", err)
	}
	err := <-tx2
	if !errors.Is(err, store.ErrOverlap) {
		t.Fatalf("tx2: %v, want ErrOverlap from the constraint", err)
	}
	if oe, ok := errors.AsType[*store.OverlapError](err); ok {
		t.Fatalf("tx2 refused by its own check (%v), not by the constraint", oe)
	}
	if hs, _ := db.Holds(ctx, "a", "m2"); len(hs) != 0 {
		t.Errorf("tx2's hold was stored: %v", hs)
	}
}

// TestExclusionConstraintRefusesDirectInsert bypasses the store's check
// and lock entirely: an overlapping row inserted with plain SQL after the
// first committed is refused by the constraint (exclusion_violation),
// which the store maps to ErrOverlap.
func TestExclusionConstraintRefusesDirectInsert(t *testing.T) {
	db := storetest.Open(t, "postgres")
	ctx := context.Background()
	seedAccount(t, db, "a")
	seedUser(t, db, "a", "org", "org@example.com")
	if err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m1", t0) }); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *store.DB) error {
		m := &store.Meeting{ID: "m2", AccountID: "a", OrganizerID: "org", UID: "uid-m2", Status: store.MeetingBooked, Type: "scheduled",
			Subject: "s", Start: t0, End: t0.Add(time.Hour), TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0}
		if err := tx.CreateMeeting(ctx, m); err != nil {
			return err
		}
		_, err := tx.SQLTx().ExecContext(ctx, `INSERT INTO holds (account_id, organizer_id, meeting_id, start_ms, end_ms) VALUES ($1, $2, $3, $4, $5)`,
			"a", "org", "m2", t0.Add(59*time.Minute).UnixMilli(), t0.Add(2*time.Hour).UnixMilli())
		return err
	})
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || pe.Code != "23P01" || pe.ConstraintName != "holds_no_overlap" {
		t.Fatalf("direct insert: %v, want exclusion_violation on holds_no_overlap", err)
	}
	// Touching ends do not overlap ([start, end) ranges).
	if err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m3", t0.Add(time.Hour)) }); err != nil {
		t.Errorf("adjacent hold: %v", err)
	}
}

// TestAddHoldsNamesTheMeetingInTheWay: on both engines, a hold that
// overlaps another of the same organizer is not stored and the error names
// the meeting in the way and its time; holds that only touch it, and
// another organizer's, are stored.
func TestAddHoldsNamesTheMeetingInTheWay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		seedUser(t, db, "a", "org", "org@example.com")
		seedUser(t, db, "a", "other", "other@example.com")
		if err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m1", t0) }); err != nil {
			t.Fatal(err)
		}
		var oe *store.OverlapError
		err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m2", t0.Add(30*time.Minute)) })
		if !errors.As(err, &oe) || oe.MeetingID != "m1" || !oe.Start.Equal(t0) || !oe.End.Equal(t0.Add(time.Hour)) {
			t.Fatalf("overlapping hold: %v, want an OverlapError naming m1", err)
		}
		if hs, _ := db.Holds(ctx, "a", "m2"); len(hs) != 0 {
			t.Errorf("the overlapping hold was stored: %v", hs)
		}
		if err := db.InTx(ctx, func(tx *store.DB) error { return holdMeeting(ctx, tx, "m3", t0.Add(time.Hour)) }); err != nil {
			t.Errorf("a hold right after: %v", err)
		}
		err = db.InTx(ctx, func(tx *store.DB) error {
			m := &store.Meeting{ID: "m4", AccountID: "a", OrganizerID: "other", UID: "uid-m4", Status: store.MeetingBooked, Type: "scheduled",
				Subject: "s", Start: t0, End: t0.Add(time.Hour), TimeZone: "UTC", Duration: 60, Created: t0, Updated: t0}
			if err := tx.CreateMeeting(ctx, m); err != nil {
				return err
			}
			return tx.AddHolds(ctx, []store.Hold{{AccountID: "a", OrganizerID: "other", MeetingID: "m4", Start: t0, End: t0.Add(time.Hour)}})
		})
		if err != nil {
			t.Errorf("another organizer's hold at the same time: %v", err)
		}
		if hs, _ := db.Holds(ctx, "a", "m4"); len(hs) != 1 {
			t.Errorf("another organizer's hold: %v", hs)
		}
	})
}

// TestLargeValuesCompressWithLZ4: on a PostgreSQL server that has lz4, the
// columns of large values compress with it (migration 0017), and a mail's
// body still reads back as written.
func TestLargeValuesCompressWithLZ4(t *testing.T) {
	db := storetest.Open(t, "postgres")
	ctx := context.Background()
	var has bool
	if err := db.SQL().QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_settings
		WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))`).Scan(&has); err != nil {
		t.Fatal(err)
	}
	if !has {
		testenv.Missing(t, "lz4 in this PostgreSQL server (Debian's PostgreSQL 14 and later has it)")
	}
	for _, c := range [][2]string{{"mail_outbox", "raw"}, {"calendar_objects", "data"}, {"meetings", "video"}, {"inbox_messages", "raw"}} {
		var method string
		err := db.SQL().QueryRowContext(ctx, `SELECT attcompression::text FROM pg_attribute
			WHERE attrelid = to_regclass($1) AND attname = $2`, c[0], c[1]).Scan(&method)
		if err != nil || method != "l" {
			t.Errorf("%s.%s compresses with %q (%v), want lz4 (l)", c[0], c[1], method, err)
		}
	}
	seedAccount(t, db, "a")
	body := []byte(strings.Repeat("Subject: a long invitation\r\n", 500))
	m := &store.Mail{ID: "msg_1", AccountID: "a", DedupeKey: "k1", Kind: "request", Sender: "s@a.test", Recipients: []string{"r@b.test"},
		Subject: "s", MessageID: "<1@a.test>", Raw: body, Status: store.MailHeld, Created: t0}
	if _, err := db.AddMails(ctx, []*store.Mail{m}); err != nil {
		t.Fatal(err)
	}
	var stored string
	if err := db.SQL().QueryRowContext(ctx, `SELECT pg_column_compression(raw) FROM mail_outbox WHERE id = 'msg_1'`).Scan(&stored); err != nil || stored != "lz4" {
		t.Errorf("a new body is stored with %q (%v), want lz4", stored, err)
	}
	got, err := db.Mail(ctx, "a", "msg_1")
	if err != nil || !bytes.Equal(got.Raw, body) {
		t.Errorf("body read back: %d bytes, %v", len(got.Raw), err)
	}
}
