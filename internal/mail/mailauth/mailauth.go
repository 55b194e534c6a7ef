// Package mailauth decides whether a received message comes from the
// address in its From header field (RFC 5322 §3.6.2), the way DMARC does
// (RFC 7489 §3.1, §4.2): the message passes when SPF (RFC 7208) passes for a
// MAIL FROM domain aligned with the From domain, or a DKIM signature
// (RFC 6376) of an aligned domain verifies. A domain without a DMARC record
// is held to the same rule with relaxed alignment, as if it published
// "v=DMARC1; p=reject": the assistant acts on mail only when its sender is
// proven, whatever policy the domain asks receivers to apply to failures.
//
// Behind an MTA the operator trusts (CONVENE_TRUSTED_MTA), its
// Authentication-Results header field (RFC 8601) can stand for our own
// checks, but only on mail that MTA handed us and only the topmost fields
// bearing its authserv-id; every other Authentication-Results field is
// ignored, since anyone can write one.
//
// SPF uses blitiri.com.ar/go/spf, DKIM and the DMARC record lookup
// emersion/go-msgauth, all through the DNS resolver given
// (CONVENE_DNS_RESOLVER). This package imports nothing of Convene: it reads
// bytes and an envelope and returns a Verdict.
package mailauth

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
)

// Resolver answers the DNS queries of SPF, DKIM and DMARC; *net.Resolver
// is one.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Checker checks senders.
type Checker struct {
	Resolver Resolver
	// TrustedMTA is the authserv-id (RFC 8601 §2.5) of the operator's MTA
	// whose Authentication-Results are believed; "" believes none. That
	// MTA must remove the fields bearing its authserv-id from the mail it
	// receives, as RFC 8601 §5 requires.
	TrustedMTA string
	// TrustedPeers are the addresses the trusted MTA relays to us from.
	// Mail from anywhere else is checked by us, its
	// Authentication-Results ignored.
	TrustedPeers []netip.Prefix
	// MaxSignatures bounds the DKIM signatures verified per message
	// (default 5).
	MaxSignatures int
	// Timeout bounds the DNS work of one check (default 20 s).
	Timeout time.Duration
}

// Input is a received message and how it arrived.
type Input struct {
	// Raw is the message exactly as received: DKIM verifies these bytes.
	Raw []byte
	// RemoteIP is the SMTP client's address; "" when unknown (mail read
	// from a mailbox), and then SPF is not evaluated.
	RemoteIP string
	HELO     string
	MailFrom string
	// FromTrustedMTA: the message was read from a mailbox the trusted MTA
	// delivered to (the IMAP intake), so its Authentication-Results count
	// as if it had relayed the message to us.
	FromTrustedMTA bool
}

// Verdict is the outcome of a check.
type Verdict struct {
	// From is the RFC 5322.From address, Domain its domain (lower case,
	// IDNA A-labels).
	From   string `json:"from"`
	Name   string `json:"name,omitempty"`
	Domain string `json:"domain"`
	// Pass: the From address is proven.
	Pass bool `json:"pass"`
	// Method says how: "dmarc" (the domain's DMARC record),
	// "aligned" (no DMARC record: an aligned SPF or DKIM pass),
	// "trusted-mta" (the trusted MTA's results).
	Method string `json:"method,omitempty"`
	// Reason is one sentence for the admin.
	Reason string       `json:"reason"`
	SPF    SPFResult    `json:"spf"`
	DKIM   []DKIMResult `json:"dkim,omitempty"`
	DMARC  DMARCResult  `json:"dmarc"`
}

// SPFResult is the SPF check of the envelope (RFC 7208 §2.6).
type SPFResult struct {
	Result  string `json:"result"` // pass, fail, softfail, neutral, none, permerror, temperror, or "" when not checked
	Domain  string `json:"domain,omitempty"`
	Aligned bool   `json:"aligned"`
}

// DKIMResult is one signature's verification (RFC 6376 §6).
type DKIMResult struct {
	Domain  string `json:"domain"`
	Result  string `json:"result"` // pass, fail, permerror, temperror
	Aligned bool   `json:"aligned"`
	Error   string `json:"error,omitempty"`
}

// DMARCResult is what the From domain publishes (RFC 7489 §6.3) and the
// outcome.
type DMARCResult struct {
	Record bool   `json:"record"`
	Policy string `json:"policy,omitempty"`
	Result string `json:"result"` // pass, fail, temperror
}

// TempError means DNS failed temporarily and the check should be tried
// again later; the verdict so far is in it.
type TempError struct {
	Verdict *Verdict
	Err     error
}

func (e *TempError) Error() string { return "mailauth: temporary failure: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *TempError) Unwrap() error { return e.Err }

// Check decides whether in's From address is proven. It returns a
// *TempError when a DNS lookup failed temporarily and the message did not
// pass otherwise.
func (c *Checker) Check(ctx context.Context, in Input) (*Verdict, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	v := &Verdict{}
	h, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(in.Raw)))
	if err != nil {
		v.Reason = "the header does not parse: " + err.Error()
		return v, nil
	}
	from, err := FromAddress(h)
	if err != nil {
		v.Reason = err.Error()
		return v, nil
	}
	v.From, v.Name, v.Domain = from.Address, from.Name, from.Domain

	relayed := c.TrustedMTA != "" && (in.FromTrustedMTA || c.trustedPeer(in.RemoteIP))
	if relayed {
		if res, ok := TrustedResults(h, c.TrustedMTA); ok {
			c.judgeTrusted(v, res)
			return v, nil
		}
	}

	var temp []error
	// SPF (RFC 7208 §2.4: MAIL FROM, or postmaster@HELO for a null
	// reverse-path). Mail relayed by the trusted MTA arrives from its
	// address, so SPF says nothing about the author's.
	if in.RemoteIP != "" && !relayed {
		v.SPF = c.checkSPF(ctx, in)
		if v.SPF.Result == string(spf.TempError) {
			temp = append(temp, errors.New("SPF lookup failed"))
		}
	}
	v.DKIM = c.checkDKIM(ctx, in.Raw)
	for _, d := range v.DKIM {
		if d.Result == "temperror" {
			temp = append(temp, fmt.Errorf("DKIM key of %s: %s", d.Domain, d.Error))
		}
	}
	rec, recErr := c.lookupDMARC(ctx, v.Domain)
	strictDKIM, strictSPF := false, false
	switch {
	case recErr == nil:
		v.DMARC.Record, v.DMARC.Policy = true, string(rec.Policy)
		strictDKIM = rec.DKIMAlignment == dmarc.AlignmentStrict
		strictSPF = rec.SPFAlignment == dmarc.AlignmentStrict
	case dmarc.IsTempFail(recErr):
		temp = append(temp, fmt.Errorf("DMARC record of %s: %v", v.Domain, recErr))
	}
	// RFC 7489 §3.1: identifier alignment.
	v.SPF.Aligned = v.SPF.Result == string(spf.Pass) && Aligned(v.SPF.Domain, v.Domain, strictSPF)
	var alignedDKIM string
	for i := range v.DKIM {
		d := &v.DKIM[i]
		d.Aligned = d.Result == "pass" && Aligned(d.Domain, v.Domain, strictDKIM)
		if d.Aligned && alignedDKIM == "" {
			alignedDKIM = d.Domain
		}
	}
	v.Pass = v.SPF.Aligned || alignedDKIM != ""
	v.Method = "aligned"
	if v.DMARC.Record {
		v.Method = "dmarc"
	}
	if v.Pass {
		v.DMARC.Result = "pass"
		switch {
		case alignedDKIM != "":
			v.Reason = fmt.Sprintf("%s: DKIM signature of %s verifies and is aligned with %s", v.Method, alignedDKIM, v.Domain)
		default:
			v.Reason = fmt.Sprintf("%s: SPF passes for %s, aligned with %s", v.Method, v.SPF.Domain, v.Domain)
		}
		return v, nil
	}
	v.DMARC.Result = "fail"
	v.Method = ""
	if len(temp) > 0 {
		v.DMARC.Result = "temperror"
		v.Reason = "not proven yet: " + errors.Join(temp...).Error()
		return v, &TempError{Verdict: v, Err: errors.Join(temp...)}
	}
	v.Reason = c.failReason(v, recErr)
	return v, nil
}

// failReason explains a failure in one sentence.
func (c *Checker) failReason(v *Verdict, recErr error) string {
	var parts []string
	switch {
	case v.SPF.Result == "":
		parts = append(parts, "SPF not checked")
	case v.SPF.Result == string(spf.Pass):
		parts = append(parts, fmt.Sprintf("SPF passes for %s, which is not aligned with %s", v.SPF.Domain, v.Domain))
	default:
		parts = append(parts, fmt.Sprintf("SPF %s for %s", v.SPF.Result, orNull(v.SPF.Domain)))
	}
	switch {
	case len(v.DKIM) == 0:
		parts = append(parts, "no DKIM signature")
	default:
		var ds []string
		for _, d := range v.DKIM {
			ds = append(ds, fmt.Sprintf("%s %s", d.Domain, d.Result))
		}
		parts = append(parts, "no aligned DKIM pass ("+strings.Join(ds, ", ")+")")
	}
	policy := "no DMARC record"
	if v.DMARC.Record {
		policy = "DMARC policy " + v.DMARC.Policy
	} else if recErr != nil && !errors.Is(recErr, dmarc.ErrNoPolicy) {
		policy = "unusable DMARC record"
	}
	return fmt.Sprintf("%s is not proven: %s; %s", v.From, strings.Join(parts, ", "), policy)
}

func orNull(s string) string {
	if s == "" {
		return "the null sender"
	}
	return s
}

func (c *Checker) trustedPeer(ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range c.TrustedPeers {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (c *Checker) checkSPF(ctx context.Context, in Input) SPFResult {
	sender := in.MailFrom
	domain := domainOf(sender)
	if sender == "" || domain == "" {
		// RFC 7208 §2.4: the null reverse-path is checked as
		// postmaster@HELO.
		domain = strings.ToLower(strings.TrimSuffix(in.HELO, "."))
		sender = "postmaster@" + domain
	}
	ip := net.ParseIP(in.RemoteIP)
	if ip == nil || domain == "" {
		return SPFResult{Result: string(spf.None), Domain: domain}
	}
	res, _ := spf.CheckHostWithSender(ip, in.HELO, sender, spf.WithResolver(c.Resolver), spf.WithContext(ctx))
	return SPFResult{Result: string(res), Domain: domain}
}

func (c *Checker) checkDKIM(ctx context.Context, raw []byte) []DKIMResult {
	max := c.MaxSignatures
	if max <= 0 {
		max = 5
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return c.Resolver.LookupTXT(ctx, name) },
		MaxVerifications: max,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil // the header does not parse: no signature to speak of
	}
	out := make([]DKIMResult, 0, len(verifs))
	for _, vf := range verifs {
		r := DKIMResult{Domain: strings.ToLower(vf.Domain), Result: "pass"}
		switch {
		case vf.Err == nil:
		case dkim.IsTempFail(vf.Err):
			r.Result, r.Error = "temperror", vf.Err.Error()
		case dkim.IsPermFail(vf.Err):
			r.Result, r.Error = "permerror", vf.Err.Error()
		default:
			r.Result, r.Error = "fail", vf.Err.Error()
		}
		out = append(out, r)
	}
	return out
}

// lookupDMARC finds the DMARC record of domain, else of its organizational
// domain (RFC 7489 §6.6.3).
func (c *Checker) lookupDMARC(ctx context.Context, domain string) (*dmarc.Record, error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) { return c.Resolver.LookupTXT(ctx, name) }}
	rec, err := dmarc.LookupWithOptions(domain, opts)
	if errors.Is(err, dmarc.ErrNoPolicy) {
		if org := OrganizationalDomain(domain); org != domain {
			return dmarc.LookupWithOptions(org, opts)
		}
	}
	return rec, err
}

// judgeTrusted fills v from the trusted MTA's results: its DMARC result for
// the From domain when it gives one, else an aligned DKIM or SPF pass.
func (c *Checker) judgeTrusted(v *Verdict, res []TrustedResult) {
	v.Method = "trusted-mta"
	for _, r := range res {
		switch r.Method {
		case "spf":
			if v.SPF.Result == "" {
				v.SPF = SPFResult{Result: r.Value, Domain: r.Domain}
				v.SPF.Aligned = r.Value == "pass" && Aligned(r.Domain, v.Domain, false)
			}
		case "dkim":
			d := DKIMResult{Domain: r.Domain, Result: r.Value}
			d.Aligned = r.Value == "pass" && Aligned(r.Domain, v.Domain, false)
			v.DKIM = append(v.DKIM, d)
		case "dmarc":
			if strings.EqualFold(r.Domain, v.Domain) && v.DMARC.Result == "" {
				v.DMARC = DMARCResult{Record: true, Result: r.Value}
			}
		}
	}
	switch v.DMARC.Result {
	case "pass":
		v.Pass, v.Reason = true, fmt.Sprintf("trusted-mta: %s says DMARC passes for %s", c.TrustedMTA, v.Domain)
		return
	case "":
	default:
		v.Pass, v.Method = false, ""
		v.Reason = fmt.Sprintf("%s is not proven: %s says DMARC %s for %s", v.From, c.TrustedMTA, v.DMARC.Result, v.Domain)
		return
	}
	for _, d := range v.DKIM {
		if d.Aligned {
			v.Pass, v.DMARC.Result = true, "pass"
			v.Reason = fmt.Sprintf("trusted-mta: %s says the DKIM signature of %s verifies, aligned with %s", c.TrustedMTA, d.Domain, v.Domain)
			return
		}
	}
	if v.SPF.Aligned {
		v.Pass, v.DMARC.Result = true, "pass"
		v.Reason = fmt.Sprintf("trusted-mta: %s says SPF passes for %s, aligned with %s", c.TrustedMTA, v.SPF.Domain, v.Domain)
		return
	}
	v.Method, v.DMARC.Result = "", "fail"
	v.Reason = fmt.Sprintf("%s is not proven: %s reports no aligned SPF or DKIM pass", v.From, c.TrustedMTA)
}

// domainOf returns the lower-case domain of an address, "" if none.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[i+1:], "."))
}
