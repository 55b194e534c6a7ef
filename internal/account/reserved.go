package account

import "strings"

// Names reserved for testing and documentation can never be anyone's real
// domain, so on the built-in Zoom sandbox (Service.SandboxReservedNames)
// they are verified without DNS: a newcomer on a laptop can add
// acme.example, verify it and book a sandbox Zoom meeting without editing
// DNS. With real Zoom they need their TXT record like any other name.

// reservedTLDs are the top-level names reserved by RFC 2606 §2 (.test,
// .example, .invalid, .localhost) and RFC 6761 §6.2-6.5, which lists the
// same four.
var reservedTLDs = []string{"test", "example", "invalid", "localhost"}

// reservedSLDs are the second-level names reserved by RFC 2606 §3 and
// RFC 6761 §6.5: example.com, example.net and example.org.
var reservedSLDs = []string{"example.com", "example.net", "example.org"}

// IsReservedName reports whether domain, a normalized name (NormalizeDomain),
// is one of the names reserved for testing and documentation or under one:
// *.test, *.example, *.invalid, *.localhost, and example.com, example.net,
// example.org with their subdomains.
func IsReservedName(domain string) bool {
	domain = strings.TrimSuffix(strings.ToLower(domain), ".")
	for _, tld := range reservedTLDs {
		if domain == tld || strings.HasSuffix(domain, "."+tld) {
			return true
		}
	}
	for _, sld := range reservedSLDs {
		if domain == sld || strings.HasSuffix(domain, "."+sld) {
			return true
		}
	}
	return false
}
