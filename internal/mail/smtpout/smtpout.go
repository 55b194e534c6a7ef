// Package smtpout submits Convene's outgoing mail (invitations, proposals,
// notices) to the relay named by CONVENE_SMTP_RELAY, with emersion/go-smtp's
// client: smtp:// (no TLS), smtps:// (implicit TLS, RFC 8314) or
// smtp+starttls:// (RFC 3207), optionally with AUTH PLAIN (RFC 4954,
// RFC 4616), which is refused without TLS unless the relay is on the
// loopback interface.
//
// Send makes one SMTP transaction per call on a new connection and returns
// typed errors that tell the outbox what to do (as mox's smtpclient does):
// a *Error for the whole transaction, Temporary for 4xx replies and network
// failures, permanent for 5xx; a *RecipientError when some recipients were
// refused and the message went to the others. Nothing is logged: errors
// carry the server's reply text, never the password or the message.
//
// This package is a protocol edge: it must never import store, web,
// booking, apps or invite; the outbox uses it through the Sender interface.
package smtpout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Sender submits a message: from is the envelope sender (MAIL FROM), to
// the envelope recipients (RCPT TO), msg the complete RFC 5322 message with
// CRLF line ends.
type Sender interface {
	Send(ctx context.Context, from string, to []string, msg []byte) error
}

// Security is how the connection to the relay is protected.
type Security int

// The relay URL schemes.
const (
	// NoTLS is smtp://: plain SMTP. Credentials are allowed only to a
	// loopback relay.
	NoTLS Security = iota
	// ImplicitTLS is smtps://: TLS from the first byte (RFC 8314 §3.3).
	ImplicitTLS
	// StartTLS is smtp+starttls://: plain connection upgraded with STARTTLS
	// before anything else (RFC 3207); a relay that does not offer it is
	// an error, never a fallback to plain text.
	StartTLS
)

var schemes = map[string]Security{"smtp": NoTLS, "smtps": ImplicitTLS, "smtp+starttls": StartTLS}

var defaultPorts = map[Security]string{NoTLS: "25", ImplicitTLS: "465", StartTLS: "587"}

// Relay is a parsed CONVENE_SMTP_RELAY. Printing it (%v, %+v, %#v) masks
// the password.
type Relay struct {
	Security Security
	Host     string
	Port     string
	Username string
	password string
}

// ParseRelay reads smtp://[user:pass@]host[:port], smtps://… or
// smtp+starttls://…; user and password are URL-encoded. The default port
// is 25, 465 or 587. Credentials on smtp:// are refused unless the host is
// a loopback address or "localhost": AUTH PLAIN sends the password in
// clear.
func ParseRelay(raw string) (Relay, error) {
	var r Relay
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// url's error repeats the URL, password included.
		return r, errors.New("smtpout: relay URL does not parse")
	}
	sec, ok := schemes[strings.ToLower(u.Scheme)]
	if !ok {
		return r, fmt.Errorf("smtpout: relay URL scheme %q: want smtp, smtps or smtp+starttls", u.Scheme)
	}
	r.Security = sec
	r.Host, r.Port = u.Hostname(), u.Port()
	if r.Host == "" {
		return r, errors.New("smtpout: relay URL has no host")
	}
	if r.Port == "" {
		r.Port = defaultPorts[sec]
	}
	if n, err := strconv.Atoi(r.Port); err != nil || n < 1 || n > 65535 {
		return r, fmt.Errorf("smtpout: relay port %q", r.Port)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return r, errors.New("smtpout: relay URL has a path, query or fragment")
	}
	if u.User != nil {
		r.Username = u.User.Username()
		r.password, _ = u.User.Password()
		if r.Username == "" {
			return r, errors.New("smtpout: relay URL has a password but no user")
		}
	}
	if err := r.check(); err != nil {
		return Relay{}, err
	}
	return r, nil
}

// WithPassword returns r with the password set (for configuration that
// does not come as a URL).
func (r Relay) WithPassword(p string) Relay { r.password = p; return r }

func (r Relay) check() error {
	if r.Username != "" && r.Security == NoTLS && !loopback(r.Host) {
		return fmt.Errorf("smtpout: relay %s: credentials over smtp:// would cross the network in clear; use smtps:// or smtp+starttls://", r.Host)
	}
	return nil
}

// Addr is host:port.
func (r Relay) Addr() string { return net.JoinHostPort(r.Host, r.Port) }

// String is the relay URL with the password masked.
func (r Relay) String() string {
	scheme := "smtp"
	for s, sec := range schemes {
		if sec == r.Security {
			scheme = s
		}
	}
	u := url.URL{Scheme: scheme, Host: r.Addr()}
	if r.Username != "" {
		if r.password != "" {
			u.User = url.UserPassword(r.Username, "xxxxx")
		} else {
			u.User = url.User(r.Username)
		}
	}
	return u.String()
}

// GoString masks the password in %#v too.
func (r Relay) GoString() string { return "smtpout.Relay(" + r.String() + ")" }

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Options tune a Client; zero fields take the defaults.
type Options struct {
	// LocalName is the name given in EHLO (default "localhost"). With
	// STARTTLS the first EHLO, before TLS, always says "localhost".
	LocalName string
	// TLSConfig is the base TLS configuration (RootCAs for a private
	// relay); ServerName is set to the relay's host when empty.
	TLSConfig *tls.Config
	// DialTimeout bounds the TCP connection and TLS handshake (30 s).
	DialTimeout time.Duration
	// CommandTimeout bounds each command's reply (RFC 5321 §4.5.3.2
	// suggests minutes; default 2 min).
	CommandTimeout time.Duration
	// Timeout bounds the whole transaction, message included (5 min).
	Timeout time.Duration
	// Dial replaces net.Dialer (tests, proxies).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Client submits mail to one relay. It is safe for concurrent use: each
// Send has its own connection.
type Client struct {
	relay Relay
	opts  Options
}

var _ Sender = (*Client)(nil)

// New returns a Client for relay.
func New(relay Relay, opts Options) (*Client, error) {
	if relay.Host == "" {
		return nil, errors.New("smtpout: relay without host")
	}
	if relay.Port == "" {
		relay.Port = defaultPorts[relay.Security]
	}
	if err := relay.check(); err != nil {
		return nil, err
	}
	if opts.LocalName == "" {
		opts.LocalName = "localhost"
	}
	if strings.ContainsAny(opts.LocalName, " \r\n") {
		return nil, fmt.Errorf("smtpout: EHLO name %q", opts.LocalName)
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 30 * time.Second
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 2 * time.Minute
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Dial == nil {
		d := &net.Dialer{}
		opts.Dial = d.DialContext
	}
	return &Client{relay: relay, opts: opts}, nil
}

// Relay returns the relay the client submits to.
func (c *Client) Relay() Relay { return c.relay }

func (c *Client) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.opts.TLSConfig != nil {
		cfg = c.opts.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.relay.Host
	}
	return cfg
}

// Send submits msg in one SMTP transaction. It returns nil when the relay
// accepted the message for every recipient, a *RecipientError when it
// refused some (the message went to the others, or to none), and a *Error
// otherwise.
func (c *Client) Send(ctx context.Context, from string, to []string, msg []byte) (err error) {
	if err := checkEnvelope(from, to, msg); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	// Cancelling ctx closes the connection, which unblocks any read or
	// write go-smtp is in (its own deadlines are per command, and none
	// covers writing the message).
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer func() {
		stop()
		conn.Close()
	}()
	// wrap turns go-smtp's and the network's errors into *Error.
	wrap := func(op, rcpt string, err error) *Error {
		e := classify(op, err)
		e.Recipient = rcpt
		if ctx.Err() != nil {
			e.Err, e.Permanent, e.Code = ctx.Err(), false, 0
		}
		return e
	}

	var sc *smtp.Client
	if c.relay.Security == StartTLS {
		sc, err = smtp.NewClientStartTLS(conn, c.tlsConfig())
		if err != nil {
			return wrap("starttls", "", err)
		}
	} else {
		sc = smtp.NewClient(conn)
	}
	sc.CommandTimeout = c.opts.CommandTimeout
	sc.SubmissionTimeout = c.opts.CommandTimeout
	if err := sc.Hello(c.opts.LocalName); err != nil {
		return wrap("ehlo", "", err)
	}
	if c.relay.Username != "" {
		if _, isTLS := sc.TLSConnectionState(); !isTLS && !loopback(c.relay.Host) {
			return &Error{Op: "auth", Permanent: true, Err: errors.New("refusing AUTH PLAIN without TLS")}
		}
		if !sc.SupportsAuth(sasl.Plain) {
			return &Error{Op: "auth", Permanent: true, Err: errors.New("the relay does not offer AUTH PLAIN")}
		}
		if err := sc.Auth(sasl.NewPlainClient("", c.relay.Username, c.relay.password)); err != nil {
			return wrap("auth", "", err)
		}
	}
	if max, ok := sc.MaxMessageSize(); ok && max > 0 && len(msg) > max {
		return &Error{Op: "size", Permanent: true, Code: 552, Message: fmt.Sprintf("message of %d bytes, the relay takes at most %d", len(msg), max)}
	}
	mopts := &smtp.MailOptions{Size: int64(len(msg))}
	if !ascii(from) || !allASCII(to) {
		mopts.UTF8 = true
	}
	if err := sc.Mail(from, mopts); err != nil {
		return wrap("mail", "", err)
	}
	var accepted []string
	var failed []*Error
	for _, rcpt := range to {
		err := sc.Rcpt(rcpt, nil)
		if err == nil {
			accepted = append(accepted, rcpt)
			continue
		}
		e := wrap("rcpt", rcpt, err)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code == 421 {
			// The connection is gone or closing (RFC 5321 §3.8): the
			// transaction failed as a whole, nothing was sent.
			return e
		}
		failed = append(failed, e)
	}
	if len(accepted) == 0 {
		_ = sc.Quit()
		return &RecipientError{Failed: failed}
	}
	w, err := sc.Data()
	if err != nil {
		return wrap("data", "", err)
	}
	if _, err := w.Write(msg); err != nil {
		return wrap("data", "", err)
	}
	if err := w.Close(); err != nil {
		e := wrap("data", "", err)
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			// The final dot may have reached the relay before the
			// connection failed: the message may have been delivered.
			e.MaybeDelivered = true
		}
		return e
	}
	_ = sc.Quit() // the message is accepted; a failed QUIT changes nothing
	if len(failed) > 0 {
		return &RecipientError{Accepted: accepted, Failed: failed}
	}
	return nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	conn, err := c.opts.Dial(dctx, "tcp", c.relay.Addr())
	if err != nil {
		e := classify("dial", err)
		if ctx.Err() != nil {
			e.Err = ctx.Err()
		}
		return nil, e
	}
	if c.relay.Security != ImplicitTLS {
		return conn, nil
	}
	tc := tls.Client(conn, c.tlsConfig())
	if err := tc.HandshakeContext(dctx); err != nil {
		conn.Close()
		e := classify("tls", err)
		if ctx.Err() != nil {
			e.Err = ctx.Err()
		}
		return nil, e
	}
	return tc, nil
}

func checkEnvelope(from string, to []string, msg []byte) error {
	bad := func(s string) bool { return strings.ContainsAny(s, "\r\n<> \t") }
	if bad(from) {
		return &Error{Op: "envelope", Permanent: true, Err: fmt.Errorf("sender %q", from)}
	}
	if len(to) == 0 {
		return &Error{Op: "envelope", Permanent: true, Err: errors.New("no recipient")}
	}
	for _, r := range to {
		if r == "" || bad(r) || !strings.Contains(r, "@") {
			return &Error{Op: "envelope", Permanent: true, Err: fmt.Errorf("recipient %q", r)}
		}
	}
	if len(msg) == 0 {
		return &Error{Op: "envelope", Permanent: true, Err: errors.New("empty message")}
	}
	return nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func allASCII(ss []string) bool {
	for _, s := range ss {
		if !ascii(s) {
			return false
		}
	}
	return true
}

// Error is a failed submission, or a recipient refused (in a
// *RecipientError).
type Error struct {
	// Op is the step that failed: envelope, dial, tls, starttls, ehlo,
	// auth, size, mail, rcpt or data.
	Op string
	// Recipient is the refused address, for Op "rcpt".
	Recipient string
	// Code and EnhancedCode are the relay's reply (RFC 5321 §4.2,
	// RFC 3463), zero for network errors.
	Code         int
	EnhancedCode [3]int
	Message      string
	// Permanent: retrying the same message will fail again (5xx replies,
	// certificate and configuration errors). Everything else — 4xx,
	// timeouts, refused or broken connections — is temporary.
	Permanent bool
	// MaybeDelivered: the connection failed after the whole message was
	// sent and before the relay answered; a retry may deliver it twice
	// (invitations carry a stable Message-ID for that case).
	MaybeDelivered bool
	Err            error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("smtpout: ")
	b.WriteString(e.Op)
	if e.Recipient != "" {
		b.WriteString(" <" + e.Recipient + ">")
	}
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		b.WriteString(strconv.Itoa(e.Code))
		if e.EnhancedCode != [3]int{} {
			fmt.Fprintf(&b, " %d.%d.%d", e.EnhancedCode[0], e.EnhancedCode[1], e.EnhancedCode[2])
		}
		if e.Message != "" {
			b.WriteString(" " + strings.ReplaceAll(e.Message, "\n", " / "))
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	if e.Permanent {
		b.WriteString(" (permanent)")
	} else {
		b.WriteString(" (temporary)")
	}
	if e.MaybeDelivered {
		b.WriteString(" (may have been delivered)")
	}
	return b.String()
}

// Unwrap returns the underlying error (context.DeadlineExceeded, a
// net.Error, *smtp.SMTPError...).
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether a later retry may succeed.
func (e *Error) Temporary() bool { return !e.Permanent }

// RecipientError reports recipients the relay refused at RCPT TO. The
// message was accepted for Accepted (possibly none).
type RecipientError struct {
	Accepted []string
	Failed   []*Error
}

func (e *RecipientError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("smtpout: %d recipient(s) refused, %d accepted: %s", len(e.Failed), len(e.Accepted), strings.Join(parts, "; "))
}

// Unwrap returns the per-recipient errors.
func (e *RecipientError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f
	}
	return out
}

// Retry returns the recipients refused temporarily: the ones to send the
// message to again later (and only them).
func (e *RecipientError) Retry() []string {
	var out []string
	for _, f := range e.Failed {
		if !f.Permanent {
			out = append(out, f.Recipient)
		}
	}
	return out
}

// Temporary reports whether retrying err later may succeed: a temporary
// *Error, or a *RecipientError with a temporarily refused recipient.
func Temporary(err error) bool {
	var re *RecipientError
	if errors.As(err, &re) {
		return len(re.Retry()) > 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	return false
}

// classify maps an error of go-smtp, crypto/tls or the network to *Error.
func classify(op string, err error) *Error {
	e := &Error{Op: op, Err: err}
	var se *smtp.SMTPError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &se):
		e.Code, e.EnhancedCode, e.Message = se.Code, se.EnhancedCode, se.Message
		if e.EnhancedCode == smtp.NoEnhancedCode || e.EnhancedCode == smtp.EnhancedCodeNotSet {
			e.EnhancedCode = [3]int{}
		}
		// RFC 5321 §4.2.1: 4yz transient, 5yz permanent.
		e.Permanent = se.Code >= 500 && se.Code < 600
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr), errors.As(err, &invalidErr):
		// The relay's certificate will not become valid by retrying.
		e.Permanent = true
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		e.Permanent = false
	default:
		var ne net.Error
		if !errors.As(err, &ne) && op == "starttls" {
			// Neither a reply nor a network error: go-smtp's own "server
			// doesn't support STARTTLS", a configuration mismatch.
			e.Permanent = true
		}
	}
	return e
}
