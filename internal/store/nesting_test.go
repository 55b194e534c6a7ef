package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestNestedQueriesFound: with CheckNesting, a read through the store
// while a transaction's function runs is recorded with its stack, on
// both engines, and a read through the transaction is not.
func TestNestedQueriesFound(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, storetest.URL(t, engine), store.Options{CheckNesting: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.InTx(ctx, func(tx *store.DB) error {
				if _, err := tx.Account(ctx, "acc_none"); !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Account(ctx, "acc_none"); !errors.Is(err, store.ErrNotFound) {
				t.Fatal(err)
			}
			if n := db.NestedQueries(); len(n) != 0 {
				t.Fatalf("reads through the transaction, or outside any, recorded: %v", n)
			}
			err = db.InTx(ctx, func(tx *store.DB) error {
				_, err := db.Account(ctx, "acc_none") // the store, not tx
				if !errors.Is(err, store.ErrNotFound) {
					return err
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n := db.NestedQueries()
			if len(n) != 1 || !strings.Contains(n[0], "TestNestedQueriesFound") {
				t.Fatalf("the read outside the transaction: %d recorded %v", len(n), n)
			}
		})
	}
}
