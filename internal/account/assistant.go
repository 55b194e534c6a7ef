package account

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// The assistant address of an account is the one address its organizers
// write to (CC) and that the account's mail comes from. It is, in order:
//
//  1. the account's own setting (PATCH /api/v1/account assistant_address),
//     which must be in one of its verified domains;
//  2. CONVENE_ASSISTANT_ADDRESS (DefaultAssistant), when the account has
//     verified that address's domain;
//  3. assistant@ the account's first verified domain (the earliest
//     verified; by name when verified at the same time).
//
// An account with no verified domain has no assistant address. Since a
// domain is verified by one account at most, an address names at most one
// account.

// ErrNoAssistant: the address is no account's assistant.
var ErrNoAssistant = errors.New("account: no assistant at this address")

// AssistantAddress returns the account's assistant address, "" when it has
// no verified domain.
func (s *Service) AssistantAddress(ctx context.Context, accountID string) (string, error) {
	a, err := s.Store.Account(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("account: assistant address: %w", err)
	}
	return s.AssistantAddressOf(ctx, a)
}

// AccountAndAssistant returns the account and its assistant address ("" when
// it has no verified domain), in one read of the store.
func (s *Service) AccountAndAssistant(ctx context.Context, accountID string) (*store.Account, string, error) {
	a, ds, err := s.Store.AccountWithDomains(ctx, accountID)
	if err != nil {
		return nil, "", fmt.Errorf("account: assistant address: %w", err)
	}
	return a, assistantAddress(a.AssistantAddress, s.DefaultAssistant, ds), nil
}

// AssistantAddressOf is AssistantAddress of an account the caller has read
// already.
func (s *Service) AssistantAddressOf(ctx context.Context, a *store.Account) (string, error) {
	return s.AssistantAddressIn(ctx, s.Store, a)
}

// AssistantAddressIn is AssistantAddressOf read through st: the
// transaction the caller runs in, which must not wait for a second
// connection.
func (s *Service) AssistantAddressIn(ctx context.Context, st store.Store, a *store.Account) (string, error) {
	ds, err := st.Domains(ctx, a.ID)
	if err != nil {
		return "", fmt.Errorf("account: assistant address: %w", err)
	}
	return assistantAddress(a.AssistantAddress, s.DefaultAssistant, ds), nil
}

func assistantAddress(own, def string, ds []store.Domain) string {
	verified := map[string]bool{}
	var first *store.Domain
	for i := range ds {
		d := &ds[i]
		if !d.Verified {
			continue
		}
		verified[d.Name] = true
		if first == nil || d.VerifiedAt.Before(first.VerifiedAt) {
			first = d
		}
	}
	if first == nil {
		return ""
	}
	for _, a := range []string{own, def} {
		if _, dom, ok := splitAddress(a); ok && verified[dom] {
			return strings.ToLower(a)
		}
	}
	return "assistant@" + first.Name
}

// AccountOfAssistant returns the account whose assistant address addr is,
// or ErrNoAssistant. The local part is compared without regard to case.
func (s *Service) AccountOfAssistant(ctx context.Context, addr string) (string, error) {
	_, dom, ok := splitAddress(addr)
	if !ok {
		return "", ErrNoAssistant
	}
	id, err := s.Store.VerifiedDomainOwner(ctx, dom)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNoAssistant
	}
	if err != nil {
		return "", fmt.Errorf("account: assistant %s: %w", addr, err)
	}
	want, err := s.AssistantAddress(ctx, id)
	if err != nil {
		return "", err
	}
	if want == "" || !strings.EqualFold(want, addr) {
		return "", ErrNoAssistant
	}
	return id, nil
}

// splitAddress splits local@domain, lower-cases the domain and checks that
// both parts are plain: an ASCII dot-atom local part (RFC 5322 §3.4.1) and
// a domain name.
func splitAddress(addr string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 || i == len(addr)-1 || len(addr) > 254 {
		return "", "", false
	}
	local, domain = addr[:i], strings.ToLower(addr[i+1:])
	if len(local) > 64 || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "", "", false
	}
	for _, r := range local {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
			return "", "", false
		}
	}
	if d, err := NormalizeDomain(domain); err != nil || d != domain {
		return "", "", false
	}
	return local, domain, true
}

// checkAssistantAddress validates an assistant address for the account's
// setting: "" (the default) or an address in a verified domain of the
// account. It returns the stored form.
func (s *Service) checkAssistantAddress(ctx context.Context, st store.Store, accountID, addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return "", nil
	}
	local, dom, ok := splitAddress(addr)
	if !ok {
		return "", failure.Field("assistant_address", "%q is not a plain e-mail address like assistant@example.com", addr)
	}
	ds, err := st.Domains(ctx, accountID)
	if err != nil {
		return "", fmt.Errorf("account: assistant address: %w", err)
	}
	var names []string
	for _, d := range ds {
		if d.Verified {
			if d.Name == dom {
				return strings.ToLower(local) + "@" + dom, nil
			}
			names = append(names, d.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "", failure.Field("assistant_address", "the account has no verified domain yet; verify one first")
	}
	return "", failure.Field("assistant_address", "%s is not a verified domain of this account (verified: %s)", dom, strings.Join(names, ", "))
}
