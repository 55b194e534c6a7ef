package zoomsandbox

import (
	"net/mail"
	"slices"
	"strings"
	"unicode"
)

// Sandbox accounts and users (DESIGN §2b): one account per OAuth
// authorization's set of domains; its users are the addresses in those
// domains, created on first use; with no domains every address is a user.

// accountForDomains returns the account whose users are the addresses in
// domains, creating it. s.mu is held.
func (s *Server) accountForDomains(domains []string) *account {
	domains = normalizeDomains(domains)
	key := slices.Sorted(slices.Values(domains))
	// The server-to-server account first, so that an install with the
	// standalone --domains shares its meetings.
	if a := s.st.Accounts[s.opts.AccountID]; a != nil && slices.Equal(slices.Sorted(slices.Values(a.Domains)), key) {
		return a
	}
	for _, a := range s.st.Accounts {
		if slices.Equal(slices.Sorted(slices.Values(a.Domains)), key) {
			return a
		}
	}
	a := &account{ID: s.rnd.text(22, idChars), Number: s.accountNumber(), Domains: domains, CreatedAt: s.now().UTC()}
	s.st.Accounts[a.ID] = a
	return a
}

// ownerEmail is the account owner's address: owner@ the first domain
// (DESIGN §4).
func (a *account) ownerEmail() string {
	if len(a.Domains) == 0 {
		return "owner@example.com"
	}
	return "owner@" + a.Domains[0]
}

// validEmail reports whether s is a plain addr-spec.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	return err == nil && addr.Address == s && addr.Name == ""
}

// inAccount reports whether the address belongs to the account's domains.
func (a *account) inAccount(email string) bool {
	if !validEmail(email) {
		return false
	}
	if len(a.Domains) == 0 {
		return true
	}
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	return slices.Contains(a.Domains, domain)
}

// userByEmail returns the account's user with that address, creating it on
// first use; nil when the address is not in the account. s.mu is held.
func (s *Server) userByEmail(a *account, email string) *user {
	if !a.inAccount(email) {
		return nil
	}
	email = strings.ToLower(email)
	for _, u := range s.st.Users {
		if u.AccountID == a.ID && u.Email == email {
			return u
		}
	}
	first, last := namesFromEmail(email)
	u := &user{
		ID: s.rnd.userID(), AccountID: a.ID, Email: email, FirstName: first, LastName: last,
		PMI: 1_000_000_000 + int64(s.rnd.intn(8_999_999_999)), Timezone: "UTC",
		Owner: email == a.ownerEmail(), CreatedAt: s.now().UTC(),
	}
	s.st.Users[u.ID] = u
	s.changed()
	return u
}

// resolveUser finds the user a path's userId names: "me", an e-mail
// address or a user ID (zoom-api.md §1.1). A token with only user-level
// scopes reaches its own user only. s.mu is held.
func (s *Server) resolveUser(c *call, userID string) (*user, *apiError) {
	var u *user
	switch {
	case userID == "me":
		u = c.user
	case strings.Contains(userID, "@"):
		u = s.userByEmail(c.account, userID)
	default:
		if cand := s.st.Users[userID]; cand != nil && cand.AccountID == c.account.ID {
			u = cand
		}
	}
	if u == nil || (c.grant == grantSelf && u.ID != c.user.ID) {
		// ZPLUG common-errors: a user-level token used with another
		// user's address gets 1001 too.
		return nil, errUserNotFound(userID)
	}
	return u, nil
}

// namesFromEmail makes a first and last name from the local part:
// "jane.doe@…" is Jane Doe.
func namesFromEmail(email string) (string, string) {
	local, _, _ := strings.Cut(email, "@")
	parts := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, p := range parts {
		r := []rune(p)
		r[0] = unicode.ToUpper(r[0])
		parts[i] = string(r)
	}
	switch len(parts) {
	case 0:
		return local, ""
	case 1:
		return parts[0], ""
	}
	return parts[0], strings.Join(parts[1:], " ")
}
