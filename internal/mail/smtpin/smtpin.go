// Package smtpin is Convene's SMTP listener (RFC 5321) for mail to the
// assistant, on emersion/go-smtp. It accepts a recipient only when it is
// an account's assistant address (550 5.1.1 otherwise), reads the message
// within the limits below, and answers 250 only once the inbox has stored
// it durably with its processing job; when the inbox cannot, it answers
// 451 and the sender tries again. It is not an MTA: it relays nothing and
// keeps no queue of its own.
//
// Limits and their replies:
//   - message size: SIZE (RFC 1870) is advertised; a larger SIZE= or
//     message gets 552 5.3.4;
//   - recipients: 452 4.5.3 beyond MaxRecipients (RFC 5321 §4.5.3.1.10);
//   - paths longer than 256 octets (RFC 5321 §4.5.3.1.3): 501;
//   - text lines longer than MaxLineLength octets (RFC 5321 §4.5.3.1.6:
//     1000 with the CRLF): 500 5.5.2 "Line too long" (§4.5.3.1.9), the
//     message refused; a line so long that go-smtp's own buffer limit
//     (64 KiB) trips closes the connection with go-smtp's 500;
//   - timeouts (RFC 5321 §4.5.3.2): each command (5 minutes), each read
//     of the message (3 minutes) and the whole message (10 minutes); a
//     timed-out DATA closes the connection (go-smtp alone would leave it
//     open after answering);
//   - connections: MaxConns at once (421 4.7.0 beyond), and MaxData
//     messages read at once, which bounds memory to MaxData ×
//     MaxMessageBytes.
//
// 8BITMIME and SMTPUTF8 (RFC 6152, RFC 6531) are offered: the message is
// kept as bytes, whatever its encoding. A bare LF inside the message is
// kept as it came (DKIM canonicalization treats it as a line end), but the
// end of data must be CRLF.CRLF: accepting "\n.\n" is how SMTP smuggling
// works.
//
// This package is a front end: it calls the inbox through Intake and must
// never be imported by the core.
package smtpin

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/convene/convene/internal/inbox"
)

// Intake is what the listener needs of the inbox; *inbox.Service is one.
type Intake interface {
	// Route returns the account whose assistant address rcpt is, or
	// inbox.ErrUnknownRecipient.
	Route(ctx context.Context, rcpt string) (string, error)
	// Receive stores a message durably; nil means it is safe to answer
	// 250.
	Receive(ctx context.Context, d inbox.Delivery) ([]inbox.Stored, error)
}

// Options tune the listener; zero fields take the defaults.
type Options struct {
	// Domain is the name in the greeting (default "localhost").
	Domain string
	// MaxMessageBytes is the largest message (default 10 MiB).
	MaxMessageBytes int64
	// MaxRecipients per message (default 100, RFC 5321 §4.5.3.1.8).
	MaxRecipients int
	// MaxLineLength is the longest text line in octets, without its CRLF
	// (default 998: 1000 with it, RFC 5321 §4.5.3.1.6).
	MaxLineLength int
	// CommandTimeout bounds the wait for each command (default 5 min,
	// RFC 5321 §4.5.3.2.7).
	CommandTimeout time.Duration
	// DataBlockTimeout bounds each read of the message (default 3 min,
	// RFC 5321 §4.5.3.2.5), DataTimeout the whole message (10 min,
	// §4.5.3.2.6).
	DataBlockTimeout time.Duration
	DataTimeout      time.Duration
	// StoreTimeout bounds the inbox's commit; beyond it the answer is 451
	// (default 60 s).
	StoreTimeout time.Duration
	// MaxConns is the number of connections served at once (default 50);
	// MaxData the number of messages read at once (default 8).
	MaxConns int
	MaxData  int
	// TLS, when set, offers STARTTLS (RFC 3207) with this configuration,
	// as the MTAs that deliver to an internet-facing listener expect
	// (tlscert.Files serves a certificate renewed in place); nil: none.
	TLS *tls.Config
	Log *slog.Logger
}

// goSMTPLineLimit is go-smtp's own line buffer: above ours, so that our
// check answers text lines that are too long and go-smtp's only stops
// absurd ones.
const goSMTPLineLimit = 64 << 10

// maxPath is the longest reverse- or forward-path (RFC 5321 §4.5.3.1.3).
const maxPath = 256

// Server is the SMTP listener.
type Server struct {
	intake Intake
	opts   Options
	smtp   *smtp.Server
	data   chan struct{} // slots for messages being read

	mu       sync.Mutex
	sessions map[*session]struct{}
	conns    int
	closing  bool
	// listeners are those Serve was given, closed by Shutdown itself:
	// go-smtp's Serve called after its Shutdown would accept forever.
	listeners []net.Listener
}

// New returns a listener that hands mail to intake.
func New(intake Intake, opts Options) *Server {
	if opts.Domain == "" {
		opts.Domain = "localhost"
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = 10 << 20
	}
	if opts.MaxRecipients <= 0 {
		opts.MaxRecipients = 100
	}
	if opts.MaxLineLength <= 0 {
		opts.MaxLineLength = 998
	}
	if opts.CommandTimeout <= 0 {
		opts.CommandTimeout = 5 * time.Minute
	}
	if opts.DataBlockTimeout <= 0 {
		opts.DataBlockTimeout = 3 * time.Minute
	}
	if opts.DataTimeout <= 0 {
		opts.DataTimeout = 10 * time.Minute
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 60 * time.Second
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 50
	}
	if opts.MaxData <= 0 {
		opts.MaxData = 8
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{intake: intake, opts: opts, data: make(chan struct{}, opts.MaxData), sessions: map[*session]struct{}{}}
	srv := smtp.NewServer(s)
	srv.Domain = opts.Domain
	srv.MaxMessageBytes = opts.MaxMessageBytes
	srv.MaxRecipients = opts.MaxRecipients
	srv.MaxLineLength = goSMTPLineLimit
	srv.ReadTimeout = opts.CommandTimeout
	srv.WriteTimeout = opts.CommandTimeout
	srv.EnableSMTPUTF8 = true
	srv.TLSConfig = opts.TLS
	srv.ErrorLog = slogLogger{opts.Log}
	s.smtp = srv
	return s
}

// Serve accepts connections on ln until Shutdown; it returns nil then.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	err := s.smtp.Serve(&limitListener{Listener: ln, s: s})
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, closes those waiting for a
// command, lets messages being read or stored finish (until ctx ends) and
// then closes everything. A sender cut off before our 250 tries again.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for _, ln := range s.listeners {
		ln.Close() // Serve returns, whether go-smtp knows ln yet or not
	}
	var idle []*smtp.Conn
	for se := range s.sessions {
		if !se.busy {
			idle = append(idle, se.conn)
		}
	}
	s.mu.Unlock()
	for _, c := range idle {
		c.Close() // calls Logout, which takes s.mu
	}
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, net.ErrClosed) {
		err = nil // the listeners closed above
	}
	if err != nil {
		s.smtp.Close()
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// NewSession implements smtp.Backend: one per connection, after EHLO.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	se := &session{srv: s, conn: c}
	if a, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		se.remoteIP = a.IP.String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down, try again later"}
	}
	s.sessions[se] = struct{}{}
	return se, nil
}

// session is one SMTP connection.
type session struct {
	srv      *Server
	conn     *smtp.Conn
	remoteIP string
	from     string
	rcpts    []inbox.Recipient
	busy     bool // reading or storing a message; guarded by srv.mu
}

var (
	errPathTooLong  = &smtp.SMTPError{Code: 501, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Path too long (RFC 5321 §4.5.3.1.3: at most 256 octets)"}
	errUnknownRcpt  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such assistant here"}
	errTempLocal    = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local problem, message not accepted; try again later"}
	errDataTimeout  = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Timeout reading the message, closing"}
	errBusy         = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Too busy, try again later"}
	errConnBroken   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Connection problem while reading the message"}
	errShuttingDown = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Shutting down, try again later"}
)

// Mail implements smtp.Session: the reverse-path, kept for SPF.
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if len(from) > maxPath {
		e := *errPathTooLong
		e.EnhancedCode = smtp.EnhancedCode{5, 1, 7}
		return &e
	}
	se.from, se.rcpts = from, nil
	return nil
}

// Rcpt implements smtp.Session: only assistant addresses are accepted.
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if len(to) > maxPath {
		return errPathTooLong
	}
	ctx, cancel := context.WithTimeout(context.Background(), se.srv.opts.StoreTimeout)
	defer cancel()
	id, err := se.srv.intake.Route(ctx, to)
	if errors.Is(err, inbox.ErrUnknownRecipient) {
		se.srv.opts.Log.Debug("smtp: recipient refused", "rcpt", to, "remote_ip", se.remoteIP)
		return errUnknownRcpt
	}
	if err != nil {
		se.srv.opts.Log.Error("smtp: routing failed", "rcpt", to, "err", err)
		return errTempLocal
	}
	for _, r := range se.rcpts {
		if r.AccountID == id && strings.EqualFold(r.Address, to) {
			return nil
		}
	}
	se.rcpts = append(se.rcpts, inbox.Recipient{Address: to, AccountID: id})
	return nil
}

// Data implements smtp.Session: read the message within the limits,
// store it, and only then let go-smtp answer 250.
func (se *session) Data(r io.Reader) error {
	s := se.srv
	if !se.setBusy(true) {
		return errShuttingDown
	}
	defer se.setBusy(false)
	select {
	case s.data <- struct{}{}:
		defer func() { <-s.data }()
	case <-time.After(s.opts.StoreTimeout):
		return errBusy
	}
	raw, err := se.read(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.StoreTimeout)
	defer cancel()
	_, err = s.intake.Receive(ctx, inbox.Delivery{
		Envelope: inbox.Envelope{Source: inbox.SourceSMTP, RemoteIP: se.remoteIP, HELO: se.conn.Hostname(), MailFrom: se.from, Recipients: se.rcpts},
		Raw:      raw,
	})
	if err != nil {
		s.opts.Log.Error("smtp: message not stored; answering 451", "remote_ip", se.remoteIP, "err", err)
		return errTempLocal
	}
	return nil
}

// read reads the message (go-smtp has removed the dot-stuffing and the
// final dot) with a deadline per read and one for the whole, checking the
// length of each line.
func (se *session) read(r io.Reader) ([]byte, error) {
	s := se.srv
	conn := se.conn.Conn()
	end := time.Now().Add(s.opts.DataTimeout)
	defer conn.SetReadDeadline(time.Time{})
	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	line := 0 // octets since the last LF, CR excluded at the end
	for {
		d := time.Now().Add(s.opts.DataBlockTimeout)
		if d.After(end) {
			d = end
		}
		conn.SetReadDeadline(d)
		n, err := r.Read(chunk)
		for _, c := range chunk[:n] {
			if c == '\n' {
				line = 0
				continue
			}
			line++
			// A CR belongs to the line end, not the line.
			if line > s.opts.MaxLineLength+1 || (line == s.opts.MaxLineLength+1 && c != '\r') {
				return nil, &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
					Message: fmt.Sprintf("Line too long: at most %d octets per line (RFC 5321 §4.5.3.1.6)", s.opts.MaxLineLength+2)}
			}
		}
		buf.Write(chunk[:n])
		switch {
		case err == nil:
			continue
		case err == io.EOF:
			return buf.Bytes(), nil
		}
		var se2 *smtp.SMTPError
		var ne net.Error
		switch {
		case errors.As(err, &se2):
			return nil, se2 // 552 5.3.4 when the message outgrows SIZE
		case errors.As(err, &ne) && ne.Timeout():
			// go-smtp answers and goes on reading commands on a
			// connection whose client is still sending the message:
			// close it instead.
			se.conn.Close()
			return nil, errDataTimeout
		case errors.Is(err, smtp.ErrTooLongLine):
			return nil, &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2}, Message: "Line too long"}
		default:
			return nil, errConnBroken
		}
	}
}

func (se *session) setBusy(b bool) bool {
	se.srv.mu.Lock()
	defer se.srv.mu.Unlock()
	if b && se.srv.closing {
		return false
	}
	se.busy = b
	return true
}

// Reset implements smtp.Session.
func (se *session) Reset() { se.from, se.rcpts = "", nil }

// Logout implements smtp.Session.
func (se *session) Logout() error {
	se.srv.mu.Lock()
	delete(se.srv.sessions, se)
	se.srv.mu.Unlock()
	return nil
}

// limitListener refuses connections beyond MaxConns with 421 (RFC 5321
// §3.8) instead of letting them queue.
type limitListener struct {
	net.Listener
	s *Server
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.s.mu.Lock()
		full := l.s.conns >= l.s.opts.MaxConns
		if !full {
			l.s.conns++
		}
		l.s.mu.Unlock()
		if !full {
			return &countedConn{Conn: c, s: l.s}, nil
		}
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
		c.Close()
	}
}

type countedConn struct {
	net.Conn
	s    *Server
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		c.s.conns--
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

// slogLogger routes go-smtp's internal errors to the log.
type slogLogger struct{ log *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) { l.log.Warn("smtp: " + fmt.Sprintf(format, v...)) }
func (l slogLogger) Println(v ...any)               { l.log.Warn("smtp: " + fmt.Sprintln(v...)) }
