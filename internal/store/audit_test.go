package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestAuditLog: entries come back newest first, per account, in pages
// (beforeSeq); an entry written in a transaction that rolls back is gone
// with it.
func TestAuditLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "acc_a")
		seedAccount(t, db, "acc_b")
		at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		add := func(acct, action string) *store.AuditEntry {
			e := &store.AuditEntry{AccountID: acct, At: at, ActorID: "usr_1", ActorEmail: "ann@acme.test", Via: "web",
				Action: action, Target: "acme.test", Detail: []byte(`{"verified_by":"dns"}`)}
			if err := db.AddAudit(ctx, e); err != nil || e.Seq == 0 {
				t.Fatalf("add %s: seq %d, %v", action, e.Seq, err)
			}
			at = at.Add(time.Minute)
			return e
		}
		first := add("acc_a", "domain.add")
		add("acc_b", "domain.add")
		second := add("acc_a", "domain.verify")
		third := add("acc_a", "user.create")
		if !(first.Seq < second.Seq && second.Seq < third.Seq) {
			t.Fatalf("seqs %d %d %d", first.Seq, second.Seq, third.Seq)
		}
		// A rolled-back action leaves no entry.
		boom := errors.New("the action failed")
		if err := db.Tx(ctx, func(tx store.Store) error {
			if err := tx.AddAudit(ctx, &store.AuditEntry{AccountID: "acc_a", At: at, Action: "domain.remove", Target: "x"}); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatal(err)
		}
		all, err := db.AuditEntries(ctx, "acc_a", 0, 10)
		if err != nil || len(all) != 3 {
			t.Fatalf("acc_a: %v %v", all, err)
		}
		if all[0].Action != "user.create" || all[2].Action != "domain.add" || all[1].ActorEmail != "ann@acme.test" ||
			string(all[1].Detail) != `{"verified_by":"dns"}` || !all[1].At.Equal(second.At) || all[1].Via != "web" {
			t.Fatalf("entries: %+v", all)
		}
		page, err := db.AuditEntries(ctx, "acc_a", second.Seq, 10)
		if err != nil || len(page) != 1 || page[0].Seq != first.Seq {
			t.Fatalf("before %d: %+v %v", second.Seq, page, err)
		}
		if one, _ := db.AuditEntries(ctx, "acc_a", 0, 1); len(one) != 1 || one[0].Seq != third.Seq {
			t.Fatalf("limit 1: %+v", one)
		}
		if b, _ := db.AuditEntries(ctx, "acc_b", 0, 10); len(b) != 1 {
			t.Fatalf("acc_b: %+v", b)
		}
	})
}
