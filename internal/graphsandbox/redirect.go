package graphsandbox

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// parseRedirectURI checks the form of a redirect URI: an absolute http(s)
// URL with a host, without user information and without a fragment
// (RFC 6749 §3.1.2).
func parseRedirectURI(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil:
		return nil, errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("not an http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, errors.New("no host")
	case u.User != nil:
		return nil, errors.New("user information is not allowed")
	case strings.Contains(raw, "#"):
		return nil, errors.New("a fragment is not allowed (RFC 6749 §3.1.2)")
	}
	return u, nil
}

// redirectAllowed reports whether adminconsent may send the browser to
// raw: one of Options.RedirectURIs, or, with none registered, a loopback
// URI. Like Microsoft, the sandbox never redirects to an unregistered URI
// (AADSTS50011): an open redirector would tell whoever wrote the link
// that a tenant consented, with the state of someone else's attempt.
func (s *Server) redirectAllowed(raw string) bool {
	u, err := parseRedirectURI(raw)
	if err != nil {
		return false
	}
	if len(s.opts.RedirectURIs) == 0 {
		return isLoopbackHost(u.Hostname())
	}
	// RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP (RFC 9700 §4.1.3): simple
	// string comparison, ports included.
	return slices.Contains(s.opts.RedirectURIs, raw)
}

// isLoopbackHost: localhost, or an address of 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	return strings.EqualFold(host, "localhost") || isLoopbackIP(host)
}

// isLoopbackIP: an IP literal of 127.0.0.0/8 or ::1 (IPv4-mapped too).
func isLoopbackIP(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
