// Package dkimsign signs the mail Convene sends (invitations, notices,
// and later the assistant's proposals) with a DKIM key of the sending
// domain (RFC 6376), so that receivers can align it with the From address
// (DMARC, RFC 7489) and accept it; and it says which DNS records a managed
// domain publishes for that: the DKIM key, SPF for the relay, a DMARC
// policy.
//
// Each managed domain gets one RSA-2048 key (RFC 8301), selector
// "convene1", made the first time it is needed (to sign, or to show the
// records) and kept sealed with the data key (internal/seal). An admin
// rotates it (rotate.go): a new key under the next selector, pending
// until its record is published, then active while the old one retires. RSA alone,
// not Ed25519 beside it (RFC 8463): every receiver verifies RSA, while
// Ed25519 would add a second record to publish for no receiver that
// rejects RSA.
//
// Mail is signed when it is sent, not when it is stored in the outbox: a
// retry signs again with the current key, and the outbox keeps the
// message as written.
//
// It is core-side plumbing: it imports the store and seal, never a front
// end.
package dkimsign

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/dkim"

	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/seal"
	"github.com/convene/convene/internal/store"
)

// Selector names Convene's first key under each domain:
// convene1._domainkey.example.com. Rotations take convene2, convene3…
const Selector = "convene1"

// keyBits is the RSA key size (RFC 8301 §3.2: at least 1024, 2048
// recommended).
const keyBits = 2048

// signedHeaders are the fields the signature covers (RFC 6376 §5.4.1). A
// field named that the message lacks is signed as absent, so it cannot be
// added later; From is named twice so that no second From can be
// prepended (§8.15).
var signedHeaders = []string{"From", "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding"}

// Keys makes, keeps and uses the DKIM keys of the managed domains.
type Keys struct {
	Store *store.DB
	Box   *seal.Box
	// RelayHost is the host of CONVENE_SMTP_RELAY, for the SPF advice;
	// "" when mail stays in the outbox.
	RelayHost string
	Now       func() time.Time
	Log       *slog.Logger

	// Resolver looks up the records a rotation asks to publish
	// (CONVENE_DNS_RESOLVER, like the domain checks).
	Resolver Resolver
	// Audit records rotations in the account's audit log;
	// *account.Service is one.
	Audit Auditor

	mu    sync.Mutex
	cache map[string]cachedKey // account/domain → the active key, parsed
	gen   sync.Mutex           // one key generation at a time
}

// cachedKey is a parsed private key and the selector it was stored under:
// a key under another selector (a rotation on any node) is read anew.
type cachedKey struct {
	selector string
	priv     *rsa.PrivateKey
}

// Key is a domain's DKIM key.
type Key struct {
	Domain   string
	Selector string
	Private  *rsa.PrivateKey
	// Record is the TXT value to publish at Selector._domainkey.Domain.
	Record string
}

// RecordName returns where a domain's DKIM key with selector is published
// (RFC 6376 §3.6.2.1).
func RecordName(selector, domain string) string { return selector + "._domainkey." + domain }

// RecordValue is the TXT value that publishes a public key (base64 of its
// DER form).
func RecordValue(publicKey string) string { return "v=DKIM1; k=rsa; p=" + publicKey }

// where binds a sealed key to its account, domain and selector.
func where(accountID, domain, selector string) string {
	return "dkim/" + accountID + "/" + domain + "/" + selector
}

// Key returns the account's active key for domain, making the first one on
// first use. The active key is read from the database on every call, so
// that a rotation on any node of a cluster takes effect at the next
// message; only the parsing of the private key is cached.
func (k *Keys) Key(ctx context.Context, accountID, domain string) (*Key, error) {
	domain = strings.ToLower(domain)
	row, err := k.Store.ActiveDKIMKey(ctx, accountID, domain)
	if errors.Is(err, store.ErrNotFound) {
		row, err = k.create(ctx, accountID, domain)
	}
	if err != nil {
		return nil, fmt.Errorf("dkimsign: key of %s: %w", domain, err)
	}
	priv, err := k.private(row)
	if err != nil {
		return nil, err
	}
	return &Key{Domain: domain, Selector: row.Selector, Private: priv, Record: RecordValue(row.PublicKey)}, nil
}

// create makes and stores a key; when another node stored one first, that
// one is used.
func (k *Keys) create(ctx context.Context, accountID, domain string) (*store.DKIMKey, error) {
	k.gen.Lock()
	defer k.gen.Unlock()
	if row, err := k.Store.ActiveDKIMKey(ctx, accountID, domain); err == nil {
		return row, nil // made while we waited
	}
	// Selector, unless the domain had keys before it was removed.
	old, err := k.Store.DKIMKeys(ctx, accountID, domain)
	if err != nil {
		return nil, err
	}
	selector := nextSelector(old)
	row, err := k.newKey(accountID, domain, selector)
	if err != nil {
		return nil, err
	}
	row.State, row.Activated = store.DKIMActive, row.Created
	if _, err := k.Store.AddDKIMKey(ctx, row); err != nil {
		return nil, err
	}
	if k.Log != nil {
		k.Log.Info("DKIM key made", "account", accountID, "domain", domain, "selector", selector)
	}
	return k.Store.ActiveDKIMKey(ctx, accountID, domain)
}

// newKey makes a key pair for selector, sealed, not stored.
func (k *Keys) newKey(accountID, domain, selector string) (*store.DKIMKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, err
	}
	return k.keyRow(priv, accountID, domain, selector)
}

// keyRow is priv as stored for selector: sealed, not stored yet.
func (k *Keys) keyRow(priv *rsa.PrivateKey, accountID, domain, selector string) (*store.DKIMKey, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	sealed, err := k.Box.Seal(base64.StdEncoding.EncodeToString(der), where(accountID, domain, selector))
	if err != nil {
		return nil, err
	}
	return &store.DKIMKey{AccountID: accountID, Domain: domain, Selector: selector, Algorithm: "rsa",
		PrivateKey: sealed, PublicKey: base64.StdEncoding.EncodeToString(pub), Created: k.now()}, nil
}

func (k *Keys) private(row *store.DKIMKey) (*rsa.PrivateKey, error) {
	id := row.AccountID + "/" + row.Domain
	k.mu.Lock()
	c := k.cache[id]
	k.mu.Unlock()
	if c.priv != nil && c.selector == row.Selector {
		return c.priv, nil
	}
	b64, err := k.Box.Open(row.PrivateKey, where(row.AccountID, row.Domain, row.Selector))
	if err != nil {
		return nil, fmt.Errorf("dkimsign: open the key of %s: %w", row.Domain, err)
	}
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: key of %s: %w", row.Domain, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: key of %s: %w", row.Domain, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("dkimsign: key of %s is not RSA", row.Domain)
	}
	k.mu.Lock()
	if k.cache == nil {
		k.cache = map[string]cachedKey{}
	}
	// The key it replaces, if any, leaves memory.
	k.cache[id] = cachedKey{selector: row.Selector, priv: priv}
	k.mu.Unlock()
	return priv, nil
}

// Sign returns msg with a DKIM-Signature of its From domain prepended,
// when that domain is a verified managed domain; otherwise msg as it is
// (no key of ours could align with it).
func (k *Keys) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(msg)))
	if err != nil {
		return nil, fmt.Errorf("dkimsign: the message's header does not parse: %w", err)
	}
	from, err := mailauth.FromAddress(h)
	if err != nil {
		return nil, fmt.Errorf("dkimsign: %w", err)
	}
	accountID, err := k.Store.VerifiedDomainOwner(ctx, from.Domain)
	if errors.Is(err, store.ErrNotFound) {
		return msg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dkimsign: %w", err)
	}
	key, err := k.Key(ctx, accountID, from.Domain)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(msg) + 600)
	err = dkim.Sign(&out, bytes.NewReader(msg), &dkim.SignOptions{
		Domain: key.Domain, Selector: key.Selector, Signer: key.Private, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("dkimsign: sign for %s: %w", key.Domain, err)
	}
	return out.Bytes(), nil
}

// Next submits signed mail; smtpout.Client is one.
type Next interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// Sender signs each message, then hands it to Next.
type Sender struct {
	Keys *Keys
	Next Next
}

// Send signs msg and submits it. A signing failure is returned as is: the
// outbox retries it like a relay's temporary failure.
func (s *Sender) Send(ctx context.Context, from string, to []string, msg []byte) error {
	signed, err := s.Keys.Sign(ctx, msg)
	if err != nil {
		return err
	}
	return s.Next.Send(ctx, from, to, signed)
}

// Record is a DNS record a managed domain publishes.
type Record struct {
	// Purpose is verification, dkim, spf or dmarc.
	Purpose string `json:"purpose"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	// Value is what to publish; "" when there is nothing to publish yet.
	Value string `json:"value"`
	Note  string `json:"note,omitempty"`

	// For DKIM keys: the selector and the key's state (pending, active,
	// retiring, retired) with its dates. RemoveAfter is when a retiring
	// key's record may leave DNS, and its private key is deleted.
	Selector    string     `json:"selector,omitempty"`
	State       string     `json:"state,omitempty"`
	Created     *time.Time `json:"created_at,omitempty"`
	Activated   *time.Time `json:"activated_at,omitempty"`
	Retired     *time.Time `json:"retired_at,omitempty"`
	RemoveAfter *time.Time `json:"remove_after,omitempty"`
	Purged      *time.Time `json:"purged_at,omitempty"`
}

// Records returns the DKIM, SPF and DMARC records of an account's domain
// (the verification record is the account package's): the active DKIM key
// first, then a pending one, then the retiring and retired ones, newest
// first. The first DKIM key is made if needed.
func (k *Keys) Records(ctx context.Context, accountID, domain string) ([]Record, error) {
	key, err := k.Key(ctx, accountID, domain)
	if err != nil {
		return nil, err
	}
	out, err := k.DKIMRecords(ctx, accountID, key.Domain)
	if err != nil {
		return nil, err
	}
	spfRec := Record{Purpose: "spf", Type: "TXT", Name: key.Domain}
	switch ip := net.ParseIP(k.RelayHost); {
	case k.RelayHost == "":
		spfRec.Note = "CONVENE_SMTP_RELAY is not set: mail stays in the outbox. Once it is, authorize the relay in this domain's SPF record."
	case ip != nil && ip.To4() != nil:
		spfRec.Value = "v=spf1 ip4:" + ip.String() + " ~all"
	case ip != nil:
		spfRec.Value = "v=spf1 ip6:" + ip.String() + " ~all"
	default:
		spfRec.Value = "v=spf1 a:" + k.RelayHost + " ~all"
	}
	if spfRec.Value != "" {
		spfRec.Note = "Authorizes the relay Convene sends through (CONVENE_SMTP_RELAY). A name has one SPF record (RFC 7208 §3.2): " +
			"if the domain has one, add the mechanism to it; if your relay is a provider, use the include: it documents."
	}
	out = append(out, spfRec)
	out = append(out, Record{Purpose: "dmarc", Type: "TXT", Name: "_dmarc." + key.Domain, Value: "v=DMARC1; p=none; adkim=r; aspf=r",
		Note: "Suggested: start with p=none, move to quarantine or reject once reports show your mail aligned. Whatever the policy, " +
			"Convene's assistant acts only on mail that passes DMARC alignment."})
	return out, nil
}

// now is the clock, to the millisecond the database keeps, so that what
// an action returns is what a later listing shows.
func (k *Keys) now() time.Time {
	if k.Now == nil {
		return time.Now().UTC().Truncate(time.Millisecond)
	}
	return k.Now().UTC().Truncate(time.Millisecond)
}
