package store_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

func TestInboxMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if err := db.CreateAccount(ctx, &store.Account{ID: "acc_1", Name: "Acme", Language: "en", Created: now}); err != nil {
			t.Fatal(err)
		}
		// 8-bit bytes, a NUL and invalid UTF-8 are kept byte for byte.
		raw := []byte("Subject: caf\xe9\x00\xff\r\n\r\nbody\r\n")
		m := &store.InboxMessage{ID: "in_1", AccountID: "acc_1", MessageKey: "<a@b>", Source: "smtp", Recipient: "assistant@acme.test",
			Size: int64(len(raw)), Raw: raw, Status: store.InboxReceived, Received: now}
		if added, err := db.AddInboxMessage(ctx, m); !added || err != nil {
			t.Fatalf("add: %v %v", added, err)
		}
		second := *m
		second.ID = "in_2"
		if added, err := db.AddInboxMessage(ctx, &second); added || err != nil {
			t.Fatalf("a second first copy of <a@b>: %v %v", added, err)
		}
		dup := second
		dup.DuplicateOf, dup.Raw, dup.Status = "in_1", nil, store.InboxDuplicate
		if added, err := db.AddInboxMessage(ctx, &dup); !added || err != nil {
			t.Fatalf("the duplicate: %v %v", added, err)
		}
		got, err := db.InboxMessage(ctx, "acc_1", "in_1")
		if err != nil || !bytes.Equal(got.Raw, raw) {
			t.Fatalf("raw %q %v", got.Raw, err)
		}
		if _, err := db.InboxMessage(ctx, "acc_other", "in_1"); err == nil {
			t.Error("another account reads the message")
		}
		if n, err := db.PurgeInbox(ctx, now.Add(time.Second), now.Add(time.Hour), 0); n != 2 || err != nil {
			t.Fatalf("purged %d: %v", n, err)
		}
		got, _ = db.InboxMessage(ctx, "acc_1", "in_1")
		if got.Raw != nil || got.Purged.IsZero() || got.MessageKey != "<a@b>" {
			t.Errorf("after the purge: %+v", got)
		}
	})
}

// TestDurableTx: on SQLite the commit of a durable transaction syncs the
// WAL (synchronous=FULL), and the writer goes back to NORMAL after.
func TestDurableTx(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	ctx := context.Background()
	var inside, after int
	err := db.InDurableTx(ctx, func(tx *store.DB) error {
		return tx.SQLTx().QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&inside)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SQL().QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if inside != 2 || after != 1 {
		t.Errorf("synchronous inside the transaction %d (want 2, FULL), after %d (want 1, NORMAL)", inside, after)
	}
}
