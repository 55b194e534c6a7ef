package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/testbin"
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
	writeCert(t, cert, key, "mx.acme.test")

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

// writeCert writes a self-signed certificate for name and its key (PEM).
func writeCert(t *testing.T, certFile, keyFile, name string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
}
