package mailauth

import (
	"strings"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/authres"
)

// TrustedResult is one result of the trusted MTA.
type TrustedResult struct {
	Method string // spf, dkim or dmarc
	Value  string // pass, fail…
	// Domain is what the result is about: smtp.mailfrom's domain for SPF,
	// header.d for DKIM, header.from for DMARC.
	Domain string
}

// TrustedResults returns the results the MTA named authservID added to a
// message: the topmost Authentication-Results field (RFC 8601 §2.2) whose
// authserv-id is authservID, with the fields of that id directly below it
// (an MTA whose milters each add one: OpenDKIM, OpenDMARC). Every other
// Authentication-Results field is ignored: ones lower down are not that
// MTA's (it prepends its own and, by RFC 8601 §5, removes incoming fields
// claiming its id), and other ids are anyone's words. ok is false when no
// field of that id is present or when it does not parse.
func TrustedResults(h textproto.Header, authservID string) (res []TrustedResult, ok bool) {
	if authservID == "" {
		return nil, false
	}
	started := false
	for f := h.Fields(); f.Next(); {
		isAR := strings.EqualFold(f.Key(), "Authentication-Results")
		if !isAR {
			if started {
				break
			}
			continue
		}
		id, results, err := authres.Parse(StripComments(f.Value()))
		if !strings.EqualFold(id, authservID) {
			if started {
				break
			}
			continue
		}
		if err != nil {
			// The trusted MTA's own field does not parse: believe none
			// of it rather than part.
			return nil, false
		}
		started = true
		for _, r := range results {
			switch r := r.(type) {
			case *authres.SPFResult:
				d := domainOf(r.From)
				if d == "" && r.From != "" && !strings.Contains(r.From, "@") {
					d = strings.ToLower(r.From)
				}
				if d == "" {
					d = strings.ToLower(r.Helo)
				}
				res = append(res, TrustedResult{Method: "spf", Value: string(r.Value), Domain: d})
			case *authres.DKIMResult:
				d := strings.ToLower(r.Domain)
				if d == "" {
					d = domainOf(r.Identifier)
				}
				res = append(res, TrustedResult{Method: "dkim", Value: string(r.Value), Domain: d})
			case *authres.DMARCResult:
				res = append(res, TrustedResult{Method: "dmarc", Value: string(r.Value), Domain: strings.ToLower(r.From)})
			}
		}
	}
	return res, started
}

// StripComments removes RFC 5322 §3.2.2 comments (nested parentheses, with
// quoted-pairs) from a header field value outside quoted strings, so that
// a comment cannot pose as a property ("(header.from=evil)"). An unclosed
// comment runs to the end.
func StripComments(v string) string {
	var b strings.Builder
	depth := 0
	quoted := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\' && (depth > 0 || quoted):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(v) {
					b.WriteByte(v[i+1])
				}
			}
			i++
		case quoted:
			if c == '"' {
				quoted = false
			}
			b.WriteByte(c)
		case c == '(':
			if depth == 0 {
				b.WriteByte(' ')
			}
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '"':
			quoted = true
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
