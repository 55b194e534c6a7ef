// Package redact takes the secrets out of URLs and of the texts that carry
// them (error messages, problems shown to people, log lines) before they
// are shown or logged.
//
// Calendar feed URLs are credentials: Google's "secret address" is
// https://calendar.google.com/calendar/ical/ann%40gmail.com/private-0123…/basic.ics,
// and Outlook, iCloud and Nextcloud publish under long random path
// segments. The rule, applied to every URL:
//
//   - the scheme, host and port stay, so that people recognize the source;
//   - user information (user:password@), the query and the fragment go;
//   - each path segment that looks like a secret becomes "…": one that
//     starts with "private" or "secret", or that is 16 characters or more
//     (leaving out a file extension) and has a digit or mixes upper and
//     lower case. Words, e-mail addresses and file names stay.
//
// So the Google address above reads
// https://calendar.google.com/calendar/ical/ann%40gmail.com/…/basic.ics.
//
// This package imports nothing of Convene.
package redact

import (
	"errors"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// Mark replaces what is redacted.
const Mark = "…"

// URL returns raw without its secrets (the rule of the package comment);
// a string that is not a URL comes back as Mark.
func URL(raw string) string {
	// A mark of an earlier redaction, escaped, keeps the path's own
	// escaping as it is.
	raw = strings.ReplaceAll(strings.TrimSpace(raw), Mark, "%E2%80%A6")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme == "" && u.Host == "" && !strings.HasPrefix(u.Path, "/")) {
		return Mark
	}
	out := ""
	if u.Scheme != "" {
		out = u.Scheme + ":"
	}
	if u.Host != "" || u.Scheme != "" && u.Opaque == "" {
		out += "//" + u.Host
	}
	if u.Opaque != "" {
		// mailto:, urn: and the like: nothing to tell apart from a
		// secret.
		return out + Mark
	}
	return out + Path(u.EscapedPath())
}

// Path returns an (escaped) URL path with its secret-looking segments
// replaced by Mark.
func Path(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		dec, err := url.PathUnescape(s)
		if err != nil {
			dec = s
		}
		if dec == Mark || Secret(dec) {
			segs[i] = Mark
		}
	}
	return strings.Join(segs, "/")
}

// Secret reports whether a path segment looks like a secret token.
func Secret(seg string) bool {
	base := seg
	if ext := path.Ext(seg); len(ext) > 1 && len(ext) <= 6 {
		base = strings.TrimSuffix(seg, ext)
	}
	lower := strings.ToLower(base)
	if strings.HasPrefix(lower, "private") || strings.HasPrefix(lower, "secret") {
		return true
	}
	if len([]rune(base)) < 16 {
		return false
	}
	var digit, upper, lowerCase bool
	for _, r := range base {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lowerCase = true
		}
	}
	return digit || upper && lowerCase
}

// inText finds what Text redacts: URLs with a scheme, and absolute paths
// that follow a space, a quote, a parenthesis or the start.
var inText = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]+|(?:^|[\s"'(=])/[^\s"'<>]*`)

// Text returns s with every URL and absolute path in it redacted, as in
// the message of a *url.Error: `Get "https://host/private-…": EOF`.
func Text(s string) string {
	return inText.ReplaceAllStringFunc(s, func(m string) string {
		if i := strings.IndexByte(m, '/'); i == 0 || i == 1 && !isLetter(m[0]) {
			// An absolute path: keep what came before its slash, drop
			// its query and fragment.
			p := m[i:]
			if j := strings.IndexAny(p, "?#"); j >= 0 {
				p = p[:j]
			}
			return m[:i] + Path(p)
		}
		// Trailing punctuation belongs to the sentence.
		trail := ""
		for len(m) > 0 && strings.ContainsRune(".,;:)]}", rune(m[len(m)-1])) {
			trail = m[len(m)-1:] + trail
			m = m[:len(m)-1]
		}
		return URL(m) + trail
	})
}

// Error returns err with a redacted message; errors.Is and errors.As
// still see the original chain.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL of a failed request is in its message: redact it where
		// it is, too.
		ue.URL = URL(ue.URL)
	}
	return &redacted{msg: Text(err.Error()), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

func isLetter(b byte) bool { return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' }
