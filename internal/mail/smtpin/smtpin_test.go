package smtpin_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/convene/convene/internal/inbox"
	"github.com/convene/convene/internal/inbox/inboxtest"
	"github.com/convene/convene/internal/mail/smtpin"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/testenv"
	"github.com/convene/convene/internal/tlscert"
	"github.com/convene/convene/internal/tlscert/tlscerttest"
)

// start serves intake on a loopback port until the test ends.
func start(t testing.TB, intake smtpin.Intake, opts smtpin.Options) (string, *smtpin.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtpin.New(intake, opts)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

// swaks sends a message with swaks (a real SMTP client we did not write)
// and returns its exit status and transcript.
func swaks(t *testing.T, addr string, data []byte, args ...string) (int, string) {
	t.Helper()
	bin := testenv.Command(t, "swaks")
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--server", addr, "--data", "@" + f, "--helo", "client.test", "--timeout", "30"}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

func env(t *testing.T) (*inboxtest.Env, inboxtest.Tenant) {
	e := inboxtest.New(t, "sqlite", inboxtest.Options{})
	return e, e.Tenant("Acme", "acme.test")
}

func TestSwaksDelivers(t *testing.T) {
	e, acme := env(t)
	addr, _ := start(t, e.Inbox, smtpin.Options{})
	raw := inboxtest.Letter("Owner <owner@acme.test>", "acme.test", "swaks-1@acme.test", "Lunch")
	code, out := swaks(t, addr, raw, "--to", "assistant@acme.test", "--from", "owner@acme.test")
	if code != 0 || !strings.Contains(out, "<-  250 2.0.0") {
		t.Fatalf("swaks: %d\n%s", code, out)
	}
	ms := e.Messages(acme.AccountID)
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	m := e.Wait(t, acme.AccountID, ms[0].ID, store.InboxProcessed)
	if m.RemoteIP != "127.0.0.1" || m.HELO != "client.test" || m.MailFrom != "owner@acme.test" || m.Recipient != "assistant@acme.test" ||
		!m.Authenticated || m.SenderUserID != acme.OwnerID {
		t.Errorf("row %+v", m)
	}
	// The stored bytes are those swaks sent (it ends the data with one
	// more CRLF before the dot).
	if !bytes.Equal(m.Raw, append(raw, "\r\n"...)) {
		t.Errorf("raw differs:\n%q\n%q", m.Raw, raw)
	}
	// Sent again (as after a lost 250): 250, recorded as a duplicate.
	code, out = swaks(t, addr, raw, "--to", "assistant@acme.test", "--from", "owner@acme.test")
	if code != 0 {
		t.Fatalf("second swaks: %d\n%s", code, out)
	}
	ms = e.Messages(acme.AccountID)
	if len(ms) != 2 || ms[1].Status != store.InboxDuplicate || ms[1].DuplicateOf != ms[0].ID {
		t.Fatalf("after the copy: %+v", ms)
	}
	if n := len(e.Recorder.Calls()); n != 1 {
		t.Errorf("processed %d times", n)
	}
}

func TestLimits(t *testing.T) {
	e, acme := env(t)
	e.Tenant("Beta", "beta.test")
	e.Tenant("Gamma", "gamma.test")
	addr, _ := start(t, e.Inbox, smtpin.Options{MaxMessageBytes: 4000, MaxRecipients: 2})
	small := inboxtest.Letter("owner@acme.test", "acme.test", "small@acme.test", "Small")

	t.Run("unknown recipient", func(t *testing.T) {
		code, out := swaks(t, addr, small, "--to", "someone@acme.test", "--from", "owner@acme.test")
		if code != 24 || !strings.Contains(out, "<** 550 5.1.1") {
			t.Errorf("swaks: %d\n%s", code, out)
		}
	})
	t.Run("message too large", func(t *testing.T) {
		big := append(inboxtest.Letter("owner@acme.test", "acme.test", "big@acme.test", "Big"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\r\n"), 100)...)
		code, out := swaks(t, addr, big, "--to", "assistant@acme.test", "--from", "owner@acme.test")
		if code != 26 || !strings.Contains(out, "<** 552 5.3.4") {
			t.Errorf("swaks: %d\n%s", code, out)
		}
		// Announced with SIZE (RFC 1870 §6.1): refused at MAIL FROM.
		c := dial(t, addr)
		c.expect("MAIL FROM:<owner@acme.test> SIZE=5000", "552 5.3.4")
	})
	t.Run("too many recipients", func(t *testing.T) {
		code, out := swaks(t, addr, inboxtest.Letter("owner@acme.test", "acme.test", "many@acme.test", "Many"),
			"--to", "assistant@acme.test,assistant@beta.test,assistant@gamma.test", "--from", "owner@acme.test")
		if code != 0 || !strings.Contains(out, "<** 452 4.5.3") {
			t.Errorf("swaks: %d\n%s", code, out)
		}
		for _, dom := range []string{"acme.test", "beta.test"} {
			id, _ := e.Inbox.Route(context.Background(), "assistant@"+dom)
			found := false
			for _, m := range e.Messages(id) {
				found = found || m.MessageID == "many@acme.test"
			}
			if !found {
				t.Errorf("%s did not get the message", dom)
			}
		}
	})
	t.Run("line too long", func(t *testing.T) {
		c := dial(t, addr)
		c.expect("MAIL FROM:<owner@acme.test>", "250")
		c.expect("RCPT TO:<assistant@acme.test>", "250")
		c.expect("DATA", "354")
		c.expect("Subject: long\r\nMessage-ID: <long@acme.test>\r\n\r\n"+strings.Repeat("x", 999)+"\r\n.", "500 5.5.2")
		// The session goes on: a message with a 998-octet line passes.
		c.expect("MAIL FROM:<owner@acme.test>", "250")
		c.expect("RCPT TO:<assistant@acme.test>", "250")
		c.expect("DATA", "354")
		c.expect("Subject: long\r\nMessage-ID: <ok998@acme.test>\r\n\r\n"+strings.Repeat("x", 998)+"\r\n.", "250")
		for _, m := range e.Messages(acme.AccountID) {
			if m.MessageID == "long@acme.test" {
				t.Error("the message with a 999-octet line was stored")
			}
		}
	})
	t.Run("path too long", func(t *testing.T) {
		c := dial(t, addr)
		c.expect("MAIL FROM:<"+strings.Repeat("a", 250)+"@acme.test>", "501 5.1.7")
	})
}

func TestEightBitAndBareLF(t *testing.T) {
	e, acme := env(t)
	addr, _ := start(t, e.Inbox, smtpin.Options{})
	cases := []struct {
		name, mail, data string
	}{
		{"8BITMIME", "MAIL FROM:<owner@acme.test> BODY=8BITMIME",
			"From: owner@acme.test\r\nSubject: caf\xc3\xa9\r\nMessage-ID: <8bit@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nd\xc3\xa9j\xc3\xa0 vu\r\n"},
		{"SMTPUTF8", "MAIL FROM:<andr\xc3\xa9@acme.test> SMTPUTF8",
			"From: Andr\xc3\xa9 <andr\xc3\xa9@acme.test>\r\nTo: assistant@acme.test\r\nSubject: r\xc3\xa9union\r\nMessage-ID: <utf8@acme.test>\r\n\r\n\xc3\xa0 demain\r\n"},
		{"bare LF", "MAIL FROM:<owner@acme.test>",
			"From: owner@acme.test\nSubject: bare\nMessage-ID: <barelf@acme.test>\n\nline one\nline two\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			c.expect(tc.mail, "250")
			c.expect("RCPT TO:<assistant@acme.test>", "250")
			c.expect("DATA", "354")
			c.send(tc.data)
			c.expect(".", "250")
			var found *store.InboxMessage
			for _, m := range e.Messages(acme.AccountID) {
				if strings.Contains(tc.data, "<"+m.MessageID+">") {
					found = &m
				}
			}
			if found == nil {
				t.Fatal("not stored")
			}
			m, _ := e.DB.InboxMessage(context.Background(), acme.AccountID, found.ID)
			if string(m.Raw) != tc.data {
				t.Errorf("stored %q, sent %q", m.Raw, tc.data)
			}
		})
	}
	// "\n.\n" does not end the message: only CRLF.CRLF does (no SMTP
	// smuggling, RFC 5321 §4.1.1.4).
	c := dial(t, addr)
	c.expect("MAIL FROM:<owner@acme.test>", "250")
	c.expect("RCPT TO:<assistant@acme.test>", "250")
	c.expect("DATA", "354")
	c.send("Message-ID: <smuggle@acme.test>\r\n\r\nx\n.\nMAIL FROM:<owner@acme.test>\r\n")
	c.expect(".", "250")
	m := e.Messages(acme.AccountID)
	last, _ := e.DB.InboxMessage(context.Background(), acme.AccountID, m[len(m)-1].ID)
	if !strings.Contains(string(last.Raw), "x\n.\nMAIL FROM:") {
		t.Errorf("stored %q", last.Raw)
	}
}

// failingIntake refuses to store: the listener must answer 451, never 250.
type failingIntake struct{ routed map[string]string }

func (f failingIntake) Route(_ context.Context, rcpt string) (string, error) {
	if id, ok := f.routed[rcpt]; ok {
		return id, nil
	}
	return "", inbox.ErrUnknownRecipient
}

func (failingIntake) Receive(context.Context, inbox.Delivery) ([]inbox.Stored, error) {
	return nil, errors.New("disk full")
}

func TestStoreFailureIsTemporary(t *testing.T) {
	addr, _ := start(t, failingIntake{routed: map[string]string{"assistant@acme.test": "acc_1"}}, smtpin.Options{})
	code, out := swaks(t, addr, inboxtest.Letter("owner@acme.test", "acme.test", "x@acme.test", "x"), "--to", "assistant@acme.test", "--from", "owner@acme.test")
	if code != 26 || !strings.Contains(out, "<** 451 4.3.0") || strings.Contains(out, "<-  250 2.0.0 OK: queued") {
		t.Errorf("swaks: %d\n%s", code, out)
	}
}

// slowIntake holds Receive until released, to catch the listener
// answering before the message is stored.
type slowIntake struct {
	failingIntake
	entered, release chan struct{}
	mu               sync.Mutex
	stored           bool
}

func (s *slowIntake) Receive(context.Context, inbox.Delivery) ([]inbox.Stored, error) {
	close(s.entered)
	<-s.release
	s.mu.Lock()
	s.stored = true
	s.mu.Unlock()
	return []inbox.Stored{{AccountID: "acc_1", ID: "in_1"}}, nil
}

func TestNoAnswerBeforeStored(t *testing.T) {
	in := &slowIntake{failingIntake: failingIntake{routed: map[string]string{"assistant@acme.test": "acc_1"}},
		entered: make(chan struct{}), release: make(chan struct{})}
	addr, _ := start(t, in, smtpin.Options{})
	c := dial(t, addr)
	c.expect("MAIL FROM:<owner@acme.test>", "250")
	c.expect("RCPT TO:<assistant@acme.test>", "250")
	c.expect("DATA", "354")
	c.send("Subject: x\r\n\r\nx\r\n.\r\n")
	<-in.entered
	// While Receive holds, nothing may come back. (Waiting for a reply
	// that must not come needs a bound: 300 ms.)
	c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if line, err := c.r.ReadString('\n'); err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("answered %q (%v) while the message was being stored", line, err)
	}
	close(in.release)
	r := c.read()
	in.mu.Lock()
	stored := in.stored
	in.mu.Unlock()
	if !strings.HasPrefix(r, "250") || !stored {
		t.Fatalf("reply %q, stored %v", r, stored)
	}
}

func TestTimeoutsAndConnections(t *testing.T) {
	e, acme := env(t)
	addr, srv := start(t, e.Inbox, smtpin.Options{DataBlockTimeout: 300 * time.Millisecond, CommandTimeout: 500 * time.Millisecond, MaxConns: 2})
	t.Run("a stalled message closes the connection", func(t *testing.T) {
		c := dial(t, addr)
		c.expect("MAIL FROM:<owner@acme.test>", "250")
		c.expect("RCPT TO:<assistant@acme.test>", "250")
		c.expect("DATA", "354")
		c.send("Subject: stalled\r\nMessage-ID: <stalled@acme.test>\r\n\r\nand then nothing")
		// The server closes the connection (EOF), a reply or not before
		// it; our own read deadline is not the answer.
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.r.ReadString('\n')
		if err == nil {
			_, err = c.r.ReadString('\n')
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("the connection stayed open: %v", err)
		}
		for _, m := range e.Messages(acme.AccountID) {
			if m.MessageID == "stalled@acme.test" {
				t.Error("a partial message was stored")
			}
		}
	})
	t.Run("an idle client is told and dropped", func(t *testing.T) {
		c := dial(t, addr)
		c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := c.r.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "421 4.4.2") {
			t.Fatalf("after the command timeout: %q %v", line, err)
		}
		if _, err := c.r.ReadString('\n'); !errors.Is(err, io.EOF) {
			t.Errorf("the connection stayed open: %v", err)
		}
	})
	t.Run("connections beyond the limit get 421", func(t *testing.T) {
		a, b := dial(t, addr), dial(t, addr)
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		line, _ := bufio.NewReader(conn).ReadString('\n')
		if !strings.HasPrefix(line, "421 4.7.0") {
			t.Errorf("third connection: %q", line)
		}
		a.expect("QUIT", "221")
		b.expect("QUIT", "221")
	})
	t.Run("shutdown closes idle connections", func(t *testing.T) {
		c := dial(t, addr)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.r.ReadString('\n'); err == nil {
			t.Error("an idle connection survived the shutdown")
		}
		if _, err := net.Dial("tcp", addr); err == nil {
			t.Error("still accepting after shutdown")
		}
	})
}

// client is a hand-driven SMTP session, for what swaks cannot send.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	if g := c.read(); !strings.HasPrefix(g, "220") {
		t.Fatalf("greeting %q", g)
	}
	c.expect("EHLO client.test", "250")
	return c
}

// read reads one reply, multi-line ones whole, and returns its last line.
func (c *client) read() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if len(line) < 4 || line[3] != '-' {
			return strings.TrimRight(line, "\r\n")
		}
	}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := fmt.Fprint(c.conn, s); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) expect(cmd, want string) {
	c.t.Helper()
	c.send(cmd + "\r\n")
	if got := c.read(); !strings.HasPrefix(got, want) {
		c.t.Fatalf("%.60q: %q, want %s…", cmd, got, want)
	}
}

func TestLatin1ThroughSwaks(t *testing.T) {
	e, acme := env(t)
	addr, _ := start(t, e.Inbox, smtpin.Options{})
	raw := []byte("From: =?ISO-8859-1?Q?Andr=E9?= <owner@acme.test>\r\nTo: assistant@acme.test\r\nSubject: =?ISO-8859-1?Q?R=E9union?=\r\n" +
		"Message-ID: <latin1@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\nR\xe9union jeudi \xe0 10h.\r\n")
	if code, out := swaks(t, addr, raw, "--to", "assistant@acme.test", "--from", "owner@acme.test"); code != 0 {
		t.Fatalf("swaks: %d\n%s", code, out)
	}
	e.Wait(t, acme.AccountID, e.Messages(acme.AccountID)[0].ID, store.InboxProcessed)
	c := e.Recorder.Calls()[0]
	body, err := c.Msg.Text()
	if err != nil || strings.TrimSpace(body.Text) != "Réunion jeudi à 10h." || c.Msg.Subject != "Réunion" {
		t.Errorf("text %q subject %q: %v", body.Text, c.Msg.Subject, err)
	}
}

// TestServeAfterShutdown: a listener handed to Serve once Shutdown ran (a
// process told to stop while it starts) is closed and Serve returns, where
// go-smtp's own Serve would accept forever.
func TestServeAfterShutdown(t *testing.T) {
	srv := smtpin.New(nil, smtpin.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		ln.Close() // let the goroutine end
		t.Fatal("Serve after Shutdown still accepts")
	}
}

// TestSTARTTLS: with Options.TLS the listener offers STARTTLS and swaks
// (--tls: STARTTLS required) delivers over it; without, none is offered
// and swaks refuses to send in clear.
func TestSTARTTLS(t *testing.T) {
	e, acme := env(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	tlscerttest.WriteSelfSigned(t, cert, key, "mx.acme.test")
	files, err := tlscert.Load(cert, key, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr, _ := start(t, e.Inbox, smtpin.Options{TLS: files.Config()})
	raw := inboxtest.Letter("Owner <owner@acme.test>", "acme.test", "tls-1@acme.test", "Lunch")
	code, out := swaks(t, addr, raw, "--to", "assistant@acme.test", "--from", "owner@acme.test", "--tls")
	if code != 0 || !strings.Contains(out, "250-STARTTLS") || !strings.Contains(out, "TLS started") || !strings.Contains(out, "<~  250 2.0.0") {
		t.Fatalf("swaks over STARTTLS: %d\n%s", code, out)
	}
	if ms := e.Messages(acme.AccountID); len(ms) != 1 {
		t.Fatalf("%d messages after the delivery over TLS", len(ms))
	}
	plain, _ := start(t, e.Inbox, smtpin.Options{})
	code, out = swaks(t, plain, raw, "--to", "assistant@acme.test", "--from", "owner@acme.test", "--tls")
	if code == 0 || strings.Contains(out, "250-STARTTLS") {
		t.Fatalf("STARTTLS offered without a certificate: %d\n%s", code, out)
	}
}
