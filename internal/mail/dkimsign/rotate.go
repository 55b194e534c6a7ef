package dkimsign

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/jobs"
	"github.com/convene/convene/internal/store"
)

// Key rotation, as large senders do it (RFC 6376 §3.1 selectors; M3AAWG
// "DKIM Key Rotation Best Common Practices"):
//
//  1. Rotate makes a key under the next selector (convene2, convene3…;
//     a selector is never used twice), "pending": its record is shown to
//     publish, and mail is still signed with the active key.
//  2. Activate looks the new record up (CONVENE_DNS_RESOLVER) and, only
//     when it is published and holds exactly the new public key, makes
//     the new key active and the old one "retiring", in one transaction.
//     Mail is never signed with a key whose record is missing.
//     Cancel abandons a pending key instead: its private key is deleted
//     at once and it is retired, never having signed.
//  3. A retiring key's record stays published for RetireAfter, so that
//     mail signed before the switch and still in flight verifies. Then
//     the purge job deletes its private key; the row stays "retired" with
//     its public key, so that its selector is never reused and the
//     records view can say that the record may go.
//
// Every node of a cluster reads the active key from the database at each
// message (Key), so a switch made on one node holds on all of them at
// their next message.

// RetireAfter is how long a replaced key's record stays published (and
// its private key kept) after the switch: mail in flight (queues retry
// for up to 5 days, RFC 5321 §4.5.4.1) still verifies.
const RetireAfter = 7 * 24 * time.Hour

// Resolver looks up TXT records; *net.Resolver is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Auditor records an admin action in the account's audit log inside the
// action's transaction; *account.Service is one.
type Auditor interface {
	Audit(ctx context.Context, tx store.Store, accountID string, a account.Actor, action, target string, detail account.Detail) error
}

// DKIMRecords returns the records of a domain's DKIM keys: the active one,
// then a pending one, then the retiring and retired ones, newest first.
func (k *Keys) DKIMRecords(ctx context.Context, accountID, domain string) ([]Record, error) {
	rows, err := k.Store.DKIMKeys(ctx, accountID, domain)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: keys of %s: %w", domain, err)
	}
	order := map[string]int{store.DKIMActive: 0, store.DKIMPending: 1, store.DKIMRetiring: 2, store.DKIMRetired: 3}
	slices.SortStableFunc(rows, func(a, b store.DKIMKey) int {
		if d := order[a.State] - order[b.State]; d != 0 {
			return d
		}
		return b.Created.Compare(a.Created)
	})
	out := make([]Record, 0, len(rows))
	for i := range rows {
		out = append(out, record(&rows[i]))
	}
	return out, nil
}

// record is the Record of one key, with what to do about it.
func record(row *store.DKIMKey) Record {
	r := Record{Purpose: "dkim", Type: "TXT", Name: RecordName(row.Selector, row.Domain), Value: RecordValue(row.PublicKey),
		Selector: row.Selector, State: row.State, Created: at(row.Created), Activated: at(row.Activated), Retired: at(row.Retired),
		Purged: at(row.Purged)}
	switch row.State {
	case store.DKIMActive:
		r.Note = "Convene signs the mail it sends from this domain with this key (DKIM, RFC 6376)."
	case store.DKIMPending:
		r.Note = "A new key, not used yet: publish this record, then activate it. Convene switches to it only once the record is published as shown."
	case store.DKIMRetiring:
		r.RemoveAfter = at(row.Retired.Add(RetireAfter))
		r.Note = "Replaced on " + day(row.Retired) + ": keep this record published until " + day(row.Retired.Add(RetireAfter)) +
			" so that mail already sent still verifies; then it may be removed."
	case store.DKIMRetired:
		r.Value = ""
		if row.Activated.IsZero() {
			r.Note = "Cancelled on " + day(row.Purged) + " before it signed any mail: Convene deleted this private key. " +
				"If you published the record, remove it. Its selector is not used again."
			break
		}
		r.Note = "Retired: Convene deleted this private key on " + day(row.Purged) + ". Remove the record from DNS " +
			"(or publish \"v=DKIM1; p=\" to revoke it, RFC 6376 §3.6.1). Its selector is not used again."
	}
	return r
}

func at(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// domainOf returns the admin's managed domain name, normalized.
func (k *Keys) domainOf(ctx context.Context, p account.Principal, name string) (string, error) {
	if err := p.RequireAdmin(); err != nil {
		return "", err
	}
	n, err := account.NormalizeDomain(name)
	if err != nil {
		return "", failure.New(failure.NotFound, "no such domain")
	}
	if _, err := k.Store.Domain(ctx, p.AccountID, n); errors.Is(err, store.ErrNotFound) {
		return "", failure.New(failure.NotFound, "%s is not a domain of this account", n)
	} else if err != nil {
		return "", fmt.Errorf("dkimsign: domain %s: %w", n, err)
	}
	return n, nil
}

// Rotate starts a rotation of the admin's domain's DKIM key: a new key
// under the next selector, pending until Activate. A domain has at most
// one pending key: a second rotation is refused (409) until it is
// activated or cancelled.
func (k *Keys) Rotate(ctx context.Context, p account.Principal, domain string) (*Record, error) {
	d, err := k.domainOf(ctx, p, domain)
	if err != nil {
		return nil, err
	}
	if k.Audit == nil {
		return nil, errors.New("dkimsign: rotate: no audit log")
	}
	if _, err := k.Key(ctx, p.AccountID, d); err != nil { // the first key, if it is not made yet
		return nil, err
	}
	// The key is made before the transaction: RSA generation takes a
	// while, and a refused rotation only wastes it.
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: rotate %s: %w", d, err)
	}
	var made *store.DKIMKey
	err = k.Store.InTx(ctx, func(tx *store.DB) error {
		rows, err := tx.DKIMKeys(ctx, p.AccountID, d)
		if err != nil {
			return err
		}
		if pending := keyIn(rows, store.DKIMPending); pending != nil {
			return pendingConflict(pending)
		}
		// Sealed under its selector, chosen now.
		row, err := k.keyRow(priv, p.AccountID, d, nextSelector(rows))
		if err != nil {
			return err
		}
		row.State = store.DKIMPending
		ok, err := tx.AddDKIMKey(ctx, row)
		if err != nil {
			return err
		}
		if !ok { // another rotation's key, made since we read
			return failure.New(failure.Conflict, "another rotation of %s started at the same time", d)
		}
		made = row
		return k.Audit.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditDKIMRotate, d, account.Detail{"selector": row.Selector})
	})
	if errors.Is(err, store.ErrConflict) {
		return nil, failure.New(failure.Conflict, "another rotation of %s started at the same time", d)
	}
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("dkimsign: rotate %s: %w", d, err)
	}
	if k.Log != nil {
		k.Log.Info("DKIM rotation started", "account", p.AccountID, "domain", d, "selector", made.Selector)
	}
	r := record(made)
	return &r, nil
}

func pendingConflict(r *store.DKIMKey) error {
	return failure.New(failure.Conflict, "a rotation of %s is already pending (selector %s): publish its record and activate it", r.Domain, r.Selector).
		With("selector", r.Selector).With("txt_name", RecordName(r.Selector, r.Domain)).With("txt_value", RecordValue(r.PublicKey))
}

// keyIn returns the domain's key in state (pending and active keys are one
// per domain), nil if none is.
func keyIn(keys []store.DKIMKey, state string) *store.DKIMKey {
	for i := range keys {
		if keys[i].State == state {
			return &keys[i]
		}
	}
	return nil
}

// nextSelector is the selector of a domain's next key: the one after the
// highest of its keys (Selector for its first). A selector is never used
// twice under a domain.
func nextSelector(keys []store.DKIMKey) string {
	last := 0
	for _, k := range keys {
		last = max(last, selectorNumber(k.Selector))
	}
	return "convene" + strconv.Itoa(last+1)
}

// selectorNumber is n of "convene<n>", 0 for another name.
func selectorNumber(s string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "convene"))
	if err != nil || !strings.HasPrefix(s, "convene") {
		return 0
	}
	return n
}

// Activation is the outcome of Activate: the key that now signs and the
// one it replaced.
type Activation struct {
	Active   Record `json:"active"`
	Retiring Record `json:"retiring"`
}

// Activate switches the admin's domain's signing to its pending key, once
// DNS shows that key's record published, alone and exactly as given. The
// key it replaces retires (RetireAfter). It is refused with 422 and what
// DNS answered when the record is missing or differs, and with 409 when no
// rotation is pending.
func (k *Keys) Activate(ctx context.Context, p account.Principal, domain string) (*Activation, error) {
	d, err := k.domainOf(ctx, p, domain)
	if err != nil {
		return nil, err
	}
	if k.Audit == nil || k.Resolver == nil {
		return nil, errors.New("dkimsign: activate: no audit log or resolver")
	}
	rows, err := k.Store.DKIMKeys(ctx, p.AccountID, d)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: activate %s: %w", d, err)
	}
	pending, active := keyIn(rows, store.DKIMPending), keyIn(rows, store.DKIMActive)
	if pending == nil {
		return nil, failure.New(failure.Conflict, "no rotation of %s is pending: rotate first", d)
	}
	if err := k.checkPublished(ctx, pending); err != nil {
		return nil, err
	}
	now := k.now()
	err = k.Store.InTx(ctx, func(tx *store.DB) error {
		if err := tx.ActivateDKIMKey(ctx, p.AccountID, d, pending.Selector, now); err != nil {
			return err
		}
		detail := account.Detail{"selector": pending.Selector}
		if active != nil {
			detail["retiring"] = active.Selector
		}
		return k.Audit.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditDKIMActivate, d, detail)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Conflict, "the rotation of %s was activated meanwhile", d)
	}
	if err != nil {
		return nil, fmt.Errorf("dkimsign: activate %s: %w", d, err)
	}
	if k.Log != nil {
		k.Log.Info("DKIM key activated", "account", p.AccountID, "domain", d, "selector", pending.Selector)
	}
	out := &Activation{}
	pending.State, pending.Activated = store.DKIMActive, now
	out.Active = record(pending)
	if active != nil {
		active.State, active.Retired = store.DKIMRetiring, now
		out.Retiring = record(active)
	}
	return out, nil
}

// Cancel abandons the admin's domain's pending rotation: the pending key's
// private half is deleted at once and the key is retired without ever
// having signed, so that its selector is not used again (its record may
// have been published). Mail stays signed with the active key. It is
// refused with 409 when no rotation is pending.
func (k *Keys) Cancel(ctx context.Context, p account.Principal, domain string) (*Record, error) {
	d, err := k.domainOf(ctx, p, domain)
	if err != nil {
		return nil, err
	}
	if k.Audit == nil {
		return nil, errors.New("dkimsign: cancel: no audit log")
	}
	rows, err := k.Store.DKIMKeys(ctx, p.AccountID, d)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: cancel %s: %w", d, err)
	}
	pending := keyIn(rows, store.DKIMPending)
	if pending == nil {
		return nil, failure.New(failure.Conflict, "no rotation of %s is pending", d)
	}
	now := k.now()
	err = k.Store.InTx(ctx, func(tx *store.DB) error {
		if err := tx.CancelDKIMKey(ctx, p.AccountID, d, pending.Selector, now); err != nil {
			return err
		}
		return k.Audit.Audit(ctx, tx, p.AccountID, account.ActorOf(p), account.AuditDKIMCancel, d, account.Detail{"selector": pending.Selector})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.Conflict, "the rotation of %s was activated or cancelled meanwhile", d)
	}
	if err != nil {
		return nil, fmt.Errorf("dkimsign: cancel %s: %w", d, err)
	}
	if k.Log != nil {
		k.Log.Info("DKIM rotation cancelled", "account", p.AccountID, "domain", d, "selector", pending.Selector)
	}
	pending.State, pending.PrivateKey, pending.Retired, pending.Purged = store.DKIMRetired, "", now, now
	r := record(pending)
	return &r, nil
}

// checkPublished looks up the record of a pending key and says, as a 422
// problem, what is wrong with it: missing, several records at the name
// (a verifier may pick any, RFC 6376 §3.6.2.2), or another key.
func (k *Keys) checkPublished(ctx context.Context, key *store.DKIMKey) error {
	name, want := RecordName(key.Selector, key.Domain), RecordValue(key.PublicKey)
	refuse := func(format string, args ...any) error {
		return failure.New(failure.Invalid, "%s: "+format+"; publish TXT %q at %s and try again",
			append(append([]any{key.Domain}, args...), want, name)...).
			With("selector", key.Selector).With("txt_name", name).With("txt_value", want)
	}
	txts, err := k.Resolver.LookupTXT(ctx, name)
	if err != nil {
		var dnsErr *net.DNSError
		switch {
		case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
			return refuse("no TXT record at %s", name)
		case errors.As(err, &dnsErr) && dnsErr.IsTimeout:
			return refuse("the DNS server did not answer in time for %s", name)
		default:
			return refuse("looking up TXT %s failed: %v", name, err)
		}
	}
	switch {
	case len(txts) == 0:
		return refuse("no TXT record at %s", name)
	case len(txts) > 1:
		return refuse("%d TXT records at %s; a verifier may use any of them, so publish this one alone", len(txts), name)
	}
	tags, err := parseTags(txts[0])
	if err != nil {
		return refuse("the record at %s does not parse: %v", name, err)
	}
	if v, ok := tags["v"]; ok && v != "DKIM1" {
		return refuse("the record at %s has v=%s, not DKIM1", name, v)
	}
	if kt, ok := tags["k"]; ok && kt != "rsa" {
		return refuse("the record at %s has k=%s, not rsa", name, kt)
	}
	if p, ok := tags["p"]; !ok || p != key.PublicKey {
		return refuse("the record at %s holds another public key than the new one", name)
	}
	return nil
}

// parseTags reads a DKIM key record's tag list (RFC 6376 §3.2): tag=value
// separated by semicolons, whitespace ignored around them and, for the
// base64 p= value, inside it.
func parseTags(s string) (map[string]string, error) {
	tags := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not tag=value", part)
		}
		name = strings.TrimSpace(name)
		if _, dup := tags[name]; dup {
			return nil, fmt.Errorf("tag %s appears twice", name)
		}
		value = strings.TrimSpace(value)
		if name == "p" {
			value = strings.Join(strings.Fields(value), "")
		}
		tags[name] = value
	}
	return tags, nil
}

// Purge deletes the private keys that have been retiring for RetireAfter,
// and returns how many.
func (k *Keys) Purge(ctx context.Context) (int, error) {
	now := k.now()
	n, err := k.Store.PurgeDKIMKeys(ctx, now.Add(-RetireAfter), now)
	if err != nil {
		return 0, fmt.Errorf("dkimsign: purge: %w", err)
	}
	if n > 0 && k.Log != nil {
		k.Log.Info("retired DKIM keys deleted", "keys", n)
	}
	return n, nil
}

// purgeRetired is the periodic job that runs Purge.
type purgeRetired struct{}

// Kind implements jobs.Args.
func (purgeRetired) Kind() string { return "dkim.purge" }

// Register adds the purge of retired keys to the queue, every interval
// (on one node of several).
func (k *Keys) Register(q *jobs.Queue, every time.Duration) {
	jobs.Register(q, func(ctx context.Context, _ *jobs.Job[purgeRetired]) error {
		_, err := k.Purge(ctx)
		return err
	})
	q.Every(every, purgeRetired{})
}
