package e2e

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/convene/convene/internal/dnstest"
	"github.com/convene/convene/internal/testbin"
)

// relay is a real SMTP server (emersion/go-smtp) standing for the
// organization's submission server: it refuses the first message of each
// recipient with 451 (try again later), then accepts.
type relay struct {
	mu       sync.Mutex
	refused  map[string]bool
	accepted map[string][][]byte
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r    *relay
	from string
	to   []string
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *relaySession) Reset()        { s.to = nil }
func (s *relaySession) Logout() error { return nil }
func (s *relaySession) Data(rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return err
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, to := range s.to {
		if !s.r.refused[to] {
			s.r.refused[to] = true
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
	}
	for _, to := range s.to {
		s.r.accepted[to] = append(s.r.accepted[to], b)
	}
	return nil
}

// TestInvitationsThroughARelay sends the invitations through
// CONVENE_SMTP_RELAY to a real SMTP server that first answers 451: each
// recipient gets exactly one message, and the outbox says sent.
func TestInvitationsThroughARelay(t *testing.T) {
	r := &relay{refused: map[string]bool{}, accepted: map[string][][]byte{}}
	srv := smtp.NewServer(r)
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
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
	m := c.must("POST", "/api/v1/meetings", tn.member, map[string]any{"subject": "Relayed", "start_time": "2031-06-03T10:00",
		"timezone": "UTC", "duration": 30, "video_provider": "none",
		"attendees": []map[string]string{{"email": "guest@partner.example"}, {"email": "owner@acme.test"}}}, 201)
	id := m["id"].(string)
	// River retries after its backoff (about a second, then more).
	eventually(t, 60*time.Second, "all mail sent", func() bool {
		ms := outbox(t, c, tn.owner, id)
		if len(ms) != 3 {
			return false
		}
		for _, m := range ms {
			if m["status"] != "sent" {
				return false
			}
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, to := range []string{"member@acme.test", "guest@partner.example", "owner@acme.test"} {
		if got := r.accepted[to]; len(got) != 1 || !strings.Contains(string(got[0]), "text/calendar") {
			t.Errorf("%s received %d messages", to, len(got))
		}
	}
	for _, m := range outbox(t, c, tn.owner, id) {
		if m["attempts"].(float64) < 2 {
			t.Errorf("mail %v sent without the retry the relay forced", m["to"])
		}
	}
}
