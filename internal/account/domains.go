package account

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/idna"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// ChallengeLabel is the DNS label under which a managed domain's TXT record
// is looked up: _convene-challenge.example.com.
const ChallengeLabel = "_convene-challenge"

// txtPrefix starts the TXT record's value.
const txtPrefix = "convene-domain-verification="

// TXTName returns the name of the TXT record that proves domain.
func TXTName(domain string) string { return ChallengeLabel + "." + domain }

// NormalizeDomain checks a domain name and returns its lower-case ASCII
// (IDNA) form.
func NormalizeDomain(s string) (string, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" {
		return "", errors.New("a domain name is required")
	}
	if net.ParseIP(strings.Trim(s, "[]")) != nil {
		return "", fmt.Errorf("%q is an IP address, not a domain name", s)
	}
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid domain name", s)
	}
	a = strings.ToLower(a)
	if len(a) > 253 || !strings.Contains(a, ".") {
		return "", fmt.Errorf("%q is not a fully qualified domain name like example.com", s)
	}
	for _, label := range strings.Split(a, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", fmt.Errorf("%q is not a valid domain name", s)
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", fmt.Errorf("%q is not a valid domain name", s)
			}
		}
	}
	return a, nil
}

// AddDomain adds a pending managed domain to the admin's account and returns
// it with the TXT record that will prove it.
func (s *Service) AddDomain(ctx context.Context, p Principal, name string) (*store.Domain, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	d, err := NormalizeDomain(name)
	if err != nil {
		return nil, failure.Field("domain", "%v", err)
	}
	var b [20]byte
	if _, err := s.Rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("account: random: %w", err)
	}
	dom := &store.Domain{AccountID: p.AccountID, Name: d, TXTValue: txtPrefix + strings.ToLower(b32.EncodeToString(b[:])), Created: s.Now().UTC()}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.CreateDomain(ctx, dom); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditDomainAdd, d, nil)
	})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, failure.New(failure.Conflict, "%s is already a domain of this account", d)
		}
		return nil, fmt.Errorf("account: add domain: %w", err)
	}
	return dom, nil
}

// VerifyDomain looks up the domain's TXT record and marks it verified when
// it holds the expected value. The error says what DNS answered. On the
// built-in Zoom sandbox (SandboxReservedNames), a name reserved for testing
// (IsReservedName) is verified without DNS.
func (s *Service) VerifyDomain(ctx context.Context, p Principal, name string) (*store.Domain, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	d, err := s.domain(ctx, p, name)
	if err != nil {
		return nil, err
	}
	if d.Verified {
		return d, nil
	}
	if s.SandboxReservedNames && IsReservedName(d.Name) {
		// A name reserved for testing, on the built-in Zoom sandbox: no
		// DNS (see reserved.go).
		return s.markVerified(ctx, p, d, store.VerifiedByReservedName)
	}
	txtName := TXTName(d.Name)
	records, err := s.Resolver.LookupTXT(ctx, txtName)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && (dnsErr.IsNotFound || dnsErr.IsTimeout || dnsErr.IsTemporary) {
			why := "no TXT record"
			switch {
			case dnsErr.IsTimeout:
				why = "the DNS server did not answer in time"
			case dnsErr.IsTemporary && !dnsErr.IsNotFound:
				why = "the DNS server failed temporarily"
			}
			return nil, failure.New(failure.Invalid, "%s: %s at %s; publish TXT %q there and try again", d.Name, why, txtName, d.TXTValue).
				With("txt_name", txtName).With("txt_value", d.TXTValue)
		}
		return nil, failure.New(failure.Invalid, "%s: looking up TXT %s failed: %v", d.Name, txtName, err).
			With("txt_name", txtName).With("txt_value", d.TXTValue)
	}
	found := false
	for _, r := range records {
		if strings.TrimSpace(r) == d.TXTValue {
			found = true
		}
	}
	if !found {
		return nil, failure.New(failure.Invalid, "%s: the TXT records at %s (%d found) do not include %q", d.Name, txtName, len(records), d.TXTValue).
			With("txt_name", txtName).With("txt_value", d.TXTValue)
	}
	return s.markVerified(ctx, p, d, store.VerifiedByDNS)
}

// markVerified records that d is verified, and how.
func (s *Service) markVerified(ctx context.Context, p Principal, d *store.Domain, by string) (*store.Domain, error) {
	now := s.Now().UTC()
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		if err := tx.MarkDomainVerified(ctx, p.AccountID, d.Name, now, by); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditDomainVerify, d.Name, Detail{"verified_by": by})
	})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, failure.New(failure.Conflict, "%s is already a verified domain of another account", d.Name)
		}
		return nil, fmt.Errorf("account: verify domain: %w", err)
	}
	d.Verified, d.VerifiedAt, d.VerifiedBy = true, now, by
	return d, nil
}

// Domain returns a managed domain of p's account by name; NotFound when
// the account has no such domain.
func (s *Service) Domain(ctx context.Context, p Principal, name string) (*store.Domain, error) {
	return s.domain(ctx, p, name)
}

func (s *Service) domain(ctx context.Context, p Principal, name string) (*store.Domain, error) {
	n, err := NormalizeDomain(name)
	if err != nil {
		return nil, failure.New(failure.NotFound, "no such domain")
	}
	d, err := s.Store.Domain(ctx, p.AccountID, n)
	if errors.Is(err, store.ErrNotFound) {
		return nil, failure.New(failure.NotFound, "%s is not a domain of this account", n)
	}
	if err != nil {
		return nil, fmt.Errorf("account: domain: %w", err)
	}
	return d, nil
}

// Domains lists the account's managed domains.
func (s *Service) Domains(ctx context.Context, p Principal) ([]store.Domain, error) {
	return s.Store.Domains(ctx, p.AccountID)
}

// VerifiedDomains lists the names of the account's verified domains.
func (s *Service) VerifiedDomains(ctx context.Context, accountID string) ([]string, error) {
	ds, err := s.Store.Domains(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds {
		if d.Verified {
			out = append(out, d.Name)
		}
	}
	return out, nil
}

// RemoveDomain removes a managed domain. A domain that still has users is
// kept: remove or move them first.
func (s *Service) RemoveDomain(ctx context.Context, p Principal, name string) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	d, err := s.domain(ctx, p, name)
	if err != nil {
		return err
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		n, err := tx.CountUsersInDomain(ctx, p.AccountID, d.Name)
		if err != nil {
			return err
		}
		if n > 0 && d.Verified {
			return failure.New(failure.Conflict, "%s still has %d user(s) of this account", d.Name, n)
		}
		if err := tx.DeleteDomain(ctx, p.AccountID, d.Name, s.Now().UTC()); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, AuditDomainRemove, d.Name, nil)
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return err
		}
		return fmt.Errorf("account: remove domain: %w", err)
	}
	return nil
}

// NewResolver returns the DNS resolver for domain checks: the server at addr
// (host:port) when set, else the system's.
func NewResolver(addr string) *net.Resolver {
	if addr == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
}
