// Package mailtest signs and verifies DKIM with a signer we did not write,
// Debian's python3-dkim (dkimpy), so that Convene's DKIM code is checked
// against an independent implementation in both directions.
//
// It is imported only by tests.
package mailtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convene/convene/internal/testenv"
)

// Key is an RSA key pair for DKIM and its DNS record.
type Key struct {
	Private *rsa.PrivateKey
	// Record is the TXT value to publish at selector._domainkey.domain.
	Record string
}

// NewKey makes a 2048-bit RSA key (RFC 8301 §3.2 requires at least 1024;
// 2048 is what Convene signs with).
func NewKey(t testing.TB) *Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &Key{Private: k, Record: "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)}
}

// pemOf returns the private key as PKCS #1 PEM, which dkimpy reads.
func (k *Key) pemOf() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.Private)})
}

const signScript = `
import sys, dkim
msg = open(sys.argv[1], 'rb').read()
key = open(sys.argv[2], 'rb').read()
headers = [h.encode() for h in sys.argv[5].split(',')] if sys.argv[5] else None
sig = dkim.sign(msg, sys.argv[3].encode(), sys.argv[4].encode(), key, include_headers=headers,
                canonicalize=(b'relaxed', b'relaxed'))
sys.stdout.buffer.write(sig + msg)
`

// Sign returns msg signed by python3-dkim for domain with selector
// (relaxed/relaxed), covering headers (default: dkimpy's choice).
func Sign(t testing.TB, msg []byte, domain, selector string, key *Key, headers ...string) []byte {
	t.Helper()
	py := testenv.Python(t, "dkim")
	dir := t.TempDir()
	mf, kf := filepath.Join(dir, "msg.eml"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(mf, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, key.pemOf(), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(py, "-c", signScript, mf, kf, selector, domain, strings.Join(headers, ","))
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3-dkim sign: %v\n%s", err, errb.String())
	}
	return out.Bytes()
}

const verifyScript = `
import sys, json, dkim
msg = open(sys.argv[1], 'rb').read()
records = json.loads(sys.argv[2])
def dnsfunc(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    v = records.get(n.rstrip('.').lower())
    return v.encode() if v is not None else None
d = dkim.DKIM(msg)
try:
    ok, err = d.verify(dnsfunc=dnsfunc), ""
except dkim.DKIMException as e:
    ok, err = False, str(e)
sys.stdout.write(json.dumps({"ok": bool(ok), "error": err, "domain": (d.domain or b'').decode(), "selector": (d.selector or b'').decode()}))
`

// Verified is python3-dkim's view of a message's first signature.
type Verified struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error"`
	Domain   string `json:"domain"`
	Selector string `json:"selector"`
}

// Verify checks msg's first DKIM signature with python3-dkim, answering
// its key lookups from records (DNS name → TXT value).
func Verify(t testing.TB, msg []byte, records map[string]string) Verified {
	t.Helper()
	py := testenv.Python(t, "dkim")
	mf := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(mf, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	lower := map[string]string{}
	for k, v := range records {
		lower[strings.ToLower(strings.TrimSuffix(k, "."))] = v
	}
	js, _ := json.Marshal(lower)
	var out, errb bytes.Buffer
	cmd := exec.Command(py, "-c", verifyScript, mf, string(js))
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("python3-dkim verify: %v\n%s", err, errb.String())
	}
	var v Verified
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("python3-dkim verify: %v: %q", err, out.String())
	}
	return v
}

// CRLF turns a message written with LF line ends into the CRLF form mail
// has on the wire.
func CRLF(s string) []byte {
	return []byte(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n"))
}
