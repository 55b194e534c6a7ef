// Package tlscert serves a TLS certificate kept in PEM files that another
// program renews in place (certbot, acme.sh, a Kubernetes secret): the
// files are read at start, then read again when they change, so that a
// renewed certificate is served without a restart.
//
// It is written by hand because the libraries of the field either obtain
// certificates themselves (golang.org/x/crypto/acme/autocert, certmagic)
// or read the files once (crypto/tls.LoadX509KeyPair); what is left is a
// stat and a reload.
package tlscert

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// CheckEvery is how often, at most, the files are looked at again.
const CheckEvery = 30 * time.Second

// Files is a certificate and its private key in PEM files. It is safe for
// concurrent use.
type Files struct {
	certFile, keyFile string
	now               func() time.Time
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string // the files' sizes and modification times when read
	checked time.Time
}

// Load reads the certificate chain in certFile and its private key in
// keyFile (PEM). now is the clock (nil: time.Now); log hears of a renewed
// certificate that cannot be read (nil: nothing).
func Load(certFile, keyFile string, now func() time.Time, log *slog.Logger) (*Files, error) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Files{certFile: certFile, keyFile: keyFile, now: now, log: log}
	stamp, err := f.stampNow()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlscert: %s and %s: %w", certFile, keyFile, err)
	}
	f.cert, f.stamp, f.checked = &cert, stamp, now()
	return f, nil
}

// stampNow describes both files as they are now: a change of either
// changes it.
func (f *Files) stampNow() (string, error) {
	var out string
	for _, name := range []string{f.certFile, f.keyFile} {
		st, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("tlscert: %w", err)
		}
		out += fmt.Sprintf("%d/%d;", st.Size(), st.ModTime().UnixNano())
	}
	return out, nil
}

// Certificate returns the certificate to serve: the files are looked at
// again once CheckEvery has passed, and read again when they changed. A
// renewal caught half written (or broken) keeps the certificate served
// until then, and is tried again at the next look.
func (f *Files) Certificate() *tls.Certificate {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Sub(f.checked) < CheckEvery {
		return f.cert
	}
	f.checked = now
	stamp, err := f.stampNow()
	if err != nil || stamp == f.stamp {
		return f.cert
	}
	cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		f.log.Warn("the renewed TLS certificate cannot be read; the previous one is still served", "cert", f.certFile, "err", err)
		return f.cert
	}
	f.log.Info("TLS certificate read again", "cert", f.certFile)
	f.cert, f.stamp = &cert, stamp
	return f.cert
}

// Config returns a server configuration serving the files' certificate,
// TLS 1.2 at least.
func (f *Files) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return f.Certificate(), nil
		},
	}
}
