package smtpout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const testMsg = "From: Ann via Acme <assistant@acme.test>\r\nTo: bob@example.org\r\nSubject: Invitation\r\n" +
	"Message-ID: <x1@acme.test>\r\n\r\nHello Bob,\r\n.leading dot\r\n\r\nbye\r\n"

func TestParseRelay(t *testing.T) {
	tests := []struct {
		in      string
		sec     Security
		addr    string
		user    string
		pass    string
		shown   string
		wantErr string
	}{
		{in: "smtp://mail.acme.test", sec: NoTLS, addr: "mail.acme.test:25", shown: "smtp://mail.acme.test:25"},
		{in: "smtps://u%40acme.test:p%3Ass%2Fw@mail.acme.test", sec: ImplicitTLS, addr: "mail.acme.test:465", user: "u@acme.test", pass: "p:ss/w",
			shown: "smtps://u%40acme.test:xxxxx@mail.acme.test:465"},
		{in: "smtp+starttls://u:pw-123@mail.acme.test:2587", sec: StartTLS, addr: "mail.acme.test:2587", user: "u", pass: "pw-123"},
		{in: "SMTP+STARTTLS://u:pw-123@mail.acme.test", sec: StartTLS, addr: "mail.acme.test:587", user: "u", pass: "pw-123"},
		{in: "smtp://u:pw-123@127.0.0.1:2525", sec: NoTLS, addr: "127.0.0.1:2525", user: "u", pass: "pw-123"},
		{in: "smtp://u:pw-123@localhost:2525", sec: NoTLS, addr: "localhost:2525", user: "u", pass: "pw-123"},
		{in: "smtp://u:pw-123@[::1]:2525", sec: NoTLS, addr: "[::1]:2525", user: "u", pass: "pw-123"},
		{in: "smtp://u:secret@mail.acme.test", wantErr: "in clear"},
		{in: "smtp://u:secret@10.0.0.1:25", wantErr: "in clear"},
		{in: "http://mail.acme.test", wantErr: "scheme"},
		{in: "smtp://", wantErr: "no host"},
		{in: "smtp://mail.acme.test:99999", wantErr: "port"},
		{in: "smtp://mail.acme.test/path", wantErr: "path"},
		{in: "smtps://:secret@mail.acme.test", wantErr: "no user"},
		{in: "smtps://u:secret@mail acme", wantErr: "parse"},
	}
	for _, tt := range tests {
		r, err := ParseRelay(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: error %v, want %q", tt.in, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: the error shows the password: %v", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if r.Security != tt.sec || r.Addr() != tt.addr || r.Username != tt.user || r.password != tt.pass {
			t.Errorf("%s: %+v %s", tt.in, r, r.Addr())
		}
		for _, shown := range []string{r.String(), fmt.Sprintf("%v", r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r)} {
			if tt.pass != "" && strings.Contains(shown, tt.pass) {
				t.Errorf("%s: printed with its password: %s", tt.in, shown)
			}
		}
		if tt.shown != "" && r.String() != tt.shown {
			t.Errorf("%s: shown as %s, want %s", tt.in, r.String(), tt.shown)
		}
	}
}

func client(t *testing.T, url string, pool interface{}, opts ...func(*Options)) *Client {
	t.Helper()
	r, err := ParseRelay(url)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{LocalName: "convene.acme.test", CommandTimeout: 5 * time.Second, Timeout: 10 * time.Second}
	if p, ok := pool.(relay); ok {
		o.TLSConfig = &tls.Config{RootCAs: p.pool}
	}
	for _, f := range opts {
		f(&o)
	}
	c, err := New(r, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSend(t *testing.T) {
	tests := []struct {
		name            string
		scheme          string
		implicit, offer bool
		user            string
		wantTLS         bool
	}{
		{"plain loopback, no auth", "smtp", false, false, "", false},
		{"plain loopback, auth", "smtp", false, false, "ann", false},
		{"implicit TLS, auth", "smtps", true, false, "ann", true},
		{"STARTTLS, auth", "smtp+starttls", false, true, "ann", true},
		{"STARTTLS, no auth", "smtp+starttls", false, true, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{user: tt.user, pass: "pa:ss wörd"}
			r := startRelay(t, b, tt.implicit, tt.offer)
			creds := ""
			if tt.user != "" {
				creds = tt.user + ":pa%3Ass%20w%C3%B6rd@"
			}
			c := client(t, tt.scheme+"://"+creds+r.addr, r)
			to := []string{"bob@example.org", "chloe@exemple.fr"}
			if err := c.Send(context.Background(), "bounces@acme.test", to, []byte(testMsg)); err != nil {
				t.Fatal(err)
			}
			got := b.received()
			if len(got) != 1 {
				t.Fatalf("%d messages", len(got))
			}
			m := got[0]
			// go-smtp's server gives DATA with CRLF and dots unstuffed:
			// the bytes sent.
			if string(m.data) != testMsg {
				t.Errorf("data %q", m.data)
			}
			if m.from != "bounces@acme.test" || !slices.Equal(m.to, to) || m.tls != tt.wantTLS || m.user != tt.user {
				t.Errorf("%+v", m)
			}
			if m.ehlo != "convene.acme.test" || m.size != int64(len(testMsg)) {
				t.Errorf("EHLO %q SIZE %d", m.ehlo, m.size)
			}
		})
	}
}

func TestSendRefusesClearAuth(t *testing.T) {
	// A non-loopback relay over smtp:// with credentials is refused
	// before anything is dialled, even when built without ParseRelay.
	r := Relay{Security: NoTLS, Host: "mail.acme.test", Port: "25", Username: "ann"}.WithPassword("secret")
	if _, err := New(r, Options{}); err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("New: %v", err)
	}
	// A relay that only pretends to be loopback in its name is dialled
	// elsewhere: here the dialer lands on a relay without TLS, and the
	// client still has the relay's name as "localhost"; that is the only
	// name trusted without TLS.
	b := &backend{user: "ann", pass: "secret"}
	rl := startRelay(t, b, false, false)
	c := client(t, "smtp://ann:secret@localhost:25", nil, func(o *Options) {
		o.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, rl.addr)
		}
	})
	if err := c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	// A STARTTLS relay that does not offer STARTTLS: no fallback.
	b2 := &backend{}
	rl2 := startRelay(t, b2, false, false)
	c2 := client(t, "smtp+starttls://"+rl2.addr, rl2)
	err := c2.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	var e *Error
	if !errors.As(err, &e) || e.Op != "starttls" || !e.Permanent {
		t.Errorf("no STARTTLS: %v", err)
	}
	if len(b2.received()) != 0 {
		t.Error("sent in clear")
	}
}

func TestSendErrors(t *testing.T) {
	smtpErr := func(code int, enh smtp.EnhancedCode, msg string) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
	}
	tests := []struct {
		name      string
		b         *backend
		url       string // user part
		op        string
		code      int
		permanent bool
	}{
		{"auth failed", &backend{user: "ann", pass: "right"}, "ann:wrong-secret@", "auth", 535, true},
		{"mail 421", &backend{mailErr: smtpErr(421, smtp.EnhancedCode{4, 3, 2}, "shutting down")}, "", "mail", 421, false},
		{"mail 451", &backend{mailErr: smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try again")}, "", "mail", 451, false},
		{"mail 550", &backend{mailErr: smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "sender refused")}, "", "mail", 550, true},
		{"data 451", &backend{dataErr: smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "disk full")}, "", "data", 451, false},
		{"data 554", &backend{dataErr: smtpErr(554, smtp.EnhancedCode{5, 6, 0}, "content rejected")}, "", "data", 554, true},
		{"rcpt 421 closes", &backend{rcptErrs: map[string]error{"bob@example.org": smtpErr(421, smtp.EnhancedCode{4, 4, 2}, "bye")}}, "", "rcpt", 421, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, tt.b, false, false)
			c := client(t, "smtp://"+tt.url+r.addr, nil)
			err := c.Send(context.Background(), "a@acme.test", []string{"bob@example.org"}, []byte(testMsg))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
			if e.Op != tt.op || e.Code != tt.code || e.Permanent != tt.permanent || Temporary(err) == tt.permanent {
				t.Errorf("got %+v", e)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "Hello Bob") {
				t.Errorf("error shows the password or the message: %v", err)
			}
			if len(tt.b.received()) != 0 {
				t.Error("message recorded")
			}
		})
	}
}

func TestSendPerRecipient(t *testing.T) {
	b := &backend{rcptErrs: map[string]error{
		"gone@example.org": &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"},
		"full@example.org": &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"},
	}}
	r := startRelay(t, b, false, false)
	c := client(t, "smtp://"+r.addr, nil)
	to := []string{"gone@example.org", "bob@example.org", "full@example.org", "chloe@exemple.fr"}
	err := c.Send(context.Background(), "a@acme.test", to, []byte(testMsg))
	var re *RecipientError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v", err, err)
	}
	if !slices.Equal(re.Accepted, []string{"bob@example.org", "chloe@exemple.fr"}) {
		t.Errorf("accepted %v", re.Accepted)
	}
	if len(re.Failed) != 2 || re.Failed[0].Recipient != "gone@example.org" || !re.Failed[0].Permanent || re.Failed[0].EnhancedCode != [3]int{5, 1, 1} ||
		re.Failed[1].Recipient != "full@example.org" || re.Failed[1].Permanent {
		t.Errorf("failed %+v %+v", re.Failed[0], re.Failed[1])
	}
	if !slices.Equal(re.Retry(), []string{"full@example.org"}) || !Temporary(err) {
		t.Errorf("retry %v", re.Retry())
	}
	var e *Error
	if !errors.As(err, &e) || e.Recipient != "gone@example.org" {
		t.Errorf("errors.As through RecipientError: %v", e)
	}
	got := b.received()
	if len(got) != 1 || !slices.Equal(got[0].to, re.Accepted) {
		t.Fatalf("delivered %+v", got)
	}

	// Nobody accepted: no DATA, and nothing to retry when all refusals
	// are permanent.
	err = c.Send(context.Background(), "a@acme.test", []string{"gone@example.org"}, []byte(testMsg))
	if !errors.As(err, &re) || len(re.Accepted) != 0 || Temporary(err) {
		t.Errorf("all refused: %v", err)
	}
	if len(b.received()) != 1 {
		t.Error("DATA sent with no recipient")
	}
}

func TestSendNetwork(t *testing.T) {
	// Connection refused: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := client(t, "smtp://"+addr, nil)
	err = c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	var e *Error
	if !errors.As(err, &e) || e.Op != "dial" || e.Permanent {
		t.Errorf("refused: %v", err)
	}

	// A server that accepts and never greets: the command timeout.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	c = client(t, "smtp://"+silent.Addr().String(), nil, func(o *Options) { o.CommandTimeout = 300 * time.Millisecond })
	start := time.Now()
	err = c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	if !errors.As(err, &e) || e.Permanent || e.Op != "ehlo" {
		t.Errorf("silent server: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}

	// The caller's context: cancelled while the relay sits on DATA.
	// The message was fully sent, so it may have been delivered.
	b := &backend{dataHold: make(chan struct{})}
	defer close(b.dataHold)
	r := startRelay(t, b, false, false)
	c = client(t, "smtp://"+r.addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	err = c.Send(ctx, "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	if !errors.As(err, &e) || e.Op != "data" || e.Permanent || !e.MaybeDelivered || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled: %+v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
	// Already cancelled: nothing is dialled.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := c.Send(ctx, "a@acme.test", []string{"b@example.org"}, []byte(testMsg)); !errors.Is(err, context.Canceled) || !Temporary(err) {
		t.Errorf("cancelled before: %v", err)
	}
}

func TestSendTLSFailures(t *testing.T) {
	b := &backend{}
	r := startRelay(t, b, true, false)
	// No trust in the relay's certificate: permanent.
	c := client(t, "smtps://"+r.addr, nil)
	err := c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	var e *Error
	if !errors.As(err, &e) || e.Op != "tls" || !e.Permanent {
		t.Errorf("untrusted: %v", err)
	}
	// STARTTLS to a certificate for another name.
	r2 := startRelay(t, &backend{}, false, true)
	c = client(t, "smtp+starttls://"+r2.addr, r2, func(o *Options) { o.TLSConfig.ServerName = "other.test" })
	err = c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	if !errors.As(err, &e) || !e.Permanent {
		t.Errorf("wrong name: %v", err)
	}
}

func TestSendLimits(t *testing.T) {
	b := &backend{}
	r := startRelay(t, b, false, false, func(s *smtp.Server) { s.MaxMessageBytes = 64 })
	c := client(t, "smtp://"+r.addr, nil)
	err := c.Send(context.Background(), "a@acme.test", []string{"b@example.org"}, []byte(testMsg))
	var e *Error
	if !errors.As(err, &e) || e.Op != "size" || !e.Permanent {
		t.Errorf("too big: %v", err)
	}
	before := b.sessionCount()
	for _, tt := range []struct {
		from string
		to   []string
		msg  string
	}{
		{"a@acme.test", nil, testMsg},
		{"a@acme.test", []string{"b@example.org\r\nRCPT TO:<x@y>"}, testMsg},
		{"a@acme.test>", []string{"b@example.org"}, testMsg},
		{"a@acme.test", []string{"nobody"}, testMsg},
		{"a@acme.test", []string{"b@example.org"}, ""},
	} {
		err := c.Send(context.Background(), tt.from, tt.to, []byte(tt.msg))
		if !errors.As(err, &e) || e.Op != "envelope" || !e.Permanent {
			t.Errorf("%q %q: %v", tt.from, tt.to, err)
		}
	}
	if b.sessionCount() != before {
		t.Errorf("%d connections for invalid envelopes", b.sessionCount()-before)
	}
}

// TestSendConcurrent: one Client, parallel sends, each its own connection.
func TestSendConcurrent(t *testing.T) {
	b := &backend{}
	r := startRelay(t, b, false, true)
	c := client(t, "smtp+starttls://"+r.addr, r)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- c.Send(context.Background(), "a@acme.test", []string{fmt.Sprintf("r%d@example.org", i)}, []byte(testMsg))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := len(b.received()); n != 8 {
		t.Errorf("%d messages", n)
	}
}

func TestUTF8Envelope(t *testing.T) {
	b := &backend{}
	r := startRelay(t, b, false, false)
	c := client(t, "smtp://"+r.addr, nil)
	if err := c.Send(context.Background(), "a@acme.test", []string{"chloé@exemple.fr"}, []byte(testMsg)); err != nil {
		t.Fatal(err)
	}
	if got := b.received(); len(got) != 1 || !got[0].utf8 {
		t.Errorf("%+v", got)
	}
}
