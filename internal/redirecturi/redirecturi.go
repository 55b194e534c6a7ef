// Package redirecturi checks OAuth 2.0 redirection endpoints as an
// authorization server does (RFC 6749 §3.1.2): the form of a redirect URI,
// whether one may receive codes, and what counts as loopback. The built-in
// sandboxes (Zoom, Microsoft Graph, Google) share it, so that their rule
// against open redirection is one.
//
// This package imports nothing of Convene.
package redirecturi

import (
	"errors"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// Parse checks the form of a redirect URI: an absolute http(s) URL with a
// host, without user information and without a fragment (RFC 6749
// §3.1.2).
func Parse(raw string) (*url.URL, error) {
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

// Allowed reports whether an authorization server may send the browser to
// raw: one of registered, or, with none registered, a loopback URI. It
// never allows an unregistered URI (RFC 6749 §3.1.2.4, §4.1.2.1): an open
// redirector would hand the authorization code, or the news of a consent,
// to whoever wrote the link. Registered URIs compare as strings, ports
// included (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3), so that another local
// process on another port cannot take the codes.
func Allowed(registered []string, raw string) bool {
	u, err := Parse(raw)
	if err != nil {
		return false
	}
	if len(registered) == 0 {
		return LoopbackHost(u.Hostname())
	}
	return slices.Contains(registered, raw)
}

// LoopbackHost reports whether host is localhost or an IP literal of
// 127.0.0.0/8 or ::1 (IPv4-mapped too).
func LoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
