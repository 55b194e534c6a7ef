package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// TestTransactionsAloneTogether: write transactions running at once (on
// SQLite, grouped into one by the writer) each commit or fail on their
// own: a failing one, one whose context ends, one that panics (the panic
// reaches its own caller) and one that breaks a unique key change nothing,
// and every other one commits, with what it read of its own writes.
func TestTransactionsAloneTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedAccount(t, db, "a")
		boom := errors.New("boom")
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		const n = 60
		var wg sync.WaitGroup
		errs := make([]error, n)
		panics := make([]any, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { panics[i] = recover() }()
				<-start
				c := ctx
				if i%10 == 3 {
					c = cancelled
				}
				errs[i] = db.InTx(c, func(tx *store.DB) error {
					email := fmt.Sprintf("u%d@example.com", i)
					if i%10 == 7 {
						email = "taken@example.com" // only the first of these commits
					}
					u := &store.User{ID: fmt.Sprint("u", i), AccountID: "a", Email: email, Name: "u", Role: store.RoleMember,
						TimeZone: "UTC", WorkingHours: []byte(`{}`), Created: t0}
					if err := tx.CreateUser(c, u); err != nil {
						return err
					}
					if got, err := tx.User(c, "a", u.ID); err != nil || got.Email != email {
						return fmt.Errorf("read own write: %v %v", got, err)
					}
					switch i % 10 {
					case 1:
						return boom
					case 5:
						panic("bug in a transaction")
					}
					return nil
				})
			}()
		}
		close(start)
		wg.Wait()
		taken := 0
		for i := range n {
			u, err := db.User(ctx, "a", fmt.Sprint("u", i))
			switch i % 10 {
			case 1:
				if !errors.Is(errs[i], boom) {
					t.Errorf("%d: %v, want its own error", i, errs[i])
				}
			case 3:
				if !errors.Is(errs[i], context.Canceled) {
					t.Errorf("%d: %v, want its context's end", i, errs[i])
				}
			case 5:
				if p, ok := panics[i].(string); !ok || !strings.Contains(p, "bug in a transaction") {
					t.Errorf("%d: panic %v reached its caller as %v", i, panics[i], p)
				}
			case 7:
				if errs[i] == nil {
					taken++
					continue
				}
				if !errors.Is(errs[i], store.ErrConflict) {
					t.Errorf("%d: %v, want a conflict", i, errs[i])
				}
			default:
				if errs[i] != nil || panics[i] != nil || err != nil {
					t.Errorf("%d: %v %v; then %v", i, errs[i], panics[i], err)
				}
				continue
			}
			if err == nil && !(i%10 == 7) {
				t.Errorf("%d: failed, but its user %v is there", i, u)
			}
		}
		if taken != 1 {
			t.Errorf("%d transactions took the same address", taken)
		}
	})
}
