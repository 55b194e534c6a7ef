package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/testbin"
	"github.com/convene/convene/internal/tlscert/tlscerttest"
)

// TestSMTPSTARTTLS: with CONVENE_SMTP_TLS_CERT and CONVENE_SMTP_TLS_KEY the
// binary's SMTP listener offers STARTTLS, and swaks (--tls: STARTTLS
// required) delivers a request over it that is processed; a certificate
// that cannot be read stops the start with the settings named.
func TestSMTPSTARTTLS(t *testing.T) {
	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "mx.pem"), filepath.Join(dir, "mx.key")
	tlscerttest.WriteSelfSigned(t, cert, key, "mx.acme.test")

	code, _, errOut := runRefused(t, append(env, "CONVENE_SMTP_ADDR="+freeAddr(t), "CONVENE_SMTP_TLS_CERT="+cert,
		"CONVENE_SMTP_TLS_KEY="+filepath.Join(dir, "missing.key")), "serve")
	if code == 0 || !strings.Contains(errOut, "CONVENE_SMTP_TLS_KEY") {
		t.Fatalf("a missing key: exit %d\n%s", code, errOut)
	}

	smtpAddr := freeAddr(t)
	env = append(env, "CONVENE_SMTP_ADDR="+smtpAddr, "CONVENE_SMTP_TLS_CERT="+cert, "CONVENE_SMTP_TLS_KEY="+key)
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "acme.test")
	dns.SetTXT("acme.test", "v=spf1 ip4:127.0.0.1 -all")
	dns.SetTXT("_dmarc.acme.test", "v=DMARC1; p=reject")
	raw := mailtest.CRLF("From: Max Member <member@acme.test>\nTo: Bob <bob@partner.example>\nCc: assistant@acme.test\n" +
		"Subject: Point projet\nMessage-ID: <tls-1@acme.test>\nDate: Mon, 02 Mar 2026 09:00:00 +0100\n\n" +
		"Bonjour, pouvons-nous nous voir mardi ?\n")
	code, out := swaksSend(t, smtpAddr, "member@acme.test", "assistant@acme.test", raw, "--tls")
	if code != 0 || !strings.Contains(out, "250-STARTTLS") || !strings.Contains(out, "TLS started") || !strings.Contains(out, "<~  250 ") {
		t.Fatalf("swaks over STARTTLS: %d\n%s", code, out)
	}
	eventually(t, 60*time.Second, "the message received over TLS processed", func() bool {
		ms := inbox(t, c, tn.owner)
		return len(ms) == 1 && ms[0]["status"] == "processed" && ms[0]["message_id"] == "tls-1@acme.test"
	})
}
