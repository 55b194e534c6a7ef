package smtpout

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message the test relay accepted.
type received struct {
	from  string
	to    []string
	data  []byte
	tls   bool
	user  string
	ehlo  string
	utf8  bool
	size  int64
	smtpu bool
}

// backend is a go-smtp backend that records what it accepts and answers
// with the errors a test asks for.
type backend struct {
	mu       sync.Mutex
	msgs     []received
	sessions int
	user     string // AUTH PLAIN credentials it accepts; empty: no AUTH
	pass     string
	mailErr  error
	rcptErrs map[string]error
	dataErr  error
	// dataHold, when set, blocks DATA until it is closed.
	dataHold chan struct{}
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.mu.Lock()
	b.sessions++
	b.mu.Unlock()
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, cur: received{tls: isTLS, ehlo: c.Hostname()}}, nil
}

type session struct {
	b    *backend
	cur  received
	auth bool
}

func (s *session) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.auth, s.cur.user = true, user
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.b.user != "" && !s.auth {
		return smtp.ErrAuthRequired
	}
	if s.b.mailErr != nil {
		return s.b.mailErr
	}
	s.cur.from = from
	if opts != nil {
		s.cur.utf8, s.cur.size = opts.UTF8, opts.Size
	}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := s.b.rcptErrs[to]; err != nil {
		return err
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.b.dataHold != nil {
		<-s.b.dataHold
	}
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.data = data
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = received{tls: s.cur.tls, ehlo: s.cur.ehlo, user: s.cur.user} }
func (s *session) Logout() error { return nil }

func (b *backend) sessionCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sessions
}

func (b *backend) received() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

// testCert is a self-signed certificate for 127.0.0.1 and localhost, and
// the pool that trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// relay runs a go-smtp server on a loopback port: plain (with STARTTLS
// offered when starttls), or TLS from the first byte when implicit.
type relay struct {
	addr string
	pool *x509.CertPool
}

func startRelay(t *testing.T, b *backend, implicit, starttls bool, tweak ...func(*smtp.Server)) relay {
	t.Helper()
	cert, pool := testCert(t)
	s := smtp.NewServer(b)
	s.Domain = "relay.test"
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.AllowInsecureAuth = true // loopback only: the client decides
	s.EnableSMTPUTF8 = true
	s.ErrorLog = log.New(io.Discard, "", 0)
	for _, f := range tweak {
		f(s)
	}
	var ln net.Listener
	var err error
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if starttls {
			s.TLSConfig = tlsCfg
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln) // returns when Close closes the listener
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return relay{addr: ln.Addr().String(), pool: pool}
}
