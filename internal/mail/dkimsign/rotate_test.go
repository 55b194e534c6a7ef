package dkimsign_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/clocktest"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/mail/dkimsign"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
)

// rotation is a domain's keys with a DNS server, an audit log and a clock.
type rotation struct {
	keys   *dkimsign.Keys
	db     *store.DB
	dns    *dnstest.Server
	admin  account.Principal
	member account.Principal
	clk    *clocktest.Clock
}

func (r *rotation) clock() time.Time        { return r.clk.Now() }
func (r *rotation) advance(d time.Duration) { r.clk.Advance(d) }

// auditLog lists the account's audit entries, newest first, each as
// "action target selector retiring actor via".
func (r *rotation) auditLog(t *testing.T) []string {
	t.Helper()
	entries, err := r.db.AuditEntries(context.Background(), "acc_1", 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		var d map[string]string
		json.Unmarshal(e.Detail, &d)
		out = append(out, e.Action+" "+e.Target+" "+d["selector"]+" "+d["retiring"]+" "+e.ActorEmail+" "+e.Via)
	}
	return out
}

func setupRotation(t *testing.T, engine string) *rotation {
	keys, db := setup(t, engine)
	r := &rotation{keys: keys, db: db, dns: dnstest.Start(t), clk: clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		admin:  account.Principal{AccountID: "acc_1", UserID: "usr_admin", Email: "admin@acme.test", Role: store.RoleAdmin},
		member: account.Principal{AccountID: "acc_1", UserID: "usr_member", Email: "member@acme.test", Role: store.RoleMember}}
	accounts := account.New(db, nil, "")
	accounts.Now = r.clock
	keys.Now, keys.Audit, keys.Resolver = r.clock, accounts, account.NewResolver(r.dns.Addr)
	return r
}

// stranger returns the owner of another account, which has no domain.
func (r *rotation) stranger(t *testing.T) account.Principal {
	t.Helper()
	if err := r.db.CreateAccount(context.Background(), &store.Account{ID: "acc_2", Name: "Other", Language: "en", Created: r.clock()}); err != nil {
		t.Fatal(err)
	}
	return account.Principal{AccountID: "acc_2", UserID: "usr_x", Role: store.RoleOwner}
}

// selectorOf signs the invitation and returns the signature's selector.
func selectorOf(t *testing.T, k *dkimsign.Keys) string {
	t.Helper()
	signed, err := k.Sign(context.Background(), invitation)
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(signed), " s=")
	sel, _, _ := strings.Cut(after, ";")
	return sel
}

func kindOf(err error) failure.Kind { return failure.KindOf(err) }

// dkimRecords returns the domain's DKIM records by selector.
func dkimRecords(t *testing.T, k *dkimsign.Keys) map[string]dkimsign.Record {
	t.Helper()
	recs, err := k.Records(context.Background(), "acc_1", "acme.test")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]dkimsign.Record{}
	for _, r := range recs {
		if r.Purpose == "dkim" {
			out[r.Selector] = r
		}
	}
	return out
}

func TestRotation(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			// Another node of the cluster: same database, its own cache.
			other := &dkimsign.Keys{Store: r.db, Box: r.keys.Box}
			if got := selectorOf(t, r.keys); got != "convene1" {
				t.Fatalf("first key signs as %q", got)
			}
			if got := selectorOf(t, other); got != "convene1" {
				t.Fatalf("other node signs as %q", got)
			}

			// Only admins rotate.
			if _, err := r.keys.Rotate(ctx, r.member, "acme.test"); kindOf(err) != failure.Forbidden {
				t.Fatalf("a member rotated: %v", err)
			}
			// Another account's domain is not found.
			stranger := r.stranger(t)
			if _, err := r.keys.Rotate(ctx, stranger, "acme.test"); kindOf(err) != failure.NotFound {
				t.Fatalf("another account rotated acme.test: %v", err)
			}

			pending, err := r.keys.Rotate(ctx, r.admin, "ACME.test")
			if err != nil {
				t.Fatal(err)
			}
			if pending.Selector != "convene2" || pending.State != "pending" || pending.Name != "convene2._domainkey.acme.test" ||
				!strings.HasPrefix(pending.Value, "v=DKIM1; k=rsa; p=MII") {
				t.Fatalf("pending %+v", pending)
			}
			if _, err := r.keys.Rotate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Conflict {
				t.Fatalf("a second pending key: %v", err)
			}
			if got := selectorOf(t, r.keys); got != "convene1" {
				t.Fatalf("signs with the pending key: %q", got)
			}

			// Activation is refused until DNS shows the record as given.
			if _, err := r.keys.Activate(ctx, r.member, "acme.test"); kindOf(err) != failure.Forbidden {
				t.Fatalf("a member activated: %v", err)
			}
			if _, err := r.keys.Activate(ctx, stranger, "acme.test"); kindOf(err) != failure.NotFound {
				t.Fatalf("another account activated: %v", err)
			}
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Invalid || !strings.Contains(err.Error(), "no TXT record") {
				t.Fatalf("activated without a record: %v", err)
			}
			wrong := mailtest.NewKey(t)
			r.dns.SetTXT("convene2._domainkey.acme.test", wrong.Record)
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Invalid || !strings.Contains(err.Error(), "another public key") {
				t.Fatalf("activated with another key published: %v", err)
			}
			r.dns.SetTXT("convene2._domainkey.acme.test", pending.Value, wrong.Record)
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Invalid || !strings.Contains(err.Error(), "2 TXT records") {
				t.Fatalf("activated with two records published: %v", err)
			}
			if got := selectorOf(t, r.keys); got != "convene1" {
				t.Fatalf("a refused activation switched to %q", got)
			}

			// Published as given (p= folded with spaces, as DNS tools do):
			// activated.
			folded := strings.Replace(pending.Value, "p=", "p= ", 1)
			folded = folded[:60] + " " + folded[60:]
			r.dns.SetTXT("convene2._domainkey.acme.test", folded)
			r.advance(time.Hour)
			act, err := r.keys.Activate(ctx, r.admin, "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			switchAt := r.clock()
			if act.Active.Selector != "convene2" || act.Retiring.Selector != "convene1" || act.Retiring.RemoveAfter == nil ||
				!act.Retiring.RemoveAfter.Equal(switchAt.Add(7*24*time.Hour)) {
				t.Fatalf("activation %+v", act)
			}
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Conflict {
				t.Fatalf("activated twice: %v", err)
			}

			// Both nodes sign with the new key at their next message, and
			// python3-dkim verifies it under the new selector.
			for i, k := range []*dkimsign.Keys{r.keys, other} {
				signed, err := k.Sign(ctx, invitation)
				if err != nil {
					t.Fatal(err)
				}
				recs := dkimRecords(t, k)
				dns := map[string]string{recs["convene2"].Name: recs["convene2"].Value}
				v := mailtest.Verify(t, signed, dns)
				if !v.OK || v.Selector != "convene2" || v.Domain != "acme.test" {
					t.Fatalf("node %d: python3-dkim: %+v", i, v)
				}
				if mailtest.Verify(t, signed, map[string]string{recs["convene2"].Name: recs["convene1"].Value}).OK {
					t.Fatalf("node %d: verified under the old key", i)
				}
			}

			// The old key stays listed as retiring, with when it may go.
			recs := dkimRecords(t, r.keys)
			old := recs["convene1"]
			if old.State != "retiring" || old.Value == "" || old.RemoveAfter == nil || !old.RemoveAfter.Equal(switchAt.Add(7*24*time.Hour)) ||
				!strings.Contains(old.Note, "2026-03-09 10:00 UTC") {
				t.Fatalf("old key %+v", old)
			}
			if recs["convene2"].State != "active" || recs["convene2"].Activated == nil {
				t.Fatalf("new key %+v", recs["convene2"])
			}

			// Audit: one entry per change, with its selector; refusals
			// wrote nothing.
			got := r.auditLog(t)
			want := []string{
				"domain.dkim_activate acme.test convene2 convene1 admin@acme.test api",
				"domain.dkim_rotate acme.test convene2  admin@acme.test api",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if other, _ := r.db.AuditEntries(ctx, "acc_2", 0, 50); len(other) != 0 {
				t.Fatalf("audit of the other account: %+v", other)
			}

			// Purge: the old private key stays for 7 days after the switch.
			r.advance(7*24*time.Hour - time.Minute)
			if n, err := r.keys.Purge(ctx); err != nil || n != 0 {
				t.Fatalf("purged early: %d %v", n, err)
			}
			r.advance(time.Minute)
			if n, err := r.keys.Purge(ctx); err != nil || n != 1 {
				t.Fatalf("purge: %d %v", n, err)
			}
			row, err := r.db.DKIMKey(ctx, "acc_1", "acme.test", "convene1")
			if err != nil {
				t.Fatal(err)
			}
			if row.PrivateKey != "" || row.State != "retired" || row.PublicKey == "" {
				t.Fatalf("purged row %+v", row)
			}
			if rec := dkimRecords(t, r.keys)["convene1"]; rec.State != "retired" || rec.Value != "" || rec.Purged == nil {
				t.Fatalf("retired record %+v", rec)
			}
			if active, err := r.db.DKIMKey(ctx, "acc_1", "acme.test", "convene2"); err != nil || active.PrivateKey == "" {
				t.Fatalf("the active key was purged: %+v %v", active, err)
			}
			if got := selectorOf(t, r.keys); got != "convene2" {
				t.Fatalf("after the purge signs as %q", got)
			}

			// The next rotation takes the next selector: none is reused.
			next, err := r.keys.Rotate(ctx, r.admin, "acme.test")
			if err != nil || next.Selector != "convene3" {
				t.Fatalf("next rotation %+v %v", next, err)
			}
		})
	}
}

// TestConcurrentRotations: rotations at once make one pending key; the
// others are refused.
func TestConcurrentRotations(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			if _, err := r.keys.Key(ctx, "acc_1", "acme.test"); err != nil {
				t.Fatal(err)
			}
			const n = 4
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = r.keys.Rotate(ctx, r.admin, "acme.test")
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case kindOf(err) != failure.Conflict:
					t.Errorf("rotation failed otherwise: %v", err)
				}
			}
			rows, err := r.db.DKIMKeys(ctx, "acc_1", "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			pending := 0
			for _, row := range rows {
				if row.State == store.DKIMPending {
					pending++
				}
			}
			if ok != 1 || pending != 1 {
				t.Fatalf("%d rotations succeeded, %d pending keys", ok, pending)
			}
		})
	}
}

// TestOnePendingKeyIsAConstraint: the store itself refuses a second
// pending key of a domain, whatever the caller checked before.
func TestOnePendingKeyIsAConstraint(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			_, db := setup(t, engine)
			ctx := context.Background()
			for i, sel := range []string{"convene2", "convene3"} {
				ok, err := db.AddDKIMKey(ctx, &store.DKIMKey{AccountID: "acc_1", Domain: "acme.test", Selector: sel, Algorithm: "rsa",
					PrivateKey: "x", PublicKey: "y", State: store.DKIMPending, Created: time.Now()})
				if err != nil || ok != (i == 0) {
					t.Fatalf("%s: stored %v, %v", sel, ok, err)
				}
			}
		})
	}
}

// TestCancelRotation: a pending key abandoned is deleted at once, never
// signs, and its selector is not used again.
func TestCancelRotation(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			if _, err := r.keys.Cancel(ctx, r.admin, "acme.test"); kindOf(err) != failure.Conflict {
				t.Fatalf("cancelled with nothing pending: %v", err)
			}
			pending, err := r.keys.Rotate(ctx, r.admin, "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.keys.Cancel(ctx, r.member, "acme.test"); kindOf(err) != failure.Forbidden {
				t.Fatalf("a member cancelled: %v", err)
			}
			stranger := r.stranger(t)
			if _, err := r.keys.Cancel(ctx, stranger, "acme.test"); kindOf(err) != failure.NotFound {
				t.Fatalf("another account cancelled: %v", err)
			}
			// The store cancels only a pending key, whatever the caller
			// read before: the active key stays.
			if err := r.db.CancelDKIMKey(ctx, "acc_1", "acme.test", "convene1", r.clock()); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the store cancelled the active key: %v", err)
			}

			r.advance(time.Hour)
			rec, err := r.keys.Cancel(ctx, r.admin, "ACME.test")
			if err != nil {
				t.Fatal(err)
			}
			if rec.Selector != pending.Selector || rec.State != "retired" || rec.Value != "" || rec.Activated != nil ||
				!strings.HasPrefix(rec.Note, "Cancelled on 2026-03-02 10:00 UTC") {
				t.Fatalf("cancelled %+v", rec)
			}
			row, err := r.db.DKIMKey(ctx, "acc_1", "acme.test", "convene2")
			if err != nil {
				t.Fatal(err)
			}
			if row.State != store.DKIMRetired || row.PrivateKey != "" || row.PublicKey == "" || !row.Activated.IsZero() || row.Purged.IsZero() {
				t.Fatalf("cancelled row %+v", row)
			}
			if got := dkimRecords(t, r.keys)["convene2"]; got.State != "retired" || !strings.HasPrefix(got.Note, "Cancelled") {
				t.Fatalf("listed %+v", got)
			}
			if got := selectorOf(t, r.keys); got != "convene1" {
				t.Fatalf("signs as %q after the cancel", got)
			}
			// Published anyway: nothing left to activate.
			r.dns.SetTXT("convene2._domainkey.acme.test", pending.Value)
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); kindOf(err) != failure.Conflict {
				t.Fatalf("activated a cancelled key: %v", err)
			}
			if _, err := r.keys.Cancel(ctx, r.admin, "acme.test"); kindOf(err) != failure.Conflict {
				t.Fatalf("cancelled twice: %v", err)
			}
			next, err := r.keys.Rotate(ctx, r.admin, "acme.test")
			if err != nil || next.Selector != "convene3" {
				t.Fatalf("rotation after the cancel: %+v %v", next, err)
			}

			got := strings.Join(r.auditLog(t), "\n")
			want := "domain.dkim_rotate acme.test convene3  admin@acme.test api\n" +
				"domain.dkim_cancel acme.test convene2  admin@acme.test api\n" +
				"domain.dkim_rotate acme.test convene2  admin@acme.test api"
			if got != want {
				t.Fatalf("audit:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestPurgeIsScheduled: the job Register adds deletes, on its own, a
// replaced key's private half once it has been retiring 7 days.
func TestPurgeIsScheduled(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			pending, err := r.keys.Rotate(ctx, r.admin, "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			r.dns.SetTXT(pending.Name, pending.Value)
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); err != nil {
				t.Fatal(err)
			}
			r.advance(dkimsign.RetireAfter)

			if err := jobs.Migrate(ctx, r.db); err != nil {
				t.Fatal(err)
			}
			q := jobs.New(r.db, jobs.Options{})
			r.keys.Register(q, 50*time.Millisecond)
			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer q.Stop(ctx)
			deadline := time.Now().Add(30 * time.Second)
			for {
				row, err := r.db.DKIMKey(ctx, "acc_1", "acme.test", "convene1")
				if err != nil {
					t.Fatal(err)
				}
				if row.State == store.DKIMRetired {
					if row.PrivateKey != "" {
						t.Fatal("retired with its private key")
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the purge job did not run in 30 s: the key is %s", row.State)
				}
				time.Sleep(20 * time.Millisecond) // polling the store for the job's change
			}
		})
	}
}

// TestDomainRemovalRetiresKeys: removing a domain deletes the private
// halves of all its keys; should it come back, its first key takes a
// selector it never had.
func TestDomainRemovalRetiresKeys(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			if _, err := r.keys.Rotate(ctx, r.admin, "acme.test"); err != nil { // convene1 active, convene2 pending
				t.Fatal(err)
			}
			accounts := account.New(r.db, nil, "")
			accounts.Now = r.clock
			r.advance(time.Hour)
			if err := accounts.RemoveDomain(ctx, r.admin, "acme.test"); err != nil {
				t.Fatal(err)
			}
			rows, err := r.db.DKIMKeys(ctx, "acc_1", "acme.test")
			if err != nil || len(rows) != 2 {
				t.Fatalf("keys after the removal: %d %v", len(rows), err)
			}
			for _, row := range rows {
				if row.State != store.DKIMRetired || row.PrivateKey != "" || !row.Purged.Equal(r.clock()) || row.PublicKey == "" {
					t.Errorf("%s after the removal: state %s, private key kept %v, purged %v", row.Selector, row.State, row.PrivateKey != "", row.Purged)
				}
			}
			if rows[0].Activated.IsZero() || !rows[1].Activated.IsZero() {
				t.Errorf("activation dates changed: %v %v", rows[0].Activated, rows[1].Activated)
			}

			// Back again, verified: a new key under convene3.
			if err := r.db.CreateDomain(ctx, &store.Domain{AccountID: "acc_1", Name: "acme.test", TXTValue: "x", Created: r.clock()}); err != nil {
				t.Fatal(err)
			}
			if err := r.db.MarkDomainVerified(ctx, "acc_1", "acme.test", r.clock(), store.VerifiedByDNS); err != nil {
				t.Fatal(err)
			}
			if got := selectorOf(t, r.keys); got != "convene3" {
				t.Fatalf("the domain back signs as %q", got)
			}
			recs := dkimRecords(t, r.keys)
			if recs["convene3"].State != "active" || recs["convene1"].State != "retired" || recs["convene2"].State != "retired" {
				t.Fatalf("records of the domain back: %+v", recs)
			}
		})
	}
}

// TestDomainRemovalKeepsRetiringDate: a key retiring when its domain is
// removed keeps the date it was replaced; only its private half goes.
func TestDomainRemovalKeepsRetiringDate(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			r := setupRotation(t, engine)
			ctx := context.Background()
			pending, err := r.keys.Rotate(ctx, r.admin, "acme.test")
			if err != nil {
				t.Fatal(err)
			}
			r.dns.SetTXT(pending.Name, pending.Value)
			if _, err := r.keys.Activate(ctx, r.admin, "acme.test"); err != nil {
				t.Fatal(err)
			}
			replaced := r.clock()
			r.advance(time.Hour)
			if err := r.db.DeleteDomain(ctx, "acc_1", "acme.test", r.clock()); err != nil {
				t.Fatal(err)
			}
			old, err := r.db.DKIMKey(ctx, "acc_1", "acme.test", "convene1")
			if err != nil {
				t.Fatal(err)
			}
			if old.State != store.DKIMRetired || old.PrivateKey != "" || !old.Retired.Equal(replaced) || !old.Purged.Equal(r.clock()) {
				t.Fatalf("convene1: state %s, private key kept %v, retired %v (want %v), purged %v", old.State, old.PrivateKey != "", old.Retired, replaced, old.Purged)
			}
		})
	}
}
