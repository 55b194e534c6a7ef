package e2e

import (
	"context"
	"errors"
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

	"github.com/emersion/go-smtp"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/mail/mailtest"
	"github.com/convene/convene/internal/store"
	"github.com/convene/convene/internal/store/storetest"
	"github.com/convene/convene/internal/testbin"
	"github.com/convene/convene/internal/testenv"
)

// swaksSend delivers raw to addr with swaks (and its more arguments) and
// returns its exit status and transcript.
func swaksSend(t *testing.T, addr, from, to string, raw []byte, more ...string) (int, string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--server", addr, "--from", from, "--to", to, "--data", "@" + f,
		"--helo", "client.acme.test", "--timeout", "30"}, more...)
	out, err := exec.Command(testenv.Command(t, "swaks"), args...).CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// inbox lists the account's received mail through the API.
func inbox(t *testing.T, c client, owner string) []map[string]any {
	t.Helper()
	out := c.must("GET", "/api/v1/inbox", owner, nil, 200)
	var ms []map[string]any
	for _, m := range out["messages"].([]any) {
		ms = append(ms, m.(map[string]any))
	}
	return ms
}

// TestMailSurvivesSIGKILL: swaks gets its 250, the process is killed at
// once, and after a restart the message is there and is processed exactly
// once; the sender's retry (as after a lost 250) is a recorded duplicate
// with no job of its own.
func TestMailSurvivesSIGKILL(t *testing.T) {
	for _, engine := range storetest.Engines {
		t.Run(engine, func(t *testing.T) {
			dns := dnstest.Start(t)
			dataDir, env := serveEnv(t, engine, dns)
			smtpAddr := freeAddr(t)
			env = append(env, "CONVENE_SMTP_ADDR="+smtpAddr)
			dbURL := "sqlite:" + filepath.Join(dataDir, "convene.db")
			for _, kv := range env {
				if v, ok := strings.CutPrefix(kv, "CONVENE_DATABASE_URL="); ok {
					dbURL = v
				}
			}
			p := testbin.Start(t, env, "serve")
			c := client{t: t, base: p.URL}
			tn := setupTenant(t, c, dns, "acme.test")
			dns.SetTXT("acme.test", "v=spf1 ip4:127.0.0.1 -all")
			dns.SetTXT("_dmarc.acme.test", "v=DMARC1; p=reject")

			raw := mailtest.CRLF("From: Max Member <member@acme.test>\nTo: Bob <bob@partner.example>\nCc: assistant@acme.test\n" +
				"Subject: Point projet\nMessage-ID: <kill-1@acme.test>\nDate: Mon, 02 Mar 2026 09:00:00 +0100\n\n" +
				"Bonjour, pouvons-nous nous voir mardi ?\n")
			if code, out := swaksSend(t, smtpAddr, "member@acme.test", "assistant@acme.test", raw); code != 0 || !strings.Contains(out, "<-  250 ") {
				t.Fatalf("swaks: %d\n%s", code, out)
			}
			if err := p.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p.Wait(ctx)

			p = testbin.Start(t, env, "serve")
			c = client{t: t, base: p.URL}
			var ms []map[string]any
			eventually(t, 60*time.Second, "the message processed after the restart", func() bool {
				ms = inbox(t, c, tn.owner)
				return len(ms) == 1 && ms[0]["status"] == "processed"
			})
			if ms[0]["message_id"] != "kill-1@acme.test" || ms[0]["authenticated"] != true || ms[0]["remote_ip"] != "127.0.0.1" {
				t.Errorf("message %v", ms[0])
			}
			// The sender did not hear our 250 and sends again.
			if code, out := swaksSend(t, smtpAddr, "member@acme.test", "assistant@acme.test", raw); code != 0 {
				t.Fatalf("swaks again: %d\n%s", code, out)
			}
			ms = inbox(t, c, tn.owner)
			if len(ms) != 2 || ms[0]["status"] != "duplicate" || ms[0]["duplicate_of"] != ms[1]["id"] || ms[1]["status"] != "processed" {
				t.Fatalf("after the retry: %v", ms)
			}
			// One processing job, ever, and it ran to its end.
			db, err := store.Open(context.Background(), dbURL, store.Options{MaxConns: 1, SkipMigrations: true})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// The message shows processed before River records its job
			// completed (its completer batches): wait for that.
			var n int
			var state string
			eventually(t, 30*time.Second, "the processing job completed", func() bool {
				if err := db.SQL().QueryRow(`SELECT count(*), max(state) FROM river_job WHERE kind = 'inbox.process'`).Scan(&n, &state); err != nil {
					t.Fatal(err)
				}
				return n != 1 || state == "completed"
			})
			if n != 1 || state != "completed" {
				t.Errorf("%d processing jobs, state %s; want exactly one, completed", n, state)
			}
		})
	}
}

// captureRelay is a real SMTP server (go-smtp) that keeps what it is
// given: the relay Convene submits to.
type captureRelay struct {
	mu  sync.Mutex
	got map[string][][]byte
}

func (r *captureRelay) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &captureSession{r: r}, nil
}

type captureSession struct {
	r  *captureRelay
	to []string
}

func (s *captureSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *captureSession) Reset()        { s.to = nil }
func (s *captureSession) Logout() error { return nil }
func (s *captureSession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, to := range s.to {
		s.r.got[to] = append(s.r.got[to], b)
	}
	return nil
}

// TestInvitationsAreDKIMSigned: the invitations Convene relays carry a
// DKIM signature of the organizer's domain that python3-dkim verifies with
// the record GET /api/v1/domains tells the admin to publish; after a key
// rotation (refused until the new record is in DNS), under the new
// selector.
func TestInvitationsAreDKIMSigned(t *testing.T) {
	r := &captureRelay{got: map[string][][]byte{}}
	srv := smtp.NewServer(r)
	srv.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	dns := dnstest.Start(t)
	_, env := serveEnv(t, "sqlite", dns)
	env = append(env, "CONVENE_SMTP_RELAY=smtp://"+ln.Addr().String())
	p := testbin.Start(t, env, "serve")
	c := client{t: t, base: p.URL}
	tn := setupTenant(t, c, dns, "acme.test")
	records := map[string]string{}
	var spf string
	for _, d := range c.must("GET", "/api/v1/domains", tn.owner, nil, 200)["domains"].([]any) {
		for _, rec := range d.(map[string]any)["dns_records"].([]any) {
			m := rec.(map[string]any)
			switch m["purpose"] {
			case "dkim":
				records[m["name"].(string)] = m["value"].(string)
			case "spf":
				spf = m["value"].(string)
			}
		}
	}
	if records["convene1._domainkey.acme.test"] == "" || spf != "v=spf1 ip4:127.0.0.1 ~all" {
		t.Fatalf("records %v, spf %q", records, spf)
	}
	c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Signed", "start_time": "2031-06-03T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "none",
		"attendees": []map[string]string{{"email": "guest@partner.example"}, {"email": "owner@acme.test"}}}, 201)
	var got map[string][][]byte
	eventually(t, 60*time.Second, "three invitations relayed", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		got = map[string][][]byte{}
		for k, v := range r.got {
			got[k] = v
		}
		return len(got) == 3
	})
	for to, msgs := range got {
		if len(msgs) != 1 {
			t.Errorf("%s got %d messages", to, len(msgs))
			continue
		}
		v := mailtest.Verify(t, msgs[0], records)
		if !v.OK || v.Domain != "acme.test" || v.Selector != "convene1" {
			t.Errorf("%s: python3-dkim: %+v\n%.400s", to, v, msgs[0])
		}
	}

	// A key rotation: the new key signs only once its record is published
	// and activated; then the next invitations verify under convene2.
	pending := c.must("POST", "/api/v1/domains/acme.test/dkim/rotate", tn.owner, nil, 201)
	c.must("POST", "/api/v1/domains/acme.test/dkim/activate", tn.owner, nil, 422)
	dns.SetTXT(pending["name"].(string), pending["value"].(string))
	c.must("POST", "/api/v1/domains/acme.test/dkim/activate", tn.owner, nil, 200)
	records[pending["name"].(string)] = pending["value"].(string)
	c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Signed again", "start_time": "2031-06-04T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "none",
		"attendees": []map[string]string{{"email": "guest@partner.example"}, {"email": "owner@acme.test"}}}, 201)
	eventually(t, 60*time.Second, "three more invitations relayed", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		n := 0
		for k, v := range r.got {
			if len(v) == 2 {
				got[k] = v
				n++
			}
		}
		return n == 3
	})
	for to, msgs := range got {
		v := mailtest.Verify(t, msgs[1], records)
		if !v.OK || v.Domain != "acme.test" || v.Selector != "convene2" {
			t.Errorf("%s after the rotation: python3-dkim: %+v\n%.400s", to, v, msgs[1])
		}
	}
}
