package tlscert

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/convene/convene/internal/tlscert/tlscerttest"
)

func served(t *testing.T, f *Files) string {
	t.Helper()
	c, err := f.Config().GetCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.CommonName
}

// TestRenewal: a certificate renewed in place is served once CheckEvery
// has passed, not before; a broken renewal keeps the one served.
func TestRenewal(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	tlscerttest.WriteSelfSigned(t, cert, key, "old.example")
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	f, err := Load(cert, key, func() time.Time { return now }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := served(t, f); got != "old.example" {
		t.Fatalf("served %s", got)
	}
	tlscerttest.WriteSelfSigned(t, cert, key, "new.example")
	// Make sure the stamp changes even on a file system with coarse times.
	later := time.Now().Add(time.Minute)
	os.Chtimes(cert, later, later)
	now = now.Add(CheckEvery / 2)
	if got := served(t, f); got != "old.example" {
		t.Fatalf("looked at the files again before CheckEvery: %s", got)
	}
	now = now.Add(CheckEvery)
	if got := served(t, f); got != "new.example" {
		t.Fatalf("the renewed certificate is not served: %s", got)
	}
	if err := os.WriteFile(cert, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * CheckEvery)
	if got := served(t, f); got != "new.example" {
		t.Fatalf("a broken renewal replaced the certificate: %s", got)
	}
	if f.Config().MinVersion != 0x0303 {
		t.Errorf("MinVersion %x, want TLS 1.2", f.Config().MinVersion)
	}
}

// TestLoadRefusesBadFiles: missing or mismatched files are refused at
// start with the file named.
func TestLoadRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	a, ak := filepath.Join(dir, "a.pem"), filepath.Join(dir, "a.key")
	b, bk := filepath.Join(dir, "b.pem"), filepath.Join(dir, "b.key")
	tlscerttest.WriteSelfSigned(t, a, ak, "a.example")
	tlscerttest.WriteSelfSigned(t, b, bk, "b.example")
	for _, tc := range []struct{ cert, key string }{
		{filepath.Join(dir, "missing.pem"), ak},
		{a, filepath.Join(dir, "missing.key")},
		{a, bk}, // the key of another certificate
		{ak, a}, // swapped
	} {
		if _, err := Load(tc.cert, tc.key, nil, nil); err == nil {
			t.Errorf("%s + %s loaded", tc.cert, tc.key)
		}
	}
}
