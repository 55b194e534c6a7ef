package mailauth_test

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/convene/convene/internal/account"
	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/mail/mailauth"
	"github.com/convene/convene/internal/mail/mailtest"
)

const letter = `From: Ann Organizer <ann@acme.test>
To: Bob <bob@partner.example>
Cc: assistant@acme.test
Subject: Lunch next week
Date: Mon, 02 Mar 2026 09:00:00 +0100
Message-ID: <lunch-1@acme.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Could we meet for lunch next Tuesday or Wednesday?
`

// world is the DNS of the test: acme.test signs and publishes SPF and
// DMARC p=reject; evil.test signs its own mail; nodmarc.test publishes SPF
// only.
type world struct {
	dns  *dnstest.Server
	acme *mailtest.Key
	evil *mailtest.Key
}

func newWorld(t *testing.T) *world {
	w := &world{dns: dnstest.Start(t), acme: mailtest.NewKey(t), evil: mailtest.NewKey(t)}
	w.dns.SetTXT("sel1._domainkey.acme.test", w.acme.Record)
	w.dns.SetTXT("acme.test", "v=spf1 ip4:127.0.0.1 -all")
	w.dns.SetTXT("_dmarc.acme.test", "v=DMARC1; p=reject")
	w.dns.SetTXT("sel1._domainkey.evil.test", w.evil.Record)
	w.dns.SetTXT("evil.test", "v=spf1 ip4:192.0.2.66 -all")
	w.dns.SetTXT("_dmarc.evil.test", "v=DMARC1; p=none")
	w.dns.SetTXT("nodmarc.test", "v=spf1 ip4:127.0.0.1 -all")
	return w
}

func (w *world) checker() *mailauth.Checker {
	return &mailauth.Checker{Resolver: account.NewResolver(w.dns.Addr), TrustedMTA: "mx.trusted.test",
		TrustedPeers: []netip.Prefix{netip.MustParsePrefix("10.0.0.5/32")}}
}

func TestVerdicts(t *testing.T) {
	w := newWorld(t)
	plain := mailtest.CRLF(letter)
	signed := mailtest.Sign(t, plain, "acme.test", "sel1", w.acme)
	altered := bytes.Replace(signed, []byte("lunch next Tuesday"), []byte("lunch next Friday!"), 1)
	signedByEvil := mailtest.Sign(t, plain, "evil.test", "sel1", w.evil)
	subdomain := mailtest.Sign(t, bytes.Replace(plain, []byte("ann@acme.test"), []byte("ann@mail.acme.test"), 1), "acme.test", "sel1", w.acme)
	noDMARC := bytes.Replace(plain, []byte("ann@acme.test"), []byte("ann@nodmarc.test"), 1)
	noDMARCSignedByEvil := mailtest.Sign(t, noDMARC, "evil.test", "sel1", w.evil)
	trustedPass := append([]byte("Authentication-Results: mx.trusted.test; dmarc=pass header.from=acme.test\r\n"), plain...)
	// The trusted MTA's own field says fail; a forged one below it, and
	// one of another authserv-id, say pass.
	forged := append([]byte("Authentication-Results: mx.trusted.test; dkim=fail header.d=acme.test\r\n"+
		"Received: from attacker by mx.trusted.test\r\n"+
		"Authentication-Results: mx.trusted.test; dmarc=pass header.from=acme.test\r\n"+
		"Authentication-Results: mx.elsewhere.test; dmarc=pass header.from=acme.test\r\n"), plain...)
	otherID := append([]byte("Authentication-Results: mx.elsewhere.test; dmarc=pass header.from=acme.test\r\n"), plain...)
	commented := append([]byte("Authentication-Results: mx.trusted.test; dkim=pass header.d=evil.test ( header.d=acme.test )\r\n"), plain...)
	twoFroms := append([]byte("From: mallory@evil.test\r\n"), plain...)

	cases := []struct {
		name            string
		raw             []byte
		ip, mailFrom    string
		imap            bool
		pass            bool
		method          string
		reasonHas       string
		spf, dkimResult string
	}{
		{name: "DKIM pass, aligned", raw: signed, ip: "192.0.2.1", mailFrom: "bounce@elsewhere.example", pass: true, method: "dmarc", reasonHas: "DKIM signature of acme.test", dkimResult: "pass"},
		{name: "DKIM over an altered body fails", raw: altered, ip: "192.0.2.1", mailFrom: "ann@acme.test", reasonHas: "acme.test fail", spf: "fail", dkimResult: "fail"},
		{name: "SPF pass from the right IP", raw: plain, ip: "127.0.0.1", mailFrom: "ann@acme.test", pass: true, method: "dmarc", reasonHas: "SPF passes for acme.test", spf: "pass"},
		{name: "SPF fail", raw: plain, ip: "192.0.2.9", mailFrom: "ann@acme.test", reasonHas: "SPF fail", spf: "fail"},
		{name: "null sender checked on HELO", raw: plain, ip: "127.0.0.1", mailFrom: "", pass: true, spf: "pass", method: "dmarc"},
		{name: "DMARC reject, neither aligned", raw: signedByEvil, ip: "192.0.2.66", mailFrom: "bounce@evil.test", reasonHas: "DMARC policy reject", spf: "pass", dkimResult: "pass"},
		{name: "relaxed alignment of a subdomain", raw: subdomain, ip: "192.0.2.1", mailFrom: "x@elsewhere.example", pass: true, method: "dmarc", dkimResult: "pass"},
		{name: "no DMARC record, aligned SPF", raw: noDMARC, ip: "127.0.0.1", mailFrom: "ann@nodmarc.test", pass: true, method: "aligned", spf: "pass"},
		{name: "no DMARC record, unaligned DKIM only", raw: noDMARCSignedByEvil, ip: "192.0.2.9", mailFrom: "ann@nodmarc.test", reasonHas: "no DMARC record", spf: "fail", dkimResult: "pass"},
		{name: "trusted MTA from its peer", raw: trustedPass, ip: "10.0.0.5", mailFrom: "ann@acme.test", pass: true, method: "trusted-mta"},
		{name: "trusted MTA's words from another peer are ignored", raw: trustedPass, ip: "192.0.2.9", mailFrom: "ann@acme.test", spf: "fail"},
		{name: "trusted MTA through the mailbox", raw: trustedPass, imap: true, pass: true, method: "trusted-mta"},
		{name: "forged results below the trusted ones are ignored", raw: forged, ip: "10.0.0.5", mailFrom: "ann@acme.test", reasonHas: "no aligned SPF or DKIM pass"},
		{name: "another authserv-id is ignored", raw: otherID, ip: "10.0.0.5", mailFrom: "ann@acme.test", reasonHas: "no DKIM signature"},
		{name: "a comment cannot pose as a property", raw: commented, ip: "10.0.0.5", reasonHas: "no aligned SPF or DKIM pass"},
		{name: "two From fields", raw: twoFroms, ip: "127.0.0.1", mailFrom: "ann@acme.test", reasonHas: "2 From fields"},
	}
	c := w.checker()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := c.Check(context.Background(), mailauth.Input{Raw: tc.raw, RemoteIP: tc.ip, HELO: "acme.test", MailFrom: tc.mailFrom, FromTrustedMTA: tc.imap})
			if err != nil {
				t.Fatal(err)
			}
			if v.Pass != tc.pass || v.Method != tc.method || !strings.Contains(v.Reason, tc.reasonHas) {
				t.Errorf("pass=%v method=%q reason=%q; want pass=%v method=%q reason containing %q", v.Pass, v.Method, v.Reason, tc.pass, tc.method, tc.reasonHas)
			}
			if tc.spf != "" && v.SPF.Result != tc.spf {
				t.Errorf("SPF %q, want %q", v.SPF.Result, tc.spf)
			}
			if tc.dkimResult != "" && (len(v.DKIM) == 0 || v.DKIM[0].Result != tc.dkimResult) {
				t.Errorf("DKIM %+v, want %s", v.DKIM, tc.dkimResult)
			}
		})
	}
}

func TestStrictAlignment(t *testing.T) {
	w := newWorld(t)
	w.dns.SetTXT("_dmarc.acme.test", "v=DMARC1; p=reject; adkim=s; aspf=s")
	raw := mailtest.Sign(t, bytes.Replace(mailtest.CRLF(letter), []byte("ann@acme.test"), []byte("ann@mail.acme.test"), 1), "acme.test", "sel1", w.acme)
	v, err := w.checker().Check(context.Background(), mailauth.Input{Raw: raw, RemoteIP: "192.0.2.1", HELO: "x", MailFrom: "ann@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Pass || v.DKIM[0].Result != "pass" || v.DKIM[0].Aligned {
		t.Errorf("adkim=s: a signature of acme.test must not align with mail.acme.test: %+v", v)
	}
}

func TestTemporaryFailure(t *testing.T) {
	w := newWorld(t)
	w.dns.SetServFail("_dmarc.acme.test")
	w.dns.SetServFail("acme.test")
	v, err := w.checker().Check(context.Background(), mailauth.Input{Raw: mailtest.CRLF(letter), RemoteIP: "127.0.0.1", HELO: "x", MailFrom: "ann@acme.test"})
	var te *mailauth.TempError
	if !errors.As(err, &te) || v.Pass {
		t.Fatalf("a DNS failure must be temporary, not a verdict: %v %+v", err, v)
	}
	// A pass by another way does not wait for DNS.
	signed := mailtest.Sign(t, mailtest.CRLF(letter), "acme.test", "sel1", w.acme)
	v, err = w.checker().Check(context.Background(), mailauth.Input{Raw: signed, RemoteIP: "127.0.0.1", HELO: "x", MailFrom: "ann@acme.test"})
	if err != nil || !v.Pass {
		t.Fatalf("aligned DKIM pass despite SPF's DNS failure: %v %+v", err, v)
	}
}

func TestAligned(t *testing.T) {
	for _, tc := range []struct {
		a, f   string
		strict bool
		want   bool
	}{
		{"acme.test", "acme.test", true, true},
		{"mail.acme.test", "acme.test", false, true},
		{"mail.acme.test", "acme.test", true, false},
		{"acme.test", "news.acme.test", false, true},
		{"evil.test", "acme.test", false, false},
		{"example.co.uk", "other.co.uk", false, false},
		{"a.example.co.uk", "b.example.co.uk", false, true},
		{"", "acme.test", false, false},
		{"ACME.test.", "acme.TEST", true, true},
	} {
		if got := mailauth.Aligned(tc.a, tc.f, tc.strict); got != tc.want {
			t.Errorf("Aligned(%q, %q, strict=%v) = %v, want %v", tc.a, tc.f, tc.strict, got, tc.want)
		}
	}
}

func TestStripComments(t *testing.T) {
	for in, want := range map[string]string{
		`mx; spf=pass (sender ok) smtp.mailfrom=a@b`: `mx; spf=pass   smtp.mailfrom=a@b`,
		`a (b (c) d) e`:           `a   e`,
		`a (b \) c) d`:            `a   d`,
		`a "q (not) comment" b`:   `a "q (not) comment" b`,
		`a "q \" (x)" (y) b`:      `a "q \" (x)"   b`,
		`unclosed (comment; dkim`: `unclosed  `,
	} {
		if got := mailauth.StripComments(in); strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("StripComments(%q) = %q, want %q", in, got, want)
		}
	}
}
