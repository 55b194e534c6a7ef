package mailauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	_ "github.com/emersion/go-message/charset" // display names in legacy charsets
)

// Address is the author of a message.
type Address struct {
	Address string // local@domain, the domain lower case in IDNA A-labels
	Name    string // display name, decoded
	Domain  string
}

// FromAddress returns the one author of a message: RFC 7489 §6.6.1 has
// receivers reject messages whose From field is missing, repeated or names
// several mailboxes, since none of them could be aligned with confidence.
func FromAddress(h textproto.Header) (*Address, error) {
	fields := h.Values("From")
	switch len(fields) {
	case 0:
		return nil, errors.New("the message has no From field")
	case 1:
	default:
		return nil, fmt.Errorf("the message has %d From fields", len(fields))
	}
	mh := mail.Header{Header: message.Header{Header: h}}
	list, err := mh.AddressList("From")
	if err != nil {
		return nil, fmt.Errorf("the From field does not parse: %v", err)
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("the From field names %d mailboxes, not one", len(list))
	}
	a := list[0]
	local, dom, ok := strings.Cut(a.Address, "@")
	if !ok || local == "" || dom == "" {
		return nil, fmt.Errorf("the From address %q has no domain", a.Address)
	}
	if strings.HasPrefix(dom, "[") {
		return nil, fmt.Errorf("the From address %q has an address literal, not a domain", a.Address)
	}
	ascii, err := idna.Lookup.ToASCII(strings.TrimSuffix(dom, "."))
	if err != nil || !strings.Contains(ascii, ".") {
		return nil, fmt.Errorf("the From address %q has no valid domain", a.Address)
	}
	ascii = strings.ToLower(ascii)
	return &Address{Address: local + "@" + ascii, Name: a.Name, Domain: ascii}, nil
}

// OrganizationalDomain returns the registered domain of a domain name
// (RFC 7489 §3.2), found with the Public Suffix List: the domain itself
// when it is one, or when it is a public suffix or not under one.
func OrganizationalDomain(domain string) string {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// Aligned reports whether an authenticated domain is aligned with the From
// domain (RFC 7489 §3.1.1, §3.1.2): equal in strict mode, of the same
// organizational domain in relaxed mode.
func Aligned(authDomain, fromDomain string, strict bool) bool {
	a := strings.ToLower(strings.TrimSuffix(authDomain, "."))
	f := strings.ToLower(strings.TrimSuffix(fromDomain, "."))
	if a == "" || f == "" {
		return false
	}
	if a == f {
		return true
	}
	return !strict && OrganizationalDomain(a) == OrganizationalDomain(f)
}
